"""Who may import: the ops admin, sales management and superusers; everyone may export what they see."""

from __future__ import annotations

from typing import Any

from salesflow.org.choices import MANAGING_ROLES, Role

# A director and the GM may do what a manager may.
IMPORT_ROLES = {Role.OPS_ADMIN, *MANAGING_ROLES}
REFUSAL = "只有运营管理员和销售管理者（主管、总监、总经理）可以导入"


def can_import(user: Any) -> bool:
    """Whether `user` may run imports."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and (getattr(user, "is_superuser", False) or getattr(user, "role", "") in IMPORT_ROLES)
    )
