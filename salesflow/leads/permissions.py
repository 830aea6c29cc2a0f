"""Who may manage the website intake forms (their keys open the public intake): the ops admin."""

from __future__ import annotations

from typing import Any

from salesflow.org.choices import Role


def can_manage_forms(user: Any) -> bool:
    """Whether `user` may list, create and read the keys of intake forms."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "is_superuser", False) or getattr(user, "role", "") == Role.OPS_ADMIN)
    )
