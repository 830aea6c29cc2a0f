"""`POST /api/v1/activities`: log a call, visit, message, e-mail or meeting."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from salesflow.activities import services
from salesflow.core.errors import FieldErrors, NotFound
from salesflow.leads.selectors import leads_visible_to
from salesflow.org.api import current_user

router = Router(tags=["activities"])


class ActivityIn(Schema):
    lead: int | None = None
    customer: int | None = None
    opportunity: int | None = None
    kind: str
    occurred_at: datetime
    duration_seconds: int = 0
    note: str = ""


class ActivityOut(Schema):
    id: int
    lead: int | None
    kind: str
    occurred_at: datetime
    duration_seconds: int
    effective: bool


@router.post("/activities", response={201: ActivityOut})
def log_activity(request: HttpRequest, payload: ActivityIn) -> Status[ActivityOut]:
    """Log an interaction; an effective contact stops the lead's first-contact and 48 h timers."""
    if payload.customer is not None or payload.opportunity is not None:
        raise FieldErrors({"lead": ["客户和商机的跟进将在对应模块上线后支持 / Only leads for now."]})
    if payload.lead is None:
        raise FieldErrors({"lead": ["请指定线索 / Give the lead's id."]})
    me = current_user(request)
    lead = leads_visible_to(me).filter(pk=payload.lead).first()
    if lead is None:
        raise NotFound(f"No lead {payload.lead}.", id=payload.lead)
    activity = services.activity_log(
        lead=lead,
        kind=payload.kind,
        occurred_at=payload.occurred_at,
        actor=me,
        duration_seconds=payload.duration_seconds,
        note=payload.note,
    )
    return Status(
        201,
        ActivityOut(
            id=activity.pk,
            lead=activity.lead_id,
            kind=activity.kind,
            occurred_at=activity.occurred_at,
            duration_seconds=activity.duration_seconds,
            effective=activity.effective,
        ),
    )
