"""Writes of the timers app: starting and stopping SLA timers, editing the working calendar."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection, models, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from salesflow.core import clock, events
from salesflow.core.errors import FieldErrors
from salesflow.core.history import attach_actor
from salesflow.core.models import Event
from salesflow.timers.calendar import WorkingCalendar, company_calendar
from salesflow.timers.durations import Duration, add_duration
from salesflow.timers.models import CalendarDay, Deadline


@dataclass(frozen=True)
class StepSpec:
    """One rung of a ladder to schedule: its name, offset from the start, and what to store."""

    name: str
    after: Duration
    payload: dict[str, Any] = field(default_factory=dict)
    # Set when the step counts back from a date of the record instead of forward from the start.
    due_at: datetime | None = None


CLOCKS = ("calendar", "working")
# Timers start and stop inside the business action's transaction, several per action, so they
# open no savepoint of their own (atomic(savepoint=False)): a failure still undoes the whole
# action, and each start saves two statements on the intake path.
# "claimed" exists only inside a sweep's transaction (SQLite); a step's own actions may stop
# its siblings claimed in the same batch, and then those must not fire either.
NOT_YET_FIRED = (Deadline.Status.PENDING, Deadline.Status.CLAIMED)

# Apps that keep what their lists sort by (the next due time, a missed deadline) on their own
# rows register a refresher for their model: it is told which of its records had timers started,
# stopped or fired, inside the same transaction, so those keys never lag the deadlines.
KeysRefresher = Callable[[list[int]], None]
_refreshers: dict[str, KeysRefresher] = {}


def register_keys_refresher(model: type[models.Model], refresher: KeysRefresher) -> None:
    """Have `refresher(ids)` called whenever timers of records of `model` change."""
    _refreshers[model._meta.label_lower] = refresher


# Inside `keys_refreshed_once()`: the records whose timers changed, by model, refreshed at its end.
_changed: ContextVar[dict[str, set[int]] | None] = ContextVar("timers_changed", default=None)


def timers_changed(subject_type: str, subject_ids: Iterable[int]) -> None:
    """Tell the subject's app that these records' deadlines changed (one call per model)."""
    if subject_type not in _refreshers:
        return
    changed = _changed.get()
    if changed is not None:
        changed.setdefault(subject_type, set()).update(subject_ids)
        return
    ids = sorted(set(subject_ids))
    if ids:
        _refreshers[subject_type](ids)


@contextmanager
def keys_refreshed_once() -> Iterator[None]:
    """Refresh the list keys of every record whose timers the block changes once, at its end
    (an activity stops timers once per event it records: one refresh instead of one per stop).
    Nested blocks refresh with the outermost; an exception refreshes nothing (the transaction
    is rolled back anyway)."""
    if _changed.get() is not None:
        yield
        return
    changed: dict[str, set[int]] = {}
    token = _changed.set(changed)
    try:
        yield
    finally:
        _changed.reset(token)
    for subject_type, ids in changed.items():
        _refreshers[subject_type](sorted(ids))


# The attribute `inserted_now` puts on a record's instance: the policies started on it since the
# action inserted it. Copies of the instance (the rules engine's) share the set.
STARTED_SINCE_INSERT = "timers_started_since_insert"


def inserted_now(subject: models.Model) -> None:
    """Tell the timers that this action has just inserted `subject`: it has no deadlines yet, so
    the first start of a policy on this instance needs no restart (one UPDATE less per action
    on the intake path). Only this instance and its copies carry the mark; a record loaded
    again restarts as always."""
    setattr(subject, STARTED_SINCE_INSERT, set())


@dataclass(frozen=True)
class Ladder:
    """One policy's ladder to start: its code and name, its steps, and its declared clock."""

    policy_code: str
    policy_name: str
    steps: list[StepSpec]
    clock: str = "calendar"


