"""REST endpoints of leads: public intake, the lead list and detail, pool claims, behaviour."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.responses import Status

from salesflow.core import clock
from salesflow.core.api import OwnerRef
from salesflow.core.errors import FieldErrors, NotFound, PermissionDenied
from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import keyset_page
from salesflow.leads import learned, selectors, services
from salesflow.leads.models import IntakeForm, Lead
from salesflow.leads.permissions import can_manage_forms
from salesflow.notify.services import readable_or_404
from salesflow.org.api import client_address, current_user
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.timers.selectors import sla_rows
from salesflow.workflows import services as workflows

router = Router(tags=["leads"])
public = Router(tags=["intake"])


class IntakeOut(Schema):
    """What the website hears: an acknowledgement only.

    The same answer for a new lead, a duplicate merged into an existing one and a honeypot hit,
    so the public form cannot be used to learn whether a phone number is already a lead, or
    whose; the lead's owner, score and dedupe outcome are behind login.
    """

    received: bool


def _form(key: str) -> IntakeForm:
    forms = IntakeForm.objects.select_related("team").filter(active=True)
    return visible_or_404(forms, key, field="key", message="表单不存在 / No such form.")


def _cors(request: HttpRequest, form: IntakeForm, response: HttpResponse) -> HttpResponse:
    origin = request.headers.get("Origin")
    if origin and origin in form.allowed_origins:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response


def _submitted(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise FieldErrors({"body": ["不是有效的 JSON / Not valid JSON."]}) from None
        if not isinstance(data, dict):
            raise FieldErrors({"body": ["应为 JSON 对象 / Must be a JSON object."]})
        return data
    return {key: request.POST.get(key) for key in request.POST}


@public.get("/intake/{key}", auth=None, response=dict[str, Any])
def intake_schema(request: HttpRequest, key: str) -> dict[str, Any]:
    """The form's fields, labels, types, required flags and choices, for a website to render."""
    form = _form(key)
    fields = selectors.intake_fields(form)
    return {"form": form.name, "fields": fields, "honeypot": form.honeypot_field}


@public.post("/intake/{key}", auth=None, response={201: IntakeOut})
def intake(request: HttpRequest, key: str) -> Any:
    """Submit a lead (JSON or form-encoded); it is deduped, scored and assigned before the answer."""
    form = _form(key)
    services.intake_submit(form=form, data=_submitted(request), client=client_address(request))
    return Status(201, IntakeOut(received=True))


class Factor(Schema):
    factor: str
    points: float
    at: datetime | None


class Timer(Schema):
    policy: str
    name: str
    step: str
    due_at: datetime
    state: str


class Learned(Schema):
    score: int
    factors: list[Factor]
    trained_at: datetime
    samples: int
    accuracy: float | None


class LeadOut(Schema):
    id: int
    name: str
    company: str
    phone: str
    email: str
    title: str
    industry_segment: str
    customer_tier: str
    product_line: str
    budget: Decimal | None
    source: str
    status: str
    owner: OwnerRef | None
    score: int
    score_factors: list[Factor]
    light: str
    sla: list[Timer]
    created_at: datetime
    assigned_at: datetime | None
    acknowledged_at: datetime | None
    customer: int | None
    converted_at: datetime | None
    learned: Learned | None = None


def _out(lead: Lead, deadlines: list[Any], now: datetime) -> LeadOut:
    owner = lead.owner
    return LeadOut(
        id=lead.pk,
        name=lead.name,
        company=lead.company,
        phone=lead.phone,
        email=lead.email,
        title=lead.title,
        industry_segment=lead.industry_segment,
        customer_tier=lead.customer_tier,
        product_line=lead.product_line,
        budget=lead.budget,
        source=lead.source,
        status=lead.status,
        owner=OwnerRef(id=owner.pk, username=owner.username) if owner else None,
        score=lead.score,
        score_factors=[Factor(**f) for f in lead.score_factors],
        light=selectors.light(lead, deadlines, now=now),
        sla=[Timer(**row) for row in sla_rows(deadlines, now=now)],
        created_at=lead.created_at,
        assigned_at=lead.assigned_at,
        acknowledged_at=lead.acknowledged_at,
        customer=lead.customer_id,
        converted_at=lead.converted_at,
    )


