"""设置 → 销售目标 on the demo company: a director sets a team's month target in 万元 from the
settings tabs and sees its completion follow; a manager reads their sheet on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_director_sets_a_team_target_and_sees_completion(page: Page, shot: Shot) -> None:
    log_in(page, "director1")
    page.goto("/settings/")
    page.get_by_role("link", name="销售目标").first.click()
    expect(page).to_have_url(re.compile(r"/settings/targets/$"))
    team_row = page.locator("[data-testid=target-row][data-kind=team]").nth(1)
    cell = team_row.locator("input")
    cell.fill("abc")
    page.locator("[data-testid=targets-save]").click()
    expect(page.locator("[data-testid=targets-errors]")).to_be_visible()
    expect(team_row.locator(".invalid-feedback")).to_contain_text("请输入数字（万元）")
    team_row.locator("input").fill("1")
    page.locator("[data-testid=targets-save]").click()
    expect(page.locator("[data-testid=targets-errors]")).to_have_count(0)
    saved = page.locator("[data-testid=target-row][data-kind=team]").nth(1)
    expect(saved.locator("input")).to_have_value("1")
    # A ¥1 万 target: whatever the team signed this month shows as a percentage.
    expect(saved.locator("td").last).to_contain_text(re.compile(r"\d+(\.\d)?%"))
    shot(page, "targets")


def test_manager_reads_targets_on_a_phone(phone_page: Page, shot: Shot) -> None:
    log_in(phone_page, "manager1")
    phone_page.goto("/settings/targets/")
    expect(phone_page.locator("[data-testid=target-row]").first).to_be_visible()
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "targets")
