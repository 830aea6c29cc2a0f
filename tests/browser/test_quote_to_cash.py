"""Quote to cash in one journey on the demo company: a rep's quote with a 25 % discount is special;
the regional manager, finance and the general manager approve it in turn; the rep sends it; the
customer opens the link on a phone and accepts; the rep signs the contract the acceptance made
and records delivery; finance records the money and the contract turns green."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _deal() -> tuple[str, str, int]:
    """A rep's open deal in 合同签订 without quotes: (rep, the rep's manager, opportunity id)."""
    from salesflow.org.choices import Role
    from salesflow.pipeline.models import Opportunity

    deal = (
        Opportunity.objects.filter(
            status="open",
            stage="contract_signed",
            owner__role=Role.REP,
            owner__manager__isnull=False,
            customer__quoting_frozen=False,
            quotes__isnull=True,
        )
        .select_related("owner__manager")
        .order_by("-id")
        .first()
    )
    assert deal is not None and deal.owner is not None and deal.owner.manager is not None
    return deal.owner.username, deal.owner.manager.username, deal.pk


def _switch(page: Page, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, username)


def test_quote_to_cash(page: Page, phone_page: Page, shot: Shot) -> None:
    from salesflow.approvals.models import ApprovalRequest

    rep, manager, opportunity_id = _deal()
    log_in(page, rep)
    page.goto(f"/quotes/new/?opportunity={opportunity_id}")
    row = page.locator("[data-testid=line-input]").first
    row.locator("select").select_option(index=1)
    row.locator("input[name=quantity]").fill("30")
    row.locator("input[name=discount_pct]").fill("25")
    page.locator("[data-testid=quote-save]").click()
    expect(page).to_have_url(re.compile(r"/quotes/\d+/$"))
    quote_url = page.url
    quote_id = int(re.findall(r"/quotes/(\d+)/", quote_url)[0])
    expect(page.locator("[data-testid=special-quote]")).to_contain_text("超过权限")
    page.fill("#submit-comment", "竞品报价低 20%，申请特殊折扣")
    page.locator("[data-testid=quote-submit]").click()
    expect(page.locator("[data-testid=approval-status]")).to_be_visible()

    request = ApprovalRequest.objects.get(subject_type="quotes.quote", subject_id=quote_id)
    for index, (approver, comment) in enumerate(
        [(manager, "同意，注意回款"), ("finance1", "毛利可接受"), ("gm", "同意")]
    ):
        _switch(page, approver)
        page.goto(f"/approvals/{request.pk}/")
        page.fill("[data-testid=decide-comment]", comment)
        page.locator("[data-testid=decide-approve]").click()
        expect(page.locator("[data-testid=step]").nth(index)).to_have_attribute("data-state", "approved")
    shot(page, "approved")

    _switch(page, rep)
    page.goto(quote_url)
    page.locator("[data-testid=quote-send]").click()
    expect(page.locator("[data-testid=quote-state]")).to_have_attribute("data-state", "sent")
    share = re.search(r"/q/[\w-]+/", page.get_by_text(re.compile(r"/q/[\w-]+/")).first.inner_text())
    assert share is not None
    phone_page.goto(share.group(0))
    phone_page.locator("[data-testid=share-accept]").click()
    expect(phone_page.locator("[data-testid=share-answered]")).to_be_visible()

    page.goto(f"/opportunities/{opportunity_id}/")
    page.locator("[data-testid=contracts-panel] [data-testid=contract-item]").first.click()
    form = page.locator("[data-testid=sign-form]")
    form.locator("input[type=file]").set_input_files(
        {"name": "盖章合同.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form.locator("[data-testid=contract-sign]").click()
    expect(page.locator("[data-testid=contract-state]").first).to_have_text("已签订")
    page.locator("[data-testid=contract-deliver]").click()
    expect(page.locator("[data-testid=contract-state]").first).to_have_text("交付中")
    contract_url = page.url

    _switch(page, "finance1")
    page.goto(contract_url)
    for index in range(2):
        receive = page.locator("[data-testid=receive-form]").first
        receive.locator("input[name=bank_reference]").fill(f"CMB-{quote_id}-{index + 1}")
        receive.locator("[data-testid=instalment-receive]").click()
        expect(page.get_by_text("回款已登记").first).to_be_visible()
    expect(page.locator("[data-testid=green-light]").first).to_be_visible()
    shot(page, "green")
