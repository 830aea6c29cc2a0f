"""Products through the import machinery (kind `products`): dry run, row errors, create / update /
create-or-update by SKU, and an export that re-imports; costs only for those who may see them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesflow.catalog.models import Product
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for
from salesflow.imports.tests.helpers import book, cells
from salesflow.org.models import User

from .helpers import finance, product

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["型号", "产品名称", "产品线", "单位", "目录价", "税率（%）", "在售"]


def _import(user: User, rows: Sequence[Sequence[object]], headers: list[str] = HEADERS, **form: str) -> Any:
    upload = SimpleUploadedFile("产品.xlsx", book(headers, [list(r) for r in rows]), content_type=XLSX)
    response = api_client_for(user).post("/api/v1/imports/products", {"file": upload, **form})
    assert response.status_code == 200, response.content
    return response.json()


def test_a_dry_run_reports_every_bad_row_and_writes_nothing(trio: Trio) -> None:
    rows = [
        ["TR-PLATE-8", "锁定加压钢板 8 孔", "创伤类", "块", "3680", "13", "是"],
        ["tr-plate-8 ", "重复", "创伤类", "块", "1", "", ""],
        ["SP-CAGE", "椎间融合器", "心血管", "个", "¥abc", "130", "也许"],
    ]
    body = _import(trio.admin, rows, dry_run="true")
    assert (body["dry_run"], body["written"], body["created"]) == (True, False, 1)
    problems = {(e["row"], e["column"]) for e in body["errors"]}
    assert problems == {(3, "型号"), (4, "产品线"), (4, "目录价"), (4, "税率（%）"), (4, "在售")}
    assert Product.objects.count() == 0


def test_create_then_update_and_upsert_by_sku(trio: Trio) -> None:
    rows = [
        ["TR-PLATE-8", "锁定加压钢板 8 孔", "创伤类", "块", "3680", "13", "是"],
        ["SPM-ANCHOR", "带线锚钉", "运动医学", "枚", "2400.5", "", "停售"],
    ]
    created = _import(trio.admin, rows)
    assert (created["created"], created["written"]) == (2, True)
    anchor = Product.objects.get(sku="SPM-ANCHOR")
    assert (anchor.product_line, anchor.list_price, anchor.tax_rate_pct, anchor.active) == (
        "sports",
        Decimal("2400.50"),
        Decimal("13.00"),
        False,
    )
    assert Event.objects.filter(name="product.created", subject_id=anchor.pk).exists()
    # 仅新建 again: every row exists already.
    again = _import(trio.admin, rows)
    assert again["written"] is False and {e["column"] for e in again["errors"]} == {"型号"}
    # 仅更新: a changed price is written; a row with an unknown SKU is an error naming 型号.
    update = _import(trio.admin, [["tr-plate-8", "锁定加压钢板 8 孔", "", "", "3880", "", ""]], mode="update")
    assert (update["updated"], update["written"]) == (1, True)
    assert update["rows"][0]["changed"] == ["目录价"]
    assert Product.objects.get(sku="TR-PLATE-8").list_price == Decimal("3880.00")
    missing = _import(trio.admin, [["NOPE-1", "不存在", "", "", "1", "", ""]], mode="update")
    assert missing["errors"][0]["column"] == "型号"
    # 新建或更新: one new, one changed, one unchanged.
    upsert = _import(
        trio.admin,
        [
            ["TR-PLATE-8", "锁定加压钢板 8 孔", "", "", "3880", "", ""],
            ["SPM-ANCHOR", "带线锚钉", "", "", "2400.50", "", "在售"],
            ["JT-KNEE-3", "膝关节假体", "关节类", "套", "26800", "", ""],
        ],
        mode="upsert",
    )
    assert (upsert["created"], upsert["updated"], upsert["unchanged"]) == (1, 1, 1)
    assert Product.objects.get(sku="SPM-ANCHOR").active is True


def test_who_may_import_products_and_the_cost_column(trio: Trio) -> None:
    rows = [["JT-KNEE-3", "膝关节假体", "关节类", "套", "26800", "", "", "15000"]]
    headers = [*HEADERS, "标准成本"]
    # Sales management imports customers and leads, not the catalogue.
    upload = SimpleUploadedFile("产品.xlsx", book(HEADERS, rows), content_type=XLSX)
    assert api_client_for(trio.manager).post("/api/v1/imports/products", {"file": upload}).status_code == 403
    # The ops admin may not import costs (the pack keeps them from the role).
    upload = SimpleUploadedFile("产品.xlsx", book(headers, rows), content_type=XLSX)
    refused = api_client_for(trio.admin).post("/api/v1/imports/products", {"file": upload})
    assert refused.status_code == 422 and "标准成本" in refused.json()["detail"][0]["msg"]
    assert Product.objects.count() == 0
    # Finance may.
    body = _import(finance(trio), rows, headers=headers)
    assert body["created"] == 1 and Product.objects.get().standard_cost == Decimal("15000.00")


def test_the_export_reimports_unchanged_and_shows_costs_only_to_cost_viewers(trio: Trio) -> None:
    fin = finance(trio)
    product(fin)
    product(fin, sku="SPM-ANCHOR", name="带线锚钉", product_line="sports", active=False, standard_cost=None)
    mine = cells(api_client_for(fin).get("/api/v1/exports/products.xlsx").content)
    assert mine[0] == ["型号", "产品名称", "产品线", "单位", "目录价", "标准成本", "税率（%）", "在售"]
    assert mine[1][:3] == ["HIP-TI52", "髋关节假体 钛合金 52mm", "关节类"] and mine[1][5] == 4321.87
    theirs = cells(
        api_client_for(trio.owner).get("/api/v1/exports/products.xlsx?product_line=sports").content
    )
    assert theirs[0] == HEADERS and theirs[1:] == [
        ["SPM-ANCHOR", "带线锚钉", "运动医学", "套", 10000, 13, "否"]
    ]
    exported = api_client_for(fin).get("/api/v1/exports/products.xlsx").content
    upload = SimpleUploadedFile("产品.xlsx", exported, content_type=XLSX)
    again = api_client_for(fin).post("/api/v1/imports/products", {"file": upload, "mode": "upsert"}).json()
    assert (again["unchanged"], again["updated"], again["created"], again["errors"]) == (2, 0, 0, [])
