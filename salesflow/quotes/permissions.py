"""Who may read and work on quotes, and who sees their cost and margin.

Reading: whoever may read the opportunity (owner, their managers, company-wide roles), and
finance for every quote (finance approves special quotes and collects the money). Working on a
quote (edit, send, record feedback): its owner and the owner's managers. Cost and margin follow
the pack's field permissions for products (`product.standard_cost`, `product.margin`); a
director only ever reads quotes of their own region, so "the owner's director" holds.
"""

from __future__ import annotations

from typing import Any

from salesflow.catalog.permissions import can_see_cost, can_see_margin
from salesflow.org.choices import Role

# Roles that read every quote besides the company-wide ones.
QUOTE_READERS_ALL = frozenset({Role.FINANCE})

# Quote fields only cost-seeing roles receive (pages, API, exports, history, timeline).
COST_FIELDS = frozenset({"cost_total", "margin_pct", "unit_cost"})


def sees_cost(user: Any) -> bool:
    """Whether `user` sees quote costs (the pack's `product.standard_cost` roles)."""
    return can_see_cost(user)


def sees_margin(user: Any) -> bool:
    """Whether `user` sees quote margins (the pack's `product.margin` roles, who also see cost)."""
    return can_see_margin(user)
