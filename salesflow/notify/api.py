"""REST endpoints: the caller's inbox and to-dos, channels, the delivery log and the allow-list.

Others' notifications and tasks answer 404 (not visible); a visible record the caller may
not act on answers 403 (a manager's report's task for a peer, a team robot for a rep).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import keyset_page
from salesflow.notify import egress, selectors, services
from salesflow.notify.models import Channel, Delivery, EgressAllowance, Notification, Task
from salesflow.org.api import current_user
from salesflow.org.models import Team, User

router = Router(tags=["notify"])


def _choice(value: str | None, allowed: list[str], field: str) -> str | None:
    """A query filter that must be one of `allowed` (or absent); 422 naming the field otherwise."""
    if value in (None, ""):
        return None
    if value not in allowed:
        raise FieldErrors(
            {field: [f"应为 {' / '.join(allowed)} 之一 / One of: {', '.join(allowed)}."]}, location="query"
        )
    return value


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    subject_type: str
    subject_id: int | None
    created_at: datetime
    read: bool
    read_at: datetime | None
    # The to-do this message announced (the to-do is the item to act on), if any.
    task: int | None


def _note_out(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.pk,
        kind=n.kind,
        title=n.title,
        body=n.body,
        subject_type=n.subject_type,
        subject_id=n.subject_id,
        created_at=n.created_at,
        read=n.read_at is not None,
        read_at=n.read_at,
        task=n.task_id,
    )


class NotificationPage(Schema):
    items: list[NotificationOut]
    next: str | None


@router.get("/notifications", response=NotificationPage)
def list_notifications(
    request: HttpRequest,
    unread: bool = False,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> NotificationPage:
    """The caller's notifications, newest first (`unread=true` for unread only, `kind=` to filter)."""
    rows, next_cursor = keyset_page(
        selectors.notifications_for(current_user(request), unread_only=unread, kind=kind),
        cursor=cursor,
        limit=limit,
        newest_first=True,
    )
    return NotificationPage(items=[_note_out(n) for n in rows], next=next_cursor)


def _own_notification(request: HttpRequest, notification_id: int) -> Notification:
    note = visible_or_404(selectors.notifications_for(current_user(request)), notification_id)
    return note


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read_notification(request: HttpRequest, notification_id: int) -> NotificationOut:
    """Mark one of the caller's notifications read."""
    note = _own_notification(request, notification_id)
    return _note_out(services.notification_mark_read(notification=note, actor=current_user(request)))


@router.post("/notifications/read-all", response=dict[str, int])
def read_all(request: HttpRequest) -> dict[str, int]:
    """Mark all of the caller's notifications read; answers how many were unread."""
    return {"marked": services.notifications_mark_all_read(user=current_user(request))}


class TaskOut(Schema):
    id: int
    title: str
    body: str
    assignee: int
    subject_type: str
    subject_id: int | None
    due_at: datetime | None
    status: str
    created_by_rule: str
    created_at: datetime
    done_at: datetime | None
    done_by: int | None
    done_note: str
    rule_name: str
    needs_note: bool


def _task_out(t: Task, names: dict[str, str] | None = None) -> TaskOut:
    return TaskOut(
        id=t.pk,
        title=t.title,
        body=t.body,
        assignee=t.assignee_id,
        subject_type=t.subject_type,
        subject_id=t.subject_id,
        due_at=t.due_at,
        status=t.status,
        created_by_rule=t.created_by_rule,
        created_at=t.created_at,
        done_at=t.done_at,
        done_by=t.done_by_id,
        done_note=t.done_note,
        rule_name=selectors.rule_label(t.created_by_rule, names),
        needs_note=selectors.task_needs_note(t),
    )


class TaskPage(Schema):
    items: list[TaskOut]
    next: str | None


@router.get("/tasks", response=TaskPage)
def list_tasks(
    request: HttpRequest, status: str = "open", cursor: str | None = None, limit: int = 50
) -> TaskPage:
    """The caller's tasks, oldest first (`status=open` by default; `done`, `cancelled` or `all`)."""
    chosen = _choice(status, [*Task.Status.values, "all"], "status")
    qs = selectors.tasks_for(current_user(request), status=None if chosen in (None, "all") else chosen)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit)
    names = selectors.rule_names() if any(t.created_by_rule for t in rows) else {}
    return TaskPage(items=[_task_out(t, names) for t in rows], next=next_cursor)