def timer_start(
    *,
    subject: models.Model,
    policy_code: str,
    policy_name: str,
    steps: list[StepSpec],
    started_at: datetime,
    clock: str = "calendar",
    calendar: WorkingCalendar | None = None,
    actor: Any = None,
) -> list[Deadline]:
    """Schedule one deadline per step; a policy already running on `subject` restarts.

    Each step is due `step.after` past `started_at` (working-time units on `calendar`), or
    at `step.due_at` when the caller counted back from a date of the record. `clock` is
    the policy's declared clock ("calendar" or "working"), kept in the `timer.started`
    event; the units of each step's duration decide how its due time is computed.
    """
    return timers_start(
        subject=subject,
        ladders=[Ladder(policy_code, policy_name, steps, clock)],
        started_at=started_at,
        calendar=calendar,
        actor=actor,
    )


def timers_start(
    *,
    subject: models.Model,
    ladders: list[Ladder],
    started_at: datetime,
    calendar: WorkingCalendar | None = None,
    actor: Any = None,
) -> list[Deadline]:
    """`timer_start` for several policies started by one event, in three statements: the
    restarted ladders cancelled, the new deadlines inserted, one `timer.started` each recorded."""
    errors: dict[str, list[str]] = {}
    for ladder in ladders:
        if ladder.clock not in CLOCKS:
            errors["clock"] = [f"“{ladder.clock}” 不是有效的计时方式（calendar / working）"]
        if not ladder.policy_code or len(ladder.policy_code) > 60:
            errors["policy_code"] = ["时限代码不能为空，最多 60 个字符"]
    if subject.pk is None:
        errors["subject"] = ["记录尚未保存，不能计时"]
    if errors:
        raise FieldErrors(errors)
    if not ladders:
        return []
    calendar = calendar or company_calendar()
    subject_type = subject._meta.label_lower
    starter = actor if getattr(actor, "pk", None) else None
    codes = {ladder.policy_code for ladder in ladders}
    started_since_insert: set[str] | None = getattr(subject, STARTED_SINCE_INSERT, None)
    with transaction.atomic(savepoint=False):
        if started_since_insert is None or not started_since_insert.isdisjoint(codes):
            # Restart, not stack: the old ladder's pending steps must never fire after this one starts.
            Deadline.objects.filter(
                subject_type=subject_type,
                subject_id=subject.pk,
                policy__in=sorted(codes),
                status__in=NOT_YET_FIRED,
            ).update(status=Deadline.Status.CANCELLED, cancelled_at=started_at)
        if started_since_insert is not None:
            started_since_insert.update(codes)
        deadlines = Deadline.objects.bulk_create(
            [
                Deadline(
                    subject_type=subject_type,
                    subject_id=subject.pk,
                    policy=ladder.policy_code,
                    policy_name=ladder.policy_name,
                    step=index,
                    step_name=step.name,
                    due_at=step.due_at or add_duration(started_at, step.after, calendar=calendar),
                    payload=step.payload,
                    created_at=started_at,
                    started_by=starter,
                )
                for ladder in ladders
                for index, step in enumerate(ladder.steps)
            ]
        )
        timers_changed(subject_type, [subject.pk])
        events.record_many(
            subject=subject,
            actor=starter,
            occurred_at=started_at,
            entries=[
                (
                    "timer.started",
                    {
                        "policy": ladder.policy_code,
                        "clock": ladder.clock,
                        "due": [d.due_at.isoformat() for d in deadlines if d.policy == ladder.policy_code],
                    },
                )
                for ladder in ladders
            ],
        )
    return deadlines


def timer_stop(*, subject: models.Model, policy_code: str | None, reason: str, now: datetime) -> int:
    """Cancel pending deadlines of `policy_code` (None: every policy) on `subject`."""
    return timers_stop(
        subject=subject, policy_codes=[policy_code] if policy_code else None, reason=reason, now=now
    )


