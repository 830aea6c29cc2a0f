"""Reads of the review: which meetings a person may open or run, and a month's agenda.

A meeting (pack `meetings`) is run by its chair roles and read by its viewer roles; nobody else
sees its agenda (403). A record on the agenda is named, linked and its timeline shown only to
those who may see that record; others read its type and number (“商机 #12”).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from salesflow.core import clock, records
from salesflow.core.errors import FieldErrors, NotFound, PermissionDenied
from salesflow.org.models import User
from salesflow.reviews import registry
from salesflow.reviews.models import ReviewEntry
from salesflow.rules.models import AgendaItem
from salesflow.rules.schema import Meeting
from salesflow.rules.selectors import active_pack

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def meeting(code: str) -> Meeting:
    """The pack's meeting called `code`, or NotFound."""
    found = active_pack()[1].meeting(code)
    if found is None:
        raise NotFound(f"没有会议“{code}” / No meeting “{code}”.", meeting=code)
    return found


def may_chair(user: Any, code: str) -> bool:
    """Whether `user` runs meeting `code` (marks discussed, records decisions)."""
    found = active_pack()[1].meeting(code)
    return found is not None and getattr(user, "role", None) in found.chair_roles


def may_view(user: Any, code: str) -> bool:
    """Whether `user` may read meeting `code`'s agenda and minutes."""
    found = active_pack()[1].meeting(code)
    role = getattr(user, "role", None)
    return found is not None and (role in found.chair_roles or role in found.viewer_roles)


def meetings_for(user: Any) -> list[tuple[str, Meeting]]:
    """The meetings `user` may open, in pack order."""
    return [(code, m) for code, m in active_pack()[1].meetings.items() if may_view(user, code)]


def require_viewer(user: Any, code: str) -> Meeting:
    """The meeting if `user` may read it; NotFound for an unknown one, PermissionDenied otherwise."""
    found = meeting(code)
    if not may_view(user, code):
        raise PermissionDenied(
            f"只有{found.label}的参会人可以查看 / Only the meeting's members may see this."
        )
    return found


def current_month(now: datetime | None = None) -> date:
    """The first day of the local month of `now`."""
    return clock.to_local(now or clock.now()).date().replace(day=1)


