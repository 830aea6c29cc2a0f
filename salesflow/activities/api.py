"""`POST /api/v1/activities`: log a call, visit, message, e-mail or meeting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from salesflow.activities import services
from salesflow.core import records
from salesflow.core.errors import FieldErrors
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
    customer: int | None
    opportunity: int | None
    kind: str
    occurred_at: datetime
    duration_seconds: int
    effective: bool


@router.post("/activities", response={201: ActivityOut})
def log_activity(request: HttpRequest, payload: ActivityIn) -> Status[ActivityOut]:
    """Log an interaction on a lead, customer or opportunity; effective contacts stop response timers."""
    me = current_user(request)
    given = {
        k: v
        for k, v in {
            "lead": payload.lead,
            "customer": payload.customer,
            "opportunity": payload.opportunity,
        }.items()
        if v is not None
    }
    if len(given) != 1:
        raise FieldErrors(
            {"lead": ["请指定线索、客户或商机之一 / Give exactly one of lead, customer, opportunity."]}
        )
    ((name, pk),) = given.items()
    subject: Any = records.visible_record(name, pk, me)
    activity = services.activity_log(
        lead=subject if name == "lead" else None,
        customer=subject if name == "customer" else None,
        opportunity=subject if name == "opportunity" else None,
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
            customer=activity.customer_id,
            opportunity=activity.opportunity_id,
            kind=activity.kind,
            occurred_at=activity.occurred_at,
            duration_seconds=activity.duration_seconds,
            effective=activity.effective,
        ),
    )
