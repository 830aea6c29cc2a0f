"""A manager builds a rule in 设置, simulates it over last month, and switches it on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from salesflow.core import clock
from salesflow.org import services as org
from salesflow.org.models import User
from salesflow.rules import selectors
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def _last_month_leave() -> tuple[date, date]:
    today = clock.to_local(clock.now()).date()
    end = today.replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    return start, end


def test_manager_builds_simulates_and_enables_a_rule(page: Page) -> None:
    start, end = _last_month_leave()
    rep = User.objects.get(username="rep2")
    # Promoted, then a leave recorded, both last month: the draft rule would have fired once.
    when = clock.now().replace(year=end.year, month=end.month, day=min(10, end.day))
    org.user_update(user=rep, actor=rep.manager, seniority=4, now=when - timedelta(days=1))
    org.leave_add(user=rep, starts_on=end, ends_on=end, reason="年假", actor=rep, now=when)

    log_in(page, "manager1")
    page.goto("/settings/rules/")
    screenshot(page, "rules-home")
    page.click("#new-rule")
    page.fill("#rule-name", "资深销售休假提醒总监")
    page.fill("#rule-code", "senior_leave")
    page.select_option("#rule-trigger", "user.leave_added")
    page.select_option("select[name=c0-field]", "seniority")
    page.select_option("select[name=c0-op]", "gte")
    page.fill("input[name=c0-value]", "3")
    page.select_option("select[name=a0-type]", "notify")
    page.check("input[name=a0-to][value=owner_director]")
    page.fill("input[name=a0-title]", "资深销售休假")
    screenshot(page, "rule-builder")
    page.click("#save-rule")

    expect(page.locator("h2.page-title")).to_contain_text("规则模拟")
    page.fill("#sim-from", start.isoformat())
    page.fill("#sim-to", end.isoformat())
    page.click("#run-simulation")
    results = page.locator("[data-testid=simulation-results]")
    expect(results.locator("[data-testid=count-senior_leave]")).to_have_text("1")
    expect(results).to_contain_text(str(rep.display_name))  # the page names people, not usernames
    screenshot(page, "rule-simulation")

    page.click("#enable-rule")
    expect(page.locator("[data-testid=rules-table] tr[data-rule=senior_leave]")).to_contain_text("启用")
    # This thread's copy of the pack may be up to 2 s old (the server enabled it in its own thread).
    selectors.forget_active_pack()
    _number, pack = selectors.active_pack()
    rule = pack.rule("senior_leave")
    assert rule is not None and rule.enabled
    assert rule.condition == {"field": "seniority", "op": "gte", "value": 3}
