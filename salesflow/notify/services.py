"""Writes of the notify app: inbox messages, to-do cards and channels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction

from salesflow.core import clock, events, records
from salesflow.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.core.lookups import M, visible_or_404
from salesflow.core.models import Event
from salesflow.notify import egress
from salesflow.notify.models import Channel, Delivery, EgressAllowance, Notification, Task
from salesflow.notify.selectors import (
    enabled_channels,
    is_channel_admin,
    may_manage_channel,
    open_task_about,
    task_needs_note,
)
from salesflow.org import selectors as org_selectors
from salesflow.org.models import Team, User

TITLE_MAX = 200
KIND_MAX = 60


def _subject_ref(subject: models.Model | None) -> tuple[str, int | None]:
    return (subject._meta.label_lower, subject.pk) if subject is not None else ("", None)


def _clip(text: str, limit: int) -> str:
    # Titles come from rules and record names; a long one is shortened, never a database error.
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _team_paths(people: dict[int, User]) -> dict[int, str | None]:
    """Each recipient's team path: from the instances when the caller loaded their teams."""
    if all(u.team_id is None or User.team.is_cached(u) for u in people.values()):
        return {pk: (u.team.path if u.team is not None else None) for pk, u in people.items()}
    return dict(User.objects.filter(pk__in=list(people)).values_list("pk", "team__path"))


def _queue_deliveries(
    notes: list[Notification], people: dict[int, User], *, kind: str, now: datetime
) -> list[Delivery]:
    """One delivery per channel reached by this call; a shared robot hears it once, naming everyone."""
    from salesflow.notify.tasks import deliver

    deliveries = _deliveries([notes], people, kind=kind, now=now)
    for delivery in deliveries:
        deliver.enqueue(delivery.pk)
    return deliveries


def _deliveries(
    groups: list[list[Notification]], people: dict[int, User], *, kind: str, now: datetime
) -> list[Delivery]:
    """The delivery rows of several messages (a group: the notifications of one message), one INSERT.

    Per group, as `notify` does for its one message: one delivery per channel it reaches, and a
    shared robot hears it once, naming everyone. The channels are read once for all groups.
    """
    team_paths = _team_paths(people)
    teams_of = {
        pk: {int(x) for x in (path or "").strip("/").split("/") if x} for pk, path in team_paths.items()
    }
    all_teams = set().union(*teams_of.values())
    channels = [c for c in enabled_channels() if c.user_id in people or c.team_id in all_teams]
    if not channels:
        return []
    deliveries = []
    for notes in groups:
        reached: dict[tuple[str, str], tuple[Channel, list[Notification]]] = {}
        shared: set[tuple[str, str]] = set()
        for note in notes:
            for channel in channels:
                owned = channel.user_id == note.recipient_id or channel.team_id in teams_of[note.recipient_id]
                if not owned or (channel.kinds and kind not in channel.kinds):
                    continue
                # The same robot configured twice (own and team, or two teams) still posts once.
                key = (channel.kind, channel.target)
                _first, reached_notes = reached.setdefault(key, (channel, []))
                if note not in reached_notes:
                    reached_notes.append(note)
                if channel.team_id is not None:
                    shared.add(key)
        for key, (channel, reached_notes) in reached.items():
            first = reached_notes[0]
            body = first.body
            if key in shared:  # a group chat: say whom it is for
                names = "、".join(str(people[n.recipient_id]) for n in reached_notes)
                body = f"{body}\n\n接收人：{names}".strip()
            deliveries.append(
                Delivery(notification=first, channel=channel, title=first.title, body=body, created_at=now)
            )
    Delivery.objects.bulk_create(deliveries, batch_size=1000)
    return deliveries


def notify(
    *,
    recipients: Iterable[User | None],
    kind: str,
    title: str,
    body: str,
    subject: models.Model | None,
    actor: User | None,
    now: datetime | None = None,
    task: Task | None = None,
) -> list[Notification]:
    """Put a message in each active recipient's inbox and queue it on their channels.

    A message announcing a to-do carries `task`: the inbox then shows the to-do only.

    Deliveries are enqueued as django-tasks rows in this same transaction: they are sent
    if and only if the caller's business change commits. A team robot shared by several
    recipients gets one message naming them all. Records `notification.sent` on `subject`.
    """
    now = now or clock.now()
    people: dict[int, User] = {}
    for user in recipients:
        if user is not None and user.is_active:
            people.setdefault(user.pk, user)
    if not people:
        return []
    kind = kind[:KIND_MAX]
    title = _clip(title, TITLE_MAX) or kind
    subject_type, subject_id = _subject_ref(subject)
    # Part of the caller's action: no savepoint of its own (see timers.services).
    with transaction.atomic(savepoint=False):
        notes = Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    kind=kind,
                    title=title,
                    body=body,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    created_at=now,
                    task=task,
                )
                for user in people.values()
            ]
        )
        _queue_deliveries(notes, people, kind=kind, now=now)
        if subject is not None:
            events.record(
                name="notification.sent",
                subject=subject,
                actor=actor,
                occurred_at=now,
                payload={"kind": kind, "title": title, "recipients": list(people)},
            )
    return notes


