"""Error pages inside the layout (desktop and phone), and the opportunity page as a manager reads it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from salesflow.core import clock
from salesflow.customers import services as customers
from salesflow.org.models import User
from salesflow.pipeline import services
from salesflow.pipeline.models import Evidence, Opportunity
from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser


def _no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width  # type: ignore[index]


def test_not_found_page_in_the_layout_with_a_way_back(page: Page, shot: Shot) -> None:
    log_in(page, "manager1")
    page.goto("/customers/")
    page.goto("/customers/999999/")
    expect(page.locator("[data-testid=error-status]")).to_have_text("404")
    expect(page.locator("h2.page-title")).to_have_text("找不到页面")
    expect(page.locator("[data-testid=error-message]")).to_contain_text("不存在")
    expect(page.locator("#sidebar")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^找不到页面 · Salesflow$"))
    shot(page)
    page.click("[data-testid=error-back]")
    expect(page).to_have_url(re.compile(r"/customers/$"))


def test_not_found_and_forbidden_pages_on_the_phone(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    log_in(page, "rep1")
    page.goto("/no-such-page/")
    expect(page.locator("[data-testid=error-status]")).to_have_text("404")
    expect(page.locator("nav.sf-tabbar")).to_be_visible()
    _no_horizontal_overflow(page)
    shot(page, "404")
    page.goto("/settings/forms/")
    expect(page.locator("[data-testid=error-status]")).to_have_text("403")
    expect(page.locator("[data-testid=error-message]")).to_have_text("只有运营管理员可以管理网站表单")
    _no_horizontal_overflow(page)
    shot(page, "403")
    page.click("[data-testid=error-home]")
    expect(page).to_have_url(re.compile(r"/today/$"))


def _in_first_contact(rep: User, title: str, *, since: datetime) -> Opportunity:
    customer = customers.customer_create(name=f"{title}医院", actor=None, owner=rep, now=since)
    opportunity = services.opportunity_create(
        customer=customer, title=title, pipeline="standard", owner=rep, actor=rep, now=since
    )
    return services.opportunity_advance(
        opportunity=opportunity, to_stage="first_contact", actor=rep, now=since
    )


def _long_in_first_contact(rep: User) -> Opportunity:
    """The team left 初步接触 after 2 and 4 days; this one entered it 60 days ago."""
    then = clock.now() - timedelta(days=60)
    for days in (2, 4):
        done = _in_first_contact(rep, f"历史商机{days}", since=then)
        Evidence.objects.create(
            opportunity=done,
            stage="first_contact",
            requirement="x",
            kind="document",
            uploaded_by=rep,
            uploaded_at=then,
        )
        services.opportunity_advance(
            opportunity=done,
            to_stage="lead_registered",
            reason="回退",
            actor=rep,
            now=then + timedelta(days=days),
        )
    return _in_first_contact(rep, "内镜耗材年度采购", since=then)


def _check_opportunity_page(page: Page, rep: User, opportunity: Opportunity) -> None:
    page.goto(f"/opportunities/{opportunity.pk}/")
    expect(page.locator("[data-testid=comparison]")).to_contain_text(
        f"{rep.display_name}在本阶段已落后团队均值"
    )
    expect(page.locator("[data-testid=comparison]")).not_to_contain_text("你")
    select = page.locator("[data-testid=advance-select]")
    expect(select).to_have_value("needs_confirmed")


def test_manager_reads_the_owner_by_name_and_advance_goes_forward(page: Page, shot: Shot) -> None:
    rep = User.objects.get(username="rep1")
    opportunity = _long_in_first_contact(rep)
    log_in(page, "manager1")
    _check_opportunity_page(page, rep, opportunity)
    shot(page)


def test_opportunity_page_on_the_phone(phone_page: Page, shot: Shot) -> None:
    rep = User.objects.get(username="rep1")
    opportunity = _long_in_first_contact(rep)
    log_in(phone_page, "manager1")
    _check_opportunity_page(phone_page, rep, opportunity)
    shot(phone_page)


def test_server_error_page_looks_like_the_product(page: Page, shot: Shot, settings: Any) -> None:
    # The unit tests' URLconf adds /boom/, a view that fails as a locked database would.
    settings.ROOT_URLCONF = "salesflow.core.tests.test_error_pages"
    log_in(page, "manager1")
    response = page.goto("/boom/")
    assert response is not None and response.status == 500
    expect(page.locator("[data-testid=error-status]")).to_have_text("500")
    expect(page.locator("body")).to_contain_text("服务器出错了")
    expect(page.locator("[data-testid=error-home]")).to_be_visible()
    shot(page)
    page.set_viewport_size({"width": 390, "height": 844})
    _no_horizontal_overflow(page)
    shot(page, "phone")