class LeadPage(Schema):
    items: list[LeadOut]
    next: str | None


@router.get("/leads", response=LeadPage)
def list_leads(
    request: HttpRequest,
    owner: str | None = None,
    status: str | None = None,
    score_min: int | None = None,
    score_max: int | None = None,
    pool: bool = False,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    sla: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> LeadPage:
    """Visible leads; `owner=me|<id>`, `status`, score range, created range, `pool=true`,
    `sla=breached|running` (a response timer of the current assignment breached / still running)."""
    filters = selectors.LeadFilters(
        owner=owner or "",
        status=status or "",
        score_min=score_min,
        score_max=score_max,
        pool=pool,
        created_from=created_from,
        created_to=created_to,
        sla=sla or "",
    )
    qs = selectors.leads_list(user=current_user(request), filters=filters)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, newest_first=True)
    timers = selectors.timers_of(rows)
    now = clock.now()
    return LeadPage(items=[_out(lead, timers[lead.pk], now) for lead in rows], next=next_cursor)


class LeadIn(Schema):
    """A lead typed in by hand. `name`, `phone` and `company` are required (a missing one is a
    422 naming it in Chinese); tag fields take codes of the pack's dictionaries, `source` a code
    of its `lead_source` dictionary (default `manual`), `message` is a note."""

    name: str = ""
    phone: str = ""
    company: str = ""
    email: str = ""
    title: str = ""
    industry_segment: str = ""
    customer_tier: str = ""
    product_line: str = ""
    buying_stage: str = ""
    company_size: str = ""
    budget: Decimal | None = None
    source: str = ""
    message: str = ""


@router.post("/leads", response={201: LeadOut})
def create_lead(request: HttpRequest, payload: LeadIn) -> Status[LeadOut]:
    """Enter a lead by hand: validated, deduped, scored and assigned as a website lead is.

    A rep keeps the lead; others' entries go through the assignment policy. A duplicate is a
    409 naming the existing lead when the caller may see it (`lead`), a neutral 409 otherwise.
    """
    me = current_user(request)
    data = payload.model_dump()
    if data["budget"] is None:
        data.pop("budget")
    lead = services.lead_enter(data=data, actor=me)
    return Status(201, _out(lead, selectors.timers_of([lead])[lead.pk], clock.now()))


def _visible(request: HttpRequest, lead_id: int) -> Lead:
    me = current_user(request)
    return readable_or_404(selectors.leads_visible_to(me), lead_id, reader=me)


@router.get("/leads/{lead_id}", response=LeadOut)
def get_lead(request: HttpRequest, lead_id: int) -> LeadOut:
    """One lead with score factors, light and timers, and the learned score once a model exists."""
    lead = _visible(request, lead_id)
    out = _out(lead, selectors.timers_of([lead])[lead.pk], clock.now())
    prediction = learned.predict(lead)
    out.learned = Learned(**prediction) if prediction else None
    return out


@router.post("/leads/{lead_id}/acknowledge", response=LeadOut)
def acknowledge(request: HttpRequest, lead_id: int) -> LeadOut:
    """The owner has seen the lead (stops the unread escalation)."""
    lead = services.lead_acknowledge(lead=_visible(request, lead_id), actor=current_user(request))
    return _out(lead, selectors.timers_of([lead])[lead.pk], clock.now())


@router.post("/leads/{lead_id}/claim", response=LeadOut)
def claim(request: HttpRequest, lead_id: int) -> LeadOut:
    """Take a pooled lead; 409 names the owner when someone else was first."""
    me = current_user(request)
    target = selectors.claim_target(me, lead_id)
    if target is None:
        raise NotFound(f"No lead {lead_id}.", id=lead_id)
    lead = services.lead_claim(lead=target, actor=me)
    return _out(lead, selectors.timers_of([lead])[lead.pk], clock.now())