@dataclass(frozen=True)
class Message:
    """One message of `notify_many`: what one `notify` call would say, to whom, about what."""

    recipients: tuple[User | None, ...]
    title: str
    body: str
    subject: models.Model | None


def notify_many(
    *, messages: Sequence[Message], kind: str, actor: User | None, now: datetime
) -> list[Notification]:
    """Many messages of one kind at once (a nightly batch): what `notify` does for each, in bulk.

    Why not `notify` per message: it costs ~5 queries a message (inbox row, channels, delivery
    task, `notification.sent`); a first nightly pass proposes tens of thousands of A-class tags.
    Here a batch is one INSERT of inbox rows, one read of the channels, one INSERT of
    deliveries, one delivery task for all of them (not one per message, so a rep's robot is
    not queued thousands of times) and one INSERT of `notification.sent` events (listeners run).
    Each message still gets its own inbox row per active recipient, its own deliveries and its
    own `notification.sent` on its subject, as `notify` writes them.
    """
    from salesflow.notify.tasks import deliver_many

    kind = kind[:KIND_MAX]
    people: dict[int, User] = {}
    planned: list[tuple[Message, str, list[User]]] = []
    for message in messages:
        mine: dict[int, User] = {}
        for user in message.recipients:
            if user is not None and user.is_active:
                mine.setdefault(user.pk, user)
        if mine:
            people.update(mine)
            planned.append((message, _clip(message.title, TITLE_MAX) or kind, list(mine.values())))
    if not planned:
        return []
    with transaction.atomic(savepoint=False):
        rows = []
        for message, title, users in planned:
            subject_type, subject_id = _subject_ref(message.subject)
            rows += [
                Notification(
                    recipient=user,
                    kind=kind,
                    title=title,
                    body=message.body,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    created_at=now,
                )
                for user in users
            ]
        notes = Notification.objects.bulk_create(rows, batch_size=1000)
        groups, sent, at = [], [], 0
        for message, title, users in planned:
            groups.append(notes[at : at + len(users)])
            at += len(users)
            if message.subject is not None:
                payload = {"kind": kind, "title": title, "recipients": [u.pk for u in users]}
                sent.append(
                    events.prepare(
                        name="notification.sent",
                        subject=message.subject,
                        actor=actor,
                        occurred_at=now,
                        payload=payload,
                    )
                )
        deliveries = _deliveries(groups, people, kind=kind, now=now)
        if deliveries:
            deliver_many.enqueue([d.pk for d in deliveries])
        events.record_prepared(sent)
    return notes


def notification_mark_read(
    *, notification: Notification, actor: User, now: datetime | None = None
) -> Notification:
    """Mark one of the actor's own notifications read (reading twice keeps the first time)."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("只能标记自己的通知 / Only your own notifications.")
    if notification.read_at is None:
        now = now or clock.now()
        with transaction.atomic():
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_read_many(*, user: User, ids: list[int], now: datetime | None = None) -> int:
    """Mark the listed notifications of `user` read (a grouped row); others' ids are ignored."""
    with transaction.atomic():
        return Notification.objects.filter(recipient=user, pk__in=ids, read_at__isnull=True).update(
            read_at=now or clock.now()
        )


def notifications_mark_all_read(*, user: User, now: datetime | None = None) -> int:
    """Mark every unread notification of `user` read; answers how many."""
    with transaction.atomic():
        return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
            read_at=now or clock.now()
        )


