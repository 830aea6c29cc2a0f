"""The catalogue API: CRUD by the ops admin and finance, reads by everyone, field errors, the price
of a product for a customer scoped like the customer (owner / teammate / outsider)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from salesflow.catalog import services
from salesflow.catalog.models import Product
from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customers
from salesflow.customers.models import Customer
from salesflow.org.models import User

from .helpers import edit_pack, finance, presales, product

pytestmark = pytest.mark.django_db


def _post(user: User, url: str, body: dict[str, object]) -> Any:
    return api_client_for(user).post(url, body, content_type="application/json")


def test_finance_creates_a_product_with_a_normalised_sku_and_the_pack_tax_rate(trio: Trio) -> None:
    response = _post(
        finance(trio),
        "/api/v1/products",
        {
            "sku": " ｓｐ-ped 6.5 ",
            "name": "椎弓根螺钉",
            "list_price": "1280.5",
            "product_line": "spine",
            "unit": "枚",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sku"] == "SP-PED6.5" and body["list_price"] == "1280.50" and body["tax_rate_pct"] == "13.00"
    assert body["product_line_label"] == "脊柱类" and body["standard_cost"] is None
    # A second product with the same SKU however typed: 409 naming the existing one.
    again = _post(trio.admin, "/api/v1/products", {"sku": "sp-ped6.5", "name": "x", "list_price": "1"})
    assert again.status_code == 409 and again.json()["product"]["sku"] == "SP-PED6.5"


def test_the_default_tax_rate_comes_from_the_rule_pack(trio: Trio) -> None:
    edit_pack(lambda doc: doc["settings"].update(product_default_tax_rate_pct=6))
    created = services.product_create(sku="SVC-1", name="跟台服务", list_price="500", actor=trio.admin)
    assert created.tax_rate_pct == Decimal("6.00")


def test_bad_input_is_a_422_naming_each_field(trio: Trio) -> None:
    response = _post(
        trio.admin,
        "/api/v1/products",
        {"sku": "  ", "name": "x" * 201, "list_price": "-1", "product_line": "cardio", "tax_rate_pct": "130"},
    )
    assert response.status_code == 422
    fields = {d["loc"][-1] for d in response.json()["detail"]}
    assert fields == {"sku", "name", "list_price", "product_line", "tax_rate_pct"}
    assert Product.objects.count() == 0
    price_list = _post(trio.admin, "/api/v1/price-lists", {"name": "无范围", "valid_from": "2026-01-01"})
    assert price_list.status_code == 422 and price_list.json()["detail"][0]["loc"][-1] == "customer_tier"


def test_reps_managers_and_presales_read_but_do_not_write(trio: Trio) -> None:
    prod = product(finance(trio))
    for user in (trio.owner, trio.manager, trio.director, presales(trio)):
        api = api_client_for(user)
        assert api.get("/api/v1/products").json()["items"][0]["sku"] == "HIP-TI52"
        assert api.get(f"/api/v1/products/{prod.pk}").status_code == 200
        refused = api.patch(f"/api/v1/products/{prod.pk}", {"name": "改名"}, content_type="application/json")
        assert refused.status_code == 403, user.username
        assert (
            _post(user, "/api/v1/products", {"sku": "X1", "name": "x", "list_price": "1"}).status_code == 403
        )
        assert api.delete(f"/api/v1/products/{prod.pk}").status_code == 403
    assert Product.objects.get().name == "髋关节假体 钛合金 52mm"


def test_the_ops_admin_edits_everything_but_the_cost(trio: Trio) -> None:
    prod = product(finance(trio))
    api = api_client_for(trio.admin)
    ok = api.patch(
        f"/api/v1/products/{prod.pk}",
        {"list_price": "11000", "active": False},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["list_price"] == "11000.00" and ok.json()["active"] is False
    refused = api.patch(
        f"/api/v1/products/{prod.pk}", {"standard_cost": "1"}, content_type="application/json"
    )
    assert refused.status_code == 403 and "标准成本" in refused.json()["detail"]
    prod.refresh_from_db()
    assert prod.standard_cost == Decimal("4321.87")


def test_list_filters_by_search_product_line_and_state(trio: Trio) -> None:
    fin = finance(trio)
    product(fin)
    product(fin, sku="TR-PLATE-8", name="锁定加压钢板 8 孔", product_line="trauma")
    product(fin, sku="SPM-ANCHOR", name="带线锚钉", product_line="sports", active=False)
    api = api_client_for(trio.owner)

    def skus(query: str) -> list[str]:
        return [p["sku"] for p in api.get(f"/api/v1/products?{query}").json()["items"]]

    assert skus("q=钢板") == ["TR-PLATE-8"]
    assert skus("q=hip-ti") == ["HIP-TI52"]
    assert skus("product_line=sports") == ["SPM-ANCHOR"]
    assert sorted(skus("active=1")) == ["HIP-TI52", "TR-PLATE-8"]
    assert api.get("/api/v1/products?active=maybe").status_code == 422


def test_price_lists_crud_and_prices(trio: Trio) -> None:
    fin = finance(trio)
    prod = product(fin)
    api = api_client_for(fin)
    created = _post(
        fin,
        "/api/v1/price-lists",
        {"name": "三甲医院价", "customer_tier": "tier3a", "valid_from": "2026-01-01"},
    )
    assert created.status_code == 201, created.content
    plist_id = created.json()["id"]
    put = api.put(
        f"/api/v1/price-lists/{plist_id}/items/{prod.pk}", {"price": "9000"}, content_type="application/json"
    )
    assert put.status_code == 200 and put.json()["price"] == "9000.00"
    detail = api.get(f"/api/v1/price-lists/{plist_id}").json()
    assert detail["customer_tier_label"] == "三甲" and [i["price"] for i in detail["items"]] == ["9000.00"]
    patched = api.patch(
        f"/api/v1/price-lists/{plist_id}", {"valid_until": "2026-12-31"}, content_type="application/json"
    )
    assert patched.json()["valid_until"] == "2026-12-31"
    # A product on a list cannot be deleted (discontinue it instead).
    assert api.delete(f"/api/v1/products/{prod.pk}").status_code == 409
    assert api.delete(f"/api/v1/price-lists/{plist_id}/items/{prod.pk}").status_code == 204
    assert api.delete(f"/api/v1/price-lists/{plist_id}").status_code == 204
    assert api.delete(f"/api/v1/products/{prod.pk}").status_code == 204


def test_the_price_for_a_customer_is_scoped_like_the_customer(trio: Trio) -> None:
    fin = finance(trio)
    prod = product(fin)
    customer = customers.customer_create(name="上海第六人民医院", actor=trio.owner, owner=trio.owner)
    Customer.objects.filter(pk=customer.pk).update(customer_tier="tier3a")
    plist = services.price_list_create(
        name="三甲价", customer_tier="tier3a", valid_from=date(2026, 1, 1), actor=fin
    )
    services.price_set(price_list=plist, product=prod, price="8800", actor=fin)
    url = f"/api/v1/products/{prod.pk}/price?customer={customer.pk}&on=2026-12-01"
    for user in (trio.owner, trio.manager, trio.director):
        answer = api_client_for(user).get(url)
        assert answer.status_code == 200, user.username
        body = answer.json()
        assert (body["price"], body["source"], body["price_list"]["name"]) == (
            "8800.00",
            "price_list",
            "三甲价",
        )
        assert body["price_with_tax"] == "9944.00" and body["discount_pct"] == "12.0"
    for user in (trio.teammate, trio.outsider, trio.other_manager):
        assert api_client_for(user).get(url).status_code == 404, user.username
    assert api_client_for(trio.owner).get(f"/api/v1/products/{prod.pk}/price").status_code == 422
    assert api_client_for(trio.owner).get(f"/api/v1/products/{prod.pk}/price?customer=abc").status_code == 422
