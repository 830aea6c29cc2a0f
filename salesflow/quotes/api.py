"""REST endpoints of quotes: list, read, create, edit, revise, send, feedback, documents.

Cost and margin (`unit_cost`, `cost_total`, `margin_pct`) are null for roles the pack's field
permissions leave out, and a margin reason of a special quote carries no numbers for them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import keyset_page
from salesflow.customers.choices import GrantReadKind
from salesflow.org.selectors import current_user
from salesflow.pipeline.selectors import opportunities_visible_to
from salesflow.quotes import documents, presenters, selectors, services
from salesflow.quotes.models import Quote

router = Router(tags=["quotes"])


class QuoteSummaryOut(Schema):
    id: int
    number: str
    title: str
    state: str
    state_label: str
    customer_id: int
    customer_name: str
    opportunity_id: int
    owner_name: str
    current_version: int
    total: Decimal
    health_score: int
    special: bool
    sent_at: datetime | None
    updated_at: datetime
    # Set when the caller reads this quote only through a temporary grant (临时授权): its end.
    grant_expires_at: datetime | None = None


def _summary(quote: Quote, grant_expires_at: datetime | None = None) -> QuoteSummaryOut:
    return QuoteSummaryOut(
        id=quote.pk,
        number=quote.number,
        title=quote.title,
        state=quote.state,
        state_label=str(quote.get_state_display()),
        customer_id=quote.customer_id,
        customer_name=quote.customer.name,
        opportunity_id=quote.opportunity_id,
        owner_name=presenters.person(quote.owner),
        current_version=quote.current_version,
        total=quote.total,
        health_score=quote.health_score,
        special=quote.special,
        sent_at=quote.sent_at,
        updated_at=quote.updated_at,
        grant_expires_at=grant_expires_at,
    )


class QuotePage(Schema):
    items: list[QuoteSummaryOut]
    next: str | None


@router.get("/quotes", response=QuotePage)
def list_quotes(
    request: HttpRequest,
    q: str = "",
    state: str = "",
    opportunity: str = "",
    customer: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> QuotePage:
    """Quotes the caller may read: `q` searches number, title and customer; `state` a state code;
    `customer` one customer's (e.g. one the caller reads through a temporary grant)."""
    filters = selectors.quote_filters_from(
        {"q": q, "state": state, "opportunity": opportunity, "customer": customer}
    )
    qs = selectors.quotes_list(user=current_user(request), filters=filters)
    me = current_user(request)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, newest_first=True)
    grants = selectors.grant_expiries(me, rows)
    services.quote_reads_log(reader=me, quotes=[r for r in rows if r.pk in grants], kind=GrantReadKind.LIST)
    return QuotePage(items=[_summary(r, grants.get(r.pk)) for r in rows], next=next_cursor)


class QuoteLineOut(Schema):
    position: int
    product_id: int
    sku: str
    name: str
    unit: str
    quantity: Decimal
    list_price: Decimal
    discount_pct: Decimal
    net_price: Decimal
    line_total: Decimal
    tax_rate_pct: Decimal
    unit_cost: Decimal | None


class QuoteFactorOut(Schema):
    code: str
    name: str
    points: int
    possible: int
    detail: str
    missing: bool


class QuoteReasonOut(Schema):
    code: str
    text: str


class QuoteClauseOut(Schema):
    code: str
    title: str
    text: str


class QuoteVersionOut(Schema):
    number: int
    valid_until: date
    payment_terms: str
    delivery_terms: str
    risk_note: str
    clauses: list[QuoteClauseOut]
    list_total: Decimal
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    max_discount_pct: Decimal
    cost_total: Decimal | None
    margin_pct: Decimal | None
    health_score: int
    health_factors: list[QuoteFactorOut]
    special: bool
    special_reasons: list[QuoteReasonOut]
    approved_at: datetime | None
    sent_at: datetime | None
    lines: list[QuoteLineOut]


class QuoteAttachmentOut(Schema):
    id: int
    code: str
    name: str
    original_name: str
    size: int
    uploaded_at: datetime


class QuoteOut(QuoteSummaryOut):
    version: QuoteVersionOut
    versions: list[int]
    attachments: list[QuoteAttachmentOut]


