"""The demo company's contracts and collections: sent quotes of deals in 合同签订 are accepted
(each makes its contract draft); the drafts are then signed at spread-out dates so the payment
plans have instalments due in 3 days and overdue in every ageing bucket, some delivered, some
paid (green), one waiting for legal — all through the contract services."""

from __future__ import annotations

from datetime import timedelta

from salesflow.contracts import services
from salesflow.contracts.choices import ContractState
from salesflow.contracts.models import Contract
from salesflow.core import clock
from salesflow.core.demo import COUNT_LABELS, DemoContext, demo_part
from salesflow.core.errors import DomainError
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.quotes import services as quotes
from salesflow.quotes.choices import QuoteState
from salesflow.quotes.models import Quote

COUNT_LABELS.setdefault("contracts", "合同")

# A minimal valid PDF standing in for the scanned, stamped contract.
SIGNED_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# Days before today each contract is signed, in turn: with the pack's 7-day first instalment this
# gives one due in 3 days, and overdue ones in 1–30, 31–60, 61–90 and over 90 days.
SIGNED_DAYS_AGO = [4, 20, 50, 85, 130, 60]
# How many drafts the demo signs at most (the rest stay drafts or go to legal).
MAX_SIGNED = 18
# Contracts the demo wants at least: one per signing date above, one for legal, one draft.
MIN_CONTRACTS = len(SIGNED_DAYS_AGO) + 2
# Deals past the quote that may still be signed (the shipped pipelines' stage codes).
SIGNING_STAGES = ("contract_signed", "delivery_payment")


@demo_part(order=57, label="合同与回款")
def generate_contracts(ctx: DemoContext) -> None:
    """Accept the sent quotes of deals in 合同签订, then sign, deliver and collect in a spread."""
    for quote in (
        Quote.objects.filter(
            state=QuoteState.SENT,
            opportunity__stage__in=SIGNING_STAGES,
            opportunity__status=OpportunityStatus.OPEN,
        )
        .select_related("owner")
        .order_by("id")
    ):
        quotes.quote_feedback(
            quote=quote, actor=quote.owner, outcome="accepted", note="客户确认报价，准备签约", now=ctx.now
        )
    _quote_more_deals(ctx, MIN_CONTRACTS - Contract.objects.count())
    finance = User.objects.filter(role=Role.FINANCE, is_active=True).order_by("id").first()
    today = clock.to_local(ctx.now).date()
    drafts = list(Contract.objects.filter(state=ContractState.DRAFT).select_related("owner").order_by("id"))
    signed = 0
    for index, contract in enumerate(drafts):
        if index % 7 == 6:
            _to_legal(contract, ctx)
            continue
        if signed >= MAX_SIGNED:
            break
        days_ago = SIGNED_DAYS_AGO[signed % len(SIGNED_DAYS_AGO)]
        try:
            contract = services.contract_sign(
                contract=contract,
                actor=contract.owner,
                data=SIGNED_PDF,
                filename=f"{contract.number}.pdf",
                signed_on=today - timedelta(days=days_ago),
                now=ctx.now,
            )
        except DomainError:
            continue  # a deal whose earlier stages lack evidence stays a draft
        signed += 1
        if days_ago >= 50:
            contract = services.contract_deliver(
                contract=contract,
                actor=contract.owner,
                delivered_on=today - timedelta(days=days_ago - 20),
                now=ctx.now,
            )
        if finance is not None and days_ago == 60:
            _collect(contract, finance, ctx)
    ctx.count("contracts", Contract.objects.count())


def _quote_more_deals(ctx: DemoContext, wanted: int) -> None:
    """Quote, send and accept late-stage deals without a quote until `wanted` more contracts exist."""
    from django.conf import settings

    from salesflow.catalog.models import Product
    from salesflow.pipeline.models import Opportunity

    products = list(Product.objects.filter(active=True).order_by("sku")[:5])
    if wanted <= 0 or not products:
        return
    deals = Opportunity.objects.filter(
        status=OpportunityStatus.OPEN,
        stage__in=SIGNING_STAGES,
        owner__isnull=False,
        quotes__isnull=True,
        customer__quoting_frozen=False,
    ).select_related("owner")
    for index, deal in enumerate(deals.order_by("id")[:wanted]):
        owner = deal.owner
        assert owner is not None
        line = quotes.LineInput(product=products[index % len(products)].pk, quantity=index % 4 + 2)
        quote = quotes.quote_create(
            opportunity=deal,
            actor=owner,
            data=quotes.QuoteInput(lines=[line]),
            now=ctx.now - timedelta(days=3),
        )
        quote = quotes.quote_send(
            quote=quote,
            actor=owner,
            share_base_url=settings.SALESFLOW_PUBLIC_URL,
            now=ctx.now - timedelta(days=3),
        ).quote
        quotes.quote_feedback(
            quote=quote,
            actor=owner,
            outcome="accepted",
            note="客户确认报价，准备签约",
            now=ctx.now - timedelta(days=2),
        )
        ctx.count("quotes")


def _to_legal(contract: Contract, ctx: DemoContext) -> None:
    """A draft whose payment clause was changed at the customer's request, waiting for legal."""
    clauses = [
        services.ClauseInput(code=c["code"], title=c["title"], text=c["text"]) for c in contract.clauses
    ]
    if not clauses:
        return
    clauses[0] = services.ClauseInput(
        code=clauses[0].code, title=clauses[0].title, text="货到验收合格后 90 日内付清全款。"
    )
    services.contract_update(contract=contract, actor=contract.owner, clauses=clauses, now=ctx.now)
    services.contract_review_start(
        contract=contract, actor=contract.owner, comment="客户要求延长账期", now=ctx.now
    )


def _collect(contract: Contract, finance: User, ctx: DemoContext) -> None:
    """Request and receive the first two instalments: 90 % collected, the green light."""
    for instalment in contract.instalments.order_by("position")[:2]:
        if instalment.due_date is None:
            continue
        services.payment_request(instalment=instalment, actor=contract.owner, note="已开具发票", now=ctx.now)
        services.payment_record(
            instalment=instalment,
            actor=finance,
            amount=instalment.amount,
            received_on=min(instalment.due_date, clock.to_local(ctx.now).date()),
            bank_reference=f"{contract.number}-{instalment.position}",
            now=ctx.now,
        )
