"""Writes of the timers app: starting and stopping SLA timers, editing the working calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models, transaction

from salesflow.core import clock, events
from salesflow.core.errors import FieldErrors
from salesflow.core.history import attach_actor
from salesflow.timers.calendar import WorkingCalendar
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
    """Schedule one deadline per step; a policy already running on `subject` restarts."""
    calendar = calendar or WorkingCalendar()
    subject_type = subject._meta.label_lower
    with transaction.atomic():
        Deadline.objects.filter(
            subject_type=subject_type,
            subject_id=subject.pk,
            policy=policy_code,
            status=Deadline.Status.PENDING,
        ).update(status=Deadline.Status.CANCELLED, cancelled_at=started_at)
        deadlines = Deadline.objects.bulk_create(
            [
                Deadline(
                    subject_type=subject_type,
                    subject_id=subject.pk,
                    policy=policy_code,
                    policy_name=policy_name,
                    step=index,
                    step_name=step.name,
                    due_at=step.due_at or add_duration(started_at, step.after, calendar=calendar),
                    payload=step.payload,
                    created_at=started_at,
                    started_by=actor if getattr(actor, "pk", None) else None,
                )
                for index, step in enumerate(steps)
            ]
        )
        events.record(
            name="timer.started",
            subject=subject,
            actor=actor,
            occurred_at=started_at,
            payload={
                "policy": policy_code,
                "clock": clock,
                "due": [d.due_at.isoformat() for d in deadlines],
            },
        )
    return deadlines


def timer_stop(*, subject: models.Model, policy_code: str | None, reason: str, now: datetime) -> int:
    """Cancel pending deadlines of `policy_code` (None: every policy) on `subject`."""
    with transaction.atomic():
        pending = Deadline.objects.filter(
            subject_type=subject._meta.label_lower,
            subject_id=subject.pk,
            status=Deadline.Status.PENDING,
        )
        if policy_code:
            pending = pending.filter(policy=policy_code)
        policies = sorted(set(pending.values_list("policy", flat=True)))
        stopped = pending.update(status=Deadline.Status.CANCELLED, cancelled_at=now)
        if stopped:
            events.record(
                name="timer.stopped",
                subject=subject,
                actor=None,
                occurred_at=now,
                payload={"policies": policies, "reason": reason},
            )
    return stopped


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
                    name=str(name),
                    source=CalendarDay.Source.LIBRARY,
                )
                for d, name in chinese_calendar.holidays.items()
                if d.year == year
            ] + [
                CalendarDay(
                    day=d,
                    is_workday=True,
                    kind=CalendarDay.Kind.MAKEUP_WORKDAY,
                    name=str(name),
                    source=CalendarDay.Source.LIBRARY,
                )
                for d, name in chinese_calendar.workdays.items()
                if d.year == year
            ]
            existing = set(CalendarDay.objects.filter(day__year=year).values_list("day", flat=True))
            CalendarDay.objects.bulk_create([r for r in rows if r.day not in existing])
            seeded.append(year)
    return {"seeded": seeded, "skipped": skipped}


def calendar_day_set(
    *, day: date, is_workday: bool, name: str, actor: Any, now: datetime | None = None
) -> CalendarDay | None:
    """Record that `day` is (or is not) a working day; None when that is just the weekday rule."""
    now = now or clock.now()
    normal = day.weekday() < 5
    with transaction.atomic():
        existing = CalendarDay.objects.select_for_update().filter(day=day).first()
        if is_workday == normal:
            # Matches the default rule: no exception needed (keeps the table to exceptions only).
            if existing is not None:
                attach_actor(existing, actor, now)
                existing.delete()
            return None
        row = existing or CalendarDay(day=day)
        row.is_workday = is_workday
        row.kind = CalendarDay.Kind.MAKEUP_WORKDAY if is_workday else CalendarDay.Kind.HOLIDAY
        row.name = name
        row.source = CalendarDay.Source.MANUAL
        attach_actor(row, actor, now)
        row.save()
        events.record(
            name="calendar.day_set",
            subject=row,
            actor=actor,
            occurred_at=now,
            payload={"day": day.isoformat(), "is_workday": is_workday, "name": name},
        )
    return row


def calendar_import_rows(
    *, rows: list[tuple[date, bool, str]], actor: Any, now: datetime | None = None
) -> int:
    """Import a published year's arrangement (date, is_workday, name) in one transaction."""
    if not rows:
        raise FieldErrors({"rows": ["没有可导入的行 / Nothing to import."]})
    now = now or clock.now()
    with transaction.atomic():
        for day, is_workday, name in rows:
            calendar_day_set(day=day, is_workday=is_workday, name=name, actor=actor, now=now)
    return len(rows)
