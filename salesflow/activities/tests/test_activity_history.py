"""Activities change leads and opportunities through their services: field history records it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from salesflow.activities import services as activities
from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.customers import services as customers
from salesflow.pipeline import services as pipeline

pytestmark = pytest.mark.django_db


def test_an_activity_on_an_opportunity_is_in_its_field_history(trio: Trio) -> None:
    customer = customers.customer_create(name="湘雅医院", actor=None, owner=trio.owner)
    opportunity = pipeline.opportunity_create(
        customer=customer, title="脊柱耗材", pipeline="standard", owner=trio.owner, actor=trio.owner
    )
    before = opportunity.history.count()
    later = clock.now() + timedelta(hours=2)
    activities.activity_log(
        opportunity=opportunity,
        kind="call",
        occurred_at=later,
        duration_seconds=120,
        actor=trio.owner,
        now=later,
    )
    rows = list(opportunity.history.order_by("-history_id"))
    assert len(rows) == before + 1
    assert rows[0].last_update_at == later and rows[0].history_user_id == trio.owner.pk
    opportunity.refresh_from_db()
    assert opportunity.last_update_at == later
