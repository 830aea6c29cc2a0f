"""Logging activities on leads, customers and opportunities, with their contact times and timers.

The subject's own fields change through its app's services (field history, events), never here.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max

from salesflow.activities.models import Activity, ActivityKind
from salesflow.core import clock, events
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.customers import services as customer_services
from salesflow.customers.models import Customer
from salesflow.leads import services as lead_services
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.org.selectors import answers_for
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import Opportunity
from salesflow.rules.selectors import active_pack
from salesflow.timers import services as timers


def is_effective(kind: str, duration_seconds: int) -> bool:
    """Whether the pack counts it as real contact (default: a call ≥ 60 s, a visit, a meeting)."""
    _number, pack = active_pack()
    return any(
        rule.kind == kind and duration_seconds >= rule.min_duration_seconds
        for rule in pack.effective_contacts
    )


def activity_log(
    *,
    kind: str,
    occurred_at: datetime,
    actor: User,
    lead: Lead | None = None,
    customer: Customer | None = None,
    opportunity: Opportunity | None = None,
    duration_seconds: int = 0,
    note: str = "",
    now: datetime | None = None,
) -> Activity:
    """Log an interaction on a lead, a customer or an opportunity (exactly one).

    On a lead an effective contact marks first contact and stops its response timers; on a
    customer (or an opportunity's customer) it restarts the 7-day commitment clock.
    """
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    subjects = [s for s in (lead, customer, opportunity) if s is not None]
    if len(subjects) != 1:
        errors["lead"] = ["请指定线索、客户或商机之一 / Give exactly one of lead, customer, opportunity."]
    if kind not in ActivityKind.values:
        errors["kind"] = [f"“{kind}” 不是有效类型 / not a kind ({', '.join(ActivityKind.values)})."]
    if occurred_at > now + clock.SKEW_TOLERANCE:
        errors["occurred_at"] = ["不能晚于当前时间 / Must not be in the future."]
    if duration_seconds < 0 or duration_seconds > 24 * 3600:
        errors["duration_seconds"] = ["时长应在 0–86400 秒之间 / Between 0 and 86400 seconds."]
    if len(note) > 4000:
        errors["note"] = ["备注过长 / At most 4000 characters."]
    if errors:
        raise FieldErrors(errors)
    # Read the owner afresh: the caller's copy may predate a claim or a handover.
    owner_id = type(subjects[0]).objects.values_list("owner_id", flat=True).get(pk=subjects[0].pk)
    if owner_id != actor.pk and not answers_for(actor, owner_id):
        raise PermissionDenied("只有负责人或其上级可以记录跟进 / Only the owner or their managers.")
    effective = is_effective(kind, duration_seconds)
    # A lead's timers stop once per event recorded here; its list keys are worked out once.
    with transaction.atomic(), timers.keys_refreshed_once():
        activity = Activity.objects.create(
            lead=lead,
            customer=customer or (opportunity.customer if opportunity else None),
            opportunity=opportunity,
            kind=kind,
            occurred_at=occurred_at,
            duration_seconds=duration_seconds,
            note=note,
            effective=effective,
            actor=actor,
            created_at=now,
        )
        payload = {
            "activity": activity.pk,
            "kind": kind,
            "duration_seconds": duration_seconds,
            "effective": effective,
        }
        if lead is not None:
            lead_services.lead_activity_record(
                lead=lead,
                occurred_at=occurred_at,
                effective=effective,
                payload=payload,
                actor=actor,
                now=now,
            )
        if opportunity is not None:
            pipeline_services.opportunity_activity_record(
                opportunity=opportunity, payload=payload, actor=actor, now=now
            )
        if customer is not None:
            events.record(
                name="activity.logged", subject=customer, actor=actor, occurred_at=now, payload=payload
            )
        if effective and activity.customer is not None:
            customer_services.customer_interaction(
                customer=activity.customer, actor=actor, occurred_at=occurred_at, now=now
            )
    return activity


def _manager_ids(owner_id: int | None) -> set[int]:
    from salesflow.org.selectors import managers_above

    if owner_id is None:
        return set()
    return {m.pk for m in managers_above(User.objects.get(pk=owner_id))}


def activities_carry(
    *, lead: Lead, customer: Customer, new_customer: bool, actor: User, now: datetime
) -> None:
    """A converting lead's activities become its customer's too (call them inside the conversion).

    The lead's last effective contact counts as the customer's last effective interaction, and
    the customer's 7-day commitment clock runs from it rather than from the conversion — unless
    an existing customer's own clock started later (its own claim or interaction is newer).
    """
    with transaction.atomic():
        Activity.objects.filter(lead=lead, customer__isnull=True).update(customer=customer)
        last = Activity.objects.filter(lead=lead, effective=True).aggregate(last=Max("occurred_at"))["last"]
        if last is None:
            return
        started = [customer.last_interaction_at, customer.claimed_at]
        previous = None if new_customer else max(filter(None, started), default=None)
        if previous is None or last > previous:
            customer_services.customer_interaction(
                customer=customer, actor=actor, occurred_at=last, now=now, clock_from=last
            )
