"""Reads of leads, scoped to who is asking, with the traffic light and running timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.core.lookups import owned_by, search_term
from salesflow.core.models import Event
from salesflow.core.pagination import EPOCH, NO_DEADLINE, OWNER_KEY, SortKey, with_light
from salesflow.leads.choices import INTAKE_FIELDS, OPEN_STATUSES, TAG_FIELDS, LeadStatus
from salesflow.leads.models import IntakeForm, Lead
from salesflow.notify.selectors import with_open_tasks
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.org.selectors import owned_in_team, owner_scope_q
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration
from salesflow.timers.models import Deadline


def leads_visible_to(user: User) -> QuerySet[Lead]:
    """Own leads, the pool, those one holds an open task about, and for managers their team's."""
    return Lead.objects.filter(with_open_tasks(user, owner_scope_q(user), Lead)).select_related("owner")


@dataclass(frozen=True)
class LeadFilters:
    """What a list of leads may be narrowed by: the API's query, the 线索 page's and the export's."""

    q: str = ""
    owner: str = ""  # "me" or a user id
    status: str = ""
    score_min: int | None = None
    score_max: int | None = None
    pool: bool = False
    # Only leads someone owns (the 线索 page; the pool has its own page).
    owned: bool = False
    created_from: datetime | None = None
    created_to: datetime | None = None
    sla: str = ""
    team: str = ""  # a team id: owners in this team or beneath it
    light: str = ""  # red / yellow / green / grey


def leads_list(*, user: User | None, filters: LeadFilters, now: datetime | None = None) -> QuerySet[Lead]:
    """The leads `user` sees (every lead when None: the server's CLI) narrowed by `filters`.

    A value that cannot be a filter is a FieldErrors naming the query parameter. The light
    filter is judged at `now` (the clock's time when not given).
    """
    qs = leads_visible_to(user) if user is not None else Lead.objects.select_related("owner")
    qs = owned_in_team(qs, filters.team)
    if filters.light:
        qs = with_light(with_list_keys(qs, now=now or clock.now()), filters.light)
    if filters.owned:
        qs = qs.filter(owner__isnull=False)  # (exclude() would join the users to say the same)
    if filters.pool:
        qs = qs.filter(owner__isnull=True, status=LeadStatus.POOLED)
    qs = owned_by(qs, filters.owner, user)
    if filters.status:
        if filters.status not in LeadStatus.values:
            raise FieldErrors({"status": [f"应为 {', '.join(LeadStatus.values)} 之一"]}, location="query")
        qs = qs.filter(status=filters.status)
    if filters.score_min is not None:
        qs = qs.filter(score__gte=filters.score_min)
    if filters.score_max is not None:
        qs = qs.filter(score__lte=filters.score_max)
    if filters.created_from:
        qs = qs.filter(created_at__gte=filters.created_from)
    if filters.created_to:
        qs = qs.filter(created_at__lt=filters.created_to)
    if filters.sla:
        if filters.sla not in SLA_FILTERS:
            raise FieldErrors({"sla": [f"use one of {', '.join(SLA_FILTERS)}"]}, location="query")
        qs = with_sla_state(qs, filters.sla)
    return search(qs, filters.q)


def search(qs: QuerySet[Lead], text: str) -> QuerySet[Lead]:
    """Match name, company, e-mail, or (four digits or more) phone."""
    q = search_term(text)
    if not q:
        return qs
    match = Q(name__icontains=q) | Q(company__icontains=q) | Q(email_key__icontains=q.lower())
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 4:
        match |= Q(phone_key__contains=digits)
    return qs.filter(match)


def claim_target(user: User, lead_id: int) -> Lead | None:
    """The lead a rep asks to claim: one they see, or one a colleague just took from the pool.

    As for customers: a pooled lead claimed a moment earlier by someone else answers 409 naming
    the owner, not 404. Only a lead whose current assignment was a claim from the pool is reached
    this way — never a lead that went straight to a colleague.
    """
    lead = leads_visible_to(user).filter(pk=lead_id).first()
    if lead is not None or user.role != Role.REP:
        return lead
    claimed_from_pool = Event.objects.filter(
        name="lead.assigned",
        subject_type=Lead._meta.label_lower,
        subject_id=OuterRef("pk"),
        occurred_at=OuterRef("assigned_at"),
        actor=OuterRef("owner"),
        payload__strategy="claim",
    )
    return Lead.objects.filter(pk=lead_id, owner__isnull=False).filter(Exists(claimed_from_pool)).first()


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
    # The pack says which policies are only a nudge to the manager (purpose lead_unread).
    nudges = set(pack.policy_codes_for("lead_unread"))
    breached = any(
        d.status in (Deadline.Status.FIRED, Deadline.Status.FAILED) and d.policy not in nudges
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
    ).exclude(policy__in=active_pack()[1].policy_codes_for("lead_unread"))
    return qs.filter(Exists(timers))


