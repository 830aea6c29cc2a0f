"""The top bar's search: leads, customers, contacts and opportunities, scoped like their pages."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customer_services
from salesflow.customers.models import Customer
from salesflow.leads import services as lead_services
from salesflow.leads.models import Lead
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import Opportunity
from salesflow.workflows import selectors


@dataclass
class Book:
    lead: Lead
    customer: Customer
    opportunity: Opportunity


@pytest.fixture
def book(trio: Trio) -> Book:
    """The owner's lead, customer (with a contact) and opportunity, all about 瑞康."""
    lead = lead_services.lead_create(
        name="周瑞康", phone="13900001111", company="瑞康眼科医院", owner=trio.owner, actor=None
    )
    customer = customer_services.customer_create(name="瑞康口腔医院", owner=trio.owner, actor=None)
    customer_services.contact_add(customer=customer, name="瑞康采购科张伟", phone="13900002222", actor=None)
    opportunity = pipeline_services.opportunity_create(
        customer=customer, title="瑞康 种植牙设备", owner=trio.owner, actor=None
    )
    return Book(lead=lead, customer=customer, opportunity=opportunity)


def _names(results: selectors.SearchResults) -> dict[str, list[str]]:
    return {kind: [h.name for h in hits] for kind, hits in results.groups.items()}


def test_owner_finds_every_kind_with_company_and_owner(trio: Trio, book: Book) -> None:
    results = selectors.search_everything(trio.owner, "瑞康")
    assert _names(results) == {
        "lead": ["周瑞康"],
        "customer": ["瑞康口腔医院"],
        "contact": ["瑞康采购科张伟"],
        "opportunity": ["瑞康 种植牙设备"],
    }
    contact = results.groups["contact"][0]
    assert contact.company == "瑞康口腔医院" and contact.owner == "owner"
    assert contact.url == f"/customers/{book.customer.pk}/#tab-contacts"
    assert results.groups["opportunity"][0].url == f"/opportunities/{book.opportunity.pk}/"


def test_customers_are_found_by_pinyin_initials(trio: Trio, book: Book) -> None:
    results = selectors.search_everything(trio.owner, "rkkq")
    assert _names(results)["customer"] == ["瑞康口腔医院"]


def test_teammate_and_outsider_find_nothing_of_the_owners_but_managers_do(trio: Trio, book: Book) -> None:
    for stranger in (trio.teammate, trio.outsider):
        assert selectors.search_everything(stranger, "瑞康").empty
    for boss in (trio.manager, trio.director):
        assert _names(selectors.search_everything(boss, "瑞康"))["opportunity"] == ["瑞康 种植牙设备"]


def test_page_groups_results_and_says_when_nothing_matches(trio: Trio, book: Book, client: Client) -> None:
    client.force_login(trio.owner)
    html = client.get("/search/", {"q": "瑞康"}).content.decode()
    for label in ("线索", "客户", "联系人", "商机"):
        assert f'{label} <span class="badge' in html
    assert f"/leads/{book.lead.pk}/" in html and "瑞康眼科医院" in html

    html = client.get("/search/", {"q": "不存在的医院"}).content.decode()
    assert "没有找到与「不存在的医院」匹配的线索、客户、联系人或商机" in html
    # Not the pool's onboarding text, which the customer list showed before.
    assert "客户池" not in html.split('data-testid="search-results"')[1]

    client.force_login(trio.outsider)
    html = client.get("/search/", {"q": "瑞康"}).content.decode()
    assert "没有找到与「瑞康」" in html and f"/leads/{book.lead.pk}/" not in html


def test_suggestions_start_at_two_characters(trio: Trio, book: Book, client: Client) -> None:
    client.force_login(trio.owner)
    htmx = {"HX-Request": "true"}
    assert client.get("/search/", {"q": "瑞"}, headers=htmx).content == b""
    fragment = client.get("/search/", {"q": "瑞康"}, headers=htmx).content.decode()
    assert "<html" not in fragment and "瑞康口腔医院" in fragment and "查看全部结果" in fragment
    fragment = client.get("/search/", {"q": "zz"}, headers=htmx).content.decode()
    assert "没有找到与「zz」匹配" in fragment


def test_a_search_term_is_text_not_markup(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    html = client.get("/search/", {"q": "<b>x</b>"}).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_api_search_is_scoped_for_owner_teammate_and_outsider(trio: Trio, book: Book) -> None:
    body = api_client_for(trio.owner).get("/api/v1/search", {"q": "瑞康"}).json()
    assert [h["name"] for h in body["leads"]] == ["周瑞康"]
    assert body["contacts"][0] == {
        "kind": "contact",
        "kind_label": "联系人",
        "id": body["contacts"][0]["id"],
        "name": "瑞康采购科张伟",
        "company": "瑞康口腔医院",
        "owner": "owner",
        "url": f"/customers/{book.customer.pk}/#tab-contacts",
    }
    for stranger in (trio.teammate, trio.outsider):
        body = api_client_for(stranger).get("/api/v1/search", {"q": "瑞康"}).json()
        assert body["leads"] == body["customers"] == body["contacts"] == body["opportunities"] == []


def test_api_search_names_the_bad_parameter(trio: Trio) -> None:
    client = api_client_for(trio.owner)
    response = client.get("/api/v1/search", {"q": ""})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "q"
    response = client.get("/api/v1/search", {"q": "x" * 101})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "q"
