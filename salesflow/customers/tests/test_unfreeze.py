"""Lifting a quoting freeze (阶段熔断) by hand: managers over the owner, with a reason on the timeline."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from salesflow.core import clock
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services
from salesflow.customers.models import Customer
from salesflow.org.models import User
from salesflow.pipeline import services as pipeline
from salesflow.rules import services as rules
from salesflow.rules.selectors import is_frozen

pytestmark = pytest.mark.django_db


def _frozen_customer(trio: Trio) -> Customer:
    customer = services.customer_create(name="嘉兴市第一医院", actor=None, owner=trio.owner)
    rules.freeze_set(
        record=customer,
        scope="quoting",
        reason="技术方案确认超过 5 个工作日，报价冻结",
        rule_code="sla:tech_solution_breaker",
        actor=None,
        now=clock.now(),
    )
    return customer


def _unfreeze(user: User, customer: Customer, reason: str = "法务已确认条款，恢复报价") -> Any:
    return api_client_for(user).post(
        f"/api/v1/customers/{customer.pk}/unfreeze", {"reason": reason}, content_type="application/json"
    )


def test_the_owners_manager_lifts_the_freeze_with_a_reason_on_the_timeline(trio: Trio) -> None:
    customer = _frozen_customer(trio)
    done = _unfreeze(trio.manager, customer)
    assert done.status_code == 200 and done.json()["quoting_frozen"] is False
    assert is_frozen(customer, "quoting") is None
    event = Event.objects.get(name="record.unfrozen", subject_id=customer.pk)
    assert event.actor_id == trio.manager.pk
    assert event.payload == {"scope": "quoting", "reason": "法务已确认条款，恢复报价"}
    timeline = api_client_for(trio.owner).get(f"/api/v1/timeline/customer/{customer.pk}").json()
    assert "record.unfrozen" in str(timeline)


def test_the_director_over_the_team_may_lift_it_too(trio: Trio) -> None:
    customer = _frozen_customer(trio)
    assert _unfreeze(trio.director, customer).status_code == 200


@pytest.mark.parametrize(("who", "status"), [("owner", 403), ("teammate", 404), ("outsider", 404)])
def test_reps_cannot_lift_a_freeze(trio: Trio, who: str, status: int) -> None:
    customer = _frozen_customer(trio)
    assert _unfreeze(getattr(trio, who), customer).status_code == status
    assert is_frozen(customer, "quoting") is not None


def test_another_teams_manager_cannot_lift_it(trio: Trio) -> None:
    customer = _frozen_customer(trio)
    assert _unfreeze(trio.other_manager, customer).status_code == 404
    assert is_frozen(customer, "quoting") is not None


def test_a_reason_is_required_and_an_unfrozen_customer_is_a_conflict(trio: Trio) -> None:
    customer = _frozen_customer(trio)
    missing = _unfreeze(trio.manager, customer, reason="  ")
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "reason"
    assert is_frozen(customer, "quoting") is not None
    assert _unfreeze(trio.manager, customer).status_code == 200
    assert _unfreeze(trio.manager, customer).status_code == 409


def test_the_button_shows_to_managers_on_the_customer_and_opportunity_pages(trio: Trio) -> None:
    customer = _frozen_customer(trio)
    opportunity = pipeline.opportunity_create(
        customer=customer, title="关节耗材", owner=trio.owner, actor=trio.owner, pipeline="standard"
    )
    owner, manager = Client(), Client()
    owner.force_login(trio.owner)
    manager.force_login(trio.manager)
    for url in (f"/customers/{customer.pk}/", f"/opportunities/{opportunity.pk}/"):
        assert 'data-testid="unfreeze-form"' in manager.get(url).content.decode()
        assert 'data-testid="unfreeze-form"' not in owner.get(url).content.decode()
    back = f"/opportunities/{opportunity.pk}/"
    response = manager.post(f"/customers/{customer.pk}/unfreeze/", {"reason": "客户已确认方案", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert is_frozen(customer, "quoting") is None
    assert "客户已确认方案" in manager.get(f"/customers/{customer.pk}/").content.decode()  # on the timeline
