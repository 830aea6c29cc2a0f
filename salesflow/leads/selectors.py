"""Reads of leads, scoped to who is asking, with the traffic light and running timers."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from salesflow.leads.choices import OPEN_STATUSES, LeadStatus
from salesflow.leads.models import IntakeForm, Lead
from salesflow.notify.selectors import with_open_tasks
from salesflow.org.models import User
from salesflow.org.selectors import owner_scope_q
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration
from salesflow.timers.models import Deadline


def leads_visible_to(user: User) -> QuerySet[Lead]:
    """Own leads, the pool, those one holds an open task about, and for managers their team's."""
    return Lead.objects.filter(with_open_tasks(user, owner_scope_q(user), Lead)).select_related("owner")


def pool() -> QuerySet[Lead]:
    """Unowned open leads, best first."""
    return Lead.objects.filter(owner__isnull=True, status=LeadStatus.POOLED).order_by("-score", "id")


def forms() -> QuerySet[IntakeForm]:
    """Every intake form."""
    return IntakeForm.objects.select_related("team").order_by("id")


def light(lead: Lead, deadlines: list[Deadline], *, now: datetime) -> str:
    """The SPEC's traffic light: red = a breached SLA or no follow-up past the pack's limit."""
    if lead.status not in OPEN_STATUSES or lead.owner_id is None:
        return "grey"
    _number, pack = active_pack()
    red_after = parse_duration(pack.lights.lead_red_without_follow_up).as_timedelta()
    if lead.assigned_at and lead.last_activity_at is None and now - lead.assigned_at >= red_after:
        return "red"
    breached = any(
        d.status in (Deadline.Status.FIRED, Deadline.Status.FAILED) and d.policy != "lead_unread"
        for d in deadlines
    )
    # A missed response time keeps the lead red until someone actually reaches the customer.
    if breached and lead.first_contact_at is None:
        return "red"
    if any(d.status == Deadline.Status.PENDING for d in deadlines) or lead.acknowledged_at is None:
        return "yellow"
    return "green"


def timers_of(leads: list[Lead]) -> dict[int, list[Deadline]]:
    """Every lead's deadlines of its current assignment, in one query."""
    by_lead: dict[int, list[Deadline]] = {lead.pk: [] for lead in leads}
    assigned = {lead.pk: lead.assigned_at for lead in leads}
    rows = Deadline.objects.filter(
        subject_type=Lead._meta.label_lower, subject_id__in=list(by_lead)
    ).order_by("due_at")
    for d in rows:
        started = assigned.get(d.subject_id)
        if started is None or d.created_at >= started:
            by_lead[d.subject_id].append(d)
    return by_lead


SLA_FILTERS = ("breached", "running")


def with_sla_state(qs: QuerySet[Lead], state: str) -> QuerySet[Lead]:
    """Leads whose current assignment has a breached (fired) or a still running response timer."""
    statuses = (
        [Deadline.Status.FIRED, Deadline.Status.FAILED] if state == "breached" else [Deadline.Status.PENDING]
    )
    timers = Deadline.objects.filter(
        subject_type=Lead._meta.label_lower,
        subject_id=OuterRef("pk"),
        status__in=statuses,
        created_at__gte=OuterRef("assigned_at"),
    ).exclude(policy="lead_unread")
    return qs.filter(Exists(timers))
