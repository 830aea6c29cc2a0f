"""REST endpoints of the pipeline: opportunities, stages, evidence and visit task packages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Form, Router, Schema
from ninja.responses import Status

from salesflow.core import clock
from salesflow.core.errors import FieldErrors, NotFound
from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import keyset_page
from salesflow.customers.selectors import customers_visible_to
from salesflow.notify.services import readable_or_404
from salesflow.org.api import current_user
from salesflow.org.models import User
from salesflow.pipeline import selectors, services
from salesflow.pipeline.models import Evidence, Opportunity, Visit
from salesflow.rules.selectors import active_pack
from salesflow.timers.models import Deadline
from salesflow.timers.selectors import sla_rows

router = Router(tags=["opportunities"])


class Missing(Schema):
    kind: str
    code: str
    label: str


class OpportunityOut(Schema):
    id: int
    title: str
    customer: int
    customer_name: str
    amount: Decimal
    expected_close: date | None
    product_lines: list[str]
    pipeline: str
    stage: str
    stage_entered_at: datetime
    status: str
    owner: int | None
    lead: int | None
    created_at: datetime
    days_in_stage: float
    team_average_days: float | None
    behind_team_by_days: float
    comparison: str
    missing: list[Missing]
    sla: list[dict[str, Any]]
    light: str
    quoting_frozen: bool
    lost_reason: str


def _out(
    o: Opportunity,
    *,
    viewer: User,
    now: datetime | None = None,
    batch: dict[str, Any] | None = None,
) -> OpportunityOut:
    """One opportunity as the API shows it; `batch` (from `_batch`) holds what a list read for
    all its rows at once, so a page costs the same statements for 5 rows as for 50."""
    now = now or clock.now()
    batch = batch if batch is not None else _batch([o], viewer=viewer, now=now)
    deadlines = batch["deadlines"].get(o.pk, [])
    comparison = batch["comparisons"][o.pk]
    missing = batch["evidence"][o.pk].missing
    frozen = o.customer_id in batch["frozen"]
    return OpportunityOut(
        id=o.pk,
        title=o.title,
        customer=o.customer_id,
        customer_name=o.customer.name,
        amount=o.amount,
        expected_close=o.expected_close,
        product_lines=o.product_lines,
        pipeline=o.pipeline,
        stage=o.stage,
        stage_entered_at=o.stage_entered_at,
        status=o.status,
        owner=o.owner_id,
        lead=o.lead_id,
        created_at=o.created_at,
        days_in_stage=comparison["days_in_stage"],
        team_average_days=comparison["team_average_days"],
        behind_team_by_days=comparison["behind_team_by_days"],
        comparison=comparison["message"],
        missing=[Missing(**m) for m in missing],
        sla=sla_rows(deadlines, now=now),
        light=selectors.light(o, deadlines, now=now),
        quoting_frozen=frozen,
        lost_reason=o.lost_reason,
    )


def _batch(rows: list[Opportunity], *, viewer: User, now: datetime) -> dict[str, Any]:
    """What `_out` reads per opportunity, read once for a whole page (a fixed number of queries)."""
    deadlines: dict[int, list[Any]] = {}
    if rows:
        found = Deadline.objects.filter(
            subject_type=Opportunity._meta.label_lower, subject_id__in=[o.pk for o in rows]
        ).order_by("due_at", "id")
        for d in found:
            deadlines.setdefault(d.subject_id, []).append(d)
    return {
        "deadlines": deadlines,
        "comparisons": selectors.stage_comparisons(rows, now=now, viewer=viewer),
        "evidence": selectors.evidence_status_of_current(rows),
        "frozen": selectors.quoting_frozen_customers(rows),
    }


class OpportunityPage(Schema):
    items: list[OpportunityOut]
    next: str | None


@router.get("/opportunities", response=OpportunityPage)
def list_opportunities(
    request: HttpRequest,
    owner: str | None = None,
    status: str | None = None,
    customer: int | None = None,
    stage: str | None = None,
    pipeline: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> OpportunityPage:
    """Visible opportunities; `owner=me|<id>`, `status`, `customer`, `pipeline`, `stage`."""
    filters = selectors.OpportunityFilters(
        owner=owner or "",
        status=status or "",
        customer=customer,
        stage=stage or "",
        pipeline=pipeline or "",
    )
    qs = selectors.opportunities_list(user=current_user(request), filters=filters)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, newest_first=True)
    now = clock.now()
    viewer = current_user(request)
    batch = _batch(rows, viewer=viewer, now=now)
    return OpportunityPage(
        items=[_out(o, viewer=viewer, now=now, batch=batch) for o in rows], next=next_cursor
    )


def visible(request: HttpRequest, opportunity_id: int) -> Opportunity:
    """One opportunity the caller may see, or 404."""
    me = current_user(request)
    return readable_or_404(selectors.opportunities_visible_to(me), opportunity_id, reader=me)


@router.get("/opportunities/{opportunity_id}", response=OpportunityOut)
def get_opportunity(request: HttpRequest, opportunity_id: int) -> OpportunityOut:
    """One opportunity: stage, days in stage against the team, missing evidence, timers, light."""
    return _out(visible(request, opportunity_id), viewer=current_user(request))


class OpportunityIn(Schema):
    customer: int
    title: str
    pipeline: str | None = None
    amount: Decimal = Decimal("0")
    expected_close: date | None = None
    product_lines: list[str] = []


@router.post("/opportunities", response={201: OpportunityOut})
def create_opportunity(request: HttpRequest, payload: OpportunityIn) -> Status[OpportunityOut]:
    """Open an opportunity for a visible customer in the first stage of a pack pipeline."""
    me = current_user(request)
    customer = customers_visible_to(me).filter(pk=payload.customer).first()
    if customer is None:
        raise FieldErrors({"customer": [f"没有可见的客户 {payload.customer} / no such customer"]})
    opportunity = services.opportunity_create(
        customer=customer,
        title=payload.title,
        pipeline=payload.pipeline,
        amount=payload.amount,
        expected_close=payload.expected_close,
        product_lines=payload.product_lines,
        owner=customer.owner or me,
        actor=me,
    )
    return Status(201, _out(opportunity, viewer=current_user(request)))


class AdvanceIn(Schema):
    to_stage: str
    reason: str = ""


@router.post("/opportunities/{opportunity_id}/advance", response=OpportunityOut)
def advance(request: HttpRequest, opportunity_id: int, payload: AdvanceIn) -> OpportunityOut:
    """Move to a stage; 409 `{"missing": [{kind, label}]}` when evidence is missing (动作锁)."""
    opportunity = services.opportunity_advance(
        opportunity=visible(request, opportunity_id),
        to_stage=payload.to_stage,
        reason=payload.reason,
        actor=current_user(request),
    )
    return _out(opportunity, viewer=current_user(request))


class CloseIn(Schema):
    outcome: str
    reason: str = ""


@router.post("/opportunities/{opportunity_id}/close", response=OpportunityOut)
def close(request: HttpRequest, opportunity_id: int, payload: CloseIn) -> OpportunityOut:
    """Close as won, or as lost with a reason from the pack."""
    opportunity = services.opportunity_close(
        opportunity=visible(request, opportunity_id),
        outcome=payload.outcome,
        reason=payload.reason,
        actor=current_user(request),
    )
    return _out(opportunity, viewer=current_user(request))


class StageOut(Schema):
    code: str
    name: str
    probability: int
    evidence: list[Missing]
    entry_fields: list[str]


class PipelineOut(Schema):
    code: str
    name: str
    region: str | None
    product_line: str | None
    stages: list[StageOut]


@router.get("/pipelines", response=list[PipelineOut])
def pipelines(request: HttpRequest) -> list[PipelineOut]:
    """The pack's pipelines with their ordered stages and what each stage needs."""
    current_user(request)
    _number, pack = active_pack()
    return [
        PipelineOut(
            code=t.code,
            name=t.name,
            region=t.region,
            product_line=t.product_line,
            stages=[
                StageOut(
                    code=s.code,
                    name=s.name,
                    probability=s.probability,
                    evidence=[Missing(kind=r.kind, code=r.code, label=r.name) for r in s.exit_evidence],
                    entry_fields=s.entry_criteria,
                )
                for s in t.stages
            ],
        )
        for t in pack.stage_templates
    ]


