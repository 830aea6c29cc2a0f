"""REST endpoints of contracts and collections: contracts (list, read, create from an accepted
quote, edit, payment plan, legal review, sign, deliver, complete, terminate), instalments
(request, receive, reschedule) and the receivables ageing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from salesflow.contracts import selectors, services
from salesflow.contracts.models import Contract, Instalment, PaymentReceipt
from salesflow.core import clock
from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import keyset_page
from salesflow.org.selectors import current_user
from salesflow.quotes.selectors import quotes_visible_to

router = Router(tags=["contracts"])


class ContractSummaryOut(Schema):
    id: int
    number: str
    title: str
    state: str
    state_label: str
    customer_id: int
    customer_name: str
    opportunity_id: int
    quote_id: int
    owner_name: str
    amount: Decimal
    received_total: Decimal
    collected_pct: Decimal
    green: bool
    signed_on: date | None
    updated_at: datetime


def _summary(contract: Contract) -> ContractSummaryOut:
    return ContractSummaryOut(
        id=contract.pk,
        number=contract.number,
        title=contract.title,
        state=contract.state,
        state_label=str(contract.get_state_display()),
        customer_id=contract.customer_id,
        customer_name=contract.customer.name,
        opportunity_id=contract.opportunity_id,
        quote_id=contract.quote_id,
        owner_name=str(contract.owner),
        amount=contract.amount,
        received_total=contract.received_total,
        collected_pct=selectors.collected_pct(contract),
        green=selectors.green(contract),
        signed_on=contract.signed_on,
        updated_at=contract.updated_at,
    )


class ContractPage(Schema):
    items: list[ContractSummaryOut]
    next: str | None


@router.get("/contracts", response=ContractPage)
def list_contracts(
    request: HttpRequest,
    q: str = "",
    state: str = "",
    opportunity: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> ContractPage:
    """Contracts the caller may read: `q` searches number, title and customer; `state` a state code."""
    filters = selectors.contract_filters_from({"q": q, "state": state, "opportunity": opportunity})
    qs = selectors.contracts_list(user=current_user(request), filters=filters)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, newest_first=True)
    return ContractPage(items=[_summary(r) for r in rows], next=next_cursor)


class InstalmentOut(Schema):
    id: int
    position: int
    name: str
    pct: Decimal | None
    amount: Decimal
    milestone: str
    milestone_label: str
    days: int
    due_date: date | None
    state: str
    state_label: str
    overdue: bool
    received: Decimal
    outstanding: Decimal
    requested_at: datetime | None


def _instalment(instalment: Instalment, today: date) -> InstalmentOut:
    return InstalmentOut(
        id=instalment.pk,
        position=instalment.position,
        name=instalment.name,
        pct=instalment.pct,
        amount=instalment.amount,
        milestone=instalment.milestone,
        milestone_label=str(instalment.get_milestone_display()),
        days=instalment.days,
        due_date=instalment.due_date,
        state=instalment.state,
        state_label=str(instalment.get_state_display()),
        overdue=selectors.is_overdue(instalment, today),
        received=instalment.received,
        outstanding=instalment.amount - instalment.received,
        requested_at=instalment.requested_at,
    )


class ContractClauseOut(Schema):
    code: str
    title: str
    text: str


class ContractLineOut(Schema):
    sku: str
    name: str
    unit: str
    quantity: Decimal
    net_price: Decimal
    line_total: Decimal
    tax_rate_pct: Decimal


class ReceiptOut(Schema):
    id: int
    instalment_id: int
    amount: Decimal
    received_on: date
    bank_reference: str
    recorded_by: str


def _receipt(receipt: PaymentReceipt) -> ReceiptOut:
    return ReceiptOut(
        id=receipt.pk,
        instalment_id=receipt.instalment_id,
        amount=receipt.amount,
        received_on=receipt.received_on,
        bank_reference=receipt.bank_reference,
        recorded_by=str(receipt.recorded_by),
    )


class ContractOut(ContractSummaryOut):
    project_manager_id: int | None
    project_manager_name: str
    payment_terms: str
    delivery_terms: str
    lines: list[ContractLineOut]
    clauses: list[ContractClauseOut]
    deviations: int
    reviewed_at: datetime | None
    delivered_on: date | None
    accepted_on: date | None
    termination_reason: str
    signed_pdf_sha256: str
    instalments: list[InstalmentOut]
    receipts: list[ReceiptOut]


def _detail(contract: Contract) -> ContractOut:
    contract.refresh_from_db()
    today = clock.to_local(clock.now()).date()
    return ContractOut(
        **_summary(contract).dict(),
        project_manager_id=contract.project_manager_id,
        project_manager_name=str(contract.project_manager or ""),
        payment_terms=contract.payment_terms,
        delivery_terms=contract.delivery_terms,
        lines=[
            ContractLineOut(**{k: line[k] for k in ContractLineOut.model_fields}) for line in contract.lines
        ],
        clauses=[ContractClauseOut(**c) for c in contract.clauses],
        deviations=contract.deviations,
        reviewed_at=contract.reviewed_at,
        delivered_on=contract.delivered_on,
        accepted_on=contract.accepted_on,
        termination_reason=contract.termination_reason,
        signed_pdf_sha256=contract.signed_sha256,
        instalments=[_instalment(i, today) for i in selectors.plan_of(contract)],
        receipts=[_receipt(r) for r in selectors.receipts_of(contract)],
    )


def _visible(request: HttpRequest, contract_id: int) -> Contract:
    return visible_or_404(selectors.contracts_visible_to(current_user(request)), contract_id)


@router.get("/contracts/{contract_id}", response=ContractOut)
def get_contract(request: HttpRequest, contract_id: int) -> ContractOut:
    """One contract with its lines, clauses, payment plan and money received."""
    return _detail(_visible(request, contract_id))


class ContractCreateIn(Schema):
    quote_id: int


@router.post("/contracts", response={201: ContractOut})
def create_contract(request: HttpRequest, payload: ContractCreateIn) -> Status[ContractOut]:
    """A contract draft from an accepted quote (accepting one makes it already; this is for a
    quote whose contract was terminated). 409 when the quote is not accepted or has a live contract."""
    me = current_user(request)
    quote = visible_or_404(quotes_visible_to(me), payload.quote_id)
    return Status(201, _detail(services.contract_create(quote=quote, actor=me)))


class ClauseIn(Schema):
    code: str = ""
    title: str
    text: str


class ContractUpdateIn(Schema):
    title: str | None = None
    project_manager_id: int | None = None
    payment_terms: str | None = None
    delivery_terms: str | None = None
    clauses: list[ClauseIn] | None = None


@router.patch("/contracts/{contract_id}", response=ContractOut)
def update_contract(request: HttpRequest, contract_id: int, payload: ContractUpdateIn) -> ContractOut:
    """Edit a draft; clauses that differ from the pack's templates will need legal review."""
    contract = services.contract_update(
        contract=_visible(request, contract_id),
        actor=current_user(request),
        title=payload.title,
        project_manager=payload.project_manager_id,
        payment_terms=payload.payment_terms,
        delivery_terms=payload.delivery_terms,
        clauses=[services.ClauseInput(**c.dict()) for c in payload.clauses]
        if payload.clauses is not None
        else None,
    )
    return _detail(contract)


