"""One opportunity list selector: the API and the board filter the same way."""

from __future__ import annotations

import pytest
from django.test import Client

from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customers
from salesflow.org.models import User
from salesflow.pipeline import selectors, services
from salesflow.pipeline.selectors import OpportunityFilters

pytestmark = pytest.mark.django_db


def _open(owner: User, customer_name: str, title: str, pipeline: str = "standard") -> None:
    customer = customers.customer_create(name=customer_name, actor=None, owner=owner)
    services.opportunity_create(customer=customer, title=title, pipeline=pipeline, owner=owner, actor=owner)


def _titles(user: User, filters: OpportunityFilters) -> list[str]:
    return sorted(o.title for o in selectors.opportunities_list(user=user, filters=filters))


def test_opportunities_list_applies_each_filter_within_the_callers_scope(trio: Trio) -> None:
    _open(trio.owner, "协和医院", "关节耗材")
    _open(trio.teammate, "华山医院", "脊柱耗材", pipeline="hospital_visit")
    _open(trio.outsider, "协和分院", "外队耗材")
    assert _titles(trio.manager, OpportunityFilters()) == ["关节耗材", "脊柱耗材"]
    assert _titles(trio.owner, OpportunityFilters(owner="me")) == ["关节耗材"]
    assert _titles(trio.manager, OpportunityFilters(owner=str(trio.teammate.pk))) == ["脊柱耗材"]
    assert _titles(trio.manager, OpportunityFilters(q="协和")) == ["关节耗材"]
    assert _titles(trio.manager, OpportunityFilters(pipeline="hospital_visit")) == ["脊柱耗材"]
    assert _titles(trio.manager, OpportunityFilters(status="won")) == []


def test_api_and_board_show_the_same_opportunities(trio: Trio) -> None:
    _open(trio.owner, "协和医院", "关节耗材")
    _open(trio.teammate, "华山医院", "创伤耗材")
    api = api_client_for(trio.manager).get("/api/v1/opportunities?owner=me").json()
    assert api["items"] == []  # the manager owns none
    api = api_client_for(trio.manager).get(f"/api/v1/opportunities?owner={trio.owner.pk}").json()
    assert [o["title"] for o in api["items"]] == ["关节耗材"]
    client = Client()
    client.force_login(trio.manager)
    board = client.get("/opportunities/?pipeline=standard&q=协和").content.decode()
    assert "关节耗材" in board and "创伤耗材" not in board
