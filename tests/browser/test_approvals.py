"""我的审批 on the demo company: a rep's special-price request reaches their manager on a phone
(the badge, a missing comment, then 同意), then finance approves it on a desktop."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def _expect_count(badge: Locator, count: int) -> None:
    """The nav's pending count shows `count`, or no badge at all for none."""
    if count:
        expect(badge.first).to_have_text(str(count))
    else:
        expect(badge).to_have_count(0)


@pytest.fixture
def approvable(demo_company: None) -> Iterator[None]:
    """The test kind and its chain, installed on top of the demo (which would otherwise replace them)."""
    from salesflow.approvals.tests.helpers import approvable_kind, install_chain

    with approvable_kind():
        install_chain()
        yield


def test_manager_approves_on_a_phone_and_finance_on_a_desktop(
    approvable: None, page: Page, phone_page: Page, shot: Shot
) -> None:
    from decimal import Decimal

    from salesflow.approvals import services
    from salesflow.approvals.models import ApprovalRequest
    from salesflow.approvals.tests.helpers import CHAIN
    from salesflow.org.models import User
    from salesflow.pipeline.models import Opportunity

    rep = User.objects.get(username="rep1")
    assert rep.manager is not None
    opportunity = Opportunity.objects.filter(owner=rep, status="open").order_by("id").first()
    assert opportunity is not None
    request = services.approval_request_start(
        subject=opportunity,
        chain_code=CHAIN,
        requester=rep,
        facts={"discount_pct": Decimal("25"), "amount": Decimal("380000"), "margin_pct": Decimal("18")},
        summary=f"{opportunity.title} 特价 75 折",
    )

    log_in(phone_page, rep.manager.username)
    phone_page.goto("/today/")
    expect(phone_page.locator("[data-testid=phone-approvals-badge]")).to_have_text(re.compile(r"^[1-9]\d*$"))
    # The demo's special quotes may wait for this manager too: the count goes down by one.
    waiting = int(phone_page.locator("[data-testid=phone-approvals-badge]").inner_text())
    phone_page.locator("#phone-approvals").click()
    expect(phone_page).to_have_url(re.compile(r"/approvals/$"))
    expect(phone_page.locator("[data-testid=tab-pending-count]")).to_be_visible()
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-list")
    phone_page.locator("[data-testid=approval-row]", has_text="特价 75 折").click()
    expect(phone_page).to_have_url(re.compile(rf"/approvals/{request.pk}/$"))
    expect(phone_page.locator("[data-testid=approval-facts]")).to_contain_text(opportunity.customer.name)
    phone_page.locator("[data-testid=decide-approve]").click()
    expect(phone_page.locator("[data-error-for=comment]")).to_contain_text("请填写审批意见")
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-error")
    phone_page.fill("[data-testid=decide-comment]", "同意，请关注回款")
    phone_page.locator("[data-testid=decide-approve]").click()
    first = phone_page.locator("[data-testid=step]").first
    expect(first).to_have_attribute("data-state", "approved")
    expect(first).to_contain_text("同意，请关注回款")
    expect(phone_page.locator("[data-testid=decide-form]")).to_have_count(0)
    # The top bar's count went down with the decision (swapped out of band).
    _expect_count(phone_page.locator("[data-testid=phone-approvals-badge]"), waiting - 1)
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-approved")

    log_in(page, "finance1")
    page.goto("/today/")
    expect(page.locator("[data-testid=approvals-badge]")).to_be_visible()
    waiting = int(page.locator("[data-testid=approvals-badge]").first.inner_text())
    page.locator("[data-nav=approvals]").first.click()
    page.locator("[data-testid=approval-row]", has_text="特价 75 折").click()
    page.fill("[data-testid=decide-comment]", "毛利 18%，可接受")
    page.locator("[data-testid=decide-approve]").click()
    expect(page.locator("[data-testid=step]").nth(1)).to_have_attribute("data-state", "approved")
    # The discount is above 20%: the general manager's step is now open.
    expect(page.locator("[data-testid=step]").nth(2)).to_have_attribute("data-state", "open")
    _expect_count(page.locator("[data-testid=approvals-badge]"), waiting - 1)
    shot(page, "desktop")
    request.refresh_from_db()
    assert request.state == "pending"

    # 审批代理: finance names a delegate for a week; the row appears.
    page.goto("/approvals/")
    page.locator("[data-testid=tab-delegations]").click()
    expect(page).to_have_url(re.compile(r"/approvals/delegations/$"))
    page.locator("[data-testid=delegation-form]").evaluate("form => form.closest('details').open = true")
    page.select_option("#d-delegate", index=1)
    page.fill("#d-starts", "2026-12-21")
    page.fill("#d-ends", "2026-12-27")
    page.fill("#d-reason", "年假")
    page.locator("[data-testid=delegation-save]").click()
    expect(page.locator("[data-testid=delegation-row]")).to_contain_text("2026-12-21 – 2026-12-27")
    shot(page, "delegations")
    assert ApprovalRequest.objects.get(pk=request.pk).steps.get(order=1).acted_by == User.objects.get(
        username="finance1"
    )
