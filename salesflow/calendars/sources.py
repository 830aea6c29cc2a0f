"""The built-in entry sources: planned visits, logged meetings, quote validity, to-do due dates.

Each reads through its own app's permission-scoped selector for the viewer and keeps only the
requested owners' records, so a source can never show what the viewer's lists would not.
Payment due dates come from the contracts app's instalments (the contract owner's and the
project manager's calendars).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from salesflow.activities.models import Activity, ActivityKind
from salesflow.calendars.registry import CalendarEntry, EntrySource, SourceRequest, register_source
from salesflow.contracts.choices import LIVE_STATES, OUTSTANDING_STATES
from salesflow.contracts.selectors import instalments_visible_to
from salesflow.core import clock, records
from salesflow.core.templatetags.salesflow import money
from salesflow.customers.selectors import customers_visible_to
from salesflow.leads.selectors import leads_visible_to
from salesflow.notify.models import Task
from salesflow.notify.selectors import tasks_visible_to
from salesflow.pipeline.models import Visit
from salesflow.pipeline.selectors import opportunities_visible_to, visits_visible_to
from salesflow.quotes.choices import QuoteState
from salesflow.quotes.models import QuoteVersion
from salesflow.quotes.selectors import quotes_visible_to

# A planned visit has a start time only; calendars (and phones) show it as a block of this
# length. A display convention, not a management rule: the visit itself has no end.
ASSUMED_VISIT_LENGTH = timedelta(hours=1)


def visit_entries(request: SourceRequest) -> list[CalendarEntry]:
    """Visits (拜访任务包) planned in the window, open or completed."""
    visits = (
        visits_visible_to(request.viewer)
        .filter(
            owner_id__in=request.owners,
            planned_at__gte=request.since,
            planned_at__lt=request.until,
        )
        .select_related("customer", "owner")
        .order_by("planned_at", "pk")
    )
    entries = []
    for visit in visits:
        assert visit.planned_at is not None
        open_ = visit.status == Visit.Status.OPEN
        detail = visit.address if open_ else str(visit.get_status_display())
        entries.append(
            CalendarEntry(
                uid=f"visit-{visit.pk}@salesflow",
                kind="visit",
                title=gettext("拜访 %(customer)s") % {"customer": visit.customer.name},
                start=visit.planned_at,
                end=visit.planned_at + ASSUMED_VISIT_LENGTH,
                all_day=False,
                url=reverse("visit-page", args=[visit.code]),
                owner_id=visit.owner_id,
                owner_name=str(visit.owner),
                detail=detail,
                late=open_ and visit.planned_at < request.now,
            )
        )
    return entries


def meeting_entries(request: SourceRequest) -> list[CalendarEntry]:
    """Meetings (会议) logged in the window (activities are logged after the fact, so these are
    past: the calendar also reads as a record of the last weeks). Only meetings about a lead,
    customer or opportunity the viewer may see."""
    viewer = request.viewer
    about_visible = (
        Q(customer__in=customers_visible_to(viewer))
        | Q(opportunity__in=opportunities_visible_to(viewer))
        | Q(lead__in=leads_visible_to(viewer))
    )
    meetings = (
        Activity.objects.filter(
            about_visible,
            kind=ActivityKind.MEETING,
            actor_id__in=request.owners,
            occurred_at__gte=request.since,
            occurred_at__lt=request.until,
        )
        .select_related("actor", "customer", "opportunity", "lead")
        .order_by("occurred_at", "pk")
    )
    entries = []
    for meeting in meetings:
        if meeting.opportunity is not None:
            about = meeting.opportunity.title
            url = reverse("opportunity-detail", args=[meeting.opportunity_id])
        elif meeting.customer is not None:
            about = meeting.customer.name
            url = reverse("customer-detail", args=[meeting.customer_id])
        elif meeting.lead is not None:
            about = str(meeting.lead)
            url = reverse("lead-detail", args=[meeting.lead_id])
        else:  # pragma: no cover - an activity is always about something (see activity_log)
            continue
        length = timedelta(seconds=meeting.duration_seconds)
        entries.append(
            CalendarEntry(
                uid=f"meeting-{meeting.pk}@salesflow",
                kind="meeting",
                title=gettext("会议 %(about)s") % {"about": about},
                start=meeting.occurred_at,
                end=meeting.occurred_at + length if length else None,
                all_day=False,
                url=url,
                owner_id=meeting.actor_id,
                owner_name=str(meeting.actor),
                detail=meeting.note[:80],
            )
        )
    return entries


def quote_entries(request: SourceRequest) -> list[CalendarEntry]:
    """The last day of validity of sent quotes awaiting the customer's answer (the current,
    sent version's 有效期至), as an all-day entry."""
    versions = (
        QuoteVersion.objects.filter(
            quote__in=quotes_visible_to(request.viewer),
            quote__state=QuoteState.SENT,
            quote__owner_id__in=request.owners,
            number=F("quote__current_version"),
            sent_at__isnull=False,
            valid_until__gte=request.first_day,
            valid_until__lte=request.last_day,
        )
        .select_related("quote", "quote__customer", "quote__owner")
        .order_by("valid_until", "pk")
    )
    today = clock.to_local(request.now).date()
    entries = []
    for version in versions:
        quote = version.quote
        assert quote.owner_id is not None
        entries.append(
            CalendarEntry(
                uid=f"quote-{quote.pk}-v{version.number}@salesflow",
                kind="quote",
                title=gettext("报价到期 %(number)s %(customer)s")
                % {"number": quote.number, "customer": quote.customer.name},
                start=version.valid_until,
                all_day=True,
                url=reverse("quote-detail", args=[quote.pk]),
                owner_id=quote.owner_id,
                owner_name=str(quote.owner),
                detail=quote.title,
                late=version.valid_until < today,
            )
        )
    return entries


