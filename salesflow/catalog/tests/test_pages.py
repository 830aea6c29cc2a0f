"""设置 → 产品与价格 pages: everyone reads, the ops admin and finance edit, errors next to fields."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from salesflow.catalog import services
from salesflow.catalog.models import PriceList, PriceListItem, Product
from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customers
from salesflow.customers.models import Customer
from salesflow.org.models import User

from .helpers import finance, product

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_rep_reads_the_catalogue_and_checks_a_customers_price(trio: Trio) -> None:
    fin = finance(trio)
    prod = product(fin)
    customer = customers.customer_create(name="瑞金医院", actor=trio.owner, owner=trio.owner)
    Customer.objects.filter(pk=customer.pk).update(customer_tier="tier3a")
    plist = services.price_list_create(
        name="三甲医院价", customer_tier="tier3a", valid_from=date(2020, 1, 1), actor=fin
    )
    services.price_set(price_list=plist, product=prod, price="8800", actor=fin)
    page = _client(trio.owner)
    listing = page.get("/settings/products/?product_line=joint").content.decode()
    assert "HIP-TI52" in listing and "¥10,000.00" in listing and "新建产品" not in listing
    assert 'data-tab="catalog"' in listing
    detail = page.get(f"/settings/products/{prod.pk}/?customer_q=瑞金").content.decode()
    assert "¥8,800.00" in detail and "三甲医院价" in detail and 'data-testid="product-form"' not in detail
    # Another rep finds no such customer: prices follow the customer's visibility.
    other = _client(trio.outsider).get(f"/settings/products/{prod.pk}/?customer_q=瑞金").content.decode()
    assert "price-check-row" not in other and "没有找到你可见的客户" in other
    assert page.post(f"/settings/products/{prod.pk}/", {"name": "改名"}).status_code == 403
    assert page.get("/settings/products/new/").status_code == 403


def test_the_form_shows_each_error_next_to_its_field_and_writes_nothing(trio: Trio) -> None:
    page = _client(trio.admin)
    response = page.post(
        "/settings/products/new/",
        {
            "sku": "",
            "name": "膝关节假体",
            "list_price": "两万",
            "unit": "套",
            "tax_rate_pct": "13",
            "product_line": "",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-error-for="sku"' in html and 'data-error-for="list_price"' in html
    assert "金额不正确“两万”" in html and 'value="膝关节假体"' in html
    assert 'name="standard_cost"' not in html  # the ops admin does not see costs
    assert Product.objects.count() == 0
    created = page.post(
        "/settings/products/new/",
        {
            "sku": "jt-knee-3",
            "name": "膝关节假体",
            "list_price": "26800",
            "unit": "套",
            "tax_rate_pct": "13",
            "active": "1",
        },
    )
    assert created.status_code == 302
    assert Product.objects.get().sku == "JT-KNEE-3"
    duplicate = page.post(
        "/settings/products/new/",
        {"sku": "JT-KNEE-3", "name": "x", "list_price": "1", "unit": "套", "tax_rate_pct": "13"},
    )
    assert duplicate.status_code == 422 and 'data-error-for="sku"' in duplicate.content.decode()


def test_finance_manages_a_price_list_from_the_pages(trio: Trio) -> None:
    fin = finance(trio)
    prod = product(fin)
    page = _client(fin)
    region = trio.team.parent
    assert region is not None
    bad = page.post("/settings/price-lists/", {"name": "华东价", "valid_from": ""})
    assert bad.status_code == 422 and 'data-error-for="valid_from"' in bad.content.decode()
    created = page.post(
        "/settings/price-lists/",
        {"name": "华东价", "region": str(region.pk), "valid_from": "2026-01-01", "active": "1"},
    )
    plist = PriceList.objects.get()
    assert created.status_code == 302 and plist.region == region
    unknown = page.post(
        f"/settings/price-lists/{plist.pk}/", {"action": "price", "sku": "NOPE", "price": "1"}
    )
    assert unknown.status_code == 422 and 'data-error-for="sku"' in unknown.content.decode()
    assert (
        page.post(
            f"/settings/price-lists/{plist.pk}/", {"action": "price", "sku": "hip-ti52", "price": "9500"}
        ).status_code
        == 302
    )
    assert PriceListItem.objects.get().price == 9500
    detail = page.get(f"/settings/price-lists/{plist.pk}/").content.decode()
    assert "¥9,500.00" in detail and "髋关节假体" in detail
    page.post(f"/settings/price-lists/{plist.pk}/", {"action": "remove", "product": str(prod.pk)})
    assert not PriceListItem.objects.exists()
    assert (
        _client(trio.owner).post(f"/settings/price-lists/{plist.pk}/", {"action": "delete"}).status_code
        == 403
    )


def test_the_list_page_and_api_take_a_fixed_number_of_queries(
    trio: Trio, django_assert_max_num_queries: object
) -> None:
    fin = finance(trio)
    for n in range(25):
        product(fin, sku=f"TR-PLATE-{n}", name=f"钢板 {n} 孔", product_line="trauma")
    page = _client(trio.owner)
    api = api_client_for(trio.owner)
    page.get("/settings/products/")  # warm the session and the pack
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        assert page.get("/settings/products/").status_code == 200
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        assert len(api.get("/api/v1/products?limit=100").json()["items"]) == 25