class EvidenceOut(Schema):
    id: int
    opportunity: int | None
    visit: int | None
    stage: str
    requirement: str
    kind: str
    text: str
    content_type: str
    size: int
    captured_at: datetime | None
    lat: Decimal | None
    lng: Decimal | None
    exif_taken_at: datetime | None
    flags: list[str]
    uploaded_by: int
    uploaded_at: datetime
    locked: bool
    file_url: str | None


def evidence_out(e: Evidence) -> EvidenceOut:
    """The API form of a piece of evidence (the file through its permission-checked URL)."""
    return EvidenceOut(
        id=e.pk,
        opportunity=e.opportunity_id,
        visit=e.visit_id,
        stage=e.stage,
        requirement=e.requirement,
        kind=e.kind,
        text=e.text,
        content_type=e.content_type,
        size=e.size,
        captured_at=e.captured_at,
        lat=e.lat,
        lng=e.lng,
        exif_taken_at=e.exif_taken_at,
        flags=e.flags,
        uploaded_by=e.uploaded_by_id,
        uploaded_at=e.uploaded_at,
        locked=e.locked_at is not None,
        file_url=f"/api/v1/evidence/{e.pk}/file" if e.file else None,
    )


def _decimal(value: str | None, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise FieldErrors({field: ["应为数字 / Must be a number."]}) from None


@router.post("/evidence", response={201: EvidenceOut})
def upload_evidence(
    request: HttpRequest,
    requirement: Form[str],
    opportunity: Form[int | None] = None,
    visit: Form[str | None] = None,
    text: Form[str] = "",
    captured_at: Form[datetime | None] = None,
    lat: Form[str | None] = None,
    lng: Form[str | None] = None,
) -> Status[EvidenceOut]:
    """Multipart upload: `opportunity` (id) or `visit` (code), `requirement`, a file or text, time, place."""
    me = current_user(request)
    target_opportunity = visible(request, opportunity) if opportunity is not None else None
    target_visit = None
    if visit:
        target_visit = visible_or_404(selectors.visits_visible_to(me), visit, field="code")
    file = request.FILES.get("file")
    data = file.read() if file is not None else None
    evidence = services.evidence_add(
        opportunity=target_opportunity,
        visit=target_visit,
        requirement=requirement,
        data=data,
        filename=file.name or "" if file is not None else "",
        text=text,
        captured_at=captured_at,
        lat=_decimal(lat, "lat"),
        lng=_decimal(lng, "lng"),
        actor=me,
    )
    return Status(201, evidence_out(evidence))


def _visible_evidence(request: HttpRequest, evidence_id: int) -> Evidence:
    return visible_or_404(selectors.evidence_visible_to(current_user(request)), evidence_id)


@router.delete("/evidence/{evidence_id}", response={204: None})
def delete_evidence(request: HttpRequest, evidence_id: int) -> Status[None]:
    """Delete a piece of evidence; 409 once its step is complete."""
    services.evidence_delete(evidence=_visible_evidence(request, evidence_id), actor=current_user(request))
    return Status(204, None)


@router.get("/evidence/{evidence_id}/file")
def evidence_file(request: HttpRequest, evidence_id: int) -> FileResponse:
    """The stored file (managers open the original from the record)."""
    evidence = _visible_evidence(request, evidence_id)
    if not evidence.file:
        raise NotFound("This evidence has no file.", id=evidence_id)
    return FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)


