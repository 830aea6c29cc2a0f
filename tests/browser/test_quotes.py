"""报价 on the demo company: a rep quotes an open deal from its page — a discount over their
limit makes a special quote that cannot be sent, the health warning names the missing documents
with their templates, uploading the competitor sheet raises the score, the quote goes out and the
customer opens the link on a phone and accepts, and the rep sees the open and the answer; a quote
reads on a phone without sideways scrolling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _open_deal() -> tuple[str, int]:
    """A rep's open deal without quotes whose customer may be quoted: (username, opportunity id)."""
    from salesflow.org.choices import Role
    from salesflow.pipeline.models import Opportunity

    deal = (
        Opportunity.objects.filter(
            status="open", owner__role=Role.REP, customer__quoting_frozen=False, quotes__isnull=True
        )
        .select_related("owner")
        .order_by("id")
        .first()
    )
    assert deal is not None and deal.owner is not None
    return deal.owner.username, deal.pk


def test_a_rep_quotes_a_deal_sends_it_and_the_customer_accepts_on_a_phone(
    page: Page, phone_page: Page, shot: Shot
) -> None:
    username, opportunity_id = _open_deal()
    log_in(page, username)
    page.goto(f"/opportunities/{opportunity_id}/")
    page.locator("[data-testid=quote-new]").click()
    expect(page).to_have_url(re.compile(r"/quotes/new/\?opportunity=\d+$"))
    row = page.locator("[data-testid=line-input]").first
    row.locator("select").select_option(index=1)
    row.locator("input[name=quantity]").fill("0")
    page.locator("[data-testid=quote-save]").click()
    expect(page.locator("[data-testid=line-error]").first).to_contain_text("数量应大于 0")
    row = page.locator("[data-testid=line-input]").first
    row.locator("input[name=quantity]").fill("2")
    row.locator("input[name=discount_pct]").fill("15")
    page.locator("[data-testid=quote-save]").click()
    expect(page).to_have_url(re.compile(r"/quotes/\d+/$"))
    expect(page.locator("[data-testid=special-quote]")).to_contain_text("超过权限")
    expect(page.locator("[data-testid=quote-send]")).to_have_count(0)
    warning = page.locator("[data-testid=health-warning]")
    expect(warning).to_contain_text("竞品对比表")
    expect(warning.get_by_role("link", name="下载模板").first).to_have_attribute(
        "href", re.compile(r"\.xlsx$")
    )
    shot(page, "special")
    # Within the rep's discount limit it is an ordinary quote.
    page.locator("[data-testid=quote-edit]").click()
    page.locator("[data-testid=line-input]").first.locator("input[name=discount_pct]").fill("5")
    page.locator("[data-testid=quote-save]").click()
    expect(page.locator("[data-testid=special-quote]")).to_have_count(0)
    before = int(page.locator("[data-testid=health-score]").inner_text())
    form = page.locator("[data-testid=attach-form]")
    form.locator("select[name=code]").select_option("competitor_sheet")
    form.locator("input[type=file]").set_input_files(
        {"name": "竞品对比表.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form.get_by_role("button", name="上传").click()
    expect(page.locator("[data-testid=health-score]")).to_have_text(str(before + 25))
    expect(page.locator("[data-testid=documents]")).to_contain_text("竞品对比表.pdf")
    page.locator("[data-testid=quote-send]").click()
    expect(page.locator("[data-testid=quote-state]")).to_have_attribute("data-state", "sent")
    # The customer's link is shown this once; the customer opens it on a phone and accepts.
    flash = page.get_by_text(re.compile(r"/q/[\w-]+/")).first.inner_text()
    share_path = re.search(r"/q/[\w-]+/", flash)
    assert share_path is not None
    phone_page.goto(share_path.group(0))
    expect(phone_page.locator("[data-testid=share-total]")).to_be_visible()
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "customer")
    phone_page.locator("[data-testid=share-accept]").click()
    expect(phone_page.locator("[data-testid=share-answered]")).to_be_visible()
    page.reload()
    expect(page.locator("[data-testid=quote-state]")).to_have_attribute("data-state", "accepted")
    expect(page.locator("[data-testid=version-opens]").first).to_contain_text("客户打开 1 次")
    expect(page.locator("#timeline")).to_contain_text("客户接受报价")
    shot(page, "accepted")


def test_a_quote_reads_on_a_phone(phone_page: Page, shot: Shot) -> None:
    from salesflow.quotes.models import Quote

    quote = Quote.objects.select_related("owner").order_by("id").first()
    assert quote is not None
    log_in(phone_page, quote.owner.username)
    phone_page.goto(f"/quotes/{quote.pk}/")
    expect(phone_page.locator("[data-testid=line-card]").first).to_be_visible()
    expect(phone_page.locator("[data-testid=health-score]")).to_be_visible()
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "quote")
    phone_page.goto("/quotes/")
    expect(phone_page.locator("[data-testid=quote-card]").first).to_be_visible()
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "list")
