"""The foundation's journeys: log in, 今日, language switch, a record's timeline and history."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from salesflow.org.models import User
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_manager_logs_in_and_sees_today_in_chinese(page: Page) -> None:
    log_in(page, "manager1")
    expect(page).to_have_url(re.compile(r"/today/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h2.page-title")).to_contain_text("今日待办")
    sidebar = page.locator("#sidebar")
    for label in ["今日", "线索", "客户", "商机", "工单", "看板", "设置"]:
        expect(sidebar.get_by_text(label, exact=True)).to_be_visible()
    expect(page.locator("#todos")).to_be_visible()
    screenshot(page, "today-zh")


def test_language_switch_to_english_and_back(page: Page) -> None:
    log_in(page, "manager1")
    page.click("#user-menu")
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#sidebar").get_by_text("Today", exact=True)).to_be_visible()
    expect(page.locator("#sidebar").get_by_text("Leads", exact=True)).to_be_visible()
    screenshot(page, "today-en")
    page.click("#user-menu")
    page.select_option("#language-select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#sidebar").get_by_text("今日", exact=True)).to_be_visible()


def test_record_page_shows_timeline_and_history(page: Page) -> None:
    log_in(page, "manager1")
    page.click("[data-nav=settings] >> nth=0")
    expect(page.locator("[data-testid=org-table]")).to_contain_text("上海一组")
    rep1 = User.objects.get(username="rep1")
    page.click(f"a[href='/settings/users/{rep1.pk}/']")
    expect(page.locator("h2.page-title")).to_contain_text(rep1.display_name)
    page.click("#tab-link-timeline")
    expect(page.locator("[data-testid=timeline]")).to_contain_text("创建用户")
    page.click("#tab-link-history")
    expect(page.locator("[data-testid=history]")).to_contain_text("username")
    screenshot(page, "user-history")


def test_phone_shows_bottom_tab_bar(browser: Browser, live_server: LiveServer, demo_company: None) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        base_url=str(live_server.url),
    )
    phone = context.new_page()
    log_in(phone, "rep1")
    expect(phone.locator("nav.sf-tabbar")).to_be_visible()
    expect(phone.locator("#sidebar")).to_be_hidden()
    screenshot(phone, "today-phone")
    context.close()


def test_wrong_password_stays_on_login_and_logout_returns_there(page: Page) -> None:
    log_in(page, "manager1", "wrong-password")
    expect(page.locator(".alert-danger")).to_contain_text("用户名或密码错误")
    expect(page).to_have_url(re.compile(r"/login/$"))
    log_in(page, "manager1")
    page.click("#user-menu")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.goto("/today/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/today/"))
