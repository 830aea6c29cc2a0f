"""Chinese labels where a user looks: the lead and opportunity pages and rule versions (desktop and phone)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.pipeline.models import Evidence
from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

RAW = re.compile(
    r"\b(customer_tier|buying_stage|weighted|tier_fit|door_plate_photo|signed_pdf|need_points)\b"
)


def _no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width  # type: ignore[index]


def test_lead_and_opportunity_pages_show_labels(page: Page, shot: Shot) -> None:
    _lead_and_opportunity(page, shot)


def test_lead_and_opportunity_pages_show_labels_on_a_phone(phone_page: Page, shot: Shot) -> None:
    _lead_and_opportunity(phone_page, shot)


def _lead_and_opportunity(page: Page, shot: Shot) -> None:
    log_in(page, "admin")
    lead = Lead.objects.exclude(score_factors=[]).exclude(source="").order_by("-score").first()
    assert lead is not None
    page.goto(f"/leads/{lead.pk}/")
    factors = page.locator("[data-testid=score-factors]")
    expect(factors).to_contain_text(re.compile(r"(客户等级|采购阶段|公司规模)："))
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline).to_contain_text("分配方式：加权匹配")
    body = page.locator("body").inner_text()
    assert not RAW.search(body), RAW.search(body)
    assert lead.source not in body.split()
    _no_horizontal_overflow(page)
    shot(page, "lead")

    need_points = Evidence.objects.filter(kind="need_points", opportunity__isnull=False).first()
    assert need_points is not None and need_points.opportunity_id is not None
    page.goto(f"/opportunities/{need_points.opportunity_id}/")
    tile = page.locator(f"[data-testid=evidence-{need_points.pk}]")
    expect(tile).to_contain_text("需求要点")
    # Stored as `consignment:科室库存`; read as 寄售备货：科室库存.
    code, _sep, detail = need_points.text.splitlines()[0].partition(":")
    assert code not in tile.inner_text()
    expect(tile).to_contain_text(f"：{detail}" if detail else "")
    expect(page.locator("[data-testid=amount]")).to_contain_text("万")
    expect(page.locator("[data-testid=days-in-stage]")).to_have_text(re.compile(r"^\d+ (天|小时|分钟)"))
    body = page.locator("body").inner_text()
    assert not RAW.search(body), RAW.search(body)
    _no_horizontal_overflow(page)
    shot(page, "opportunity")


def test_rule_versions_read_in_business_language(page: Page, shot: Shot) -> None:
    _rule_versions(page, shot)


def test_rule_versions_read_in_business_language_on_a_phone(phone_page: Page, shot: Shot) -> None:
    _rule_versions(phone_page, shot)


def _rule_versions(page: Page, shot: Shot) -> None:
    log_in(page, "admin")
    page.goto("/settings/rules/policies/lead_first_contact/")
    page.fill("#s0-after", "20分钟")
    page.get_by_role("button", name="保存（生成新版本）").click()
    # A mistyped duration is named with its step and the forms a duration takes.
    expect(page.locator("[data-testid=step-error]")).to_have_text("“20分钟” 不是时长：请填写如 15m、48h、5wd")
    expect(page.locator("[data-testid=form-errors]")).to_contain_text("第 1 级「首次联系超时」· 开始后")
    shot(page, "duration-error")
    page.fill("#s0-after", "20m")
    page.get_by_role("button", name="保存（生成新版本）").click()
    expect(page).to_have_url(re.compile(r"/settings/rules/$"))

    page.goto("/settings/rules/versions/")
    newest = page.locator("[data-testid^=version-]").first
    expect(newest).to_contain_text("首次联系时限 · 首次联系超时 15 分钟 → 20 分钟")
    expect(newest).to_contain_text(User.objects.get(username="admin").display_name)
    assert "lead_first_contact" not in newest.inner_text()
    _no_horizontal_overflow(page)
    shot(page, "versions")

    newest.get_by_role("link", name="查看差异").click()
    expect(page.locator("[data-testid=changes]")).to_contain_text("15 分钟 → 20 分钟")
    diff = page.locator("[data-testid=diff]")
    expect(diff).to_be_hidden()
    page.locator("[data-testid=advanced] summary").click()
    expect(diff).to_be_visible()
    expect(diff).to_contain_text("after: 20m")
    shot(page, "version-detail")
