"""Logging activities: the record, its events on the lead, and the lead's contact times."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from salesflow.activities.models import Activity, ActivityKind
from salesflow.core import clock, events
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.leads.choices import LeadStatus
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.rules.selectors import active_pack

# Clock skew between a phone and the server is tolerated, a future date is not.
_FUTURE_TOLERANCE = timedelta(minutes=5)


def is_effective(kind: str, duration_seconds: int) -> bool:
    """Whether the pack counts it as real contact (default: a call ≥ 60 s, a visit, a meeting)."""
    _number, pack = active_pack()
    return any(
        rule.kind == kind and duration_seconds >= rule.min_duration_seconds
        for rule in pack.effective_contacts
    )


def activity_log(
    *,
    lead: Lead,
    kind: str,
    occurred_at: datetime,
    actor: User,
    duration_seconds: int = 0,
    note: str = "",
    now: datetime | None = None,
) -> Activity:
    """Log an interaction on a lead; an effective one marks first contact and stops the timers."""
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    if kind not in ActivityKind.values:
        errors["kind"] = [f"“{kind}” 不是有效类型 / not a kind ({', '.join(ActivityKind.values)})."]
    if occurred_at > now + _FUTURE_TOLERANCE:
        errors["occurred_at"] = ["不能晚于当前时间 / Must not be in the future."]
    if duration_seconds < 0 or duration_seconds > 24 * 3600:
        errors["duration_seconds"] = ["时长应在 0–86400 秒之间 / Between 0 and 86400 seconds."]
    if len(note) > 4000:
        errors["note"] = ["备注过长 / At most 4000 characters."]
    if errors:
        raise FieldErrors(errors)
    if lead.owner_id != actor.pk and actor not in _managers_of(lead):
        raise PermissionDenied("只有负责人或其上级可以记录跟进 / Only the owner or their managers.")
    effective = is_effective(kind, duration_seconds)
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        activity = Activity.objects.create(
            lead=locked,
            kind=kind,
            occurred_at=occurred_at,
            duration_seconds=duration_seconds,
            note=note,
            effective=effective,
            actor=actor,
            created_at=now,
        )
        locked.last_activity_at = max(filter(None, [locked.last_activity_at, occurred_at]))
        first_contact = effective and locked.first_contact_at is None
        if first_contact:
            locked.first_contact_at = occurred_at
            if locked.status in (LeadStatus.ASSIGNED, LeadStatus.ACKNOWLEDGED):
                locked.status = LeadStatus.CONTACTED
        attach_actor(locked, actor, now)
        locked.save(update_fields=["last_activity_at", "first_contact_at", "status"])
        # Recorded on the lead so its timeline shows it and its timers can stop.
        events.record(
            name="activity.logged",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={
                "activity": activity.pk,
                "kind": kind,
                "duration_seconds": duration_seconds,
                "effective": effective,
            },
        )
        if effective:
            events.record(
                name="lead.contacted",
                subject=locked,
                actor=actor,
                occurred_at=now,
                payload={"activity": activity.pk, "first": first_contact},
            )
    return activity


def _managers_of(lead: Lead) -> list[User]:
    from salesflow.org.selectors import managers_above

    return managers_above(lead.owner) if lead.owner else []
