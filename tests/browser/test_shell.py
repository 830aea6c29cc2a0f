"""The foundation's journeys: log in, 今日, language switch, a record's tabs, phone, log out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from salesflow.org.models import User
from tests.browser.conftest import Shot, log_in, rendered_fonts

pytestmark = pytest.mark.browser

NAV_ZH = ["今日", "线索", "客户", "商机", "报价", "合同", "工单", "日历", "看板", "审批", "战报", "设置"]
NAV_EN = [
    "Today",
    "Leads",
    "Customers",
    "Opportunities",
    "Quotes",
    "Contracts",
    "Work orders",
    "Calendar",
    "Dashboards",
    "Approvals",
    "Battle report",
    "Settings",
]
# The phone's tab bar: five modules; 设置 is in the user menu.
TABS_ZH = ["今日", "线索", "客户", "商机", "看板"]
CJK_FONTS = {"Noto Sans CJK SC", "Noto Sans CJK", "PingFang SC", "Microsoft YaHei"}


def switch_language(page: Page, code: str) -> None:
    """Pick a language in the user menu's select (the form posts to /i18n/setlang/ on change)."""
    page.click("#user-menu")
    expect(page.locator("#language-select")).to_be_visible()
    with page.expect_navigation():
        page.select_option("#language-select", code)


