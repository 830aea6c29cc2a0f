"""Who may edit the catalogue, and who may see a product's cost and margin (the pack decides).

Editing: the ops admin (销售运营 keeps master data) and finance (财务 owns prices and costs).
Reading products and prices: everyone signed in — reps need them to quote. Cost and margin:
only the roles of the pack's `field_permissions` (default finance, GM, directors); an editor
without that right edits everything else and never sees or sets the cost.
"""

from __future__ import annotations

from typing import Any

from salesflow.org.choices import Role
from salesflow.rules.selectors import active_pack

CATALOG_EDITORS = frozenset({Role.OPS_ADMIN, Role.FINANCE})
EDIT_REFUSAL = "只有销售运营和财务可以维护产品与价格表"
COST_FIELD = "product.standard_cost"
MARGIN_FIELD = "product.margin"
# Model fields a role without the cost right never receives (margin is derived from the cost).
COST_FIELDS = frozenset({"standard_cost"})


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def can_read_catalog(user: Any) -> bool:
    """Everyone signed in reads products and prices."""
    return _signed_in(user)


def can_edit_catalog(user: Any) -> bool:
    """Whether `user` may create and change products and price lists."""
    return _signed_in(user) and (
        bool(getattr(user, "is_superuser", False)) or getattr(user, "role", "") in CATALOG_EDITORS
    )


def can_see_field(user: Any, field_key: str) -> bool:
    """Whether the pack's field permissions let `user` see `field_key` (e.g. `product.standard_cost`)."""
    if not _signed_in(user):
        return False
    _number, pack = active_pack()
    return getattr(user, "role", "") in pack.roles_seeing(field_key)


def can_see_cost(user: Any) -> bool:
    """Whether `user` may see (and set) standard costs."""
    return can_see_field(user, COST_FIELD)


def can_see_margin(user: Any) -> bool:
    """Whether `user` may see margins (list price against standard cost)."""
    return can_see_field(user, MARGIN_FIELD) and can_see_cost(user)


def hidden_product_fields(user: Any) -> set[str]:
    """The Product fields `user` must never receive (history, exports, pages)."""
    return set() if can_see_cost(user) else set(COST_FIELDS)
