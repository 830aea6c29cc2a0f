"""临时授权 on the demo company: a rep grants a presales engineer their customer's quotes on the
customer page; the engineer finds the quote in their 报价 list marked 临时授权 (on a phone too)
and reads it; the rep sees the read in the log and revokes; the engineer then gets 404."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def _sent_quote_of_a_rep() -> tuple[str, int, int, str]:
    """(rep username, customer id, quote id, quote number) of a sent quote on the rep's customer
    that presales2 holds no grant for."""
    from django.db.models import F

    from salesflow.org.choices import Role
    from salesflow.quotes.models import Quote

    sent = (
        Quote.objects.filter(sent_at__isnull=False, owner__role=Role.REP, customer__owner=F("owner"))
        .exclude(customer__grants__grantee__username="presales2")
        .select_related("owner")
        .order_by("id")
        .first()
    )
    assert sent is not None
    return sent.owner.username, sent.customer_id, sent.pk, sent.number


def _presales2() -> tuple[str, str]:
    """presales2's id (the picker's value) and name."""
    from salesflow.org.models import User

    user = User.objects.get(username="presales2")
    return str(user.pk), str(user)


def test_a_rep_grants_a_presales_engineer_the_quotes_and_revokes(
    page: Page, phone_page: Page, shot: Shot
) -> None:
    rep, customer_id, quote_id, number = _sent_quote_of_a_rep()
    grantee, name = _presales2()
    log_in(page, rep)
    page.goto(f"/customers/{customer_id}/")
    card = page.locator("[data-testid=grants-card]")
    card.locator("select[name=grantee]").select_option(value=grantee)
    card.locator("input[name=days]").fill("99")
    card.locator("input[name=reason]").fill("协助准备技术方案")
    # The browser's own limit stops 99 days; the server names the pack's limit too.
    card.locator("input[name=days]").evaluate("input => input.removeAttribute('max')")
    card.locator("[data-testid=grant-submit]").click()
    expect(page.locator(".alert[role=alert]", has_text="1–30 天")).to_be_visible()
    card = page.locator("[data-testid=grants-card]")
    card.locator("select[name=grantee]").select_option(value=grantee)
    card.locator("input[name=days]").fill("5")
    card.locator("input[name=reason]").fill("协助准备技术方案")
    card.locator("[data-testid=grant-submit]").click()
    row = page.locator("[data-testid=grant-row]", has_text=name)
    expect(row.locator("[data-testid=grant-live]")).to_contain_text("有效至")
    card.scroll_into_view_if_needed()
    shot(page, "desktop-card")

    log_in(phone_page, "presales2")
    phone_page.goto("/quotes/")
    quote_card = phone_page.locator("[data-testid=quote-card]", has_text=number)
    expect(quote_card.locator("[data-testid=grant-badge]")).to_contain_text("临时授权")
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-list")
    quote_card.click()
    expect(phone_page.locator("[data-testid=grant-banner]")).to_contain_text("只读")
    expect(phone_page.locator("[data-testid=quote-number]")).to_have_text(number)
    expect(phone_page.locator("[data-testid=quote-revise]")).to_have_count(0)
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-quote")
    customer_page = phone_page.goto(f"/customers/{customer_id}/")
    assert customer_page is not None and customer_page.status == 404  # the quotes only

    page.reload()
    reads = page.locator("[data-testid=grant-reads]")
    expect(reads).to_contain_text(f"{name} · 报价详情")
    expect(reads).to_contain_text(f"{name} · 报价列表")
    page.locator("[data-testid=grant-row]", has_text=name).locator("[data-testid=grant-revoke]").click()
    expect(page.locator("[data-testid=grant-row]", has_text=name)).to_contain_text("已撤销")
    shot(page, "desktop-revoked")
    # The rep's card on a phone-sized window: no sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("[data-testid=grants-card]").scroll_into_view_if_needed()
    assert page.evaluate(NO_OVERFLOW)
    shot(page, "phone-card")

    response = phone_page.goto(f"/quotes/{quote_id}/")
    assert response is not None and response.status == 404
    phone_page.goto("/quotes/")
    expect(phone_page.locator("[data-testid=quote-card]", has_text=number)).to_have_count(0)
