"""Forecast milestones recorded on a deal's quote or contract count for the deal: an approval of
its special quote (`approval.approved` on the quote) or the legal review of its contract
(`contract.review_started`) multiplies the deal's odds like one on the deal itself."""

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


def test_a_legal_review_of_the_deals_contract_lifts_its_odds(trio: Trio) -> None:
    from salesflow.contracts import services as contracts
    from salesflow.contracts.tests.helpers import accepted_contract

    contract = accepted_contract(trio, stage="proposal_quote")
    opportunity = contract.opportunity
    _number, pack = active_pack()
    row: dict[str, object] = {"expected_close": None, "product_lines": []}

    def odds() -> tuple[float, list[str]]:
        one = fc.OpenDeal(
            id=opportunity.pk, pipeline=opportunity.pipeline, position=0, elapsed_days=0.5, amount=1.0
        )
        fc.apply_uplifts([one], [row], pack, clock.now() + timedelta(minutes=1))
        return one.odds, one.reasons

    assert "合同审核中" not in odds()[1]
    clauses = [contracts.ClauseInput(title="付款方式", text="货到后 180 天付清。", code="payment")]
    contracts.contract_update(contract=contract, actor=trio.owner, clauses=clauses)
    contracts.contract_review_start(contract=contract, actor=trio.owner)
    lifted, reasons = odds()
    assert "合同审核中" in reasons and lifted == pytest.approx(1.2)
