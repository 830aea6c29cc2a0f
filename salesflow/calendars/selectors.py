"""Reads of the calendar: whose calendar a viewer may open, its entries, and the feed link.

Scope is the organisation's (`org.selectors.visible_owner_ids` / `list_filter_choices`, as the
cockpit and every list use): a rep opens their own calendar; a manager or director the people
below them and their teams; company-wide roles anyone. Each entry source then reads through its
own app's permission-scoped selector, so no entry shows a record the viewer could not open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from salesflow.calendars.registry import CalendarEntry, SourceRequest, registered_sources
from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.core.models import PublicLink
from salesflow.org.models import Team, User
from salesflow.org.selectors import list_filter_choices, team_subtree, visible_owner_ids

# The purpose of a user's feed link among the public links (core.public_links).
FEED_PURPOSE = "calendar_feed"
# The feed covers this window around today: enough history for "when did I last see them" and
# enough ahead for planned visits and quote deadlines, while a phone polling the feed every few
# minutes never pulls a whole career. A technical bound of the feed, not a management rule.
FEED_DAYS_BEFORE = 30
FEED_DAYS_AFTER = 180
# The longest window one page or API call may ask for (a quarter): a bound on one request's
# work, like a list's page size. The feed's own window is fixed above.
MAX_RANGE_DAYS = 92
# The page and the API show a week unless told otherwise.
DEFAULT_DAYS = 7
FIRST_YEAR, LAST_YEAR = 2000, 2099


@dataclass(frozen=True)
class CalendarQuery:
    """A checked request for calendar entries: local days (both inclusive), whose calendar
    (`person` or `team`, or the viewer's own when neither), which kinds, and the resulting
    owner ids (never empty, always inside the viewer's scope)."""

    first_day: date
    last_day: date
    kinds: tuple[str, ...]
    owners: frozenset[int]
    person: int | None = None
    team: int | None = None

    @property
    def since(self) -> datetime:
        """Local midnight starting the first day."""
        return clock.local_midnight(self.first_day)

    @property
    def until(self) -> datetime:
        """Local midnight after the last day."""
        return clock.local_midnight(self.last_day + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        """Every day of the window."""
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]


def kind_codes() -> list[str]:
    """The codes of every registered entry source."""
    return [s.code for s in registered_sources()]


def kind_labels() -> dict[str, str]:
    """Each kind's label, for display."""
    return {s.code: str(s.label) for s in registered_sources()}


def scope_choices(user: User) -> tuple[list[User], list[Team]]:
    """The people and teams `user` may open the calendar of (none for a rep: their own only)."""
    return list_filter_choices(user)


def _date(raw: str, name: str, errors: dict[str, list[str]]) -> date | None:
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["日期格式应为 YYYY-MM-DD / Use a date like 2026-12-01."]
        return None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        errors[name] = [f"日期应在 {FIRST_YEAR}–{LAST_YEAR} 年之间 / Out of range."]
        return None
    return value


def _id(raw: str, name: str, errors: dict[str, list[str]]) -> int | None:
    if not raw.isdigit() or len(raw) > 12:
        errors[name] = ["应为 id / Use an id."]
        return None
    return int(raw)


def requested_kinds(params: Mapping[str, Any]) -> list[str]:
    """The `kinds` asked for: repeated parameters, comma-separated values, or both."""
    raw = params.getlist("kinds") if hasattr(params, "getlist") else [params.get("kinds") or ""]
    return [part.strip() for value in raw for part in str(value or "").split(",") if part.strip()]


def parse_calendar_query(
    params: Mapping[str, Any], *, user: User, today: date | None = None, days: int = DEFAULT_DAYS
) -> CalendarQuery:
    """A CalendarQuery from query parameters (`start`, `end`, `user`, `team`, `kinds`), checked:
    FieldErrors name every bad field. Defaults: `days` days from today, the viewer's own
    calendar, every kind. `user` ("me" or an id) must be someone whose records the viewer sees;
    `team` one of the teams they may narrow lists by; both together: that person in that team."""
    today = today or clock.to_local(clock.now()).date()
    errors: dict[str, list[str]] = {}
    raw_start = str(params.get("start") or "").strip()
    raw_end = str(params.get("end") or "").strip()
    start = _date(raw_start, "start", errors) if raw_start else today
    end = _date(raw_end, "end", errors) if raw_end else (start + timedelta(days=days - 1) if start else None)
    if start and end:
        if end < start:
            errors["end"] = ["结束日期不能早于开始日期 / The end is before the start."]
        elif (end - start).days + 1 > MAX_RANGE_DAYS:
            errors["end"] = [f"一次最多查看 {MAX_RANGE_DAYS} 天 / At most {MAX_RANGE_DAYS} days at once."]

    visible = visible_owner_ids(user)
    person: int | None = None
    raw_person = str(params.get("user") or "").strip()
    if raw_person and raw_person != "me":
        person = _id(raw_person, "user", errors)
        if person is not None and (
            (visible is not None and person not in visible) or not User.objects.filter(pk=person).exists()
        ):
            errors["user"] = ["不在你可查看的人员范围内 / Not someone whose calendar you may see."]
    elif raw_person == "me":
        person = user.pk

    team: int | None = None
    members: set[int] | None = None
    raw_team = str(params.get("team") or "").strip()
    if raw_team:
        team = _id(raw_team, "team", errors)
        _people, teams = scope_choices(user)
        chosen = next((t for t in teams if t.pk == team), None)
        if team is not None and chosen is None:
            errors["team"] = ["不在你可查看的团队范围内 / Not a team in your scope."]
        elif chosen is not None:
            in_team = User.objects.filter(team__in=team_subtree(chosen), is_active=True)
            members = set(in_team.values_list("pk", flat=True))
            if visible is not None:
                members &= visible
            if person is not None and "user" not in errors and person not in members:
                errors["user"] = ["此人不在所选团队 / Not a member of the chosen team."]

    codes = kind_codes()
    kinds = requested_kinds(params)
    unknown = [k for k in kinds if k not in codes]
    if unknown:
        errors["kinds"] = [f"应为 {', '.join(codes)} 中的若干项 / Unknown kind: {', '.join(unknown)}."]
    if errors:
        raise FieldErrors(errors, location="query")
    assert start is not None and end is not None
    if person is not None:
        owners = frozenset({person})
    elif members is not None:
        owners = frozenset(members)
    else:
        owners = frozenset({user.pk})
    return CalendarQuery(
        first_day=start,
        last_day=end,
        kinds=tuple(k for k in codes if not kinds or k in kinds),
        owners=owners,
        person=person,
        team=team,
    )


def calendar_entries(user: User, query: CalendarQuery, *, now: datetime | None = None) -> list[CalendarEntry]:
    """Every entry of the query's kinds for its owners in its window, as `user` may see them,
    in order (day; all-day first; time; title)."""
    if not query.owners:
        return []
    request = SourceRequest(
        viewer=user,
        owners=query.owners,
        since=query.since,
        until=query.until,
        first_day=query.first_day,
        last_day=query.last_day,
        now=now or clock.now(),
    )
    entries: list[CalendarEntry] = []
    for source in registered_sources():
        if source.code in query.kinds:
            entries.extend(source.fetch(request))
    return sorted(entries, key=lambda e: e.sort_key)


def entries_by_day(
    query: CalendarQuery, entries: list[CalendarEntry]
) -> list[tuple[date, list[CalendarEntry]]]:
    """Each day of the window with its entries (days without entries included)."""
    grouped: dict[date, list[CalendarEntry]] = {day: [] for day in query.days}
    for entry in entries:
        grouped.setdefault(entry.day, []).append(entry)
    return [(day, grouped[day]) for day in query.days]


def feed_query(user: User, *, now: datetime | None = None) -> CalendarQuery:
    """The feed's query: `user`'s own calendar, every kind, FEED_DAYS_BEFORE … FEED_DAYS_AFTER."""
    today = clock.to_local(now or clock.now()).date()
    return CalendarQuery(
        first_day=today - timedelta(days=FEED_DAYS_BEFORE),
        last_day=today + timedelta(days=FEED_DAYS_AFTER),
        kinds=tuple(kind_codes()),
        owners=frozenset({user.pk}),
        person=user.pk,
    )


def live_feed_links(user: User, *, now: datetime | None = None) -> list[PublicLink]:
    """`user`'s feed links that still work (normally one; none before the first is created)."""
    now = now or clock.now()
    return list(
        PublicLink.objects.filter(
            purpose=FEED_PURPOSE, payload__user=user.pk, revoked_at__isnull=True, expires_at__gt=now
        ).order_by("-created_at", "-id")
    )
