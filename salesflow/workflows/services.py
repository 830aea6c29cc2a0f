"""Flows that span apps: a lead's conversion, a leaving rep's handover.

Each app keeps the writes of its own records (leads, customers, pipeline services); a flow here
only orders those calls inside one transaction, so the apps below need not import each other.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction

from salesflow.activities import services as activity_services
from salesflow.contracts import services as contract_services
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.customers import services as customer_services
from salesflow.customers.models import Customer
from salesflow.leads import services as lead_services
from salesflow.leads.models import Lead
from salesflow.notify import services as notify
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.org.selectors import visible_owner_ids
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import Opportunity


def lead_convert(
    *,
    lead: Lead,
    actor: User,
    customer: Customer | None = None,
    opportunity_title: str = "",
    amount: Decimal | str = "0",
    expected_close: date | None = None,
    pipeline: str | None = None,
    now: datetime | None = None,
) -> tuple[Customer, Opportunity]:
    """Lead → customer (created or linked) + contact + opportunity; the lead keeps its timeline.

    A lead converts once: a second attempt is a Conflict naming the opportunity.
    """
    now = now or clock.now()
    with transaction.atomic():
        locked = lead_services.lead_lock_for_conversion(lead=lead, actor=actor)
        owner = locked.owner or actor
        target = customer or locked.customer or customer_services.duplicate_of(locked.company or locked.name)
        created = target is None
        if target is None:
            target = customer_services.customer_create(
                name=locked.company or locked.name,
                owner=owner,
                industry_segment=locked.industry_segment,
                customer_tier=locked.customer_tier,
                actor=actor,
                now=now,
            )
        contact_keys = {c.phone_key for c in target.contacts.all()} | {
            c.email_key for c in target.contacts.all()
        }
        if not ({locked.phone_key, locked.email_key} - {""}) & contact_keys:
            customer_services.contact_add(
                customer=target,
                name=locked.name,
                title=locked.title,
                phone=locked.phone,
                email=locked.email,
                actor=actor,
                now=now,
            )
        opportunity = pipeline_services.opportunity_create(
            customer=target,
            title=(opportunity_title or "").strip() or f"{target.name} — {locked.name}",
            amount=amount if str(amount).strip() not in ("", "0") else (locked.budget or "0"),
            expected_close=expected_close,
            product_lines=[locked.product_line] if locked.product_line else [],
            pipeline=pipeline,
            owner=owner,
            lead=locked,
            actor=actor,
            now=now,
        )
        # Before the lead is closed: its calls count for the customer's commitment clock.
        activity_services.activities_carry(
            lead=locked, customer=target, new_customer=created, actor=actor, now=now
        )
        lead_services.lead_mark_converted(
            lead=locked,
            customer=target,
            opportunity_id=opportunity.pk,
            new_customer=created,
            actor=actor,
            now=now,
        )
    return target, opportunity


def may_hand_over(*, actor: User, user: User) -> bool:
    """Whether `actor` may see and move `user`'s book: a manager above them or a company-wide role."""
    if actor.is_superuser or actor.role in (Role.OPS_ADMIN, Role.GM, Role.COO):
        return True
    owners = visible_owner_ids(actor)
    return actor.pk != user.pk and (owners is None or user.pk in owners)


def user_handover(*, user: User, to: User | None, actor: User, now: datetime | None = None) -> dict[str, int]:
    """A leaving rep's customers, open leads and open opportunities move to `to` (or the pool), and
    their contracts still to collect to `to` (or their manager).

    Records keep their ids, so their timelines, notes and history stay attached; each moved
    record gets a `handed_over` event.
    """
    now = now or clock.now()
    if not may_hand_over(actor=actor, user=user):
        raise PermissionDenied("只有上级或运营管理员可以交接 / Only a manager or the ops admin.")
    if to is not None and (to.pk == user.pk or not to.is_active or to.role != Role.REP):
        raise FieldErrors(
            {"to": ["请选择另一位在职销售，或客户池 / Choose another active rep, or the pool."]}
        )
    with transaction.atomic():
        customers = customer_services.customers_hand_over(user=user, to=to, actor=actor, now=now)
        leads = lead_services.leads_hand_over(user=user, to=to, actor=actor, now=now)
        opportunities = pipeline_services.opportunities_hand_over(user=user, to=to, actor=actor, now=now)
        contracts = contract_services.contracts_hand_over(user=user, to=to, actor=actor, now=now)
        if to is not None:
            notify.notify(
                recipients=[to],
                kind="org.handover",
                title=f"交接：{user} 的客户与线索",
                body=f"{customers} 个客户、{leads} 条线索、{opportunities} 个商机、"
                f"{contracts} 份合同已转给你。",
                subject=None,
                actor=actor,
                now=now,
            )
    return {"customers": customers, "leads": leads, "opportunities": opportunities, "contracts": contracts}