def parse_month(text: str | None, *, field_name: str = "month", now: datetime | None = None) -> date:
    """`2026-12` as its first day; empty means this month; anything else a 422 naming the field."""
    text = (text or "").strip()
    if not text:
        return current_month(now)
    match = MONTH.match(text)
    if match is None:
        raise FieldErrors(
            {field_name: ["月份格式应为 YYYY-MM，例如 2026-12 / Use YYYY-MM, e.g. 2026-12."]},
            location="query",
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


def next_month(month: date) -> date:
    """The first day of the month after `month`."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    """The first day of the month before `month`."""
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_of(item: AgendaItem) -> date:
    """The month whose meeting reviews `item`: its entry's, else the month it was put on the agenda."""
    entry = getattr(item, "review", None) if _has_entry(item) else None
    return entry.month if entry is not None else current_month(item.created_at)


def _has_entry(item: AgendaItem) -> bool:
    try:
        item.review  # noqa: B018 (the reverse one-to-one raises when there is none)
    except ReviewEntry.DoesNotExist:
        return False
    return True


def entry_of(item: AgendaItem) -> ReviewEntry | None:
    """The review entry of `item`, if the meeting has acted on it."""
    return item.review if _has_entry(item) else None


def items_in(code: str, month: date) -> QuerySet[AgendaItem]:
    """The agenda items of meeting `code` reviewed in `month` (unscoped: callers check the meeting)."""
    start, end = clock.local_midnight(month), clock.local_midnight(next_month(month))
    return (
        AgendaItem.objects.filter(meeting=code)
        .filter(Q(review__month=month) | Q(review__isnull=True, created_at__gte=start, created_at__lt=end))
        .select_related("review__discussed_by", "review__decision_owner", "review__decided_by")
        .order_by("created_at", "id")
    )


def items_visible_to(user: Any) -> QuerySet[AgendaItem]:
    """The agenda items of every meeting `user` may read."""
    return AgendaItem.objects.filter(meeting__in=[code for code, _m in meetings_for(user)]).select_related(
        "review"
    )


@dataclass
class AgendaRow:
    """One agenda item as the review shows it (labels, never codes)."""

    item: AgendaItem
    entry: ReviewEntry | None
    month: date
    type_name: str | None
    type_label: str
    group: str
    team: str
    name: str
    url: str | None
    timeline_url: str | None
    rule_label: str
    visible: bool

    @property
    def discussed(self) -> bool:
        return self.entry is not None and self.entry.discussed_at is not None

    @property
    def decided(self) -> bool:
        return self.entry is not None and bool(self.entry.decision)


@dataclass
class AgendaGroup:
    """Items of one group (record type or work-order type) and team."""

    group: str
    team: str
    rows: list[AgendaRow] = field(default_factory=list)


def rule_label(rule_code: str) -> str:
    """The name of the rule or ladder step that put an item on the agenda."""
    pack = active_pack()[1]
    if rule_code.startswith("sla:"):
        code, _sep, step = rule_code.removeprefix("sla:").partition("/")
        policy = pack.policy(code)
        name = policy.name if policy is not None else code
        return f"{name} · {step}" if step else name
    rule = pack.rule(rule_code)
    return rule.name if rule is not None else rule_code


def describe(items: Iterable[AgendaItem], user: Any) -> list[AgendaRow]:
    """Rows for `items`: each record loaded once per type, named only where `user` may see it."""
    items = list(items)
    by_type: dict[str, set[int]] = {}
    for item in items:
        by_type.setdefault(item.subject_type, set()).add(item.subject_id)
    loaded: dict[tuple[str, int], Any] = {}
    visible: set[tuple[str, int]] = set()
    for subject_type, ids in by_type.items():
        rtype = records.type_for_label(subject_type)
        if rtype is None:
            continue
        kind = registry.get(subject_type)
        qs = rtype.model._default_manager.filter(pk__in=ids)
        if kind.select_related:
            qs = qs.select_related(*kind.select_related)
        for found in qs:
            loaded[(subject_type, found.pk)] = found
        if user is None:
            visible.update((subject_type, pk) for pk in ids)
        else:
            seen = rtype.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
            visible.update((subject_type, pk) for pk in seen)
    labels: dict[str, str] = {}
    rows = []
    for item in items:
        key = (item.subject_type, item.subject_id)
        rtype = records.type_for_label(item.subject_type)
        kind = registry.get(item.subject_type)
        type_label = str(rtype.label) if rtype is not None else _("记录")
        record: Any = loaded.get(key)
        shown = record is not None and key in visible
        team = kind.team(record) if (kind.team and record is not None) else None
        if team is None and record is not None and rtype is not None and kind.team is None:
            team = getattr(rtype.owner_of(record), "team", None)
        url = None
        if shown and rtype is not None and rtype.detail_url_name:
            try:
                url = reverse(rtype.detail_url_name, args=[item.subject_id])
            except NoReverseMatch:
                url = None
        if item.rule_code not in labels:
            labels[item.rule_code] = rule_label(item.rule_code) if item.rule_code else ""
        rows.append(
            AgendaRow(
                item=item,
                entry=entry_of(item),
                month=month_of(item),
                type_name=rtype.name if rtype is not None else None,
                type_label=type_label,
                group=(kind.group(record) if (kind.group and record is not None) else type_label),
                team=getattr(team, "name", "") or _("未分配团队"),
                name=(kind.name(record) if kind.name else str(record))
                if shown
                else f"{type_label} #{item.subject_id}",
                url=url,
                timeline_url=(
                    reverse("record-timeline", args=[rtype.name, item.subject_id])
                    if shown and rtype is not None
                    else None
                ),
                rule_label=labels[item.rule_code],
                visible=shown,
            )
        )
    return rows


def agenda_for(user: Any, *, meeting_code: str, month: date) -> list[AgendaRow]:
    """Meeting `meeting_code`'s agenda for `month` as `user` may read it (PermissionDenied otherwise)."""
    if user is not None:
        require_viewer(user, meeting_code)
    else:
        meeting(meeting_code)
    return describe(items_in(meeting_code, month), user)


def grouped(rows: list[AgendaRow]) -> list[AgendaGroup]:
    """Rows grouped by group then team, both in name order; rows keep their time order."""
    groups: dict[tuple[str, str], AgendaGroup] = {}
    for row in rows:
        groups.setdefault((row.group, row.team), AgendaGroup(row.group, row.team)).rows.append(row)
    return [groups[key] for key in sorted(groups)]


def item_for(user: User, item_id: int) -> AgendaItem:
    """One agenda item of a meeting `user` may read (NotFound otherwise: the two are not told apart)."""
    item = items_visible_to(user).filter(pk=item_id).first()
    if item is None:
        raise NotFound(f"没有编号为 {item_id} 的议程 / No agenda item {item_id}.", id=item_id)
    return item


def owner_choices() -> QuerySet[User]:
    """Who may own a decision: every active person."""
    return (
        User.objects.filter(is_active=True)
        .exclude(role="integration")
        .select_related("team")
        .order_by("team__name", "display_name", "username")
    )


def meeting_url(code: str, month: date) -> str:
    """The review page of meeting `code` for `month`."""
    return f"{reverse('review-meeting', args=[code])}?month={month:%Y-%m}"
