"""Reads of the notify app, always scoped to the person asking."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import models
from django.db.models import OuterRef, Q, Subquery

from salesflow.notify.models import Channel, Delivery, EgressAllowance, Notification, Task
from salesflow.org.choices import Role
from salesflow.org.models import User


def notifications_for(
    user: User, *, unread_only: bool = False, kind: str | None = None
) -> models.QuerySet[Notification]:
    """The user's inbox, newest first."""
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def unread_count(user: User) -> int:
    """How many unread notifications the bell shows (one COUNT on the inbox index)."""
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


def with_open_tasks(user: User, scope: Q, model: type[models.Model]) -> Q:
    """`scope` widened by the `model` records `user` holds an open task about.

    Work crosses departments (the circuit breaker asks presales and legal to look at an
    opportunity): whoever holds an open to-do about a record may read it until the task is
    done. An empty `scope` already means every record and stays as it is.
    """
    if not scope:
        return scope
    tasks = Task.objects.filter(
        assignee=user, status=Task.Status.OPEN, subject_type=model._meta.label_lower
    ).values("subject_id")
    return scope | Q(pk__in=tasks)


def open_task_about(user: User, record: models.Model) -> Task | None:
    """The oldest open task `user` holds about `record`, if any."""
    return (
        Task.objects.filter(
            assignee=user,
            status=Task.Status.OPEN,
            subject_type=record._meta.label_lower,
            subject_id=record.pk,
        )
        .order_by("id")
        .first()
    )


def is_channel_admin(user: User) -> bool:
    """Ops admins manage team channels and see every delivery."""
    return bool(user.is_superuser or user.role == Role.OPS_ADMIN)


def team_ids_of(user: User) -> list[int]:
    """The user's team and every team above it (a region's robot hears its teams' members)."""
    if not user.team_id:
        return []
    team = user.team
    assert team is not None
    return [int(x) for x in team.path.strip("/").split("/") if x]


def may_manage_channel(user: User, *, owner_user_id: int | None) -> bool:
    """Whether `user` may change, test or delete a channel: their own, or any for the ops admin."""
    return is_channel_admin(user) or (owner_user_id is not None and owner_user_id == user.pk)


def channels_visible_to(user: User) -> models.QuerySet[Channel]:
    """The user's own channels and their teams' (read-only); every channel for the ops admin."""
    qs = Channel.objects.select_related("team", "user")
    if is_channel_admin(user):
        return qs
    return qs.filter(Q(user=user) | Q(team_id__in=team_ids_of(user)))


def with_last_delivery(qs: models.QuerySet[Channel]) -> models.QuerySet[Channel]:
    """Annotate each channel with its latest delivery's status, error, HTTP code and time."""
    latest = Delivery.objects.filter(channel=OuterRef("pk")).order_by("-id")
    return qs.annotate(
        last_status=Subquery(latest.values("status")[:1]),
        last_error=Subquery(latest.values("last_error")[:1]),
        last_code=Subquery(latest.values("response_code")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
    )


def masked_target(channel: Channel) -> str:
    """A robot URL carries its access token: people who cannot manage the channel see the host only."""
    if channel.kind == Channel.Kind.EMAIL:
        return channel.target
    parts = urlsplit(channel.target)
    return f"{parts.scheme}://{parts.netloc}/…"


def deliveries_visible_to(user: User, *, status: str | None = None) -> models.QuerySet[Delivery]:
    """The delivery log: everything for the ops admin, the user's own channels' otherwise."""
    qs = Delivery.objects.select_related("channel")
    if not is_channel_admin(user):
        qs = qs.filter(channel__user=user)
    return qs.filter(status=status) if status else qs


def failed_deliveries() -> models.QuerySet[Delivery]:
    """Deliveries that gave up, newest first (ops admin view)."""
    return Delivery.objects.filter(status=Delivery.Status.FAILED).select_related("channel")


def allowance_entries() -> list[str]:
    """The in-app allow-list entries, for the egress check (a system read: one query, no scope)."""
    return list(EgressAllowance.objects.values_list("entry", flat=True))


def allowances_visible_to(user: User) -> models.QuerySet[EgressAllowance]:
    """The in-app allow-list with who added each entry: the ops admin's; nothing for anyone else."""
    qs = EgressAllowance.objects.select_related("created_by")
    return qs if is_channel_admin(user) else qs.none()
