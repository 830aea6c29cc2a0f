"""The shell by role and screen: a tab bar that fits a phone, search with suggestions, the record
page's sticky action bar, and the 设置 tabs a director can use."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from salesflow.core.context_processors import settings_tabs_for
from salesflow.customers import services as customers
from salesflow.leads import services as leads
from salesflow.leads.models import Lead
from salesflow.org.models import User
from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

TABS_ZH = ["今日", "线索", "客户", "商机", "看板"]  # 设置 is in the user menu on a phone
NO_MATCH = "没有找到与「无此医院」匹配的线索、客户、联系人或商机"

# Elements reaching past the viewport's edges, except inside a sideways-scrolling container.
OVERFLOWING_JS = """
() => Array.from(document.querySelectorAll('body *')).filter((el) => {
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return false;
  if (el.closest('.overflow-auto, .table-responsive, .sf-board')) return false;
  return box.right > window.innerWidth + 1 || box.left < -1;
}).map((el) => el.tagName.toLowerCase() + '.' + String(el.className).replace(/ +/g, '.')).slice(0, 5)
"""


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    assert page.evaluate(OVERFLOWING_JS) == []


def _rep_lead(username: str = "rep1") -> Lead:
    rep = User.objects.get(username=username)
    return leads.lead_create(
        name="瑞康张主任", phone="13911112222", company="瑞康眼科医院", owner=rep, actor=None
    )


def test_phone_tab_bar_fits_and_search_page_suggests(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    lead = _rep_lead()
    log_in(page, "rep1")
    tabbar = page.locator("nav.sf-tabbar")
    expect(tabbar.locator(".sf-tab")).to_have_text(TABS_ZH)
    # Every label on one line, inside its own tab and inside the screen.
    for tab in tabbar.locator(".sf-tab").all():
        label = tab.locator("span").bounding_box()
        box = tab.bounding_box()
        assert label and box and label["height"] < 24 and label["width"] <= box["width"] + 0.5
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    _fits(page)
    shot(page, "today")

    page.click("#phone-search")
    expect(page).to_have_url(re.compile(r"/search/$"))
    search = page.locator("#page-search")
    expect(search).to_be_focused()
    search.press_sequentially("瑞康", delay=50)
    menu = page.locator("[data-testid=search-suggestions-menu]")
    expect(menu.locator(".dropdown-header").first).to_have_text("线索")
    expect(menu.locator(f"a[href='/leads/{lead.pk}/']")).to_contain_text("瑞康眼科医院")
    _fits(page)
    shot(page, "suggestions")

    search.fill("")
    search.press_sequentially("无此医院", delay=30)
    expect(page.locator("[data-testid=search-suggestions] [data-testid=search-empty]")).to_have_text(NO_MATCH)
    search.press("Enter")
    expect(page.locator("[data-testid=search-results] [data-testid=search-empty]")).to_contain_text(NO_MATCH)
    _fits(page)
    shot(page, "no-match")


def test_desktop_top_bar_suggests_as_one_types_grouped_by_kind(page: Page, shot: Shot) -> None:
    lead = _rep_lead()
    customer = customers.customer_create(name="瑞康口腔医院", owner=lead.owner, actor=None)
    log_in(page, "manager1")  # rep1's manager
    box = page.locator("header #top-search")
    box.press_sequentially("瑞", delay=30)
    page.wait_for_timeout(600)
    # One character suggests nothing yet.
    expect(page.locator("[data-testid=search-suggestions-menu]")).to_have_count(0)
    box.press_sequentially("康", delay=30)
    menu = page.locator("header [data-testid=search-suggestions-menu]")
    expect(menu.locator(".dropdown-header")).to_have_text(["线索", "客户"])
    expect(menu.locator(f"a[href='/customers/{customer.pk}/']")).to_contain_text(str(lead.owner))
    shot(page, "suggestions")
    menu.locator(f"a[href='/leads/{lead.pk}/']").click()
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))

    box = page.locator("header #top-search")
    box.press_sequentially("无此医院", delay=30)
    expect(page.locator("header [data-testid=search-empty]")).to_have_text(NO_MATCH)
    page.keyboard.press("Escape")
    expect(page.locator("header [data-testid=search-suggestions-menu]")).to_have_count(0)
    shot(page, "closed")


def test_a_rep_of_another_team_finds_nothing_of_it(page: Page) -> None:
    lead = _rep_lead()
    assert lead.owner is not None
    stranger = User.objects.filter(role="rep").exclude(team=lead.owner.team).order_by("pk").first()
    assert stranger is not None
    log_in(page, stranger.username)
    page.locator("header #top-search").press_sequentially("瑞康张", delay=30)
    expect(page.locator("header [data-testid=search-empty]")).to_be_visible()
    expect(page.locator(f"a[href='/leads/{lead.pk}/']")).to_have_count(0)


def test_sticky_action_bar_on_a_lead_page_without_scrolling(phone_page: Page, page: Page, shot: Shot) -> None:
    lead = _rep_lead()
    log_in(phone_page, "rep1")
    phone_page.goto(f"/leads/{lead.pk}/")
    bar = phone_page.locator("[data-testid=action-bar]")
    expect(bar).to_be_visible()
    expect(bar.locator("a")).to_have_text(["拨打", "记录跟进", "转化"])
    assert phone_page.evaluate("window.scrollY") == 0
    box, tabbar = bar.bounding_box(), phone_page.locator("nav.sf-tabbar").bounding_box()
    assert box and tabbar and box["y"] > 0 and box["y"] + box["height"] <= tabbar["y"] + 0.5
    _fits(phone_page)
    shot(phone_page, "phone")
    bar.get_by_text("记录跟进").click()
    form = phone_page.locator("#log-activity")
    expect(form.locator("#save-activity")).to_be_in_viewport()
    shot(phone_page, "phone-log")

    # On the desktop the actions stay in the page's right column; no bar.
    log_in(page, "rep1")
    page.goto(f"/leads/{lead.pk}/")
    expect(page.locator("[data-testid=action-bar]")).to_be_hidden()
    expect(page.locator("#convert-button")).to_be_visible()


def test_director_sees_the_settings_tabs_he_can_use(page: Page, phone_page: Page, shot: Shot) -> None:
    director = User.objects.get(username="director1")
    usable = [str(tab.label) for tab in settings_tabs_for(director)]
    assert "导入" in usable and "分单规则" in usable and "网站表单" not in usable
    log_in(page, "director1")
    expect(page.locator("[data-testid=today-start]")).to_contain_text("看板上线后")
    shot(page, "today")
    page.click("#sidebar [data-nav=settings]")
    tabs = page.locator("[data-testid=settings-tabs] a")
    expect(tabs).to_have_text(usable)
    expect(page.locator("[data-testid=settings-usable]")).to_contain_text("从 Excel 导入")
    shot(page, "settings")
    tabs.get_by_text("导入", exact=True).click()
    expect(page).to_have_url(re.compile(r"/settings/import/$"))
    # A page he cannot use says why.
    page.goto("/settings/forms/")
    expect(page.locator("body")).to_contain_text("只有运营管理员可以管理网站表单")

    log_in(phone_page, "director1")
    phone_page.goto("/settings/")
    expect(phone_page.locator("[data-testid=settings-tabs] a")).to_have_text(usable)
    _fits(phone_page)
    shot(phone_page, "phone-settings")