def task_create(
    *,
    assignee: User,
    title: str,
    body: str = "",
    subject: models.Model | None = None,
    due_at: datetime | None = None,
    created_by_rule: str = "",
    kind: str = "task.created",
    actor: User | None = None,
    now: datetime | None = None,
) -> Task:
    """Put a to-do card on `assignee`'s list and tell them once (bell and channels), as `kind`.

    The announcement is linked to the to-do, so the inbox shows one item: the to-do.
    """
    if not title.strip():
        raise FieldErrors({"title": ["请填写待办标题 / A task needs a title."]})
    title = _clip(title, TITLE_MAX)
    now = now or clock.now()
    subject_type, subject_id = _subject_ref(subject)
    with transaction.atomic():
        task = Task(
            title=title,
            body=body,
            assignee=assignee,
            subject_type=subject_type,
            subject_id=subject_id,
            due_at=due_at,
            created_by_rule=created_by_rule[:120],
            created_at=now,
        )
        attach_actor(task, actor, now)
        task.save()
        events.record(
            name="task.created",
            subject=task,
            actor=actor,
            occurred_at=now,
            payload={"assignee": assignee.pk, "rule": created_by_rule},
        )
        notify(
            recipients=[assignee],
            kind=kind,
            title=f"新待办：{title}" if kind == "task.created" else title,
            body=body,
            subject=subject,
            actor=actor,
            now=now,
            task=task,
        )
    return task


NOTE_MAX = 2000


def task_complete(*, task: Task, actor: User, note: str = "", now: datetime | None = None) -> Task:
    """Mark a task done: its assignee, someone above them or the GM (`answers_for`); twice is a Conflict.

    A rule's to-do about a record needs `note` (what was done); it is kept on the task and
    shown on the record's timeline (event `record.task_completed`). The to-do's own
    announcement is marked read.
    """
    note = note.strip()
    now = now or clock.now()
    with transaction.atomic():
        locked = Task.objects.select_for_update().select_related("assignee").get(pk=task.pk)
        allowed = actor.pk == locked.assignee_id or org_selectors.answers_for(actor, locked.assignee_id)
        if not allowed:
            raise PermissionDenied(
                "只有负责人、其上级或总经理可以完成此待办 / Only the assignee, their managers or the GM."
            )
        if locked.status != Task.Status.OPEN:
            raise Conflict("该待办已处理 / This task is already closed.", status=locked.status)
        if task_needs_note(locked) and not note:
            raise FieldErrors({"note": ["请填写处理情况 / Say what was done."]})
        if len(note) > NOTE_MAX:
            raise FieldErrors({"note": [f"处理情况最多 {NOTE_MAX} 个字 / At most {NOTE_MAX} characters."]})
        locked.status = Task.Status.DONE
        locked.done_at = now
        locked.done_by = actor
        locked.done_note = note
        attach_actor(locked, actor, now)
        locked.save()
        events.record(name="task.completed", subject=locked, actor=actor, occurred_at=now, payload={})
        Notification.objects.filter(task=locked, read_at__isnull=True).update(read_at=now)
        subject = records.load(locked.subject_type, locked.subject_id) if locked.subject_id else None
        if subject is not None:
            events.record(
                name="record.task_completed",
                subject=subject,
                actor=actor,
                occurred_at=now,
                payload={"title": locked.title, "outcome": note},
            )
    return locked


def task_access_log(*, reader: User, record: models.Model, now: datetime | None = None) -> Event | None:
    """Log that `reader` opened `record` outside their data scope through an open task about it.

    Returns the `record.read_through_task` event (on the record's timeline, naming the task),
    or None when the record is in the reader's own scope or no open task lets them in.
    """
    # In the reader's own scope (the usual case on every record page): no task lookup at all.
    rtype = records.type_for_label(record._meta.label_lower)
    owner = rtype.owner_of(record) if rtype is not None else getattr(record, "owner", None)
    owners = org_selectors.visible_owner_ids(reader)
    if owners is None or owner is None or owner.pk in owners:
        return None
    task = open_task_about(reader, record)
    if task is None:
        return None
    now = now or clock.now()
    with transaction.atomic():
        return events.record(
            name="record.read_through_task",
            subject=record,
            actor=reader,
            occurred_at=now,
            payload={"task": task.pk, "task_title": task.title, "reader": reader.pk},
        )


def readable_or_404(queryset: models.QuerySet[M], pk: Any, *, reader: User) -> M:
    """`visible_or_404` for a record's page or endpoint, logging a read that only an open task allows."""
    found = visible_or_404(queryset, pk)
    task_access_log(reader=reader, record=found)
    return found


# Channel.name / target / secret column sizes; longer input is a field error, not a database one.
CHANNEL_MAX = {"name": 100, "target": 500, "secret": 200}