def _detail(request: HttpRequest, quote: Quote) -> QuoteOut:
    me = current_user(request)
    shown = presenters.quote_detail(me, quote)
    version = shown.version
    return QuoteOut(
        **_summary(quote, selectors.grant_expiries(me, [quote]).get(quote.pk)).dict(),
        version=QuoteVersionOut(
            number=version.number,
            valid_until=version.valid_until,
            payment_terms=version.payment_terms,
            delivery_terms=version.delivery_terms,
            risk_note=version.risk_note,
            clauses=[QuoteClauseOut(**c) for c in version.clauses],
            list_total=version.list_total,
            subtotal=version.subtotal,
            tax=version.tax,
            total=version.total,
            max_discount_pct=version.max_discount_pct,
            cost_total=version.cost_total if shown.cost.cost else None,
            margin_pct=version.margin_pct if shown.cost.margin else None,
            health_score=version.health_score,
            health_factors=[QuoteFactorOut(**f) for f in version.health_factors],
            special=version.special,
            special_reasons=[QuoteReasonOut(code=r.code, text=r.text) for r in shown.reasons],
            approved_at=version.approved_at,
            sent_at=version.sent_at,
            lines=[
                QuoteLineOut(
                    position=line.position,
                    product_id=line.product_id,
                    sku=line.sku,
                    name=line.name,
                    unit=line.unit,
                    quantity=line.quantity,
                    list_price=line.list_price,
                    discount_pct=line.discount_pct,
                    net_price=line.net_price,
                    line_total=line.line_total,
                    tax_rate_pct=line.tax_rate_pct,
                    unit_cost=line.unit_cost if shown.cost.cost else None,
                )
                for line in shown.lines
            ],
        ),
        versions=[v.number for v in shown.versions],
        attachments=[
            QuoteAttachmentOut(
                id=a.pk,
                code=a.code,
                name=shown.document_names.get(a.code, a.code),
                original_name=a.original_name,
                size=a.size,
                uploaded_at=a.uploaded_at,
            )
            for a in shown.attachments
        ],
    )


def _visible(request: HttpRequest, quote_id: int) -> Quote:
    return visible_or_404(selectors.quotes_visible_to(current_user(request)), quote_id)


@router.get("/quotes/{quote_id}", response=QuoteOut)
def get_quote(request: HttpRequest, quote_id: int) -> QuoteOut:
    """One quote with its current version, lines, health factors and documents."""
    quote = _visible(request, quote_id)
    services.quote_reads_log(reader=current_user(request), quotes=[quote], kind=GrantReadKind.QUOTE)
    return _detail(request, quote)


class QuoteLineIn(Schema):
    product_id: int
    quantity: Decimal
    discount_pct: Decimal = Decimal(0)


class QuoteIn(Schema):
    lines: list[QuoteLineIn]
    title: str | None = None
    valid_until: date | None = None
    payment_terms: str | None = None
    delivery_terms: str | None = None
    clauses: list[str] | None = None
    risk_note: str | None = None


def _input(payload: QuoteIn) -> services.QuoteInput:
    data: dict[str, Any] = payload.dict()
    lines = [
        services.LineInput(
            product=line["product_id"], quantity=line["quantity"], discount_pct=line["discount_pct"]
        )
        for line in data.pop("lines")
    ]
    return services.QuoteInput(lines=lines, **data)


class QuoteCreateIn(QuoteIn):
    opportunity_id: int


@router.post("/quotes", response={201: QuoteOut})
def create_quote(request: HttpRequest, payload: QuoteCreateIn) -> Status[QuoteOut]:
    """Make a quote for an opportunity; 409 while the customer's quoting is frozen."""
    me = current_user(request)
    opportunity = visible_or_404(opportunities_visible_to(me), payload.opportunity_id)
    data = QuoteIn(**payload.dict(exclude={"opportunity_id"}))
    quote = services.quote_create(opportunity=opportunity, actor=me, data=_input(data))
    return Status(201, _detail(request, quote))


