"""One lead list selector: the API, the 线索 page and the Excel export filter the same way."""

from __future__ import annotations

import pytest
from django.test import Client

from salesflow.core.testing import Trio, api_client_for
from salesflow.imports.tests.helpers import cells
from salesflow.leads import selectors, services
from salesflow.leads.selectors import LeadFilters
from salesflow.org.models import User

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _leads(trio: Trio) -> None:
    services.lead_create(name="王一", phone="13900000001", company="协和医院", owner=trio.owner, actor=None)
    services.lead_create(
        name="王二", phone="13900000002", company="华山医院", owner=trio.teammate, actor=None
    )
    services.lead_create(name="李三", phone="13900000003", company="协和医院", actor=None)  # pooled
    services.lead_create(
        name="外队", phone="13900000004", company="协和医院", owner=trio.outsider, actor=None
    )


def _names(user: User | None, filters: LeadFilters) -> list[str]:
    return sorted(lead.name for lead in selectors.leads_list(user=user, filters=filters))


def test_leads_list_applies_each_filter_within_the_callers_scope(trio: Trio) -> None:
    _leads(trio)
    manager = trio.manager
    assert _names(manager, LeadFilters()) == ["李三", "王一", "王二"]  # the outsider's is not in scope
    assert _names(manager, LeadFilters(owned=True)) == ["王一", "王二"]
    assert _names(manager, LeadFilters(pool=True)) == ["李三"]
    assert _names(trio.owner, LeadFilters(owner="me")) == ["王一"]
    assert _names(manager, LeadFilters(owner=str(trio.teammate.pk))) == ["王二"]
    assert _names(manager, LeadFilters(q="协和")) == ["李三", "王一"]
    assert _names(manager, LeadFilters(q="0000002")) == ["王二"]
    assert _names(manager, LeadFilters(status="pooled")) == ["李三"]
    assert _names(None, LeadFilters(q="协和", owned=True)) == ["外队", "王一"]  # the CLI sees every lead


def test_api_page_and_export_list_the_same_leads(trio: Trio) -> None:
    _leads(trio)
    api = api_client_for(trio.owner).get("/api/v1/leads?owner=me&status=assigned").json()
    page = _client(trio.owner).get("/leads/?owner=me&status=assigned").content.decode()
    export = _client(trio.owner).get("/leads/export.xlsx?owner=me&status=assigned").content
    assert [lead["name"] for lead in api["items"]] == ["王一"]
    assert "王一" in page and "王二" not in page and "外队" not in page
    assert [row[0] for row in cells(export)[1:]] == ["王一"]


@pytest.mark.parametrize("query", ["status=nope", "owner=someone", "sla=late"])
def test_a_filter_that_cannot_apply_is_a_422_naming_it_in_the_api_and_the_export(
    trio: Trio, query: str
) -> None:
    name = query.split("=")[0]
    answer = api_client_for(trio.owner).get(f"/api/v1/leads?{query}")
    assert answer.status_code == 422 and name in answer.content.decode()
    if name != "sla":
        exported = api_client_for(trio.owner).get(f"/api/v1/exports/leads.xlsx?{query}")
        assert exported.status_code == 422 and name in exported.content.decode()
    # The page ignores what it cannot use rather than failing.
    assert _client(trio.owner).get(f"/leads/?{query}").status_code == 200
