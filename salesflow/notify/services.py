"""Writes of the notify app: inbox messages, to-do cards and channels."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Q

from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.notify.models import Channel, Delivery, Notification, Task
from salesflow.org import selectors as org_selectors
from salesflow.org.choices import Role
from salesflow.org.models import Team, User


def _subject_ref(subject: models.Model | None) -> tuple[str, int | None]:
    return (subject._meta.label_lower, subject.pk) if subject is not None else ("", None)


def _channels_for(user: User) -> list[Channel]:
    team_ids = []
    if user.team_id:
        team = user.team
        assert team is not None
        team_ids = [int(x) for x in team.path.strip("/").split("/") if x]
    return list(Channel.objects.filter(enabled=True).filter(Q(user=user) | Q(team_id__in=team_ids)))


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str,
    subject: models.Model | None,
    actor: User | None,
    now: datetime | None = None,
) -> list[Notification]:
    """Put a message in each recipient's inbox and queue it on their channels (same transaction)."""
    from salesflow.notify.tasks import deliver

    now = now or clock.now()
    subject_type, subject_id = _subject_ref(subject)
    people = {u.pk: u for u in recipients if u is not None and u.is_active}
    created: list[Notification] = []
    with transaction.atomic():
        for user in people.values():
            note = Notification.objects.create(
                recipient=user,
                kind=kind,
                title=title,
                body=body,
                subject_type=subject_type,
                subject_id=subject_id,
                created_at=now,
            )
            created.append(note)
            seen_targets: set[tuple[str, str]] = set()
            for channel in _channels_for(user):
                if channel.kinds and kind not in channel.kinds:
                    continue
                if (channel.kind, channel.target) in seen_targets:
                    continue  # a person in a team with the same robot gets it once
                seen_targets.add((channel.kind, channel.target))
                delivery = Delivery.objects.create(
                    notification=note, channel=channel, title=title, body=body, created_at=now
                )
                deliver.enqueue(delivery.pk)
    return created


def notification_mark_read(
    *, notification: Notification, actor: User, now: datetime | None = None
) -> Notification:
    """Mark one of the actor's own notifications read."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("只能标记自己的通知 / Only your own notifications.")
    if notification.read_at is None:
        notification.read_at = now or clock.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User, now: datetime | None = None) -> int:
    """Mark every unread notification of `user` read."""
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
    actor: User | None = None,
    now: datetime | None = None,
) -> Task:
    """Put a to-do card on `assignee`'s list and tell them."""
    if not title.strip():
        raise FieldErrors({"title": ["请填写待办标题 / A task needs a title."]})
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
            created_by_rule=created_by_rule,
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
            kind="task.created",
            title=f"新待办：{title}",
            body=body,
            subject=subject,
            actor=actor,
            now=now,
        )
    return task


def task_complete(*, task: Task, actor: User, now: datetime | None = None) -> Task:
    """Mark a task done: its assignee or someone above them in the reporting line."""
    now = now or clock.now()
    with transaction.atomic():
        locked = Task.objects.select_for_update().select_related("assignee").get(pk=task.pk)
        allowed = actor.pk == locked.assignee_id or actor in org_selectors.managers_above(locked.assignee)
        if not allowed:
            raise PermissionDenied("只有负责人或其上级可以完成此待办 / Only the assignee or their managers.")
        if locked.status != Task.Status.OPEN:
            raise Conflict("该待办已处理 / This task is already closed.", status=locked.status)
        locked.status = Task.Status.DONE
        locked.done_at = now
        locked.done_by = actor
        attach_actor(locked, actor, now)
        locked.save()
        events.record(name="task.completed", subject=locked, actor=actor, occurred_at=now, payload={})
    return locked


def _validate_channel(fields: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    kind, target, secret = (
        fields.get("kind"),
        (fields.get("target") or "").strip(),
        fields.get("secret") or "",
    )
    if kind not in Channel.Kind.values:
        errors["kind"] = [f"“{kind}” 不是有效渠道 / not a channel kind ({', '.join(Channel.Kind.values)})."]
    if not (fields.get("name") or "").strip():
        errors["name"] = ["请填写名称 / A name is required."]
    if kind == Channel.Kind.EMAIL:
        try:
            validate_email(target)
        except ValidationError:
            errors["target"] = ["请输入有效的邮箱地址 / Enter a valid e-mail address."]
    elif kind in Channel.Kind.values:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors["target"] = ["请输入 http(s) 开头的 Webhook 地址 / Enter an http(s) webhook URL."]
    if kind == Channel.Kind.WEBHOOK and len(secret) < 16:
        errors["secret"] = [
            "通用 Webhook 需要至少 16 位签名密钥 / A webhook needs a secret of 16+ characters."
        ]
    if not isinstance(fields.get("kinds", []), list):
        errors["kinds"] = ["应为通知类型列表 / Must be a list of notification kinds."]
    return errors


def _may_manage(actor: User, *, team: Team | None, user: User | None) -> bool:
    if user is not None:
        return actor.pk == user.pk or actor.is_superuser or actor.role == Role.OPS_ADMIN
    return actor.is_superuser or actor.role == Role.OPS_ADMIN


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
    """Add a channel for a team (ops admin) or for a person (themselves)."""
    if (team is None) == (user is None):
        raise FieldErrors(
            {"owner": ["渠道必须属于一个团队或一个人 / A channel belongs to a team or a person."]}
        )
    if not _may_manage(actor, team=team, user=user):
        raise PermissionDenied("无权为他人或团队配置渠道 / Not allowed to configure this channel.")
    errors = _validate_channel(
        {"kind": kind, "name": name, "target": target, "secret": secret, "kinds": kinds or []}
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
            kinds=kinds or [],
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


def channel_update(*, channel: Channel, actor: User, now: datetime | None = None, **changes: Any) -> Channel:
    """Change a channel's name, target, secret, kinds filter or enabled flag."""
    if not _may_manage(actor, team=channel.team, user=channel.user):
        raise PermissionDenied("无权修改此渠道 / Not allowed to change this channel.")
    allowed = {"name", "target", "secret", "kinds", "enabled"}
    unknown = set(changes) - allowed
    if unknown:
        raise FieldErrors({k: ["不可修改 / Not editable."] for k in sorted(unknown)})
    merged = {
        "kind": channel.kind,
        "name": channel.name,
        "target": channel.target,
        "secret": channel.secret,
        "kinds": channel.kinds,
        **changes,
    }
    errors = _validate_channel(merged)
    if errors:
        raise FieldErrors(errors)
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
            payload={"fields": sorted(k for k in changes if k != "secret")},
        )
    return channel


def channel_delete(*, channel: Channel, actor: User, now: datetime | None = None) -> None:
    """Remove a channel (its delivery log goes with it)."""
    if not _may_manage(actor, team=channel.team, user=channel.user):
        raise PermissionDenied("无权删除此渠道 / Not allowed to delete this channel.")
    with transaction.atomic():
        events.record(
            name="channel.deleted",
            subject=channel,
            actor=actor,
            occurred_at=now or clock.now(),
            payload={"name": channel.name},
        )
        attach_actor(channel, actor, now)
        channel.delete()


def channel_send_test(*, channel: Channel, actor: User, now: datetime | None = None) -> Delivery:
    """Queue a test message on a channel; its result shows in the delivery log."""
    from salesflow.notify.tasks import deliver

    if not _may_manage(actor, team=channel.team, user=channel.user):
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
