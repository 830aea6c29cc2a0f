"""日历 on the demo company: a manager opens their team's week on a desktop and subscribes to
their own feed (the URL shown once answers iCalendar); a rep reads their days on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_manager_opens_the_team_week_and_subscribes(page: Page, shot: Shot) -> None:
    log_in(page, "manager1")
    page.locator("#sidebar [data-nav=calendar]").click()
    expect(page).to_have_url(re.compile(r"/calendar/$"))
    expect(page.locator("[data-testid=calendar-day]")).to_have_count(7)
    page.select_option("#f-team", index=1)  # autosubmits
    expect(page).to_have_url(re.compile(r"team=\d+"))
    entries = page.locator("[data-testid=calendar-entry]")
    expect(entries.first).to_be_visible()
    # Labels, not codes; each entry links to its record.
    expect(entries.first).to_contain_text(re.compile("拜访|会议|报价到期|待办截止"))
    assert entries.first.get_attribute("href", timeout=1000)
    shot(page, "team-week")
    page.locator("[data-testid=next-week]").click()
    expect(page).to_have_url(re.compile(r"start=\d{4}-\d{2}-\d{2}"))
    expect(page).to_have_url(re.compile(r"team=\d+"))

    page.locator("[data-testid=feed-reset]").click()
    url = page.locator("[data-testid=feed-url]").input_value()
    assert re.search(r"/cal/[\w-]{20,}\.ics$", url)
    feed = page.request.get(url)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert feed.text().startswith("BEGIN:VCALENDAR")
    shot(page, "feed-shown-once")
    page.goto("/calendar/")
    expect(page.locator("[data-testid=feed-url]")).to_have_count(0)
    expect(page.locator("[data-testid=feed-state]")).to_contain_text("订阅地址创建于")
    assert page.evaluate(NO_OVERFLOW)


def test_rep_reads_the_coming_days_on_a_phone(phone_page: Page, shot: Shot) -> None:
    log_in(phone_page, "rep1")
    phone_page.locator("#user-menu").click()
    phone_page.locator("[data-testid=menu-calendar]").click()
    expect(phone_page).to_have_url(re.compile(r"/calendar/$"))
    expect(phone_page.locator("[data-testid=calendar-entry]").first).to_be_visible()
    # A rep has no person or team picker: their own calendar only.
    expect(phone_page.locator("#f-user")).to_have_count(0)
    expect(phone_page.locator("#f-team")).to_have_count(0)
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone")