@router.put("/quotes/{quote_id}", response=QuoteOut)
def update_quote(request: HttpRequest, quote_id: int, payload: QuoteIn) -> QuoteOut:
    """Replace the current draft version's lines and terms; 409 once sent (revise instead)."""
    quote = services.quote_update(
        quote=_visible(request, quote_id), actor=current_user(request), data=_input(payload)
    )
    return _detail(request, quote)


class QuoteSubmitIn(Schema):
    comment: str = ""


@router.post("/quotes/{quote_id}/submit", response=QuoteOut)
def submit_quote(request: HttpRequest, quote_id: int, payload: QuoteSubmitIn) -> QuoteOut:
    """Ask for a special quote to be approved (the pack's chain); 409 for an ordinary quote."""
    quote = services.quote_submit(
        quote=_visible(request, quote_id), actor=current_user(request), comment=payload.comment
    )
    return _detail(request, quote)


@router.post("/quotes/{quote_id}/revise", response=QuoteOut)
def revise_quote(request: HttpRequest, quote_id: int) -> QuoteOut:
    """Start the next version of a sent quote (a draft copy)."""
    quote = services.quote_revise(quote=_visible(request, quote_id), actor=current_user(request))
    return _detail(request, quote)


class SentQuoteOut(QuoteOut):
    # The customer's link to the quote: returned once (only its digest is stored); the PDF
    # snapshot prints it as a QR code.
    share_url: str


@router.post("/quotes/{quote_id}/send", response=SentQuoteOut)
def send_quote(request: HttpRequest, quote_id: int) -> SentQuoteOut:
    """Send the current version: renders the PDF snapshot and a share link, starts the follow-up
    timer; 409 for an unapproved special quote or a frozen customer."""
    sent = services.quote_send(
        quote=_visible(request, quote_id),
        actor=current_user(request),
        share_base_url=request.build_absolute_uri("/"),
    )
    return SentQuoteOut(**_detail(request, sent.quote).dict(), share_url=sent.share_url)


@router.get("/quotes/{quote_id}/versions/{number}/pdf", response={200: None})
def quote_pdf(request: HttpRequest, quote_id: int, number: int) -> HttpResponse:
    """The PDF snapshot of a sent version (application/pdf), as the customer received it."""
    quote = _visible(request, quote_id)
    response = documents.pdf_response(quote, number)
    services.quote_reads_log(
        reader=current_user(request), quotes=[quote], kind=GrantReadKind.PDF, number=number
    )
    return response


class QuoteFeedbackIn(Schema):
    outcome: str
    note: str


@router.post("/quotes/{quote_id}/feedback", response=QuoteOut)
def quote_feedback(request: HttpRequest, quote_id: int, payload: QuoteFeedbackIn) -> QuoteOut:
    """The customer's answer: `feedback` (still open), `accepted` or `declined`, with a note."""
    quote = services.quote_feedback(
        quote=_visible(request, quote_id),
        actor=current_user(request),
        outcome=payload.outcome,
        note=payload.note,
    )
    return _detail(request, quote)


@router.post("/quotes/{quote_id}/attachments", response={201: QuoteOut})
def attach_document(
    request: HttpRequest, quote_id: int, code: Form[str], file: File[UploadedFile]
) -> Status[QuoteOut]:
    """Attach a supporting document (`code` of the pack's `quotes.documents`; PDF or Office file)."""
    quote = _visible(request, quote_id)
    services.quote_attach(
        quote=quote, actor=current_user(request), code=code, data=file.read(), filename=file.name or ""
    )
    quote.refresh_from_db()
    return Status(201, _detail(request, quote))


class QuoteSmartFillOut(Schema):
    product_ids: list[int]
    payment_terms: str


@router.get("/opportunities/{opportunity_id}/quote-defaults", response=QuoteSmartFillOut)
def quote_defaults(request: HttpRequest, opportunity_id: int) -> QuoteSmartFillOut:
    """What a new quote for this opportunity proposes: the last order's products and payment terms."""
    opportunity = visible_or_404(opportunities_visible_to(current_user(request)), opportunity_id)
    fill = selectors.smart_fill_for(opportunity)
    return QuoteSmartFillOut(
        product_ids=[p.pk for p in fill["products"]], payment_terms=fill["payment_terms"]
    )
