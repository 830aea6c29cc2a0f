"""Reads of the notify app, always scoped to the person asking."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from salesflow.core.lookups import InSubqueryArray
from salesflow.notify.models import Channel, Delivery, EgressAllowance, Notification, Task
from salesflow.org.choices import Role
from salesflow.org.models import User

# Every notification looks up its channels; they change rarely, so a process keeps the enabled
# ones and asks the database again after this long. Saving or deleting a channel in this process
# forgets them at once (a signal, see apps.py); other processes see the change within this.
CHANNELS_TTL_SECONDS = 2.0
_enabled_channels: tuple[float, list[Channel]] | None = None


def enabled_channels() -> list[Channel]:
    """Every enabled channel (read-only instances shared by the process's threads), oldest first."""
    global _enabled_channels
    cached = _enabled_channels
    if cached is not None and time.monotonic() - cached[0] < CHANNELS_TTL_SECONDS:
        return cached[1]
    channels = list(Channel.objects.filter(enabled=True).order_by("id"))
    _enabled_channels = (time.monotonic(), channels)
    return channels


def forget_enabled_channels(**_signal: Any) -> None:
    """Drop the process's enabled channels (a channel was saved or deleted)."""
    global _enabled_channels
    _enabled_channels = None


def notifications_for(
    user: User, *, unread_only: bool = False, kind: str | None = None, without_tasks: bool = False
) -> models.QuerySet[Notification]:
    """The user's inbox, newest first."""
    qs = Notification.objects.filter(recipient=user)
    if without_tasks:  # the to-do itself is shown; its announcement would be a second item
        qs = qs.filter(task__isnull=True)
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
    # Not `pk__in`: see InSubqueryArray (the scope stays indexable on PostgreSQL).
    return scope | Q(InSubqueryArray(F("pk"), tasks))


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


# ---- the inbox as a manager reads it: who, which record, what happened, what to do ----------


@dataclass
class InboxItem:
    """One row of 今日 / 通知: a to-do or a notification with the record and person it is about.

    Items about the same record and rule are grouped: `more` holds the older ones.
    """

    task: Task | None
    note: Notification | None
    title: str
    person: str = ""
    record: str = ""
    url: str = ""
    phone: str = ""
    rule: str = ""
    reassign_lead: int | None = None
    more: list[InboxItem] = field(default_factory=list)

    @property
    def obj(self) -> Task | Notification:
        """The to-do or notification shown."""
        return self.task or self.note  # type: ignore[return-value]

    @property
    def needs_note(self) -> bool:
        """Whether completing this to-do asks what was done."""
        return self.task is not None and task_needs_note(self.task)

    @property
    def count(self) -> int:
        """How many items this row stands for."""
        return 1 + len(self.more)


def task_needs_note(task: Task) -> bool:
    """A rule's to-do about a record (an escalation, a breaker) is closed with what was done."""
    return bool(task.created_by_rule and task.subject_id is not None)


def rule_names() -> dict[str, str]:
    """The Chinese name of each rule and SLA step in the active pack, by the code tasks carry."""
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    names = {f"sla:{p.code}": p.name for p in pack.sla_policies}
    for policy in pack.sla_policies:
        for step in policy.steps:
            names[f"sla:{policy.code}/{step.name}"] = f"{policy.name} · {step.name}"
    names.update({r.code: r.name for r in pack.rules})
    return names


def rule_label(code: str, names: dict[str, str] | None = None) -> str:
    """A to-do's rule in business language; a rule no longer in the pack is named by its step."""
    if not code:
        return ""
    names = rule_names() if names is None else names
    if code in names:
        return names[code]
    if code.startswith("sla:") and "/" in code:
        return code.split("/", 1)[1]  # the step's own (Chinese) name
    return str(_("已停用的规则"))


def _subjects(items: list[Task | Notification]) -> dict[tuple[str, int], models.Model]:
    """The records the items are about, one query per record type, owners joined.

    Unscoped on purpose: the recipient was told about these records; only their names,
    owner and phone are shown, the record page itself still checks the reader's scope.
    """
    from salesflow.core import records

    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        if item.subject_type and item.subject_id is not None:
            wanted[item.subject_type].add(item.subject_id)
    found: dict[tuple[str, int], models.Model] = {}
    for label, ids in wanted.items():
        rtype = records.type_for_label(label)
        if rtype is None:
            continue
        qs = rtype.model._default_manager.filter(pk__in=ids)
        names = {f.name for f in rtype.model._meta.get_fields()}
        related = [n for n in ("owner", "assignee", "customer") if n in names]
        if related:
            qs = qs.select_related(*related)
        for record in qs:
            found[(label, record.pk)] = record
    return found


def _record_name(record: models.Model) -> str:
    """The record as a person names it, with its company: “方秀云（海口第二中医院）”."""
    name = str(record)
    customer = getattr(record, "customer", None) if hasattr(record, "customer_id") else None
    if customer is not None and str(customer) not in name:
        name = f"{name}（{customer}）"
    return name


def _may_reassign_lead(viewer: User, record: models.Model, owner: Any, owners: Any) -> bool:
    # The lead page's own rule (a non-rep who sees the owner's records), not a new one; a lead
    # closed meanwhile is refused by lead_reassign with its reason (notify may not import leads).
    if record._meta.label_lower != "leads.lead" or viewer.role == Role.REP or owner is None:
        return False
    seen = owners()
    return seen is None or owner.pk in seen


def inbox_items(
    viewer: User, *, tasks: list[Task] | tuple[()] = (), notes: list[Notification] | tuple[()] = ()
) -> list[InboxItem]:
    """To-dos then notifications as rows naming the person and the record, grouped by record and rule."""
    from salesflow.core import records

    everything: list[Task | Notification] = [*tasks, *notes]
    subjects = _subjects(everything)
    names = rule_names() if any(t.created_by_rule for t in tasks) else {}
    rows: list[InboxItem] = []
    cached: list[set[int] | None] = []

    def owners() -> set[int] | None:  # whose records the viewer sees, read once per call
        from salesflow.org.selectors import visible_owner_ids

        if not cached:
            cached.append(visible_owner_ids(viewer))
        return cached[0]

    groups: dict[tuple[str, str, int, str], InboxItem] = {}
    for obj in everything:
        is_task = isinstance(obj, Task)
        item = InboxItem(
            task=obj if isinstance(obj, Task) else None,
            note=obj if isinstance(obj, Notification) else None,
            title=obj.title,
            rule=rule_label(obj.created_by_rule, names) if isinstance(obj, Task) else "",
        )
        record = subjects.get((obj.subject_type, obj.subject_id or 0))
        if record is not None:
            rtype = records.type_for_label(obj.subject_type)
            owner = rtype.owner_of(record) if rtype is not None else None
            item.record = _record_name(record)
            item.person = str(owner) if owner is not None and record._meta.label_lower != "org.user" else ""
            item.url = records.url_for(obj.subject_type, obj.subject_id) or ""
            item.phone = str(getattr(record, "phone", "") or "")
            if is_task and _may_reassign_lead(viewer, record, owner, owners):
                item.reassign_lead = record.pk
        if obj.subject_id is not None:
            key = (
                "task" if is_task else "note",
                obj.subject_type,
                obj.subject_id,
                obj.created_by_rule if isinstance(obj, Task) else obj.kind,
            )
            head = groups.get(key)
            if head is not None:
                head.more.append(item)
                continue
            groups[key] = item
        rows.append(item)
    return rows


def open_tasks_for_inbox(user: User, *, limit: int = 50) -> list[Task]:
    """The user's open to-dos for 今日 and 通知, soonest due first (undated last), then oldest."""
    return list(tasks_for(user).order_by(models.F("due_at").asc(nulls_last=True), "id")[:limit])
