"""Reads of the timers app: pending deadlines and the SLA state of a record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models

from salesflow.timers.models import Deadline


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


def sla_state(subject: models.Model, *, now: datetime) -> list[dict[str, Any]]:
    """Each step of the record's timers: running (with time left), breached, or stopped."""
    states = []
    for d in deadlines_for(subject).order_by("policy", "step", "-created_at"):
        if d.status == Deadline.Status.PENDING:
            state = "running" if d.due_at > now else "due"
        elif d.status in (Deadline.Status.FIRED, Deadline.Status.FAILED):
            state = "breached"
        else:
            state = "stopped"
        states.append(
            {
                "policy": d.policy,
                "policy_name": d.policy_name,
                "step": d.step,
                "step_name": d.step_name,
                "due_at": d.due_at,
                "state": state,
            }
        )
    return states
