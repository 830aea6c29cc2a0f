"""A subject kind can hide facts per viewer; the API never sends the raw facts; the demo helper."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesflow.approvals import registry
from salesflow.approvals.choices import RequestState, StepState
from salesflow.approvals.demo import DemoItem, create_requests
from salesflow.approvals.tests.helpers import CHAIN, KIND, Cast, opportunity, start
from salesflow.core.testing import api_client_for
from salesflow.org.choices import Role
from salesflow.pipeline.models import Opportunity

pytestmark = pytest.mark.django_db


def _masked(subject: Opportunity, viewer: object) -> list[tuple[str, str]]:
    facts = [("客户", subject.customer.name)]
    if getattr(viewer, "role", "") in (Role.FINANCE, Role.GM, Role.DIRECTOR):
        facts.append(("预计毛利率", "12.34%"))
    return facts


def test_a_kind_may_describe_per_viewer_and_raw_facts_stay_inside(people: Cast) -> None:
    trio = people.trio
    registry.register(KIND, model=Opportunity, label="商机", describe=_masked)
    request = start(opportunity(trio.owner), trio.owner)
    url = f"/api/v1/approvals/{request.pk}"
    manager_view = api_client_for(trio.manager).get(url)
    director_view = api_client_for(trio.director).get(url)
    assert "12.34%" not in manager_view.content.decode() and "12.34%" in director_view.content.decode()
    # The margin fact given at start (30) is not in any answer.
    assert "margin_pct" not in manager_view.content.decode()
    assert "margin_pct" not in api_client_for(trio.owner).get("/api/v1/approvals?state=mine").content.decode()


def test_the_demo_helper_leaves_requests_where_asked(people: Cast) -> None:
    trio = people.trio
    facts = {"discount_pct": Decimal("25"), "amount": Decimal("200000"), "margin_pct": Decimal("20")}
    made = create_requests(
        chain_code=CHAIN,
        items=[
            DemoItem(subject=opportunity(trio.owner, title="甲"), requester=trio.owner, facts=facts),
            DemoItem(
                subject=opportunity(trio.owner, title="乙"), requester=trio.owner, facts=facts, approvals=1
            ),
            DemoItem(
                subject=opportunity(trio.owner, title="丙"), requester=trio.owner, facts=facts, approvals=2
            ),
            DemoItem(
                subject=opportunity(trio.owner, title="丁"),
                requester=trio.owner,
                facts=facts,
                approvals=1,
                outcome="rejected",
            ),
        ],
        now=trio.owner.date_joined,
    )
    waiting_at = [r.steps.get(state=StepState.OPEN).code if r.state == "pending" else r.state for r in made]
    assert waiting_at == ["regional_manager", "finance", "general_manager", RequestState.REJECTED]
