"""Who may change the working calendar: the ops admin (everyone signed in may read it)."""

from __future__ import annotations

from typing import Any

from salesflow.org.choices import Role


def can_edit_calendar(user: Any) -> bool:
    """Whether `user` may set days and import a year's arrangement."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "is_superuser", False) or getattr(user, "role", "") == Role.OPS_ADMIN)
    )