def timers_stop(
    *, subject: models.Model, policy_codes: Sequence[str] | None, reason: str, now: datetime
) -> int:
    """Cancel pending deadlines of `policy_codes` (None: every policy) on `subject`, with one
    `timer.stopped` event naming the policies stopped; the number of deadlines cancelled.

    One `UPDATE … RETURNING` (SQLite ≥ 3.35 and PostgreSQL) cancels them and names their
    policies: this runs on every activity a rep logs."""
    table = connection.ops.quote_name(Deadline._meta.db_table)
    sql = (
        f"UPDATE {table} SET status = %s, cancelled_at = %s "  # noqa: S608
        "WHERE subject_type = %s AND subject_id = %s AND status IN (%s, %s)"
    )
    params: list[Any] = [
        Deadline.Status.CANCELLED,
        connection.ops.adapt_datetimefield_value(now),
        subject._meta.label_lower,
        subject.pk,
        *NOT_YET_FIRED,
    ]
    if policy_codes is not None:
        if not policy_codes:
            return 0
        sql += f" AND policy IN ({', '.join(['%s'] * len(policy_codes))})"
        params += list(policy_codes)
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(sql + " RETURNING policy", params)
            stopped = [policy for (policy,) in cursor.fetchall()]
        if stopped:
            timers_changed(subject._meta.label_lower, [subject.pk])
            events.record(
                name="timer.stopped",
                subject=subject,
                actor=None,
                occurred_at=now,
                payload={"policies": sorted(set(stopped)), "reason": reason},
            )
    return len(stopped)


def library_holiday_name(name: str) -> str:
    """The Chinese name of a `chinese-calendar` holiday ("National Day" → "国庆节"); the UI is Chinese."""
    from chinese_calendar.constants import Holiday

    return {h.value: h.chinese for h in Holiday}.get(name, name)


def calendar_seed_from_library(
    *, years: list[int], actor: Any = None, now: datetime | None = None
) -> dict[str, list[int]]:
    """Fill the calendar from `chinese-calendar` for the years it knows; others are skipped."""
    import chinese_calendar

    now = now or clock.now()
    seeded, skipped = [], []
    with transaction.atomic():
        for year in years:
            try:
                chinese_calendar.is_workday(date(year, 6, 1))
            except NotImplementedError:
                skipped.append(year)
                continue
            rows = [
                CalendarDay(
                    day=d,
                    is_workday=False,
                    kind=CalendarDay.Kind.HOLIDAY,
                    name=library_holiday_name(str(name)),
                    source=CalendarDay.Source.LIBRARY,
                )
                for d, name in chinese_calendar.holidays.items()
                if d.year == year
            ] + [
                CalendarDay(
                    day=d,
                    is_workday=True,
                    kind=CalendarDay.Kind.MAKEUP_WORKDAY,
                    name=library_holiday_name(str(name)),
                    source=CalendarDay.Source.LIBRARY,
                )
                for d, name in chinese_calendar.workdays.items()
                if d.year == year
            ]
            # Days already in the table stay as they are: the ops admin's edits win over the library.
            existing = set(CalendarDay.objects.filter(day__year=year).values_list("day", flat=True))
            bulk_create_with_history(
                [r for r in rows if r.day not in existing],
                CalendarDay,
                default_user=actor if getattr(actor, "pk", None) else None,
                default_date=now,
            )
            seeded.append(year)
    return {"seeded": seeded, "skipped": skipped}


NAME_MAX = 50
CalendarRow = tuple[date, bool, str]


def _row_problems(day: Any, is_workday: Any, name: Any) -> dict[str, str]:
    """What is wrong with one (day, is_workday, name), by field."""
    problems: dict[str, str] = {}
    if not isinstance(day, date) or isinstance(day, datetime):
        problems["day"] = f"“{day}” 不是日期（YYYY-MM-DD）"
    if not isinstance(is_workday, bool):
        problems["is_workday"] = "请选择 上班 或 休息"
    if not isinstance(name, str) or len(name.strip()) > NAME_MAX:
        problems["name"] = f"名称最多 {NAME_MAX} 个字"
    return problems


