"""Hardening seen from the browser: pages and API docs work under the strict policy; the throttle speaks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

PAGES = [
    "/today/",
    "/leads/",
    "/leads/pool/",
    "/customers/",
    "/opportunities/",
    "/notifications/",
    "/settings/",
    "/settings/rules/",
    "/settings/rules/new/",
    "/settings/channels/",
    "/settings/import/",
    "/settings/calendar/",
    "/settings/forms/",
    "/no-such-page/",
]


def test_pages_and_api_docs_load_with_nothing_blocked(page: Page, shot: Shot) -> None:
    # The `page` fixture fails the test if the console reports anything the policy blocked.
    log_in(page, "director1")
    for url in PAGES:
        page.goto(url)
        expect(page.locator("body")).to_be_visible()
    page.goto("/customers/")
    page.locator("table a[href^='/customers/']").first.click()
    expect(page.locator("h2.page-title")).to_be_visible()
    page.goto("/api/docs")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Salesflow")
    shot(page, "api-docs")


def test_the_login_page_says_when_too_many_attempts_failed(page: Page, shot: Shot) -> None:
    for _ in range(5):
        log_in(page, "rep1", "wrong-password")
        expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码错误，请重试。")
    log_in(page, "rep1")  # the right password, too late
    expect(page.get_by_test_id("login-error")).to_contain_text("登录失败次数过多")
    shot(page)