class ReassignIn(Schema):
    to: int
    reason: str


@router.post("/leads/{lead_id}/reassign", response=LeadOut)
def reassign(request: HttpRequest, lead_id: int, payload: ReassignIn) -> LeadOut:
    """Move a lead to another rep (the owner's managers and the ops admin)."""
    me = current_user(request)
    lead = _visible(request, lead_id)
    if me.role == Role.REP:
        raise PermissionDenied("销售不能改派线索 / Reps cannot reassign leads.")
    to = User.objects.filter(pk=payload.to).first()
    if to is None:
        raise FieldErrors({"to": [f"没有用户 {payload.to} / no such user"]})
    lead = services.lead_reassign(lead=lead, to=to, reason=payload.reason, actor=me)
    return _out(lead, selectors.timers_of([lead])[lead.pk], clock.now())


class BehaviourIn(Schema):
    kind: str
    at: datetime
    url: str = ""
    dwell_seconds: int = 0


@router.post("/leads/{lead_id}/behaviour", response=LeadOut)
def behaviour(request: HttpRequest, lead_id: int, payload: BehaviourIn) -> LeadOut:
    """A tracked behaviour from the website or mail system (integration accounts only)."""
    me = current_user(request)
    if me.role != Role.INTEGRATION and not me.is_superuser:
        raise PermissionDenied("需要集成账号的令牌 / An integration account's token is required.")
    lead = services.lead_behaviour_add(
        lead=visible_or_404(Lead.objects.all(), lead_id),
        kind=payload.kind,
        at=payload.at,
        url=payload.url,
        dwell_seconds=payload.dwell_seconds,
    )
    return _out(lead, selectors.timers_of([lead])[lead.pk], clock.now())


class FormOut(Schema):
    id: int
    name: str
    code: str
    key: str
    required_fields: list[str]
    default_source: str
    allowed_origins: list[str]
    active: bool


@router.get("/forms", response=list[FormOut])
def list_forms(request: HttpRequest) -> list[FormOut]:
    """Intake forms with their public keys (ops admin only)."""
    me = current_user(request)
    if not can_manage_forms(me):
        raise PermissionDenied("只有运营管理员可以查看表单密钥 / Ops admin only.")
    return [
        FormOut(
            id=f.pk,
            name=f.name,
            code=f.code,
            key=f.key,
            required_fields=f.required_fields,
            default_source=f.default_source,
            allowed_origins=f.allowed_origins,
            active=f.active,
        )
        for f in selectors.forms()
    ]


class ConvertIn(Schema):
    customer: int | None = None
    opportunity_title: str = ""
    amount: Decimal | None = None
    expected_close: date | None = None
    pipeline: str | None = None


class ConvertOut(Schema):
    lead: int
    customer: int
    opportunity: int
    contact_count: int


@router.post("/leads/{lead_id}/convert", response={201: ConvertOut})
def convert(request: HttpRequest, lead_id: int, payload: ConvertIn) -> Status[ConvertOut]:
    """Lead → customer (new or `customer`) + contact + opportunity; a second conversion is a 409."""
    from salesflow.customers.selectors import customers_visible_to

    me = current_user(request)
    lead = _visible(request, lead_id)
    customer = None
    if payload.customer is not None:
        customer = customers_visible_to(me).filter(pk=payload.customer).first()
        if customer is None:  # a bad reference in the body is a 422 naming the field, not a 404
            raise FieldErrors({"customer": [f"没有可见的客户 {payload.customer} / no such customer"]})
    target, opportunity = workflows.lead_convert(
        lead=lead,
        actor=me,
        customer=customer,
        opportunity_title=payload.opportunity_title,
        amount=payload.amount if payload.amount is not None else "0",
        expected_close=payload.expected_close,
        pipeline=payload.pipeline,
    )
    return Status(
        201,
        ConvertOut(
            lead=lead.pk,
            customer=target.pk,
            opportunity=opportunity.pk,
            contact_count=target.contacts.count(),
        ),
    )
