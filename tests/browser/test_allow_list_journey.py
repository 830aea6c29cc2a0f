"""The ops admin keeps the on-premise allow-list on 设置 → 通知渠道; a rep does not see it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from salesflow.notify.models import EgressAllowance
from salesflow.org.models import User
from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser


def test_the_ops_admin_adds_and_removes_an_on_premise_network(page: Page, shot: Shot) -> None:
    log_in(page, "admin")
    page.goto("/settings/channels/")
    section = page.get_by_test_id("allowed-targets")
    form = page.get_by_test_id("allowance-form")

    form.get_by_label("主机名、IP 或网段").fill("0.0.0.0/0")
    form.get_by_role("button", name="添加").click()
    expect(form.locator(".invalid-feedback")).to_contain_text("网段过大")

    form.get_by_label("主机名、IP 或网段").fill("10.20.0.0/16")
    form.get_by_label("说明").fill("上海机房机器人")
    form.get_by_role("button", name="添加").click()
    row = section.get_by_test_id("allowance").filter(has_text="10.20.0.0/16")
    expect(row).to_contain_text("上海机房机器人")
    expect(row).to_contain_text(str(User.objects.get(username="admin")))  # who added it
    shot(page)

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="删除").click()
    expect(page.locator(".alert-success")).to_contain_text("移出内网白名单")
    expect(section.get_by_test_id("allowance")).to_have_count(0)
    assert not EgressAllowance.objects.exists()


def test_a_rep_does_not_see_the_allow_list(page: Page) -> None:
    log_in(page, "rep1")
    page.goto("/settings/channels/")
    expect(page.get_by_test_id("channel-form")).to_be_visible()
    expect(page.get_by_test_id("allowed-targets")).to_have_count(0)