class InstalmentIn(Schema):
    name: str
    milestone: str
    pct: Decimal | None = None
    amount: Decimal | None = None
    days: int = 0
    due_date: date | None = None


class PlanIn(Schema):
    instalments: list[InstalmentIn]


@router.put("/contracts/{contract_id}/plan", response=ContractOut)
def set_plan(request: HttpRequest, contract_id: int, payload: PlanIn) -> ContractOut:
    """Replace a draft's payment plan: each instalment a `pct` or an `amount`, due `days` after a
    milestone (signing, delivery, acceptance) or on `due_date` (milestone `date`)."""
    contract = _visible(request, contract_id)
    services.contract_plan_set(
        contract=contract,
        actor=current_user(request),
        instalments=[services.InstalmentInput(**i.dict()) for i in payload.instalments],
    )
    return _detail(contract)


class ContractCommentIn(Schema):
    comment: str = ""


@router.post("/contracts/{contract_id}/review", response=ContractOut)
def start_review(request: HttpRequest, contract_id: int, payload: ContractCommentIn) -> ContractOut:
    """Send a contract whose clauses deviate from the templates to legal (the pack's chain)."""
    contract = services.contract_review_start(
        contract=_visible(request, contract_id), actor=current_user(request), comment=payload.comment
    )
    return _detail(contract)


@router.post("/contracts/{contract_id}/sign", response=ContractOut)
def sign_contract(
    request: HttpRequest, contract_id: int, file: File[UploadedFile], signed_on: Form[date | None] = None
) -> ContractOut:
    """Upload the signed PDF: the opportunity is won, the order written, signing instalments fall due."""
    contract = services.contract_sign(
        contract=_visible(request, contract_id),
        actor=current_user(request),
        data=file.read(),
        filename=file.name or "",
        signed_on=signed_on,
    )
    return _detail(contract)


class MilestoneIn(Schema):
    on: date | None = None


@router.post("/contracts/{contract_id}/deliver", response=ContractOut)
def deliver_contract(request: HttpRequest, contract_id: int, payload: MilestoneIn) -> ContractOut:
    """Delivery done (`on` defaults to today): the delivery instalments fall due."""
    contract = services.contract_deliver(
        contract=_visible(request, contract_id), actor=current_user(request), delivered_on=payload.on
    )
    return _detail(contract)


@router.post("/contracts/{contract_id}/complete", response=ContractOut)
def complete_contract(request: HttpRequest, contract_id: int, payload: MilestoneIn) -> ContractOut:
    """Customer acceptance (`on` defaults to today): completed; acceptance instalments fall due."""
    contract = services.contract_complete(
        contract=_visible(request, contract_id), actor=current_user(request), accepted_on=payload.on
    )
    return _detail(contract)


class TerminateIn(Schema):
    reason: str