def task_entries(request: SourceRequest) -> list[CalendarEntry]:
    """Open to-dos (待办) due in the window, at their due time."""
    tasks = (
        tasks_visible_to(request.viewer)
        .filter(
            status=Task.Status.OPEN,
            assignee_id__in=request.owners,
            due_at__gte=request.since,
            due_at__lt=request.until,
        )
        .select_related("assignee")
        .order_by("due_at", "pk")
    )
    entries = []
    for task in tasks:
        assert task.due_at is not None
        url = None
        if task.subject_type and task.subject_id is not None:
            url = records.url_for(task.subject_type, task.subject_id)
        entries.append(
            CalendarEntry(
                uid=f"task-{task.pk}@salesflow",
                kind="task",
                title=gettext("待办 %(title)s") % {"title": task.title},
                start=task.due_at,
                all_day=False,
                url=url or reverse("today"),
                owner_id=task.assignee_id,
                owner_name=str(task.assignee),
                late=task.due_at < request.now,
            )
        )
    return entries


def payment_entries(request: SourceRequest) -> list[CalendarEntry]:
    """Instalments of signed contracts due in the window with money still to collect, on the
    calendar of the contract's project manager (else its owner), as all-day entries."""
    instalments = (
        instalments_visible_to(request.viewer)
        .filter(
            Q(contract__project_manager_id__in=request.owners)
            | Q(contract__project_manager__isnull=True, contract__owner_id__in=request.owners),
            contract__state__in=LIVE_STATES,
            state__in=OUTSTANDING_STATES,
            due_date__gte=request.first_day,
            due_date__lte=request.last_day,
        )
        .select_related("contract__customer", "contract__owner", "contract__project_manager")
        .order_by("due_date", "pk")
    )
    today = clock.to_local(request.now).date()
    entries = []
    for instalment in instalments:
        contract = instalment.contract
        person = contract.project_manager or contract.owner
        assert instalment.due_date is not None
        entries.append(
            CalendarEntry(
                uid=f"payment-{instalment.pk}@salesflow",
                kind="payment",
                title=gettext("回款到期 %(customer)s %(name)s %(amount)s")
                % {
                    "customer": contract.customer.name,
                    "name": instalment.name,
                    "amount": money(instalment.amount - instalment.received),
                },
                start=instalment.due_date,
                all_day=True,
                url=reverse("contract-detail", args=[contract.pk]) + "#plan",
                owner_id=person.pk,
                owner_name=str(person),
                detail=contract.number,
                late=instalment.due_date < today,
            )
        )
    return entries


for built_in in (
    EntrySource(code="visit", label=_("拜访"), fetch=visit_entries, order=10, icon="ti-map-pin"),
    EntrySource(code="meeting", label=_("会议"), fetch=meeting_entries, order=20, icon="ti-users"),
    EntrySource(code="quote", label=_("报价到期"), fetch=quote_entries, order=30, icon="ti-file-invoice"),
    EntrySource(code="task", label=_("待办截止"), fetch=task_entries, order=40, icon="ti-checkbox"),
    EntrySource(code="payment", label=_("回款到期"), fetch=payment_entries, order=35, icon="ti-cash"),
):
    register_source(built_in)