def _apply_days(
    rows: list[CalendarRow], *, actor: Any, now: datetime, one_by_one: bool
) -> dict[date, CalendarDay | None]:
    """Write validated rows (caller's transaction): exceptions created, changed or removed.

    Only exceptions to Monday–Friday are stored, so a day set back to its weekday default
    deletes its row. Unchanged days write nothing (re-importing a year is a no-op).
    """
    user = actor if getattr(actor, "pk", None) else None
    existing = {
        r.day: r for r in CalendarDay.objects.select_for_update().filter(day__in=[r[0] for r in rows])
    }
    result: dict[date, CalendarDay | None] = {}
    created: list[CalendarDay] = []
    updated: list[CalendarDay] = []
    removed: list[CalendarDay] = []
    for day, is_workday, raw_name in rows:
        name = raw_name.strip()
        row = existing.get(day)
        if is_workday == (day.weekday() < 5):
            result[day] = None
            if row is not None:
                removed.append(row)
            continue
        kind = CalendarDay.Kind.MAKEUP_WORKDAY if is_workday else CalendarDay.Kind.HOLIDAY
        if row is None:
            row = CalendarDay(
                day=day, is_workday=is_workday, kind=kind, name=name, source=CalendarDay.Source.MANUAL
            )
            created.append(row)
        elif (row.is_workday, row.name, row.source) != (is_workday, name, CalendarDay.Source.MANUAL):
            row.is_workday, row.kind, row.name, row.source = is_workday, kind, name, CalendarDay.Source.MANUAL
            updated.append(row)
        result[day] = row
    if created:
        created = bulk_create_with_history(created, CalendarDay, default_user=user, default_date=now)
        for row in created:
            result[row.day] = row
    if updated:
        bulk_update_with_history(
            updated,
            CalendarDay,
            ["is_workday", "kind", "name", "source"],
            default_user=user,
            default_date=now,
        )
    # Each change is an event on its row; a removed row is recorded before it goes (its id stays).
    changes = [(row, row.is_workday, row.name) for row in created + updated]
    changes += [(row, row.day.weekday() < 5, "") for row in removed]
    if one_by_one:  # a single edit: listeners see it like any other event
        for row, is_workday, name in changes:
            events.record(
                name="calendar.day_set",
                subject=row,
                actor=user,
                occurred_at=now,
                payload={"day": row.day.isoformat(), "is_workday": is_workday, "name": name},
            )
    else:  # an import: one INSERT for all its events
        events.bulk_record(
            Event(
                name="calendar.day_set",
                subject_type=events.subject_type_of(row),
                subject_id=row.pk,
                actor=user,
                occurred_at=now,
                payload={"day": row.day.isoformat(), "is_workday": is_workday, "name": name},
            )
            for row, is_workday, name in changes
        )
    for row in removed:  # rare (undoing an exception): one by one so history records each deletion
        attach_actor(row, user, now)
        row.delete()
    return result


def calendar_day_set(
    *, day: date, is_workday: bool, name: str, actor: Any, now: datetime | None = None
) -> CalendarDay | None:
    """Record that `day` is (or is not) a working day; None when that is just the weekday rule."""
    problems = _row_problems(day, is_workday, name)
    if problems:
        raise FieldErrors({field: [message] for field, message in problems.items()})
    now = now or clock.now()
    with transaction.atomic():
        return _apply_days([(day, is_workday, name)], actor=actor, now=now, one_by_one=True)[day]


def calendar_import_rows(*, rows: list[CalendarRow], actor: Any, now: datetime | None = None) -> int:
    """Import a published year's arrangement (date, is_workday, name): all rows or none.

    Returns how many rows were applied. Bad rows are reported by number under `rows`.
    """
    if not rows:
        raise FieldErrors({"rows": ["没有可导入的行"]})
    messages: list[str] = []
    seen: dict[date, int] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, tuple | list) or len(row) != 3:
            messages.append(f"第 {number} 行：应为 日期,上班/休息,名称")
            continue
        messages += [f"第 {number} 行：{m}" for m in _row_problems(*row).values()]
        day = row[0]
        if isinstance(day, date) and day in seen:
            messages.append(f"第 {number} 行：{day} 与第 {seen[day]} 行重复")
        elif isinstance(day, date):
            seen[day] = number
    if messages:
        raise FieldErrors({"rows": messages})
    now = now or clock.now()
    with transaction.atomic():
        _apply_days(list(rows), actor=actor, now=now, one_by_one=False)
    return len(rows)
