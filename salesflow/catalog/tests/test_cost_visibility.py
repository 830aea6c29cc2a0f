"""Field-level permission: a product's standard cost and margin reach only the roles the pack names
(default finance, GM, directors) — never anyone else's API answer, page, export, search, history
or timeline. Tested like private notes."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from salesflow.catalog import services
from salesflow.core.testing import Trio, api_client_for
from salesflow.org.models import User

from .helpers import SECRET_COST, edit_pack, finance, gm, presales, product

pytestmark = pytest.mark.django_db
SECRET = "4321.87"
SECRET_SHOWN = "4,321.87"


def _everything(user: User, product_id: int) -> str:
    """Every place a product shows up for `user`, as one text."""
    api = api_client_for(user)
    page = Client()
    page.force_login(user)
    parts = [
        api.get("/api/v1/products").content.decode(),
        api.get(f"/api/v1/products/{product_id}").content.decode(),
        api.get(f"/api/v1/history/product/{product_id}").content.decode(),
        api.get(f"/api/v1/timeline/product/{product_id}").content.decode(),
        page.get("/settings/products/").content.decode(),
        page.get(f"/settings/products/{product_id}/").content.decode(),
        page.get(f"/records/product/{product_id}/history/").content.decode(),
        page.get(f"/records/product/{product_id}/timeline/").content.decode(),
    ]
    for url in ("/api/v1/exports/products.xlsx", "/settings/products/export.xlsx"):
        response = api.get(url) if url.startswith("/api") else page.get(url)
        assert response.status_code == 200, url
        sheet = load_workbook(io.BytesIO(response.content)).active
        parts.append(" ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None))
    return "\n".join(parts)


def _changed_cost_product(trio: Trio) -> int:
    fin = finance(trio)
    prod = product(fin, standard_cost="1000")
    services.product_update(product=prod, changes={"standard_cost": SECRET_COST}, actor=fin)
    return prod.pk


def test_the_cost_is_shown_to_finance_the_gm_and_directors(trio: Trio) -> None:
    product_id = _changed_cost_product(trio)
    for viewer in (User.objects.get(username="fin"), gm(trio), trio.director):
        text = _everything(viewer, product_id)
        assert SECRET in text or SECRET_SHOWN in text, viewer.username
        body = api_client_for(viewer).get(f"/api/v1/products/{product_id}").json()
        assert body["standard_cost"] == SECRET and body["margin_pct"] == "56.8"


def test_the_cost_reaches_nobody_else_anywhere(trio: Trio) -> None:
    product_id = _changed_cost_product(trio)
    for viewer in (trio.owner, trio.outsider, trio.manager, trio.admin, presales(trio)):
        text = _everything(viewer, product_id)
        assert SECRET not in text and SECRET_SHOWN not in text and "1000.00" not in text, viewer.username
        assert "标准成本" not in text and "毛利" not in text, viewer.username
        body = api_client_for(viewer).get(f"/api/v1/products/{product_id}").json()
        assert body["standard_cost"] is None and body["margin_pct"] is None
        # Searching by the cost finds nothing: the cost is not searched.
        assert api_client_for(viewer).get(f"/api/v1/products?q={SECRET}").json()["items"] == []


def test_the_pack_decides_who_sees_the_cost(trio: Trio) -> None:
    product_id = _changed_cost_product(trio)
    edit_pack(
        lambda doc: doc["field_permissions"].update({"product.standard_cost": ["ops_admin", "finance"]})
    )
    assert api_client_for(trio.admin).get(f"/api/v1/products/{product_id}").json()["standard_cost"] == SECRET
    director = api_client_for(trio.director).get(f"/api/v1/products/{product_id}").json()
    assert director["standard_cost"] is None and director["margin_pct"] is None


def test_a_pack_naming_an_unknown_role_or_field_is_refused() -> None:
    from salesflow.rules import packs

    document = packs.to_document(packs.load_default())
    document["field_permissions"] = {"product.standard_cost": ["cfo"]}
    with pytest.raises(packs.PackInvalid, match="unknown role cfo"):
        packs.validate(document)
    document["field_permissions"] = {"product.secret": ["finance"]}
    with pytest.raises(packs.PackInvalid, match=r"unknown field product\.secret"):
        packs.validate(document)
