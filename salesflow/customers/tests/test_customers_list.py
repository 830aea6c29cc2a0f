"""One customer list selector: the API, the 客户 page and the Excel export filter the same way."""

from __future__ import annotations

import pytest
from django.test import Client

from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import selectors, services
from salesflow.customers.selectors import CustomerFilters
from salesflow.imports.tests.helpers import cells
from salesflow.org.models import User

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _customers(trio: Trio) -> None:
    services.customer_create(
        name="杭州市第一人民医院", industry_segment="hospital_public", owner=trio.owner, actor=None
    )
    services.customer_create(name="杭州和睦家诊所", owner=trio.teammate, actor=None)
    services.customer_create(name="宁波市中医院", industry_segment="hospital_public", owner=None, actor=None)
    services.customer_create(name="杭州外队医院", owner=trio.outsider, actor=None)


def _names(user: User | None, filters: CustomerFilters) -> list[str]:
    return sorted(c.name for c in selectors.customers_list(user=user, filters=filters))


def test_customers_list_applies_each_filter_within_the_callers_scope(trio: Trio) -> None:
    _customers(trio)
    assert _names(trio.manager, CustomerFilters()) == ["宁波市中医院", "杭州和睦家诊所", "杭州市第一人民医院"]
    assert _names(trio.manager, CustomerFilters(pool=True)) == ["宁波市中医院"]
    assert _names(trio.owner, CustomerFilters(owner="me")) == ["杭州市第一人民医院"]
    assert _names(trio.manager, CustomerFilters(owner=str(trio.teammate.pk))) == ["杭州和睦家诊所"]
    assert _names(trio.manager, CustomerFilters(q="hz")) == ["杭州和睦家诊所", "杭州市第一人民医院"]
    assert _names(trio.manager, CustomerFilters(industry_segment="hospital_public")) == [
        "宁波市中医院",
        "杭州市第一人民医院",
    ]
    assert "杭州外队医院" in _names(None, CustomerFilters(q="杭州"))  # the CLI sees every customer


def test_api_page_and_export_list_the_same_customers(trio: Trio) -> None:
    _customers(trio)
    query = "q=杭州&industry_segment=hospital_public"
    api = api_client_for(trio.manager).get(f"/api/v1/customers?{query}").json()
    page = _client(trio.manager).get(f"/customers/?{query}").content.decode()
    export = _client(trio.manager).get(f"/customers/export.xlsx?{query}").content
    assert [c["name"] for c in api["items"]] == ["杭州市第一人民医院"]
    assert "杭州市第一人民医院" in page and "杭州和睦家诊所" not in page and "宁波市中医院" not in page
    assert [row[0] for row in cells(export)[1:]] == ["杭州市第一人民医院"]
    refused = api_client_for(trio.manager).get("/api/v1/customers?owner=boss")
    assert refused.status_code == 422 and "owner" in refused.content.decode()