class TaskDoneIn(Schema):
    note: str = Field("", max_length=2000)


@router.post("/tasks/{task_id}/done", response=TaskOut)
def complete_task(request: HttpRequest, task_id: int, payload: TaskDoneIn) -> TaskOut:
    """Complete a task (its assignee or their managers; 403 for others who see it; 409 when closed).

    A rule's to-do about a record (`needs_note`) takes `note`, what was done; without it 422 on `note`.
    """
    task = visible_or_404(selectors.tasks_visible_to(current_user(request)), task_id)
    return _task_out(services.task_complete(task=task, actor=current_user(request), note=payload.note))


class ChannelOut(Schema):
    id: int
    kind: str
    name: str
    target: str
    team: int | None
    user: int | None
    kinds: list[str]
    enabled: bool
    has_secret: bool
    manageable: bool


def _channel_out(c: Channel, viewer: User) -> ChannelOut:
    manageable = selectors.may_manage_channel(viewer, owner_user_id=c.user_id)
    return ChannelOut(
        id=c.pk,
        kind=c.kind,
        name=c.name,
        target=c.target if manageable else selectors.masked_target(c),
        team=c.team_id,
        user=c.user_id,
        kinds=c.kinds,
        enabled=c.enabled,
        has_secret=bool(c.secret),
        manageable=manageable,
    )


class ChannelPage(Schema):
    items: list[ChannelOut]
    next: str | None


class ChannelIn(Schema):
    kind: str
    name: str
    target: str
    secret: str = ""
    kinds: list[str] = []
    team: int | None = None
    enabled: bool = True


class ChannelPatch(Schema):
    name: str | None = None
    target: str | None = None
    secret: str | None = None
    kinds: list[str] | None = None
    enabled: bool | None = None


@router.get("/channels", response=ChannelPage)
def list_channels(request: HttpRequest, cursor: str | None = None, limit: int = 50) -> ChannelPage:
    """The caller's channels and their teams' (read-only, URL masked); all of them for the ops admin."""
    me = current_user(request)
    rows, next_cursor = keyset_page(selectors.channels_visible_to(me), cursor=cursor, limit=limit)
    return ChannelPage(items=[_channel_out(c, me) for c in rows], next=next_cursor)


@router.post("/channels", response={201: ChannelOut})
def create_channel(request: HttpRequest, payload: ChannelIn) -> Status[ChannelOut]:
    """A channel for a team (`team`, ops admin only) or for the caller."""
    actor = current_user(request)
    team = None
    if payload.team is not None:
        team = Team.objects.filter(pk=payload.team).first()
        if team is None:
            raise FieldErrors({"team": [f"没有编号为 {payload.team} 的团队 / No team {payload.team}."]})
    channel = services.channel_create(
        actor=actor,
        kind=payload.kind,
        name=payload.name,
        target=payload.target,
        secret=payload.secret,
        kinds=payload.kinds,
        team=team,
        user=None if team else actor,
        enabled=payload.enabled,
    )
    return Status(201, _channel_out(channel, actor))


class AllowedTargetOut(Schema):
    """One allow-list entry: from the deployment setting (no id, not removable) or added in the app."""

    id: int | None
    entry: str
    note: str
    source: Literal["deployment", "app"]
    created_by: int | None
    created_by_name: str | None
    created_at: datetime | None
    removable: bool


class AllowedTargetList(Schema):
    items: list[AllowedTargetOut]


class AllowedTargetIn(Schema):
    entry: str
    note: str = ""


def _allowance_out(a: EgressAllowance) -> AllowedTargetOut:
    return AllowedTargetOut(
        id=a.pk,
        entry=a.entry,
        note=a.note,
        source="app",
        created_by=a.created_by_id,
        created_by_name=str(a.created_by) if a.created_by else None,
        created_at=a.created_at,
        removable=True,
    )


def _ops_admin(request: HttpRequest) -> User:
    me = current_user(request)
    if not selectors.is_channel_admin(me):
        raise PermissionDenied("只有运营管理员可以查看和修改内网白名单 / Ops admin only.")
    return me


