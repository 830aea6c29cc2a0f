"""Who may import: the ops admin, sales management and superusers; products: the catalogue's
editors (ops admin, finance). Everyone may export what they see."""

from __future__ import annotations

from typing import Any

from salesflow.org.choices import MANAGING_ROLES, Role

# A director and the GM may do what a manager may.
IMPORT_ROLES = {Role.OPS_ADMIN, *MANAGING_ROLES}
# Kinds whose import is someone else's job than sales management's.
KIND_ROLES: dict[str, set[str]] = {"products": {Role.OPS_ADMIN, Role.FINANCE}}
REFUSAL = "只有运营管理员和销售管理者（主管、总监、总经理）可以导入"
KIND_REFUSALS = {"products": "只有销售运营和财务可以导入产品"}


def can_import(user: Any, kind: str | None = None) -> bool:
    """Whether `user` may import `kind` (without a kind: some kind, i.e. may open 设置 → 导入)."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return False
    if getattr(user, "is_superuser", False):
        return True
    role = getattr(user, "role", "")
    if kind is None:
        return role in IMPORT_ROLES or any(role in roles for roles in KIND_ROLES.values())
    return role in KIND_ROLES.get(kind, IMPORT_ROLES)


def refusal(kind: str) -> str:
    """Why `kind` may not be imported by the caller."""
    return KIND_REFUSALS.get(kind, REFUSAL)
