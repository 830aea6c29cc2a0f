"""The demo company's quotes: open deals in 方案报价 and later get quotes in every state — drafts
with a low health score, special quotes over the rep's discount limit, quotes sent days ago (their
72-hour follow-up due), accepted and declined ones — written through the quote services."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F

from salesflow.catalog.models import Product
from salesflow.core.demo import COUNT_LABELS, DemoContext, demo_part
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity
from salesflow.quotes import services
from salesflow.quotes.models import Quote

COUNT_LABELS.setdefault("quotes", "报价")
COUNT_LABELS.setdefault("grants", "临时授权")

# Stages in which a deal has been quoted (the standard and the hospital pipelines share the codes).
QUOTED_STAGES = ("proposal_quote", "contract_signed")
# A minimal valid PDF standing in for a competitor comparison sheet.
SHEET_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@demo_part(order=55, label="报价")
def generate_quotes(ctx: DemoContext) -> None:
    """One quote per open opportunity in a quoting stage, in a spread of states."""
    rng = random.Random(ctx.seed * 7 + 55)
    products = list(Product.objects.filter(active=True).order_by("sku"))
    if not products:
        return
    by_line: dict[str, list[Product]] = {}
    for product in products:
        by_line.setdefault(product.product_line, []).append(product)
    deals = list(
        Opportunity.objects.filter(
            status=OpportunityStatus.OPEN, stage__in=QUOTED_STAGES, owner__isnull=False
        )
        .select_related("owner", "customer")
        .order_by("id")
    )
    # The special quote waiting for a regional manager (index 6: 6 % 5 == 1, 6 % 3 == 0) is one of
    # the first manager's team, so that `manager1` — the account the README names — has one.
    home = _first_manager_deal(deals)
    if home is not None and len(deals) > 6:
        deals.remove(home)
        deals.insert(6, home)
    made = 0
    for index, deal in enumerate(deals):
        if deal.customer.quoting_frozen:
            continue
        pool = [p for line in deal.product_lines for p in by_line.get(line, [])] or products
        chosen = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
        special = index % 5 == 1
        lines = [
            services.LineInput(
                product=p.pk,
                quantity=rng.choice([1, 2, 5, 10, 20]),
                # Over the rep's limit; 25 % (over 20) also needs the general manager.
                discount_pct=(25 if index % 3 == 2 else 15)
                if special and i == 0
                else rng.choice([0, 3, 5, 8]),
            )
            for i, p in enumerate(chosen)
        ]
        created_at = max(deal.stage_entered_at, ctx.now - timedelta(days=rng.randint(2, 12)))
        quote = services.quote_create(
            opportunity=deal,
            actor=deal.owner,  # type: ignore[arg-type]
            data=services.QuoteInput(lines=lines, delivery_terms="合同生效后 30 日内送货到院"),
            now=created_at,
        )
        made += 1
        if index % 3 == 0:
            services.quote_attach(
                quote=quote,
                actor=deal.owner,  # type: ignore[arg-type]
                code="competitor_sheet",
                data=SHEET_PDF,
                filename="竞品对比表.pdf",
                now=created_at + timedelta(hours=1),
            )
        if special:
            _submit(quote, deal, index, created_at + timedelta(hours=2))
            continue
        _advance(quote, deal, index, created_at, ctx)
    ctx.count("quotes", made)


def _first_manager_deal(deals: list[Opportunity]) -> Opportunity | None:
    """The first deal whose owner reports to the first regional manager by username."""
    from salesflow.org.choices import Role
    from salesflow.org.models import User

    manager = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("username").first()
    if manager is None:
        return None
    return next(
        (
            d
            for d in deals
            if d.owner is not None and d.owner.manager_id == manager.pk and not d.customer.quoting_frozen
        ),
        None,
    )


def _advance(quote: Quote, deal: Opportunity, index: int, created_at: datetime, ctx: DemoContext) -> None:
    """Send some quotes (a few days ago: their follow-up is due) and record some answers."""
    state = index % 5
    if state == 0:
        return  # a draft
    sent_at = created_at + timedelta(hours=3)
    owner = deal.owner
    assert owner is not None
    services.quote_send(quote=quote, actor=owner, share_base_url=settings.SALESFLOW_PUBLIC_URL, now=sent_at)
    if state == 3:
        services.quote_feedback(
            quote=quote,
            actor=owner,
            outcome="accepted",
            note="科室主任同意，走采购流程",
            now=sent_at + timedelta(days=1),
        )
    elif state == 4 and sent_at + timedelta(days=2) < ctx.now:
        services.quote_feedback(
            quote=quote,
            actor=owner,
            outcome="feedback",
            note="客户希望分两期付款",
            now=sent_at + timedelta(days=1),
        )


def _submit(quote: Quote, deal: Opportunity, index: int, at: datetime) -> None:
    """Submit a special quote: some wait for the regional manager, some for finance, and those
    with a discount over 20 % for the general manager after both approved."""
    from salesflow.approvals import services as approvals
    from salesflow.approvals.choices import StepState
    from salesflow.approvals.models import ApprovalStep

    owner = deal.owner
    assert owner is not None
    services.quote_submit(quote=quote, actor=owner, comment="竞品低价竞争，申请特殊折扣", now=at)
    for decided in range(index % 3):
        step = (
            ApprovalStep.objects.filter(request__subject_id=quote.pk, state=StepState.OPEN)
            .prefetch_related("candidates")
            .first()
        )
        if step is None:
            return
        approver = step.candidates.order_by("id").first()
        if approver is None:
            return
        approvals.approval_approve(
            step=step, actor=approver, comment="同意，注意回款节点", now=at + timedelta(hours=decided + 1)
        )


@demo_part(order=56, label="临时授权")
def generate_grants(ctx: DemoContext) -> None:
    """One live temporary grant (临时授权): a rep lets a presales engineer read one customer's
    quotes for the pack's default period, and the engineer has read the list and a quote."""
    from salesflow.customers import services as customers
    from salesflow.customers.choices import GrantReadKind
    from salesflow.org.choices import Role
    from salesflow.org.models import User

    presales = User.objects.filter(role=Role.PRESALES, is_active=True).order_by("username").first()
    sent = (
        Quote.objects.filter(sent_at__isnull=False, owner__role=Role.REP, customer__owner=F("owner"))
        .select_related("customer", "owner")
        .order_by("id")
        .first()
    )
    if presales is None or sent is None:
        return
    granted_at = ctx.now - timedelta(days=1)
    customers.grant_create(
        customer=sent.customer,
        grantee=presales,
        actor=sent.owner,
        reason="协助准备技术方案与竞品对比",
        now=granted_at,
    )
    for hours, kind in ((2, GrantReadKind.LIST), (3, GrantReadKind.QUOTE)):
        customers.grant_reads_log(
            reader=presales,
            customer_ids=[sent.customer_id],
            kind=kind,
            object_id=sent.pk,
            object_label=sent.number,
            now=granted_at + timedelta(hours=hours),
        )
    ctx.count("grants", 1)
