"""月度流程复盘 on the demo company: the COO opens this month's review on a desktop, reads an item's
timeline, marks an item discussed, records a decision with its owner (a missing owner first),
exports the minutes as xlsx and PDF; the GM reads the same month read-only on a phone."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_coo_reviews_the_month_and_exports_the_minutes(page: Page, phone_page: Page, shot: Shot) -> None:
    from salesflow.org.models import User
    from salesflow.reviews import selectors
    from salesflow.reviews.models import ReviewEntry
    from salesflow.rules.models import AgendaItem

    month = selectors.current_month()
    open_items = [
        item
        for item in selectors.items_in("monthly_process_review", month)
        if selectors.entry_of(item) is None
    ]
    assert len(open_items) >= 2, "the demo leaves this month's agenda partly open"
    target, other = open_items[0], open_items[1]
    manager = User.objects.get(username="manager1")

    log_in(page, "coo")
    page.locator("#user-menu").click()
    page.locator("[data-testid=menu-review-monthly_process_review]").click()
    expect(page).to_have_url(re.compile(r"/reviews/monthly_process_review/$"))
    expect(page.locator("h2.page-title")).to_have_text("月度流程复盘")
    expect(page.locator("[data-testid=agenda-group]").first).to_be_visible()
    shot(page, "desktop-month")

    row = page.locator(f"#item-{target.pk}")
    expect(row.locator("[data-testid=item-reason]")).to_contain_text(target.reason)
    # The record's own timeline, with the ladder's agenda event.
    row.locator("[data-testid=item-timeline] summary").click()
    expect(row.locator("[data-testid=timeline]")).to_contain_text("会议：月度流程复盘")

    row.locator("[data-testid=mark-discussed]").click()
    row = page.locator(f"#item-{target.pk}")
    expect(row.locator("[data-testid=item-state]")).to_have_text("已讨论")
    expect(page.locator(".toast")).to_contain_text("已标记为已讨论")

    # A decision without its owner is refused at the field; with one it is recorded.
    other_row = page.locator(f"#item-{other.pk}")
    other_row.locator("[data-testid=decide-card] summary").click()
    other_row.locator("[data-testid=decision-input]").fill("交付部月底前补齐值班表，每周复核响应时长")
    other_row.locator("[data-testid=decide-submit]").click()
    other_row = page.locator(f"#item-{other.pk}")
    expect(other_row.locator("[data-error-for=owner]")).to_contain_text("请选择责任人")
    expect(other_row.locator("[data-testid=decision-input]")).to_have_value(
        "交付部月底前补齐值班表，每周复核响应时长"
    )
    other_row.locator("[data-testid=owner-select]").select_option(value=str(manager.pk))
    other_row.locator("[data-testid=decide-submit]").click()
    other_row = page.locator(f"#item-{other.pk}")
    expect(other_row.locator("[data-testid=item-state]")).to_have_text("已决议")
    expect(other_row.locator("[data-testid=item-owner]")).to_have_text(str(manager))
    shot(page, "desktop-decided")

    entry = ReviewEntry.objects.get(item=other)
    assert entry.decision.startswith("交付部") and entry.decision_owner is not None
    assert entry.decision_owner == manager and entry.decided_by is not None
    assert entry.decided_by.username == "coo"
    other.refresh_from_db()
    assert other.resolved_at is not None
    assert ReviewEntry.objects.get(item=target).discussed_at is not None
    assert AgendaItem.objects.get(pk=target.pk).resolved_at is None

    with page.expect_download() as download_info:
        page.locator("[data-testid=minutes-xlsx]").click()
    download = download_info.value
    assert download.suggested_filename == f"monthly_process_review-{month:%Y-%m}.xlsx"
    path = download.path()
    assert path is not None
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][:3] == ["类别", "团队", "记录"]
    decided = [r for r in values[1:] if r[8] == "交付部月底前补齐值班表，每周复核响应时长"]
    assert [r[9] for r in decided] == [str(manager)]
    pdf = page.request.get(f"/reviews/monthly_process_review/minutes.pdf?month={month:%Y-%m}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # The GM reads the same month on a phone: the decision, no forms.
    log_in(phone_page, "gm")
    phone_page.goto("/reviews/monthly_process_review/")
    expect(phone_page.locator("[data-testid=read-only]")).to_be_visible()
    decision = phone_page.locator(f"#item-{other.pk} [data-testid=item-decision]")
    expect(decision).to_contain_text("交付部月底前")
    expect(phone_page.locator("[data-testid=decide-form]")).to_have_count(0)
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-read-only")
