"""合同与回款 on the demo company: a customer's accepted quote made a contract draft; the rep finds
it on the opportunity, uploads the stamped PDF (the deal is won), records delivery and asks for
the first payment; finance records the money for two instalments and the contract turns green;
receivables read on a phone without sideways scrolling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _accepted_quote() -> tuple[str, int]:
    """A rep's deal in 合同签订 whose quote the customer accepted: (username, opportunity id)."""
    from django.conf import settings

    from salesflow.catalog.models import Product
    from salesflow.org.choices import Role
    from salesflow.pipeline.models import Opportunity
    from salesflow.quotes import services as quotes

    deal = (
        Opportunity.objects.filter(
            status="open",
            stage="contract_signed",
            owner__role=Role.REP,
            customer__quoting_frozen=False,
            quotes__isnull=True,
        )
        .select_related("owner")
        .order_by("id")
        .first()
    )
    assert deal is not None and deal.owner is not None
    product = Product.objects.filter(active=True).order_by("sku").first()
    assert product is not None
    made = quotes.quote_create(
        opportunity=deal,
        actor=deal.owner,
        data=quotes.QuoteInput(lines=[quotes.LineInput(product=product.pk, quantity=4)]),
    )
    made = quotes.quote_send(quote=made, actor=deal.owner, share_base_url=settings.SALESFLOW_PUBLIC_URL).quote
    quotes.quote_feedback(quote=made, actor=deal.owner, outcome="accepted", note="院长办公会通过")
    return deal.owner.username, deal.pk


def test_a_rep_signs_delivers_and_finance_collects_to_green(page: Page, shot: Shot) -> None:
    username, opportunity_id = _accepted_quote()
    log_in(page, username)
    page.goto(f"/opportunities/{opportunity_id}/")
    panel = page.locator("[data-testid=contracts-panel]")
    expect(panel).to_contain_text("草稿")
    panel.locator("[data-testid=contract-item]").first.click()
    expect(page).to_have_url(re.compile(r"/contracts/\d+/$"))
    number = page.locator("[data-testid=contract-number]").inner_text()
    assert re.fullmatch(r"HT-\d{4}-\d{6}", number)
    expect(page.locator("[data-testid=next-step]")).to_contain_text("可以直接签订")
    expect(page.locator("[data-testid=instalment]")).to_have_count(3)
    expect(page.locator("[data-testid=instalment]").first).to_contain_text("节点未到")
    shot(page, "draft")
    # A file that is not a PDF is refused, naming what is wrong; the stamped PDF signs it.
    form = page.locator("[data-testid=sign-form]")
    form.locator("input[type=file]").set_input_files(
        {"name": "合同.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a"}
    )
    form.locator("[data-testid=contract-sign]").click()
    expect(
        page.locator(".alert-danger, .toast, [role=alert]").filter(has_text="不是 PDF").first
    ).to_be_visible()
    form = page.locator("[data-testid=sign-form]")
    form.locator("input[type=file]").set_input_files(
        {"name": "合同.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form.locator("[data-testid=contract-sign]").click()
    expect(page.locator("[data-testid=contract-state]").first).to_have_text("已签订")
    expect(page.locator("[data-testid=instalment]").first).to_contain_text("到期")
    page.locator("[data-testid=contract-deliver]").click()
    expect(page.locator("[data-testid=contract-state]").first).to_have_text("交付中")
    page.locator("[data-testid=instalment-request]").first.click()
    expect(page.locator("[data-testid=instalment-state]").first).to_contain_text("已请款")
    contract_url = page.url
    page.goto(f"/opportunities/{opportunity_id}/")
    expect(page.locator("[data-testid=contracts-panel]")).to_contain_text(number)
    expect(page.locator("body")).to_contain_text("赢单")

    # Finance records the first two instalments (30 % + 60 %): 90 % collected is green.
    page.context.clear_cookies()
    log_in(page, "finance1")
    page.goto(contract_url)
    for index in range(2):
        receive = page.locator("[data-testid=receive-form]").first
        receive.locator("input[name=bank_reference]").fill(f"ICBC-2026-{index + 1:04d}")
        receive.locator("[data-testid=instalment-receive]").click()
        expect(page.get_by_text("回款已登记").first).to_be_visible()
    expect(page.locator("[data-testid=green-light]").first).to_be_visible()
    expect(page.locator("[data-testid=collected-pct]").first).to_contain_text("90%")
    expect(page.locator("[data-testid=receipts]")).to_contain_text("ICBC-2026-0002")
    shot(page, "green")


def test_receivables_and_a_contract_read_on_a_phone(phone_page: Page, shot: Shot) -> None:
    from salesflow.contracts.models import Contract

    log_in(phone_page, "finance1")
    phone_page.goto("/receivables/")
    expect(phone_page.locator("[data-testid=ageing-by-rep]")).to_contain_text("90 天以上")
    expect(phone_page.locator("[data-testid=overdue-total]")).to_contain_text("¥")
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "receivables")
    phone_page.locator("[data-testid=ageing-by-rep] tfoot a").nth(1).click()
    expect(phone_page.locator("[data-testid=receivable-row]").first).to_be_visible()
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "drill")
    contract = Contract.objects.filter(state="in_delivery").order_by("id").first()
    assert contract is not None
    phone_page.goto(f"/contracts/{contract.pk}/")
    expect(phone_page.locator("[data-testid=payment-plan]")).to_contain_text("回款计划")
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "contract")
    phone_page.goto("/contracts/")
    expect(phone_page.locator("[data-testid=contract-card]").first).to_be_visible()
    assert phone_page.evaluate(NO_OVERFLOW)
