"""Excel round trip: export the filtered customer list from its page, upload the same file in
设置 → 导入 as 新建或更新, the dry run says nothing is new and nothing changed, confirm, done."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from salesflow.core.testing import run_ready_tasks
from salesflow.customers.models import Customer
from salesflow.customers.selectors import CustomerFilters, customers_list
from salesflow.imports.tests.helpers import cells
from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser


def _no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"page is {width}px wide in a {viewport}px viewport"


def _upload(page: Page, path: Path) -> None:
    page.goto("/settings/import/")
    page.select_option("select[name=kind]", "customers")
    page.select_option("[data-testid=import-upload-form] [data-testid=import-mode]", "upsert")
    page.set_input_files("input[name=file]", str(path))
    page.click("[data-testid=import-upload-form] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/settings/import/\d+/$"))


def test_exported_customer_list_reimports_unchanged(page: Page, shot: Shot, tmp_path: Path) -> None:
    log_in(page, "admin")
    page.goto("/customers/?customer_tier=tier3a")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("导出 Excel")).click()
    path = tmp_path / "customers.xlsx"
    download_info.value.save_as(path)
    rows = cells(path.read_bytes())
    expected = customers_list(user=None, filters=CustomerFilters(customer_tier="tier3a")).count()
    assert 0 < len(rows) - 1 == expected < Customer.objects.count()  # the list's filter was honoured
    assert {r[rows[0].index("客户等级")] for r in rows[1:]} == {"三甲"}  # labels, not codes
    before = list(Customer.objects.order_by("id").values_list("name", "address", "owner_id", "customer_tier"))

    _upload(page, path)
    preview = page.get_by_test_id("import-preview")
    expect(preview.get_by_test_id("count-create")).to_have_text("0 新建")
    expect(preview.get_by_test_id("count-unchanged")).to_have_text(f"{expected} 不变")
    expect(preview.get_by_test_id("count-update")).to_have_text("0 更新")
    expect(page.get_by_test_id("bad-row-count")).to_have_text("0 行有错误")
    expect(page.locator("[data-testid=import-row-actions] tbody tr[data-action=unchanged]")).to_have_count(
        min(expected, 200)
    )
    shot(page, "dry-run")

    page.get_by_test_id("import-confirm-form").get_by_role("button").click()
    run_ready_tasks()
    page.reload()
    result = page.get_by_test_id("import-result")
    expect(result).to_be_visible()
    expect(page.get_by_test_id("import-unchanged")).to_have_text(str(expected))
    expect(page.get_by_test_id("import-created")).to_have_text("0")
    expect(page.get_by_test_id("import-updated")).to_have_text("0")
    shot(page, "done")
    after = list(Customer.objects.order_by("id").values_list("name", "address", "owner_id", "customer_tier"))
    assert after == before


def test_import_wizard_fits_a_phone(phone_page: Page, shot: Shot, tmp_path: Path) -> None:
    page = phone_page
    log_in(page, "admin")
    page.goto("/settings/import/")
    expect(page.get_by_test_id("import-mode")).to_be_visible()
    expect(page.get_by_test_id("natural-key-customers")).to_contain_text("客户名称")
    _no_horizontal_overflow(page)
    shot(page, "upload")
    response = page.request.get("/customers/export.xlsx?customer_tier=tier2a")
    assert response.ok
    path = tmp_path / "customers.xlsx"
    path.write_bytes(response.body())
    tier2a = customers_list(user=None, filters=CustomerFilters(customer_tier="tier2a")).count()
    assert len(cells(path.read_bytes())) - 1 == tier2a
    _upload(page, path)
    expect(page.get_by_test_id("count-create")).to_have_text("0 新建")
    expect(page.get_by_test_id("import-row-actions")).to_be_visible()
    _no_horizontal_overflow(page)
    shot(page, "preview")
