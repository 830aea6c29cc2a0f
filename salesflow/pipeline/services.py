"""Writes of opportunities: open one in a pack pipeline, hand a rep's open ones over."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction

from salesflow.core import clock, events
from salesflow.core.errors import FieldErrors
from salesflow.core.history import attach_actor
from salesflow.customers.models import Customer
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity
from salesflow.rules.schema import StageTemplate
from salesflow.rules.selectors import active_pack


def pipeline_for(code: str | None, *, product_lines: list[str] | None = None) -> StageTemplate | None:
    """The pack's stage template `code`; without one, the template of the product line, else the first."""
    _number, pack = active_pack()
    templates = pack.stage_templates
    if code:
        return next((t for t in templates if t.code == code), None)
    for line in product_lines or []:
        match = next((t for t in templates if t.product_line == line), None)
        if match is not None:
            return match
    return templates[0] if templates else None


def opportunity_create(
    *,
    customer: Customer,
    title: str,
    actor: User | None,
    owner: User | None,
    pipeline: str | None = None,
    amount: Decimal | str = "0",
    expected_close: date | None = None,
    product_lines: list[str] | None = None,
    lead: Lead | None = None,
    now: datetime | None = None,
) -> Opportunity:
    """Open an opportunity in the first stage of a pack pipeline."""
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["必填 / This field is required."]
    elif len(title) > 200:
        errors["title"] = ["最多 200 字 / At most 200 characters."]
    try:
        value = Decimal(str(amount).replace(",", "").strip() or "0")
        if value < 0 or value >= Decimal("1e12"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["amount"] = ["应为金额，例如 480000 / Must be an amount."]
        value = Decimal("0")
    template = pipeline_for(pipeline, product_lines=product_lines)
    if template is None or not template.stages:
        errors["pipeline"] = [f"规则包中没有销售流程 “{pipeline}” / No such pipeline in the rule pack."]
    _number, pack = active_pack()
    dictionary = pack.dictionary("product_line")
    unknown = [p for p in product_lines or [] if dictionary and p not in [c.code for c in dictionary.choices]]
    if unknown:
        errors["product_lines"] = [f"未知产品线 / unknown product lines: {', '.join(unknown)}"]
    if errors:
        raise FieldErrors(errors)
    assert template is not None
    with transaction.atomic():
        opportunity = Opportunity(
            customer=customer,
            title=title,
            amount=value.quantize(Decimal("0.01")),
            expected_close=expected_close,
            product_lines=product_lines or [],
            pipeline=template.code,
            stage=template.stages[0].code,
            stage_entered_at=now,
            owner=owner,
            lead=lead,
            created_at=now,
        )
        attach_actor(opportunity, actor, now)
        opportunity.save()
        events.record(
            name="opportunity.created",
            subject=opportunity,
            actor=actor,
            occurred_at=now,
            payload={
                "customer": customer.pk,
                "lead": lead.pk if lead else None,
                "amount": str(opportunity.amount),
            },
        )
        events.record(
            name="opportunity.stage_entered",
            subject=opportunity,
            actor=actor,
            occurred_at=now,
            payload={"pipeline": template.code, "stage": opportunity.stage},
        )
    return opportunity


def opportunities_hand_over(*, user: User, to: User | None, actor: User, now: datetime) -> int:
    """Move `user`'s open opportunities to `to` (None: unowned), an event on each; the count."""
    with transaction.atomic():
        moved = list(
            Opportunity.objects.select_for_update().filter(owner=user, status=OpportunityStatus.OPEN)
        )
        for opportunity in moved:
            opportunity.owner = to
            attach_actor(opportunity, actor, now)
            opportunity.save(update_fields=["owner"])
            events.record(
                name="opportunity.handed_over",
                subject=opportunity,
                actor=actor,
                occurred_at=now,
                payload={"from": user.pk, "to": to.pk if to else None},
            )
    return len(moved)
