"""Who a rule or escalation step means: resolved relative to the record, at firing time.

Vocabulary: `owner`, `owner_manager`, `owner_director`, `role:<role>` (nearest holder above
the owner, else anyone holding it), `watchers`, `actor`, `user:<username>`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from salesflow.core import records
from salesflow.org import selectors as org_selectors
from salesflow.org.choices import Role
from salesflow.org.models import User

FIXED = ("owner", "owner_manager", "owner_director", "watchers", "actor")
LABELS = {
    "owner": "负责人",
    "owner_manager": "负责人的直属主管",
    "owner_director": "负责人的总监",
    "watchers": "关注人",
    "actor": "操作人",
}


def validate_recipient(spec: str) -> None:
    """Raise ValueError naming the problem when `spec` is not in the vocabulary."""
    if spec in FIXED:
        return
    kind, _, value = spec.partition(":")
    if kind == "role" and value in Role.values:
        return
    if kind == "user" and value:
        return
    raise ValueError(
        f"“{spec}” is not a recipient (use owner, owner_manager, owner_director, watchers, actor, "
        f"role:<{'|'.join(Role.values)}> or user:<username>)"
    )


def owner_of(subject: models.Model | None) -> User | None:
    """The person responsible for `subject`, per its registered record type."""
    if subject is None:
        return None
    rtype = records.type_for_label(subject._meta.label_lower)
    owner: Any = rtype.owner_of(subject) if rtype else getattr(subject, "owner", None)
    return owner if isinstance(owner, User) else None


def resolve(specs: list[str], *, subject: models.Model | None, actor: User | None) -> list[User]:
    """The active users `specs` point at for this record, deduplicated, in order."""
    from salesflow.rules.models import Watcher

    owner = owner_of(subject)
    found: list[User] = []

    def add(user: User | None) -> None:
        if user is not None and user.is_active and all(u.pk != user.pk for u in found):
            found.append(user)

    for spec in specs:
        if spec == "owner":
            add(owner)
        elif spec == "owner_manager":
            add(owner.manager if owner else None)
        elif spec == "owner_director":
            add(org_selectors.role_holder_above(owner, Role.DIRECTOR) if owner else None)
        elif spec == "actor":
            add(actor)
        elif spec == "watchers" and subject is not None:
            for watcher in Watcher.objects.filter(
                subject_type=subject._meta.label_lower, subject_id=subject.pk
            ).select_related("user"):
                add(watcher.user)
        elif spec.startswith("role:"):
            role = spec.removeprefix("role:")
            holder = org_selectors.role_holder_above(owner, role) if owner else None
            if holder is None:
                holder = User.objects.filter(role=role, is_active=True).order_by("pk").first()
            add(holder)
        elif spec.startswith("user:"):
            add(User.objects.filter(username=spec.removeprefix("user:")).first())
    return found
