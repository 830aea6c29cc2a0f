"""One evidence status: the API, the board, the opportunity page and the visit pages say the same."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customers
from salesflow.org.models import User
from salesflow.pipeline import selectors, services
from salesflow.pipeline.models import Opportunity

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _at_hospital_visit(owner: User) -> Opportunity:
    customer = customers.customer_create(name="浙大一院", actor=None, owner=owner)
    opportunity = services.opportunity_create(
        customer=customer, title="关节置换", pipeline="hospital_visit", owner=owner, actor=owner
    )
    return services.opportunity_advance(opportunity=opportunity, to_stage="hospital_visit", actor=owner)


def test_api_board_and_opportunity_page_name_the_same_missing_evidence(trio: Trio) -> None:
    opportunity = _at_hospital_visit(trio.owner)
    # Two of the three need points the stage asks for: not done yet, and everyone must say so.
    services.evidence_add(
        opportunity=opportunity, requirement="need_points", text="price\ndelivery", actor=trio.owner
    )
    api = api_client_for(trio.owner).get(f"/api/v1/opportunities/{opportunity.pk}").json()
    api_missing = [m["label"] for m in api["missing"]]
    assert api_missing == ["科室门牌照片", "试用确认书（签字 PDF）", "需求要点 ×3"]

    board = _client(trio.owner).get("/opportunities/?pipeline=hospital_visit").content.decode()
    shown = re.search(r'data-testid="card-missing">.*?：(.*?)</div>', board, re.S)
    assert shown is not None
    assert shown.group(1).strip().split("、") == api_missing

    page = _client(trio.owner).get(f"/opportunities/{opportunity.pk}/").content.decode()
    undone = re.findall(r'data-testid="check-hospital_visit-(\w+)" data-done="0"', page)
    assert undone == [m["code"] for m in api["missing"]]
    assert 'data-testid="check-hospital_visit-need_points" data-done="0"' in page
    assert "2/3" in page  # the page counts the same pieces the API does

    status = selectors.evidence_status(opportunity=opportunity)
    assert status.missing == api["missing"] and not status.complete
    assert {i.requirement.code: i.have for i in status.items}["need_points"] == 2


def test_the_visit_page_and_the_api_agree_on_what_a_visit_lacks(trio: Trio) -> None:
    customer = customers.customer_create(name="邵逸夫医院", actor=None, owner=trio.owner)
    visit = services.visit_create(customer=customer, package="hospital_visit", actor=trio.owner)
    services.evidence_add(
        visit=visit, requirement="need_points", text="price\ndelivery\ntraining", actor=trio.owner
    )
    api = api_client_for(trio.owner).get(f"/api/v1/visits/{visit.code}").json()
    assert [m["code"] for m in api["missing"]] == ["door_plate_photo", "trial_confirmation"]
    page = _client(trio.owner).get(f"/v/{visit.code}/").content.decode()
    lacks = re.search(r"还缺：(.*?)</div>", page, re.S)
    assert lacks is not None
    assert lacks.group(1).strip().split("、") == [m["label"] for m in api["missing"]]
    package = _client(trio.owner).get(f"/visits/{visit.code}/").content.decode()
    assert package.count("text-green") == 1  # need points done, the photo and the PDF not
    assert selectors.evidence_status(visit=visit).missing == api["missing"]
