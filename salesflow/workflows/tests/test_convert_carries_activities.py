"""Conversion carries the lead's activities: a call before conversion starts the customer's week."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from salesflow.activities import services as activities
from salesflow.activities.models import Activity
from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.customers import services as customers
from salesflow.customers.models import Customer
from salesflow.leads import services as leads
from salesflow.leads.models import Lead
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline
from salesflow.workflows import services as workflows

pytestmark = pytest.mark.django_db


def _lead_with_call(
    trio: Trio, start: datetime, *, company: str = "温州康宁医院", seconds: int = 300
) -> Lead:
    lead = leads.lead_enter(
        data={"name": "郑华", "phone": "13600001111", "company": company}, actor=trio.owner, now=start
    )
    activities.activity_log(
        lead=lead, kind="call", duration_seconds=seconds, occurred_at=start, actor=trio.owner, now=start
    )
    return lead


def _release_due(customer: Customer) -> datetime | None:
    return (
        Deadline.objects.filter(
            subject_type="customers.customer",
            subject_id=customer.pk,
            policy="customer_commitment",
            status="pending",
        )
        .order_by("-due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def test_a_call_before_conversion_starts_the_customer_s_7_day_clock(trio: Trio) -> None:
    start = clock.now()
    lead = _lead_with_call(trio, start)
    converted_at = start + timedelta(days=3)
    customer, _opportunity = workflows.lead_convert(lead=lead, actor=trio.owner, now=converted_at)
    customer.refresh_from_db()
    # The call is the customer's too, and its last effective interaction.
    assert list(Activity.objects.filter(customer=customer).values_list("lead_id", flat=True)) == [lead.pk]
    assert customer.last_interaction_at == start
    assert _release_due(customer) == start + timedelta(days=7)
    # 7 days after the call (4 after the conversion) the customer returns to the pool.
    sweeper.sweep(now=start + timedelta(days=6, hours=23))
    customer.refresh_from_db()
    assert customer.owner == trio.owner
    sweeper.sweep(now=start + timedelta(days=7, minutes=1))
    customer.refresh_from_db()
    assert customer.owner is None


def test_without_an_effective_call_the_clock_starts_at_conversion(trio: Trio) -> None:
    start = clock.now()
    lead = _lead_with_call(trio, start, seconds=10)  # too short to count
    converted_at = start + timedelta(days=3)
    customer, _opportunity = workflows.lead_convert(lead=lead, actor=trio.owner, now=converted_at)
    customer.refresh_from_db()
    assert Activity.objects.filter(customer=customer).count() == 1  # carried all the same
    assert customer.last_interaction_at is None
    assert _release_due(customer) == converted_at + timedelta(days=7)
    sweeper.sweep(now=start + timedelta(days=7, minutes=1))
    customer.refresh_from_db()
    assert customer.owner == trio.owner


def test_an_existing_customer_s_newer_clock_is_not_shortened(trio: Trio) -> None:
    start = clock.now()
    lead = _lead_with_call(trio, start, company="丽水人民医院")
    existing = customers.customer_create(
        name="丽水人民医院", actor=trio.owner, owner=trio.owner, now=start + timedelta(days=2)
    )
    converted_at = start + timedelta(days=3)
    customer, _opportunity = workflows.lead_convert(
        lead=lead, actor=trio.owner, customer=existing, now=converted_at
    )
    assert customer.pk == existing.pk
    # Claimed two days after the lead's call: the week runs from the claim, not the older call.
    assert _release_due(customer) == start + timedelta(days=9)
    assert Activity.objects.filter(customer=customer).count() == 1


def test_an_existing_customer_s_older_clock_restarts_from_the_call(trio: Trio) -> None:
    start = clock.now()
    existing = customers.customer_create(name="衢州中心医院", actor=trio.owner, owner=trio.owner, now=start)
    call_at = start + timedelta(days=4)
    lead = _lead_with_call(trio, call_at, company="衢州中心医院")
    customer, _opportunity = workflows.lead_convert(
        lead=lead, actor=trio.owner, customer=existing, now=call_at + timedelta(days=1)
    )
    customer.refresh_from_db()
    assert customer.last_interaction_at == call_at
    assert _release_due(customer) == call_at + timedelta(days=7)
