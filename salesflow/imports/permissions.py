"""Who may import: the ops admin, managers and superusers; everyone may export what they see."""

from __future__ import annotations

from typing import Any

from salesflow.org.choices import Role

IMPORT_ROLES = {Role.OPS_ADMIN, Role.MANAGER}


def can_import(user: Any) -> bool:
    """Whether `user` may run imports."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and (getattr(user, "is_superuser", False) or getattr(user, "role", "") in IMPORT_ROLES)
    )
