"""漏斗数字孪生 on the demo company: a manager opens 预测 from the cockpit's tabs and sees this
week's live process beside the band (drawn), P(miss) and the expected gap; the backtest page
draws past weeks against the actual; both fit a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in, wait_for_ink

pytestmark = pytest.mark.browser


def _open_forecast(page: Page) -> None:
    log_in(page, "manager1")
    page.goto("/dashboards/")
    page.locator("[data-testid=tab-forecast]").click()
    expect(page).to_have_url(re.compile(r"/dashboards/forecast/$"))
    wait_for_ink(page, "[data-testid=forecast-chart]", 2000)


def _band_is_drawn(page: Page) -> dict:
    data = page.evaluate("JSON.parse(document.getElementById('forecast-chart-data').textContent)")
    assert data["any"], "the demo should give the manager's team open deals or signed amount"
    assert len(data["weeks"]) >= 1
    assert all(lo <= mid <= hi for lo, mid, hi in zip(data["low"], data["p50"], data["high"], strict=True))
    # The quarter's last point is the widest: later weeks can only add deals.
    assert data["high"][-1] >= data["high"][0]
    return data


def test_manager_sees_the_live_process_beside_the_band(page: Page, shot: Shot) -> None:
    _open_forecast(page)
    data = _band_is_drawn(page)
    assert data["target"] is not None, "the demo sets this quarter's targets"
    expect(page.locator("[data-testid=forecast-sentence]")).to_contain_text("若维持当前推进速度")
    expect(page.locator("[data-testid=quarter-band]")).to_contain_text("万")
    expect(page.locator("[data-testid=p-miss]")).to_contain_text("%")
    expect(page.locator("[data-testid=live-stages] tbody tr")).not_to_have_count(0)
    expect(page.locator("[data-testid=live-stages]")).to_contain_text("线索登记")
    # The demo's external signal applies to the team's joint deals.
    expect(page.locator("[data-testid=forecast-applied]")).to_contain_text("集采政策公布")
    # No codes or raw numbers without units on the page.
    body = page.locator("body").inner_text()
    assert "lead_registered" not in body and "approval.approved" not in body
    shot(page, "desktop")
    page.locator("[data-testid=backtest-link]").click()
    expect(page).to_have_url(re.compile(r"/dashboards/forecast/backtest/"))
    wait_for_ink(page, "[data-testid=backtest-chart]", 2000)
    expect(page.locator("[data-testid=backtest-table] tbody tr")).to_have_count(12)
    expect(page.locator("[data-testid=backtest-coverage]")).to_contain_text("%")
    shot(page, "backtest")


def test_the_forecast_fits_a_phone(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    log_in(page, "manager1")
    page.goto("/dashboards/forecast/")
    wait_for_ink(page, "[data-testid=forecast-chart]", 2000)
    _band_is_drawn(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    # On a phone the band comes first, the live process below it.
    band = page.locator("[data-testid=forecast-tiles]").bounding_box()
    live = page.locator("[data-testid=forecast-live]").bounding_box()
    assert band and live and band["y"] < live["y"]
    shot(page)
    page.goto("/dashboards/forecast/backtest/")
    wait_for_ink(page, "[data-testid=backtest-chart]", 2000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "backtest")


def test_the_ops_admin_adds_an_external_signal_on_a_phone(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    log_in(page, "admin")
    page.goto("/settings/forecast-signals/")
    expect(page.locator("[data-testid=signal-rows]")).to_contain_text("集采政策公布")
    page.fill("#g-title", "原材料价格上涨")
    page.select_option("#g-line", label="关节类")
    page.fill("#g-multiplier", "0")
    page.fill("#g-start", "2027-01-01")
    page.fill("#g-end", "2027-03-31")
    page.locator("[data-testid=signal-save]").click()
    expect(
        page.locator("#g-multiplier + .invalid-feedback, #g-multiplier ~ .invalid-feedback")
    ).to_contain_text("赢率倍数应在")
    page.fill("#g-multiplier", "0.9")
    page.locator("[data-testid=signal-save]").click()
    expect(page.locator("[data-testid=signal-rows]")).to_contain_text("原材料价格上涨")
    expect(page.locator("[data-testid=signal-rows]")).to_contain_text("2027-01-01 ~ 2027-03-31")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page)
