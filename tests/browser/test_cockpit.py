"""看板: a manager opens the cockpit on the demo company, sees the funnel drawn, clicks a funnel
number and lands on its records; the same page on a phone stays inside the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import INK, Shot, log_in, wait_for_ink

pytestmark = pytest.mark.browser


# Non-transparent pixels of a chart's canvas: an empty ECharts canvas has none.
def _biggest_funnel_number(page: Page) -> tuple[str, int]:
    """The stage whose 进入 count is largest, and that count (read from the stage table)."""
    counts = {}
    for link in page.locator("[data-testid^=entered-]").all():
        code = (link.get_attribute("data-testid") or "").removeprefix("entered-")
        counts[code] = int(link.inner_text())
    stage = max(counts, key=lambda c: counts[c])
    return stage, counts[stage]


def test_manager_sees_the_funnel_and_drills_into_a_stage(page: Page, shot: Shot) -> None:
    log_in(page, "manager1")
    page.locator("#sidebar [data-nav=dashboards]").click()
    expect(page).to_have_url(re.compile(r"/dashboards/$"))
    expect(page.locator(".page-title")).to_contain_text("团队看板")
    # The demo's history is the last month; early in a calendar month 本月 holds little of it.
    page.locator("[data-testid=period-presets] a", has_text="近 30 天").click()
    expect(page.locator("[data-testid=period-presets] a.btn-primary")).to_have_text("近 30 天")
    expect(page.locator("[data-testid=funnel-chart] canvas")).to_be_visible()
    wait_for_ink(page, "[data-testid=funnel-chart]", 500)
    assert page.evaluate(INK, "[data-testid=dwell-chart]") > 500
    # The manager's table lists the team's reps.
    expect(page.locator("[data-testid=rep-rows] tbody tr")).not_to_have_count(0)
    shot(page, "desktop")
    stage, count = _biggest_funnel_number(page)
    assert count > 0, "the demo month should have opportunities entering a stage"
    page.locator(f"[data-testid=entered-{stage}]").click()
    expect(page).to_have_url(re.compile(r"/dashboards/drill/\?.*metric=entered"))
    expect(page.locator("[data-testid=drill-row]")).to_have_count(min(count, 100))
    expect(page.locator("[data-testid=drill-count]")).to_contain_text(str(count))
    # Names and local dates, no codes.
    table = page.locator("[data-testid=drill-table]").inner_text()
    assert stage not in table and re.search(r"\d{4}-\d{2}-\d{2}", table)
    expect(page.locator("[data-testid=drill-export]")).to_have_attribute("href", re.compile("export.xlsx"))
    shot(page, "drill")


def test_clicking_a_funnel_bar_opens_its_records(page: Page) -> None:
    log_in(page, "manager1")
    page.goto("/dashboards/")
    page.locator("[data-testid=period-presets] a", has_text="近 30 天").click()
    wait_for_ink(page, "[data-testid=funnel-chart]", 500)
    _stage, count = _biggest_funnel_number(page)
    data = page.evaluate("JSON.parse(document.getElementById('cockpit-chart-data').textContent).funnel")
    index = data["entered"].index(count)
    box = page.locator("[data-testid=funnel-chart] canvas").bounding_box()
    assert box
    # The bars are horizontal, one row per stage from the top; click inside the longest one.
    chart = page.locator("[data-testid=funnel-chart]")
    bar = chart.evaluate(
        "(el, i) => { const c = echarts.getInstanceByDom(el); "
        "return c.convertToPixel({seriesIndex: 0}, [c.getOption().series[0].data[i] / 2, i]); }",
        index,
    )
    page.mouse.click(box["x"] + bar[0], box["y"] + bar[1])
    expect(page).to_have_url(
        re.compile(rf"/dashboards/drill/\?.*stage={data['urls'][index].split('stage=')[1]}")
    )
    expect(page.locator("[data-testid=drill-count]")).to_contain_text(str(count))


def test_cockpit_fits_a_phone(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    log_in(page, "manager1")
    page.goto("/dashboards/")
    page.locator("[data-testid=period-presets] a", has_text="近 30 天").click()
    wait_for_ink(page, "[data-testid=funnel-chart]", 500)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    tiles = page.locator("[data-testid=kpi-tiles] .card").all()
    assert len(tiles) == 6
    first, second, third = (t.bounding_box() for t in tiles[:3])
    assert first and second and third
    assert third["y"] > first["y"]  # two tiles a row: they stack
    # Wide tables scroll inside their own card.
    for selector in (
        "[data-testid=funnel-chart]",
        "[data-testid=stage-table] >> xpath=..",
        "[data-testid=rep-rows]",
    ):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, selector
    shot(page, "phone")
    stage, _count = _biggest_funnel_number(page)
    page.locator(f"[data-testid=entered-{stage}]").click()
    expect(page.locator("[data-testid=drill-row]").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "phone-drill")


def test_gm_sees_the_company_by_team_with_a_dwell_distribution(page: Page, shot: Shot) -> None:
    log_in(page, "gm")
    page.goto("/dashboards/")
    expect(page.locator(".page-title")).to_contain_text("公司看板")
    page.locator("[data-testid=period-presets] a", has_text="近 30 天").click()
    wait_for_ink(page, "[data-testid=dwell-chart]", 500)
    dwell = page.evaluate("JSON.parse(document.getElementById('cockpit-chart-data').textContent).dwell")
    medians = next(s["values"] for s in dwell["series"] if s["name"] == "P50")
    assert any(v is not None and v > 0 for v in medians), "the demo month should have finished stays"
    expect(page.locator("[data-testid=team-rows] tbody tr")).not_to_have_count(0)
    expect(page.locator("[data-testid=team-rows]")).to_contain_text("上海一组")
    shot(page, "company")
