"""Who may change the rules: sales management and the ops admin (everyone may read them)."""

from __future__ import annotations

from typing import Any

from salesflow.org.choices import Role

RULE_EDITORS = {Role.OPS_ADMIN, Role.MANAGER, Role.DIRECTOR, Role.COO, Role.GM}


def can_edit_rules(user: Any) -> bool:
    """Whether `user` may build rules, import packs, roll back and switch rules on."""
    return bool(user.is_authenticated and (user.is_superuser or user.role in RULE_EDITORS))