# The allow-list routes come before /channels/{channel_id}, whose parameter would match
# "allowed-targets" too (Ninja's path parameters match any segment).
@router.get("/channels/allowed-targets", response=AllowedTargetList)
def list_allowed_targets(request: HttpRequest) -> AllowedTargetList:
    """The on-premise allow-list (ops admin only): the deployment setting's entries, then the app's."""
    me = _ops_admin(request)
    deployment = [
        AllowedTargetOut(
            id=None,
            entry=entry,
            note="",
            source="deployment",
            created_by=None,
            created_by_name=None,
            created_at=None,
            removable=False,
        )
        for entry in egress.deployment_entries()
    ]
    return AllowedTargetList(
        items=deployment + [_allowance_out(a) for a in selectors.allowances_visible_to(me)]
    )


@router.post("/channels/allowed-targets", response={201: AllowedTargetOut})
def add_allowed_target(request: HttpRequest, payload: AllowedTargetIn) -> Status[AllowedTargetOut]:
    """Allow channels to reach a host name, IP address or network (ops admin only; 409 when listed)."""
    allowance = services.egress_allowance_add(
        actor=_ops_admin(request), entry=payload.entry, note=payload.note
    )
    return Status(201, _allowance_out(allowance))


@router.delete("/channels/allowed-targets/{allowance_id}", response={204: None})
def remove_allowed_target(request: HttpRequest, allowance_id: int) -> Status[None]:
    """Remove an in-app allow-list entry (ops admin only); sends to it are refused from then on."""
    me = _ops_admin(request)
    allowance = visible_or_404(selectors.allowances_visible_to(me), allowance_id)
    services.egress_allowance_remove(allowance=allowance, actor=me)
    return Status(204, None)


def _visible_channel(request: HttpRequest, channel_id: int) -> Channel:
    channel = visible_or_404(selectors.channels_visible_to(current_user(request)), channel_id)
    return channel


@router.patch("/channels/{channel_id}", response=ChannelOut)
def update_channel(request: HttpRequest, channel_id: int, payload: ChannelPatch) -> ChannelOut:
    """Change a channel's name, target, secret, kinds filter or enabled flag."""
    changes = payload.dict(exclude_none=True)
    me = current_user(request)
    channel = services.channel_update(channel=_visible_channel(request, channel_id), actor=me, **changes)
    return _channel_out(channel, me)


@router.delete("/channels/{channel_id}", response={204: None})
def delete_channel(request: HttpRequest, channel_id: int) -> Status[None]:
    """Remove a channel."""
    services.channel_delete(channel=_visible_channel(request, channel_id), actor=current_user(request))
    return Status(204, None)


class DeliveryOut(Schema):
    id: int
    channel: int
    channel_name: str
    notification: int | None
    title: str
    status: str
    attempts: int
    last_error: str
    response_code: int | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None


def _delivery_out(d: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.pk,
        channel=d.channel_id,
        channel_name=d.channel.name,
        notification=d.notification_id,
        title=d.title,
        status=d.status,
        attempts=d.attempts,
        last_error=d.last_error,
        response_code=d.response_code,
        created_at=d.created_at,
        sent_at=d.sent_at,
        next_attempt_at=d.next_attempt_at,
    )


@router.post("/channels/{channel_id}/test", response={202: DeliveryOut})
def test_channel(request: HttpRequest, channel_id: int) -> Status[DeliveryOut]:
    """Queue a test message on the channel; 202 with the pending delivery."""
    delivery = services.channel_send_test(
        channel=_visible_channel(request, channel_id), actor=current_user(request)
    )
    return Status(202, _delivery_out(delivery))


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next: str | None


@router.get("/deliveries", response=DeliveryPage)
def list_deliveries(
    request: HttpRequest, status: str | None = None, cursor: str | None = None, limit: int = 50
) -> DeliveryPage:
    """The delivery log, newest first (ops admin only), e.g. `status=failed`."""
    me = current_user(request)
    if not selectors.is_channel_admin(me):
        raise PermissionDenied("只有运营管理员可以查看投递记录 / Ops admin only.")
    chosen = _choice(status, Delivery.Status.values, "status")
    rows, next_cursor = keyset_page(
        selectors.deliveries_visible_to(me, status=chosen), cursor=cursor, limit=limit, newest_first=True
    )
    return DeliveryPage(items=[_delivery_out(d) for d in rows], next=next_cursor)
