"""The 客户 / 线索 / 商机 lists on a 390×844 phone (cards, filter sheet, paging) and on a desktop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

# (path, what the total says, the cards' test id)
LISTS = (
    ("/customers/", "位客户", "customer-card"),
    ("/leads/", "条线索", "lead-card"),
    ("/opportunities/list/?status=all", "个商机", "opportunity-card"),
)

# Names, companies and the page title: each element's rendered width against 4 characters.
NARROW_TEXT = """() => {
  const out = [];
  const selector = '.sf-list-card .sf-name, .sf-list-card .sf-card-meta, .page-title';
  for (const el of document.querySelectorAll(selector)) {
    if (!el.offsetParent) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const chars = Math.min(4, el.textContent.trim().length);
    const box = el.getBoundingClientRect();
    if (box.width < chars * size - 1) out.push(el.textContent.trim() + ' ' + box.width + 'px');
  }
  return out;
}"""
TALL_TITLE = """() => {
  const el = document.querySelector('.page-title');
  const line = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.5;
  return el.getBoundingClientRect().height > 2.2 * line;
}"""


def _no_overflow(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(NARROW_TEXT) == []
    assert page.evaluate(TALL_TITLE) is False


def _open_sheet(page: Page) -> None:
    """Tap 筛选 and wait until the sheet has slid up inside the screen."""
    page.click("[data-testid=filter-button]")
    sheet = page.locator("#list-filters.show")
    expect(sheet).to_be_visible()
    page.wait_for_function(
        "() => { const r = document.querySelector('#list-filters').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight + 1 && r.height > 100; }"
    )
    page.wait_for_timeout(350)  # the slide's transition, for the screenshot


def _total(page: Page, noun: str) -> int:
    text = page.locator("[data-testid=list-total]").inner_text()
    found = re.search(rf"共 (\d+) {noun}", text)
    assert found, text
    return int(found.group(1))


def test_the_three_lists_are_cards_on_a_phone_with_call_follow_up_and_paging(
    phone_page: Page, shot: Shot
) -> None:
    page = phone_page
    log_in(page, "rep1")
    expect(page).to_have_url(re.compile(r"/today/$"))
    for path, noun, card in LISTS:
        page.goto(path)
        name = card.split("-")[0]
        expect(page.locator(f"[data-testid={name}-table]")).to_be_hidden()
        cards = page.locator(f"[data-testid={card}]")
        expect(cards.first).to_be_visible()
        total = _total(page, noun)
        assert total >= 1
        _no_overflow(page, 390)
        # Every card: a light and a name; the call links dial the primary phone.
        assert cards.count() == min(total, 50)
        assert cards.locator(".sf-light").count() == cards.count()
        calls = page.locator(f"[data-testid={card}] [data-testid=call]")
        assert calls.count() >= 1, f"no tel: link on {path}"
        assert re.fullmatch(r"tel:\+?[\d]{6,}", calls.first.get_attribute("href") or "")
        follow_up = page.locator(f"[data-testid={card}] [data-testid=follow-up]")
        assert follow_up.count() >= 1 and "#log-activity" in (follow_up.first.get_attribute("href") or "")
        shot(page, name)

        # Filters fold into a sheet opened by 筛选.
        sheet = page.locator("#list-filters")
        expect(sheet.locator("[data-testid=filter-light]")).to_be_hidden()
        _open_sheet(page)
        expect(sheet.locator("[data-testid=filter-light]")).to_be_visible()
        _no_overflow(page, 390)
        shot(page, f"{name}-filters")
        sheet.locator("[data-testid=filter-light]").select_option("red")
        sheet.get_by_role("button", name="筛选").click()
        expect(page).to_have_url(re.compile(r"light=red"))
        for light in page.locator(f"[data-testid={card}] .sf-light").all():
            assert light.get_attribute("data-light") == "red"

        # Small pages reach the last one, which says the same total.
        page.goto(f"{path}{'&' if '?' in path else '?'}limit=4")
        seen = cards.count()
        while page.locator("[data-testid=page-next]").count():
            page.click("[data-testid=page-next]")
            # Count only once the next page is there (mid-navigation the old or no cards show).
            expect(page.locator("[data-testid=page-range]")).to_contain_text(f"第 {seen + 1}–")
            seen += cards.count()
            _no_overflow(page, 390)
        assert seen == total
        expect(page.locator("[data-testid=page-range]")).to_contain_text(f"共 {total} 条")
        shot(page, f"{name}-last-page")


def test_a_manager_on_a_phone_filters_by_owner_and_team_in_the_sheet(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    log_in(page, "manager1")
    page.goto("/customers/")
    total = _total(page, "位客户")
    _open_sheet(page)
    owner = page.locator("[data-testid=filter-owner]")
    expect(owner).to_be_visible()
    expect(page.locator("[data-testid=filter-team]")).to_be_visible()
    _no_overflow(page, 390)
    shot(page, "sheet")
    first_person = owner.locator("option").nth(2)
    person = first_person.inner_text()
    owner.select_option(first_person.get_attribute("value"))
    page.locator("#list-filters").get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"owner=\d+"))
    narrowed = _total(page, "位客户")
    assert narrowed <= total
    for meta in page.locator("[data-testid=customer-card] .sf-card-meta").all()[:10]:
        assert person in meta.inner_text()
    _no_overflow(page, 390)
    shot(page, "narrowed")


def test_on_a_desktop_the_lists_are_sortable_tables_with_exact_amounts(page: Page, shot: Shot) -> None:
    log_in(page, "manager1")
    page.goto("/customers/")
    table = page.locator("[data-testid=customer-table]")
    expect(table).to_be_visible()
    expect(page.locator("[data-testid=customer-cards]")).to_be_hidden()
    expect(page.locator("[data-testid=filter-button]")).to_be_hidden()
    expect(page.locator("[data-testid=filter-owner]")).to_be_visible()
    expect(page.locator("[data-testid=export]")).to_be_visible()
    # Red first by default: no row's light is more urgent than the one above it.
    order = ["red", "yellow", "green", "grey"]
    lights = [order.index(x.get_attribute("data-light") or "grey") for x in table.locator(".sf-light").all()]
    assert lights == sorted(lights)
    _no_overflow(page, 1366)
    shot(page, "customers")

    table.locator("[data-sort=name]").click()
    expect(page).to_have_url(re.compile(r"sort=name"))
    names = [n.inner_text() for n in page.locator("[data-testid=customer-table] .sf-name").all()]
    assert len(names) > 1
    table = page.locator("[data-testid=customer-table]")
    table.locator("[data-sort=name]").click()
    expect(page).to_have_url(re.compile(r"sort=-name"))
    reversed_names = [n.inner_text() for n in page.locator("[data-testid=customer-table] .sf-name").all()]
    assert reversed_names[0] != names[0]
    # The export link carries the filters the list shows.
    page.goto("/customers/?light=red")
    assert "light=red" in (page.locator("[data-testid=export]").get_attribute("href") or "")

    page.goto("/leads/")
    expect(page.locator("[data-testid=lead-table]")).to_be_visible()
    _no_overflow(page, 1366)
    shot(page, "leads")

    page.goto("/opportunities/")
    expect(page.locator("[data-testid=column-sum]").first).to_contain_text("¥")
    page.click("[data-testid=view-list]")
    expect(page).to_have_url(re.compile(r"/opportunities/list/"))
    opportunities = page.locator("[data-testid=opportunity-table]")
    expect(opportunities).to_be_visible()
    assert re.search(r"¥[\d,]+\.\d\d", opportunities.inner_text())
    expect(page.locator("[data-testid=list-amount]")).to_contain_text("¥")
    _no_overflow(page, 1366)
    shot(page, "opportunities")
