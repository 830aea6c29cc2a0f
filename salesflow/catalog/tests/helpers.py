"""Shared set-up of the catalogue tests: finance and presales people, a product, a rule pack edit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from salesflow.catalog import services
from salesflow.catalog.models import Product
from salesflow.core.testing import Trio, make_user
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.rules import packs
from salesflow.rules import services as rules_services
from salesflow.rules.selectors import active_pack, forget_active_pack

# A cost no other number on any page could show by accident.
SECRET_COST = Decimal("4321.87")


def finance(trio: Trio) -> User:
    """Finance at company level (sees costs, edits the catalogue)."""
    return make_user("fin", Role.FINANCE, trio.admin.team, None)


def gm(trio: Trio) -> User:
    """The general manager (sees costs, does not edit the catalogue)."""
    return make_user("gm", Role.GM, trio.admin.team, None)


def presales(trio: Trio) -> User:
    """A presales engineer (neither sees costs nor edits)."""
    return make_user("pre", Role.PRESALES, trio.admin.team, None)


def product(actor: User, **kwargs: Any) -> Product:
    """A joint-line product at ¥10,000 with the secret cost (`actor` must see costs)."""
    values: dict[str, Any] = {
        "sku": "hip-ti 52",
        "name": "髋关节假体 钛合金 52mm",
        "product_line": "joint",
        "unit": "套",
        "list_price": "10000",
        "standard_cost": SECRET_COST,
    }
    values.update(kwargs)
    return services.product_create(actor=actor, **values)


def edit_pack(change: Any) -> None:
    """Activate a copy of the active pack changed by `change(document)`."""
    forget_active_pack()
    _number, pack = active_pack()
    document = packs.to_document(pack)
    change(document)
    rules_services.pack_import(text=packs.to_yaml(document), actor=None, note="test")
    forget_active_pack()