def form_required(form: IntakeForm) -> set[str]:
    """The fields a submission to `form` must fill: its own, the pack's for its code, and the name."""
    _number, pack = active_pack()
    required = set(form.required_fields) | {"name"}
    for entry in pack.required_fields:
        if entry.subject == "lead" and entry.form in (form.code, "default"):
            required |= set(entry.fields)
    return required


def intake_fields(form: IntakeForm) -> list[dict[str, object]]:
    """Every field a submission to `form` may carry: name, Chinese label, type, required, choices."""
    _number, pack = active_pack()
    required = form_required(form)
    labels = {f.name: str(f.verbose_name) for f in Lead._meta.fields}
    fields: list[dict[str, object]] = []
    for name in INTAKE_FIELDS:
        dictionary = pack.dictionary(name) if name in TAG_FIELDS else None
        fields.append(
            {
                "name": name,
                "label": labels.get(name, name),
                "type": "choice" if dictionary else ("number" if name == "budget" else "text"),
                "required": name in required,
                "choices": [{"value": c.code, "label": c.label} for c in dictionary.choices]
                if dictionary
                else [],
            }
        )
    return fields


# ---------------------------------------------------------------------------------------------
# The 线索 page: the light and the countdown in SQL, so the list sorts and filters by them


def timer_key_values() -> dict[str, Subquery | Exists]:
    """What `Lead.next_due_at` and `Lead.sla_breached` hold, read from the deadlines of the lead
    in the outer query (the rule of `light()` and `timers_of`): the nearest pending deadline since
    the assignment, and whether one since the assignment fired or failed and is not a nudge."""
    # A lead never assigned counts every timer (as `timers_of` does).
    since = Coalesce(OuterRef("assigned_at"), Value(EPOCH), output_field=DateTimeField())
    timers = Deadline.objects.filter(
        subject_type=Lead._meta.label_lower, subject_id=OuterRef("pk"), created_at__gte=since
    )
    nudges = active_pack()[1].policy_codes_for("lead_unread")
    breached = timers.filter(status__in=[Deadline.Status.FIRED, Deadline.Status.FAILED]).exclude(
        policy__in=nudges
    )
    pending = timers.filter(status=Deadline.Status.PENDING).order_by("due_at").values("due_at")[:1]
    return {"next_due_at": Subquery(pending), "sla_breached": Exists(breached)}


def with_list_keys(qs: QuerySet[Lead], *, now: datetime) -> QuerySet[Lead]:
    """Annotate `light_rank` (0 red … 3 grey, the rule of `light()`) and `due_key` (next countdown)
    from the lead's own columns: the timers keep `next_due_at` and `sla_breached` on the row."""
    _number, pack = active_pack()
    red_after = parse_duration(pack.lights.lead_red_without_follow_up).as_timedelta()
    return qs.annotate(
        light_rank=Case(
            When(~Q(status__in=OPEN_STATUSES) | Q(owner__isnull=True), then=Value(3)),
            When(
                Q(assigned_at__isnull=False, last_activity_at__isnull=True, assigned_at__lte=now - red_after)
                | Q(sla_breached=True, first_contact_at__isnull=True),
                then=Value(0),
            ),
            When(Q(next_due_at__isnull=False) | Q(acknowledged_at__isnull=True), then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        due_key=Coalesce(F("next_due_at"), Value(NO_DEADLINE), output_field=DateTimeField()),
        owner_key=OWNER_KEY,
    )


LIST_SORTS = {
    # Open owned leads are exactly those not grey (light_rank < 3): see `with_list_keys`.
    "light": SortKey(
        "light",
        (("light_rank", False), ("due_key", False)),
        leading=Q(status__in=OPEN_STATUSES, owner__isnull=False),
    ),
    "name": SortKey("name", (("name", False),)),
    "score": SortKey("score", (("score", True),)),
    "due": SortKey("due", (("due_key", False),)),
    "owner": SortKey("owner", (("owner_key", False),)),
    "created": SortKey("created", (("created_at", True),)),
}