@router.get("/opportunities/{opportunity_id}/evidence", response=list[EvidenceOut])
def list_evidence(request: HttpRequest, opportunity_id: int) -> list[EvidenceOut]:
    """Every piece of evidence of an opportunity, oldest first."""
    opportunity = visible(request, opportunity_id)
    return [evidence_out(e) for e in opportunity.evidence.all()]


class VisitIn(Schema):
    customer: int
    package: str
    opportunity: int | None = None
    planned_at: datetime | None = None
    address: str = ""
    lat: Decimal | None = None
    lng: Decimal | None = None


class VisitOut(Schema):
    id: int
    code: str
    url: str
    package: str
    customer: int
    customer_name: str
    last_contact_at: datetime | None
    opportunity: int | None
    status: str
    planned_at: datetime | None
    address: str
    lat: Decimal | None
    lng: Decimal | None
    missing: list[Missing]
    evidence: list[EvidenceOut]


def visit_out(v: Visit) -> VisitOut:
    """The API form of a visit: what it still lacks and what it has."""
    return VisitOut(
        id=v.pk,
        code=v.code,
        url=f"/v/{v.code}/",
        package=v.package,
        customer=v.customer_id,
        customer_name=v.customer.name,
        last_contact_at=v.customer.last_interaction_at,
        opportunity=v.opportunity_id,
        status=v.status,
        planned_at=v.planned_at,
        address=v.address,
        lat=v.lat,
        lng=v.lng,
        missing=[Missing(**m) for m in selectors.evidence_status(visit=v).missing],
        evidence=[evidence_out(e) for e in v.evidence.all()],
    )


@router.post("/visits", response={201: VisitOut})
def create_visit(request: HttpRequest, payload: VisitIn) -> Status[VisitOut]:
    """A visit task package for one of the caller's customers."""
    from salesflow.customers.selectors import customers_visible_to

    me = current_user(request)
    customer = customers_visible_to(me).filter(pk=payload.customer).first()
    if customer is None:
        raise FieldErrors({"customer": [f"没有可见的客户 {payload.customer} / no such customer"]})
    opportunity = visible(request, payload.opportunity) if payload.opportunity is not None else None
    visit = services.visit_create(
        customer=customer,
        package=payload.package,
        opportunity=opportunity,
        planned_at=payload.planned_at,
        address=payload.address,
        lat=payload.lat,
        lng=payload.lng,
        actor=me,
    )
    return Status(201, visit_out(visit))


def _visit(request: HttpRequest, code: str) -> Visit:
    return visible_or_404(selectors.visits_visible_to(current_user(request)), code, field="code")


@router.get("/visits/{code}", response=VisitOut)
def get_visit(request: HttpRequest, code: str) -> VisitOut:
    """One visit package with its missing items."""
    return visit_out(_visit(request, code))


class CompleteIn(Schema):
    need_change: str = ""
    competitor_news: str = ""
    next_step: str = ""


@router.post("/visits/{code}/complete", response=VisitOut)
def complete_visit(request: HttpRequest, code: str, payload: CompleteIn) -> VisitOut:
    """Complete the visit; 409 with `missing` while an item is absent."""
    visit = services.visit_complete(
        visit=_visit(request, code), actor=current_user(request), **payload.dict()
    )
    return visit_out(visit)
