"""过程健康度 and 三级归因 on the demo company: the GM opens both from the cockpit and sees the
trends drawn, an alert the demo's breach history fired, playbooks and acquisition cost; a
manager reads the same on a phone; the ops admin enters a month's spend."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in, wait_for_ink

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_gm_sees_health_with_an_alert_and_attribution(page: Page, shot: Shot) -> None:
    log_in(page, "gm")
    page.goto("/dashboards/")
    page.locator("[data-testid=tab-health]").click()
    expect(page).to_have_url(re.compile(r"/dashboards/health/$"))
    for code in ("median_lead_response", "evidence_actions_per_rep_day", "collaboration_density"):
        expect(page.locator(f"[data-testid=chart-{code}] canvas")).to_be_visible()
    wait_for_ink(page, "[data-testid=chart-median_lead_response]", 500)
    # The demo replays the nightly check: at least one breach lasted its window and fired.
    expect(page.locator("[data-testid=state]", has_text="预警中").first).to_be_visible()
    expect(page.locator("[data-testid=playbook-median_lead_response]")).to_contain_text("检查分单规则")
    shot(page, "health")
    page.goto("/dashboards/attribution/")
    for level in ("action", "process", "result"):
        expect(page.locator(f"[data-testid=level-{level}]")).to_be_visible()
    wait_for_ink(page, "[data-testid=chart-effective_contact_rate]", 500)
    expect(page.locator("[data-testid=cac-table] tbody tr")).not_to_have_count(0)
    expect(page.locator("[data-testid=cac-table]")).to_contain_text("百度推广")
    expect(page.locator("[data-testid=value-cac_yoy_drop]")).to_have_text(re.compile(r"%$"))
    shot(page, "attribution")


def test_manager_reads_health_on_a_phone(phone_page: Page, shot: Shot) -> None:
    log_in(phone_page, "manager1")
    phone_page.goto("/dashboards/health/")
    expect(phone_page.locator("[data-testid=chart-median_lead_response] canvas")).to_be_visible()
    wait_for_ink(phone_page, "[data-testid=chart-median_lead_response]", 500)
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "health")
    phone_page.goto("/dashboards/attribution/")
    expect(phone_page.locator("[data-testid=level-result]")).to_be_visible()
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "attribution")


def test_ops_admin_enters_spend(page: Page, shot: Shot) -> None:
    log_in(page, "admin")
    page.goto("/dashboards/attribution/")
    page.locator("[data-testid=spend-link]").click()
    expect(page).to_have_url(re.compile(r"/dashboards/attribution/spend/$"))
    page.select_option("#s-source", label="转介绍")
    page.fill("#s-month", "2020-01")
    page.fill("#s-amount", "12345")
    page.locator("[data-testid=spend-save]").click()
    expect(page.locator("[data-testid=spend-rows]")).to_contain_text("¥12,345.00")
    shot(page, "spend")