def _validate_channel(fields: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    kind = fields.get("kind")
    name = (fields.get("name") or "").strip()
    target = (fields.get("target") or "").strip()
    secret = fields.get("secret") or ""
    if kind not in Channel.Kind.values:
        errors["kind"] = [f"“{kind}” 不是有效渠道 / not a channel kind ({', '.join(Channel.Kind.values)})."]
    if not name:
        errors["name"] = ["请填写名称 / A name is required."]
    elif len(name) > CHANNEL_MAX["name"]:
        errors["name"] = [f"名称最多 {CHANNEL_MAX['name']} 个字 / At most {CHANNEL_MAX['name']} characters."]
    if len(target) > CHANNEL_MAX["target"]:
        errors["target"] = [f"地址过长（最多 {CHANNEL_MAX['target']} 字符）/ Address too long."]
    elif kind == Channel.Kind.EMAIL:
        try:
            validate_email(target)
        except ValidationError:
            errors["target"] = ["请输入有效的邮箱地址 / Enter a valid e-mail address."]
    elif kind in Channel.Kind.values:
        try:
            egress.check_on_save(target)
        except egress.TargetRefused as exc:
            errors["target"] = [
                f"Webhook 地址不可用：{exc} / Only https to public addresses (or the ops allow-list)."
            ]
    if len(secret) > CHANNEL_MAX["secret"]:
        errors["secret"] = [f"密钥过长（最多 {CHANNEL_MAX['secret']} 字符）/ Secret too long."]
    elif kind == Channel.Kind.WEBHOOK and len(secret) < 16:
        errors["secret"] = [
            "通用 Webhook 需要至少 16 位签名密钥 / A webhook needs a secret of 16+ characters."
        ]
    kinds = fields.get("kinds", [])
    if not isinstance(kinds, list) or not all(isinstance(k, str) and 0 < len(k) <= KIND_MAX for k in kinds):
        errors["kinds"] = ["应为通知类型列表 / Must be a list of notification kinds."]
    if not isinstance(fields.get("enabled", True), bool):
        errors["enabled"] = ["应为 true 或 false / Must be true or false."]
    return errors


def channel_create(
    *,
    actor: User,
    kind: str,
    name: str,
    target: str,
    secret: str = "",
    kinds: list[str] | None = None,
    team: Team | None = None,
    user: User | None = None,
    enabled: bool = True,
    now: datetime | None = None,
) -> Channel:
    """Add a channel for a team (ops admin) or for a person (themselves, or the ops admin)."""
    if (team is None) == (user is None):
        raise FieldErrors(
            {"owner": ["渠道必须属于一个团队或一个人 / A channel belongs to a team or a person."]}
        )
    if not may_manage_channel(actor, owner_user_id=user.pk if user else None):
        raise PermissionDenied("无权为他人或团队配置渠道 / Not allowed to configure this channel.")
    errors = _validate_channel(
        {
            "kind": kind,
            "name": name,
            "target": target,
            "secret": secret,
            "kinds": kinds or [],
            "enabled": enabled,
        }
    )
    if errors:
        raise FieldErrors(errors)
    now = now or clock.now()
    with transaction.atomic():
        channel = Channel(
            kind=kind,
            name=name.strip(),
            target=target.strip(),
            secret=secret,
            kinds=sorted(set(kinds or [])),
            team=team,
            user=user,
            enabled=enabled,
        )
        attach_actor(channel, actor, now)
        channel.save()
        events.record(
            name="channel.created",
            subject=channel,
            actor=actor,
            occurred_at=now,
            payload={"kind": kind, "name": channel.name},
        )
    return channel


EDITABLE_CHANNEL_FIELDS = {"name", "target", "secret", "kinds", "enabled"}


def channel_update(*, channel: Channel, actor: User, now: datetime | None = None, **changes: Any) -> Channel:
    """Change a channel's name, target, secret, kinds filter or enabled flag (its kind and owner stay)."""
    if not may_manage_channel(actor, owner_user_id=channel.user_id):
        raise PermissionDenied("无权修改此渠道 / Not allowed to change this channel.")
    unknown = set(changes) - EDITABLE_CHANNEL_FIELDS
    if unknown:
        raise FieldErrors({k: ["不可修改 / Not editable."] for k in sorted(unknown)})
    merged = {
        "kind": channel.kind,
        "name": channel.name,
        "target": channel.target,
        "secret": channel.secret,
        "kinds": channel.kinds,
        "enabled": channel.enabled,
        **changes,
    }
    errors = _validate_channel(merged)
    if errors:
        raise FieldErrors(errors)
    for key in ("name", "target"):
        if key in changes:
            changes[key] = changes[key].strip()
    if "kinds" in changes:
        changes["kinds"] = sorted(set(changes["kinds"]))
    now = now or clock.now()
    with transaction.atomic():
        for key, value in changes.items():
            setattr(channel, key, value)
        attach_actor(channel, actor, now)
        channel.save()
        events.record(
            name="channel.updated",
            subject=channel,
            actor=actor,
            occurred_at=now,
            payload={
                "fields": sorted(k for k in changes if k != "secret"),
                "secret_changed": "secret" in changes,
            },
        )
    return channel


def channel_delete(*, channel: Channel, actor: User, now: datetime | None = None) -> None:
    """Remove a channel (its delivery log and queued deliveries go with it)."""
    if not may_manage_channel(actor, owner_user_id=channel.user_id):
        raise PermissionDenied("无权删除此渠道 / Not allowed to delete this channel.")
    now = now or clock.now()
    with transaction.atomic():
        events.record(
            name="channel.deleted",
            subject=channel,
            actor=actor,
            occurred_at=now,
            payload={"kind": channel.kind, "name": channel.name},
        )
        attach_actor(channel, actor, now)
        channel.delete()


def channel_send_test(*, channel: Channel, actor: User, now: datetime | None = None) -> Delivery:
    """Queue a test message on a channel (even a disabled one); its result shows in the delivery log."""
    from salesflow.notify.tasks import deliver

    if not may_manage_channel(actor, owner_user_id=channel.user_id):
        raise PermissionDenied("无权测试此渠道 / Not allowed to test this channel.")
    now = now or clock.now()
    with transaction.atomic():
        delivery = Delivery.objects.create(
            channel=channel,
            title="Salesflow 测试消息",
            body=f"{actor} 发送的渠道测试 · {clock.to_local(now):%Y-%m-%d %H:%M}",
            created_at=now,
        )
        deliver.enqueue(delivery.pk)
    return delivery


ALLOWANCE_NOTE_MAX = 200


def _deployment_key(entry: str) -> str:
    """A deployment entry in the form in-app entries are stored in, to tell a duplicate."""
    try:
        return egress.canonical_entry(entry)
    except ValueError:  # the setting is not bound by the in-app limits (e.g. a /4)
        return entry.strip().lower().rstrip(".")


def egress_allowance_add(
    *, actor: User, entry: str, note: str = "", now: datetime | None = None
) -> EgressAllowance:
    """Let channels reach an on-premise host or network (ops admin only); 409 when already listed."""
    if not is_channel_admin(actor):
        raise PermissionDenied("只有运营管理员可以修改内网白名单 / Ops admin only.")
    errors: dict[str, list[str]] = {}
    canonical = ""
    try:
        canonical = egress.canonical_entry(entry)
    except ValueError as exc:
        errors["entry"] = [str(exc)]
    note = " ".join(note.split())
    if len(note) > ALLOWANCE_NOTE_MAX:
        errors["note"] = [f"说明最多 {ALLOWANCE_NOTE_MAX} 个字 / At most {ALLOWANCE_NOTE_MAX} characters."]
    if errors:
        raise FieldErrors(errors)
    if canonical in {_deployment_key(e) for e in egress.deployment_entries()}:
        raise Conflict(
            f"“{canonical}” 已在部署配置中 / Already allowed by the deployment setting.", entry=canonical
        )
    now = now or clock.now()
    with transaction.atomic():
        if EgressAllowance.objects.filter(entry=canonical).exists():
            raise Conflict(f"“{canonical}” 已在白名单中 / Already on the allow-list.", entry=canonical)
        allowance = EgressAllowance(entry=canonical, note=note, created_by=actor, created_at=now)
        attach_actor(allowance, actor, now)
        try:
            with transaction.atomic():  # the unique index settles two admins adding at once
                allowance.save()
        except IntegrityError:
            raise Conflict(
                f"“{canonical}” 已在白名单中 / Already on the allow-list.", entry=canonical
            ) from None
        events.record(
            name="egress_allowance.added",
            subject=allowance,
            actor=actor,
            occurred_at=now,
            payload={"entry": canonical, "note": note},
        )
    return allowance


def egress_allowance_remove(*, allowance: EgressAllowance, actor: User, now: datetime | None = None) -> None:
    """Take an entry off the in-app allow-list (ops admin only); sends to it are refused from now on."""
    if not is_channel_admin(actor):
        raise PermissionDenied("只有运营管理员可以修改内网白名单 / Ops admin only.")
    now = now or clock.now()
    with transaction.atomic():
        locked = EgressAllowance.objects.select_for_update().filter(pk=allowance.pk).first()
        if locked is None:  # removed by someone else a moment ago
            raise NotFound(f"No allow-list entry {allowance.pk}.", id=allowance.pk)
        events.record(
            name="egress_allowance.removed",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"entry": locked.entry, "note": locked.note},
        )
        attach_actor(locked, actor, now)
        locked.delete()