def test_manager_logs_in_and_lands_on_today_in_chinese(page: Page, shot: Shot) -> None:
    log_in(page, "manager1")

    expect(page).to_have_url(re.compile(r"/today/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_title(re.compile(r"^今日 · Salesflow$"))
    manager = User.objects.get(username="manager1")
    expect(page.locator("h2.page-title")).to_have_text(f"{manager.display_name}，今日待办")
    sidebar = page.locator("#sidebar")
    expect(sidebar.locator(".nav-link-title")).to_have_text(NAV_ZH)
    expect(sidebar.locator("li.nav-item.active")).to_have_text("今日")
    expect(page.locator("nav.sf-tabbar")).to_be_hidden()
    expect(page.locator("#user-menu")).to_contain_text(manager.display_name)
    expect(page.locator("#todos")).to_be_visible()
    expect(page.locator("#notifications")).to_be_visible()
    # Chinese is drawn with a CJK font (not boxes) and the Tabler icon font loaded.
    assert rendered_fonts(page, "h2.page-title") & CJK_FONTS
    assert rendered_fonts(page, "#sidebar [data-nav=today] i.ti") == {"tabler-icons"}
    shot(page)


def test_language_switches_to_english_in_the_user_menu_and_back(page: Page, shot: Shot) -> None:
    log_in(page, "manager1")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.click("#user-menu")
    expect(page.locator("#language-select")).to_be_visible()
    shot(page, "menu")
    page.click("#user-menu")  # close it again; switch_language opens it

    switch_language(page, "en")
    expect(page).to_have_url(re.compile(r"/today/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#sidebar .nav-link-title")).to_have_text(NAV_EN)
    expect(page.locator("h2.page-title")).to_contain_text("today's to-dos")
    expect(page.locator("body")).not_to_contain_text("今日待办")
    shot(page, "en")

    # The choice sticks for the next page.
    page.click("#sidebar [data-nav=settings]")
    expect(page).to_have_url(re.compile(r"/settings/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#sidebar li.nav-item.active")).to_have_text("Settings")

    switch_language(page, "zh-hans")
    expect(page).to_have_url(re.compile(r"/settings/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#sidebar .nav-link-title")).to_have_text(NAV_ZH)
    expect(page.locator("#language-select")).to_have_value("zh-hans")


def test_own_record_shows_timeline_and_history_tabs(page: Page, shot: Shot) -> None:
    me = User.objects.get(username="manager1")
    log_in(page, "manager1")
    expect(page).to_have_url(re.compile(r"/today/$"))

    page.click("#sidebar [data-nav=settings]")
    expect(page).to_have_url(re.compile(r"/settings/$"))
    assert me.team is not None
    expect(page.locator("[data-testid=org-table]")).to_contain_text(me.team.name)
    shot(page, "settings")
    page.click(f"[data-testid=org-table] a[href='/settings/users/{me.pk}/']")
    expect(page).to_have_url(re.compile(rf"/settings/users/{me.pk}/$"))
    expect(page.locator("h2.page-title")).to_contain_text(me.display_name)
    expect(page.locator("h2.page-title")).to_contain_text("@manager1")
    # Neither tab has loaded yet: they load when they come into view.
    expect(page.locator("#tab-timeline")).to_contain_text("加载中")
    expect(page.locator("#tab-history")).to_contain_text("加载中")

    with page.expect_response(re.compile(rf"/records/user/{me.pk}/timeline/$")) as timeline_response:
        page.click("#tab-link-timeline")
    assert timeline_response.value.status == 200
    timeline = page.locator("#tab-timeline [data-testid=timeline]")
    expect(timeline).to_be_visible()
    expect(timeline.locator(".timeline-event").first).to_be_visible()
    expect(timeline).to_contain_text("创建用户")
    shot(page, "timeline")

    with page.expect_response(re.compile(rf"/records/user/{me.pk}/history/$")) as history_response:
        page.click("#tab-link-history")
    assert history_response.value.status == 200
    history = page.locator("#tab-history [data-testid=history]")
    expect(history).to_be_visible()
    expect(page.locator("#tab-timeline")).to_be_hidden()
    rows = history.locator("tbody tr")
    assert rows.count() >= 5
    username_row = rows.filter(has=page.locator("td", has_text=re.compile(r"^用户名$")))
    expect(username_row.locator("td").last).to_have_text("manager1")
    shot(page, "history")


def test_phone_shows_bottom_tab_bar_instead_of_sidebar(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    log_in(page, "rep1")
    expect(page).to_have_url(re.compile(r"/today/$"))

    tabbar = page.locator("nav.sf-tabbar")
    expect(tabbar).to_be_visible()
    expect(tabbar.locator(".sf-tab")).to_have_text(TABS_ZH)
    expect(tabbar.locator(".sf-tab.active")).to_have_text("今日")
    expect(page.locator("#sidebar")).to_be_hidden()
    # Nothing wider than the screen, and the tab bar sits at the bottom edge.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = tabbar.bounding_box()
    assert box is not None and abs(box["y"] + box["height"] - 844) <= 1
    shot(page)

    page.locator("#user-menu").click()
    page.get_by_test_id("menu-settings").click()
    expect(page).to_have_url(re.compile(r"/settings/$"))
    expect(tabbar.locator(".sf-tab.active")).to_have_count(0)
    expect(page.locator("#sidebar")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The directory is taller than the screen: scrolled to the end, its card ends above the
    # fixed tab bar instead of disappearing under it.
    assert page.evaluate("document.documentElement.scrollHeight") > 844
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last_card = page.locator(".page-body .card").last.bounding_box()
    assert last_card is not None and last_card["y"] + last_card["height"] <= box["y"]
    shot(page, "settings")


def test_wrong_password_is_refused_and_logout_returns_to_login(page: Page, shot: Shot) -> None:
    log_in(page, "manager1", "wrong-password")
    expect(page.locator(".alert-danger")).to_have_text("用户名或密码错误，请重试。")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator("#id_username")).to_have_value("manager1")
    expect(page.locator("#user-menu")).to_have_count(0)
    shot(page, "refused")
    page.goto("/today/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/today/$"))

    log_in(page, "manager1")
    expect(page).to_have_url(re.compile(r"/today/$"))
    page.click("#user-menu")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator("#login-submit")).to_be_visible()
    expect(page.locator("#user-menu")).to_have_count(0)
    shot(page, "logged-out")
    page.goto("/today/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/today/$"))
