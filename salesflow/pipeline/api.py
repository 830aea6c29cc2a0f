"""REST endpoints of opportunities (the pipeline issue extends these with stages and evidence)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from salesflow.core.errors import FieldErrors, NotFound
from salesflow.core.pagination import keyset_page
from salesflow.customers.selectors import customers_visible_to
from salesflow.org.api import current_user
from salesflow.pipeline import selectors, services
from salesflow.pipeline.models import Opportunity

router = Router(tags=["opportunities"])


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


def _out(o: Opportunity) -> OpportunityOut:
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
    )


class OpportunityPage(Schema):
    items: list[OpportunityOut]
    next: str | None


@router.get("/opportunities", response=OpportunityPage)
def list_opportunities(
    request: HttpRequest,
    owner: str | None = None,
    status: str | None = None,
    customer: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> OpportunityPage:
    """Visible opportunities; `owner=me`, `status`, `customer`."""
    me = current_user(request)
    qs = selectors.opportunities_visible_to(me)
    if owner == "me":
        qs = qs.filter(owner=me)
    if status:
        qs = qs.filter(status=status)
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, newest_first=True)
    return OpportunityPage(items=[_out(o) for o in rows], next=next_cursor)


@router.get("/opportunities/{opportunity_id}", response=OpportunityOut)
def get_opportunity(request: HttpRequest, opportunity_id: int) -> OpportunityOut:
    """One opportunity."""
    found = selectors.opportunities_visible_to(current_user(request)).filter(pk=opportunity_id).first()
    if found is None:
        raise NotFound(f"No opportunity {opportunity_id}.", id=opportunity_id)
    return _out(found)


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
    return Status(201, _out(opportunity))
