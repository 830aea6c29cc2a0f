"""The pipeline board: a drag without the stage's evidence is refused and the card goes back;
after uploading the document on the opportunity page the same drag succeeds. Phone-size shots."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import FilePayload, Locator, Page, expect

from salesflow.customers import services as customers
from salesflow.org.models import User
from salesflow.pipeline import services
from salesflow.pipeline.models import Opportunity
from tests.browser.conftest import Shot, log_in, rendered_fonts

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _in_needs_confirmed(rep: User) -> Opportunity:
    customer = customers.customer_create(name="浙江大学医学院附属第二医院", actor=None, owner=rep)
    opportunity = services.opportunity_create(
        customer=customer,
        title="骨科耗材年度采购",
        pipeline="standard",
        owner=rep,
        actor=rep,
        amount="480000",
    )
    for stage in ("first_contact", "needs_confirmed"):
        opportunity = services.opportunity_advance(opportunity=opportunity, to_stage=stage, actor=rep)
    return opportunity


def _drag(page: Page, card: Locator, column: Locator) -> None:
    """Drag with the mouse the way a person does (SortableJS runs in fallback mode)."""
    column.scroll_into_view_if_needed()
    start, end = card.bounding_box(), column.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 20)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 30, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 40, steps=20)
    page.mouse.up()


def test_drag_is_refused_without_the_document_and_succeeds_after_upload(page: Page, shot: Shot) -> None:
    rep = User.objects.get(username="rep1")
    opportunity = _in_needs_confirmed(rep)
    log_in(page, "rep1")
    page.goto("/opportunities/?pipeline=standard&owner=me")
    card = page.locator(f"[data-testid=card-{opportunity.pk}]")
    needs = page.locator("[data-testid=column-needs_confirmed] .sf-column-body")
    quote = page.locator("[data-testid=column-proposal_quote] .sf-column-body")
    expect(needs.locator(f"[data-testid=card-{opportunity.pk}]")).to_be_visible()
    expect(card).to_contain_text("¥480,000.00")
    expect(card.locator("[data-testid=card-missing]")).to_contain_text("客户需求说明书")
    assert any(
        "CJK" in f or "Noto" in f for f in rendered_fonts(page, f"[data-testid=card-{opportunity.pk}] a")
    )

    _drag(page, card, quote)
    message = page.locator("[data-testid=board-message]")
    expect(message).to_contain_text("缺少证据：客户需求说明书 — 上传后即可推进")
    expect(needs.locator(f"[data-testid=card-{opportunity.pk}]")).to_be_visible()
    expect(quote.locator(f"[data-testid=card-{opportunity.pk}]")).to_have_count(0)
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "needs_confirmed"
    shot(page, "refused")

    # The message links to the opportunity page, where the document is uploaded.
    message.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/opportunities/{opportunity.pk}/#evidence$"))
    page.set_input_files(
        "#file-requirements_doc",
        files=[FilePayload(name="需求说明书.pdf", mimeType="application/pdf", buffer=PDF)],
    )
    page.click("[data-testid=submit-requirements_doc]")
    expect(page.locator(".alert-success")).to_contain_text("证据已上传")
    expect(page.locator("[data-testid=check-needs_confirmed-requirements_doc]")).to_have_attribute(
        "data-done", "1"
    )
    expect(page.locator("[data-testid=gallery]")).to_contain_text("需求说明书.pdf")

    page.goto("/opportunities/?pipeline=standard&owner=me")
    card = page.locator(f"[data-testid=card-{opportunity.pk}]")
    expect(card.locator("[data-testid=card-missing]")).to_have_count(0)
    # The demo gives rep1 deals of their own in 方案报价: the column grows by this one.
    column_sum = page.locator("[data-testid=column-proposal_quote] [data-sum]")
    column_count = page.locator("[data-testid=column-proposal_quote] [data-count]")
    sum_before = Decimal(column_sum.get_attribute("data-sum") or "0")
    count_before = int(column_count.inner_text())
    _drag(page, card, page.locator("[data-testid=column-proposal_quote] .sf-column-body"))
    expect(page.locator("[data-testid=toast]").last).to_contain_text("已推进到「方案报价」")
    moved = page.locator(f"[data-testid=column-proposal_quote] [data-testid=card-{opportunity.pk}]")
    expect(moved).to_be_visible()
    expect(moved.locator("[data-testid=card-missing]")).to_contain_text("技术方案文件")
    expect(page.locator("[data-testid=board-message]")).to_be_hidden()
    expect(column_sum).to_have_attribute("data-sum", f"{sum_before + Decimal('480000'):.2f}")
    expect(column_sum).to_have_text(re.compile(r"^¥[\d.,]+ 万$"))
    expect(column_count).to_have_text(str(count_before + 1))
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "proposal_quote"
    shot(page, "advanced")

    # Backward asks for a reason; cancelling leaves the card where it was.
    page.once("dialog", lambda dialog: dialog.dismiss())
    _drag(page, moved, page.locator("[data-testid=column-needs_confirmed] .sf-column-body"))
    expect(
        page.locator(f"[data-testid=column-proposal_quote] [data-testid=card-{opportunity.pk}]")
    ).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept("客户调整需求范围"))
    _drag(
        page,
        page.locator(f"[data-testid=card-{opportunity.pk}]"),
        page.locator("[data-testid=column-needs_confirmed] .sf-column-body"),
    )
    expect(
        page.locator(f"[data-testid=column-needs_confirmed] [data-testid=card-{opportunity.pk}]")
    ).to_be_visible()
    expect(page.locator("[data-testid=toast]").last).to_contain_text("已推进到「需求确认」")
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "needs_confirmed"


def test_board_opportunity_and_visit_pages_at_phone_size(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    rep = User.objects.get(username="rep1")
    opportunity = _in_needs_confirmed(rep)
    log_in(page, "rep1")
    page.goto("/opportunities/?pipeline=standard")
    expect(page.locator("[data-testid=board]")).to_be_visible()
    shot(page, "board")

    page.goto(f"/opportunities/{opportunity.pk}/")
    expect(page.locator("[data-testid=checklist]")).to_contain_text("客户需求说明书")
    shot(page, "opportunity")
    page.click("#new-visit")
    expect(page.locator("[data-testid=visit-qr] svg")).to_be_visible()
    shot(page, "visit-package")

    page.click("[data-testid=visit-link]")
    expect(page.locator("[data-testid=visit-customer]")).to_have_text("浙江大学医学院附属第二医院")
    expect(page.locator("#file-door_plate_photo")).to_have_attribute("capture", "environment")
    page.click("#complete-visit")
    missing = page.locator("[data-testid=visit-missing]")
    expect(missing).to_contain_text("科室门牌照片")
    expect(missing).to_contain_text("需求要点 ×3")
    # Nothing sticks out sideways at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "visit")
