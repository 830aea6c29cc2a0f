"""REST endpoints: the working calendar and a record's deadlines."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Router, Schema

from salesflow.core import clock, records
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.timers import selectors, services
from salesflow.timers.models import CalendarDay
from salesflow.timers.views import can_edit_calendar

router = Router(tags=["timers"])


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
    """A year's holidays and make-up workdays (weekdays/weekends otherwise)."""
    year = year or clock.to_local(clock.now()).year
    days = list(CalendarDay.objects.filter(day__year=year))
    return CalendarOut(
        year=year,
        filled=bool(days),
        warnings=[] if days else [f"{year} 年尚未录入法定节假日，按周末休息计算。"],
        days=[
            CalendarDayOut(day=d.day, is_workday=d.is_workday, kind=d.kind, name=d.name, source=d.source)
            for d in days
        ],
    )


class CalendarDayIn(Schema):
    is_workday: bool
    name: str = ""


@router.put("/calendar/{day}", response=dict[str, object])
def set_calendar_day(request: HttpRequest, day: date, payload: CalendarDayIn) -> dict[str, object]:
    """Set one day (ops admin only)."""
    if not can_edit_calendar(request.user):
        raise PermissionDenied("只有运营管理员可以修改工作日历 / Ops admin only.")
    row = services.calendar_day_set(
        day=day, is_workday=payload.is_workday, name=payload.name, actor=request.user
    )
    return {"day": day.isoformat(), "is_workday": payload.is_workday, "exception": row is not None}


class DeadlineOut(Schema):
    id: int
    policy: str
    policy_name: str
    step: int
    step_name: str
    due_at: datetime
    status: str


@router.get("/deadlines", response=list[DeadlineOut])
def list_deadlines(request: HttpRequest, subject: str) -> list[DeadlineOut]:
    """The timers of one visible record, `subject=TYPE:ID` (e.g. `user:12`)."""
    kind, _, pk = subject.partition(":")
    if not pk.isdigit():
        raise FieldErrors({"subject": ["use TYPE:ID, e.g. user:12"]}, location="query")
    record = records.visible_record(kind, int(pk), request.user)
    return [
        DeadlineOut(
            id=d.pk,
            policy=d.policy,
            policy_name=d.policy_name,
            step=d.step,
            step_name=d.step_name,
            due_at=d.due_at,
            status=d.status,
        )
        for d in selectors.deadlines_for(record).order_by("due_at")
    ]
