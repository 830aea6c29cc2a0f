"""Reads of the timers app: pending deadlines and the SLA state of a record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models

from salesflow.core import clock
from salesflow.timers.models import CalendarDay, Deadline


def pending_deadlines(
    *, subject_type: str | None = None, subject_id: int | None = None
) -> models.QuerySet[Deadline]:
    """Pending deadlines, soonest first, optionally of one record."""
    qs = Deadline.objects.filter(status=Deadline.Status.PENDING)
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    return qs.order_by("due_at", "id")


def deadlines_for(subject: models.Model) -> models.QuerySet[Deadline]:
    """Every deadline of one record."""
    return Deadline.objects.filter(subject_type=subject._meta.label_lower, subject_id=subject.pk)


def deadline_state(deadline: Deadline, *, now: datetime) -> str:
    """running (not yet due), due (waiting for the sweeper), breached (fired or failed), or stopped."""
    if deadline.status in (Deadline.Status.PENDING, Deadline.Status.CLAIMED):
        return "running" if deadline.due_at > now else "due"
    if deadline.status in (Deadline.Status.FIRED, Deadline.Status.FAILED):
        return "breached"
    return "stopped"


def sla_rows(deadlines: list[Deadline], *, now: datetime) -> list[dict[str, Any]]:
    """Each timer of a record as the API and pages show it: policy, step, due_at, state."""
    return [
        {
            "policy": d.policy,
            "name": d.policy_name,
            "step": d.step_name,
            "due_at": d.due_at,
            "state": deadline_state(d, now=now),
        }
        for d in deadlines
    ]


def sla_state(subject: models.Model, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every step of every timer on `subject`, oldest ladder first, with its state.

    state: running (not yet due), due (past due, the sweeper has not fired it yet),
    breached (fired or failed) or stopped (cancelled).
    """
    now = now or clock.now()
    return [
        {
            "policy": d.policy,
            "policy_name": d.policy_name,
            "step": d.step,
            "step_name": d.step_name,
            "due_at": d.due_at,
            "state": deadline_state(d, now=now),
        }
        for d in deadlines_for(subject).order_by("created_at", "policy", "step", "id")
    ]


def calendar_year(year: int) -> models.QuerySet[CalendarDay]:
    """The stored exceptions (holidays, make-up workdays) of one year, in date order."""
    return CalendarDay.objects.filter(day__year=year).order_by("day")
