"""Forecast milestones recorded on a deal's quote count for the deal: an approval of its special
quote (`approval.approved` on the quote) multiplies the deal's odds like one on the deal itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from salesflow.analytics import forecast as fc
from salesflow.core import clock, events
from salesflow.core.testing import Trio
from salesflow.quotes.tests.helpers import deal, products, quote
from salesflow.rules.selectors import active_pack

pytestmark = pytest.mark.django_db


def test_an_approval_of_the_deals_quote_lifts_its_odds(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 0))
    _number, pack = active_pack()
    now = clock.now() + timedelta(minutes=1)
    row: dict[str, object] = {"expected_close": None, "product_lines": []}

    def odds() -> tuple[float, list[str]]:
        one = fc.OpenDeal(
            id=opportunity.pk, pipeline=opportunity.pipeline, position=0, elapsed_days=0.5, amount=1.0
        )
        fc.apply_uplifts([one], [row], pack, now)
        return one.odds, one.reasons

    assert odds() == (1.0, [])
    with transaction.atomic():
        events.record(name="approval.approved", subject=made, actor=trio.manager, occurred_at=clock.now())
    lifted, reasons = odds()
    assert lifted == pytest.approx(1.5) and reasons == ["审批已通过"]
