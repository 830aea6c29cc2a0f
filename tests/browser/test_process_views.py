"""过程热力图 and 个人效率 on the demo company: a manager opens the heatmap from the cockpit's
tabs, clicks its fullest cell and lands on that cell's actions; the efficiency page draws the
response-time comparison and the radar; both fit a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

INK = """(selector) => {
  const canvas = document.querySelector(selector + ' canvas');
  if (!canvas) return -1;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
  return ink;
}"""


def _click_fullest_cell(page: Page) -> int:
    """Click the heatmap cell with the most actions; its count."""
    data = page.evaluate("JSON.parse(document.getElementById('heatmap-chart-data').textContent)")
    x, y, count = max(data["cells"], key=lambda c: c[2])
    assert count > 0, "the demo should have evidence-backed actions in the heatmap's weeks"
    chart = page.locator("[data-testid=heatmap-chart]")
    point = chart.evaluate(
        "(el, xy) => echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, xy)", [x, y]
    )
    box = page.locator("[data-testid=heatmap-chart] canvas").first.bounding_box()
    assert box
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    return int(count)


def _open_heatmap(page: Page) -> None:
    log_in(page, "manager1")
    page.goto("/dashboards/")
    page.locator("[data-testid=tab-heatmap]").click()
    expect(page).to_have_url(re.compile(r"/dashboards/heatmap/$"))
    page.wait_for_function(f"({INK})('[data-testid=heatmap-chart]') > 500")


def test_manager_clicks_a_heatmap_cell_and_sees_its_actions(page: Page, shot: Shot) -> None:
    _open_heatmap(page)
    expect(page.locator("[data-testid=heatmap-reps] tbody tr")).not_to_have_count(0)
    shot(page, "desktop")
    count = _click_fullest_cell(page)
    expect(page).to_have_url(re.compile(r"/dashboards/heatmap/actions/\?.*week=\d{4}-\d{2}-\d{2}"))
    expect(page.locator("[data-testid=action-row]")).to_have_count(min(count, 100))
    expect(page.locator("[data-testid=actions-count]")).to_contain_text(str(count))
    table = page.locator("[data-testid=actions-table]").inner_text()
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", table)
    expect(page.locator("[data-testid=actions-export]")).to_have_attribute("href", re.compile("export.xlsx"))
    shot(page, "actions")
    # A rep picked from the table narrows the heatmap to them.
    page.locator("[data-testid=actions-back]").click()
    page.locator("[data-testid=heatmap-reps] tbody a").first.click()
    expect(page.locator("[data-testid=heatmap-reps]")).to_have_count(0)
    page.wait_for_function(f"({INK})('[data-testid=heatmap-chart]') > 500")


def test_efficiency_draws_the_comparison_and_the_radar(page: Page, shot: Shot) -> None:
    log_in(page, "manager1")
    page.goto("/dashboards/")
    page.locator("[data-testid=tab-efficiency]").click()
    expect(page).to_have_url(re.compile(r"/dashboards/efficiency/$"))
    page.wait_for_function(f"({INK})('[data-testid=response-chart]') > 500")
    page.wait_for_function(f"({INK})('[data-testid=radar-chart]') > 500")
    assert page.evaluate(INK, "[data-testid=percentile-chart]") > 500
    expect(page.locator("[data-testid=radar-table] tbody tr")).to_have_count(5)
    assert int(page.locator("[data-testid=eff-assigned]").inner_text()) > 0
    shot(page, "desktop")


def test_process_views_fit_a_phone(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    _open_heatmap(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "heatmap")
    count = _click_fullest_cell(page)
    expect(page.locator("[data-testid=actions-count]")).to_contain_text(str(count))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "actions")
    page.goto("/dashboards/efficiency/")
    page.wait_for_function(f"({INK})('[data-testid=radar-chart]') > 500")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "efficiency")