@router.post("/contracts/{contract_id}/terminate", response=ContractOut)
def terminate_contract(request: HttpRequest, contract_id: int, payload: TerminateIn) -> ContractOut:
    """Terminate with a reason; uncollected instalments are cancelled."""
    contract = services.contract_terminate(
        contract=_visible(request, contract_id), actor=current_user(request), reason=payload.reason
    )
    return _detail(contract)


def _visible_instalment(request: HttpRequest, instalment_id: int) -> Instalment:
    return visible_or_404(selectors.instalments_visible_to(current_user(request)), instalment_id)


class PaymentRequestIn(Schema):
    note: str = ""


@router.post("/instalments/{instalment_id}/request", response=InstalmentOut)
def request_payment(request: HttpRequest, instalment_id: int, payload: PaymentRequestIn) -> InstalmentOut:
    """请款: ask finance to collect a scheduled instalment (stops its pre-due reminder)."""
    instalment = services.payment_request(
        instalment=_visible_instalment(request, instalment_id), actor=current_user(request), note=payload.note
    )
    return _instalment(instalment, clock.to_local(clock.now()).date())


class ReceiptIn(Schema):
    amount: Decimal
    received_on: date
    bank_reference: str


@router.post("/instalments/{instalment_id}/receipts", response={201: ReceiptOut})
def record_payment(request: HttpRequest, instalment_id: int, payload: ReceiptIn) -> Status[ReceiptOut]:
    """回款登记 (finance only): partial payments allowed, never more than what is outstanding."""
    receipt = services.payment_record(
        instalment=_visible_instalment(request, instalment_id),
        actor=current_user(request),
        amount=payload.amount,
        received_on=payload.received_on,
        bank_reference=payload.bank_reference,
    )
    return Status(201, _receipt(receipt))


class RescheduleIn(Schema):
    due_date: date


@router.post("/instalments/{instalment_id}/reschedule", response=InstalmentOut)
def reschedule_payment(request: HttpRequest, instalment_id: int, payload: RescheduleIn) -> InstalmentOut:
    """A new due date agreed with the customer; the reminders restart from it."""
    instalment = services.payment_reschedule(
        instalment=_visible_instalment(request, instalment_id),
        actor=current_user(request),
        due_date=payload.due_date,
    )
    return _instalment(instalment, clock.to_local(clock.now()).date())


class AgeingBucketOut(Schema):
    key: int
    label: str


class AgeingRowOut(Schema):
    id: int
    name: str
    amounts: list[Decimal]
    total: Decimal
    count: int


class AgeingOut(Schema):
    as_of: date
    buckets: list[AgeingBucketOut]
    totals: list[Decimal]
    total: Decimal
    overdue: Decimal
    teams: list[AgeingRowOut]
    reps: list[AgeingRowOut]


def _row(row: selectors.AgeingRow) -> AgeingRowOut:
    return AgeingRowOut(id=row.key, name=row.name, amounts=row.amounts, total=row.total, count=row.count)


@router.get("/receivables", response=AgeingOut)
def receivables(request: HttpRequest, team: str = "", owner: str = "") -> AgeingOut:
    """应收账款: outstanding money by ageing bucket (not yet due, 1–30, 31–60, 61–90, > 90 days by
    default), by team and by rep, over the contracts the caller may read."""
    cell = selectors.ageing_filters_from({"team": team, "owner": owner})
    today = clock.to_local(clock.now()).date()
    table = selectors.ageing(current_user(request), today=today, team=cell.team, owner=cell.owner)
    return AgeingOut(
        as_of=today,
        buckets=[AgeingBucketOut(key=b.key, label=b.label) for b in table.buckets],
        totals=table.totals,
        total=table.total,
        overdue=table.overdue,
        teams=[_row(r) for r in table.teams],
        reps=[_row(r) for r in table.reps],
    )


class ReceivableOut(Schema):
    instalment_id: int
    contract_id: int
    contract_number: str
    customer_name: str
    owner_name: str
    name: str
    due_date: date
    bucket: int
    amount: Decimal
    outstanding: Decimal
    state: str
    state_label: str


class ReceivablePage(Schema):
    items: list[ReceivableOut]
    next: str | None


@router.get("/receivables/items", response=ReceivablePage)
def receivable_items(
    request: HttpRequest,
    bucket: str = "",
    team: str = "",
    owner: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> ReceivablePage:
    """The instalments behind an ageing cell (drill-down)."""
    cell = selectors.ageing_filters_from({"bucket": bucket, "team": team, "owner": owner})
    today = clock.to_local(clock.now()).date()
    qs = selectors.receivable_rows(
        current_user(request), today=today, bucket=cell.bucket, team=cell.team, owner=cell.owner
    )
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, newest_first=True)
    return ReceivablePage(
        items=[
            ReceivableOut(
                instalment_id=i.pk,
                contract_id=i.contract_id,
                contract_number=i.contract.number,
                customer_name=i.contract.customer.name,
                owner_name=str(i.contract.owner),
                name=i.name,
                due_date=i.due_date or today,
                bucket=getattr(i, "bucket", 0),
                amount=i.amount,
                outstanding=i.amount - i.received,
                state=i.state,
                state_label=str(i.get_state_display()),
            )
            for i in rows
        ],
        next=next_cursor,
    )
