"""REST endpoints: the working calendar and a record's deadlines."""

from __future__ import annotations

from datetime import date, datetime

from django.db import models
from django.http import HttpRequest
from ninja import Router, Schema

from salesflow.core import clock, records
from salesflow.core.errors import FieldErrors, NotFound, PermissionDenied
from salesflow.timers import selectors, services
from salesflow.timers.calendar import missing_year_warning
from salesflow.timers.models import Deadline
from salesflow.timers.permissions import can_edit_calendar

router = Router(tags=["timers"])

YEARS = range(2000, 2101)


class CalendarDayOut(Schema):
    day: date
    is_workday: bool
    kind: str
    name: str
    source: str


class CalendarOut(Schema):
    year: int
    filled: bool
    warnings: list[str]
    days: list[CalendarDayOut]


@router.get("/calendar", response=CalendarOut)
def get_calendar(request: HttpRequest, year: int | None = None) -> CalendarOut:
    """A year's holidays and make-up workdays; other days follow Monday–Friday work."""
    if year is not None and year not in YEARS:
        raise FieldErrors({"year": [f"年份应在 {YEARS.start}–{YEARS.stop - 1} 之间"]}, location="query")
    year = year or clock.to_local(clock.now()).year
    days = list(selectors.calendar_year(year))
    return CalendarOut(
        year=year,
        filled=bool(days),
        warnings=[] if days else [missing_year_warning(year)],
        days=[
            CalendarDayOut(day=d.day, is_workday=d.is_workday, kind=d.kind, name=d.name, source=d.source)
            for d in days
        ],
    )


class CalendarDayIn(Schema):
    is_workday: bool
    name: str = ""


class CalendarDaySetOut(Schema):
    day: date
    is_workday: bool
    name: str
    exception: bool


@router.put("/calendar/{day}", response=CalendarDaySetOut)
def set_calendar_day(request: HttpRequest, day: date, payload: CalendarDayIn) -> CalendarDaySetOut:
    """Make one day a working or rest day (ops admin only); the weekday default removes the exception."""
    if not can_edit_calendar(request.user):
        raise PermissionDenied("只有运营管理员可以修改工作日历 / Ops admin only.")
    if day.year not in YEARS:
        raise FieldErrors({"day": [f"年份应在 {YEARS.start}–{YEARS.stop - 1} 之间"]}, location="path")
    row = services.calendar_day_set(
        day=day, is_workday=payload.is_workday, name=payload.name, actor=request.user
    )
    return CalendarDaySetOut(
        day=day, is_workday=payload.is_workday, name=row.name if row else "", exception=row is not None
    )


class DeadlineOut(Schema):
    id: int
    policy: str
    policy_name: str
    step: int
    step_name: str
    due_at: datetime
    status: str
    state: str
    fired_at: datetime | None


def _visible_subject(subject: str, user: object) -> models.Model:
    """`TYPE:ID` (short type `user`, or the `org.user` label) → the record, if `user` may see it."""
    kind, _, pk = subject.partition(":")
    if not pk.isdigit() or not kind:
        raise FieldErrors({"subject": ["应为 TYPE:ID，例如 user:12"]}, location="query")
    if "." in kind:
        rtype = records.type_for_label(kind.lower())
        if rtype is None:
            raise NotFound(f"Unknown record type “{kind}”.", type=kind)
        kind = rtype.name
    return records.visible_record(kind, int(pk), user)


@router.get("/deadlines", response=list[DeadlineOut])
def list_deadlines(request: HttpRequest, subject: str) -> list[DeadlineOut]:
    """The SLA steps of one visible record, `subject=TYPE:ID` (e.g. `user:12`), soonest first."""
    record = _visible_subject(subject, request.user)
    now = clock.now()
    deadlines: list[Deadline] = list(selectors.deadlines_for(record).order_by("due_at", "id"))
    return [
        DeadlineOut(
            id=d.pk,
            policy=d.policy,
            policy_name=d.policy_name,
            step=d.step,
            step_name=d.step_name,
            due_at=d.due_at,
            status=d.status,
            state=selectors.deadline_state(d, now=now),
            fired_at=d.fired_at,
        )
        for d in deadlines
    ]
