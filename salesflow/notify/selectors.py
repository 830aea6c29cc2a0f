"""Reads of the notify app, always scoped to the person asking."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from salesflow.notify.models import Channel, Delivery, Notification, Task
from salesflow.org.choices import Role
from salesflow.org.models import User


def notifications_for(user: User, *, unread_only: bool = False) -> models.QuerySet[Notification]:
    """The user's inbox, newest first."""
    qs = Notification.objects.filter(recipient=user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user: User) -> int:
    """How many unread notifications the bell shows."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def tasks_for(user: User, *, status: str | None = "open") -> models.QuerySet[Task]:
    """The user's to-do cards, soonest due first."""
    qs = Task.objects.filter(assignee=user)
    return qs.filter(status=status) if status else qs


def tasks_visible_to(user: User) -> models.QuerySet[Task]:
    """Tasks the user may see: their own, and their reports' for managers."""
    from salesflow.org.selectors import visible_owner_ids

    owners = visible_owner_ids(user)
    qs = Task.objects.select_related("assignee")
    return qs if owners is None else qs.filter(assignee_id__in=owners)


def is_channel_admin(user: User) -> bool:
    """Ops admins manage team channels and see every delivery."""
    return bool(user.is_superuser or user.role == Role.OPS_ADMIN)


def channels_visible_to(user: User) -> models.QuerySet[Channel]:
    """The user's own channels; all channels for the ops admin."""
    qs = Channel.objects.select_related("team", "user")
    return qs if is_channel_admin(user) else qs.filter(Q(user=user))


def failed_deliveries() -> models.QuerySet[Delivery]:
    """Deliveries that gave up, newest first (ops admin view)."""
    return Delivery.objects.filter(status=Delivery.Status.FAILED).select_related("channel")
