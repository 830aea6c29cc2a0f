"""跨部门工单 on the demo company: a rep raises a custom solution request from their deal on a
phone; presales and delivery acknowledge; the sales party misses it, so the ladder tells the
presales engineer's supervisor and then the COO; presales uploads the draft screenshot and the
signed confirmation and the order closes. Phone 390×844 and desktop screenshots are saved."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
SIGNED_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (40, 160, 90)).save(out, format="PNG")
    return out.getvalue()


def _switch(page: Page, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, username)


def test_custom_solution_request_from_raise_to_close(page: Page, phone_page: Page, shot: Shot) -> None:
    from salesflow.notify.models import Notification, Task
    from salesflow.org import services as org
    from salesflow.org.choices import Role
    from salesflow.org.models import User
    from salesflow.pipeline.models import Opportunity
    from salesflow.timers import sweeper
    from salesflow.timers.models import Deadline
    from salesflow.workorders.models import WorkOrder

    # The presales engineer reports to a presales lead, who reports to the COO.
    presales = User.objects.get(username="presales1")
    coo = User.objects.get(username="coo")
    lead = org.user_create(
        username="presales_lead",
        display_name="售前主管老周",
        role=Role.MANAGER,
        team=presales.team,
        manager=coo,
        password="salesflow-demo",
        actor=None,
    )
    org.user_update(user=presales, actor=None, manager=lead)
    rep = User.objects.get(username="rep1")
    deal = Opportunity.objects.filter(owner=rep, status="open").order_by("id").first()
    assert deal is not None

    # 1. The rep raises it from the deal's page on a phone.
    log_in(phone_page, rep.username)
    phone_page.goto(f"/opportunities/{deal.pk}/")
    card = phone_page.get_by_test_id("workorders-panel")
    card.get_by_test_id("raise-type").select_option("custom_solution")
    card.get_by_test_id("raise-workorder").click()
    phone_page.fill("#wo-title", "手术室吊塔定制方案（现场）")
    phone_page.fill("#f_requirement", "双臂吊塔，兼容现有腔镜设备")
    phone_page.select_option("#f_product_line", "spine")
    phone_page.get_by_test_id("raise-submit").click()
    expect(phone_page.get_by_test_id("state")).to_contain_text("需求澄清中")
    expect(phone_page.get_by_test_id("parties").locator("[data-acknowledged='0']")).to_have_count(3)
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-raised")
    order = WorkOrder.objects.get(title="手术室吊塔定制方案（现场）")
    assert order.assignee == presales and order.opportunity_id == deal.pk

    # 2. Presales and delivery acknowledge on a desktop; the sales party does not.
    url = f"/workorders/{order.pk}/"
    log_in(page, "presales1")
    page.goto(url)
    page.get_by_test_id("ack-presales").click()
    expect(page.locator("[data-party='presales']")).to_have_attribute("data-acknowledged", "1")
    _switch(page, "delivery1")
    page.goto(url)
    page.get_by_test_id("ack-delivery").click()
    expect(page.locator("[data-party='delivery']")).to_have_attribute("data-acknowledged", "1")
    expect(page.locator("[data-party='sales']")).to_have_attribute("data-acknowledged", "0")

    # 3. The acknowledgement SLA runs out twice: the supervisor, then the COO are told, once each.
    first, second = Deadline.objects.filter(
        subject_type="workorders.workorder", subject_id=order.pk, status="pending"
    ).order_by("step")[:2]
    sweeper.sweep(now=first.due_at, worker_id="browser")
    assert (
        Task.objects.filter(assignee=lead, subject_id=order.pk, subject_type="workorders.workorder").count()
        == 1
    )
    sweeper.sweep(now=second.due_at, worker_id="browser")
    sweeper.sweep(now=second.due_at, worker_id="browser")
    told = Notification.objects.filter(
        subject_type="workorders.workorder", subject_id=order.pk, kind="sla.escalated"
    )
    assert told.filter(recipient=coo).count() == 1
    _switch(page, "coo")
    page.goto(url)
    escalations = page.get_by_test_id("escalations")
    expect(escalations).to_contain_text("售前主管老周")
    expect(escalations).to_contain_text(str(coo))
    expect(page.locator("[data-light='red']").first).to_be_visible()

    # 4. Presales uploads the draft screenshot, then the signed confirmation; the order closes.
    _switch(page, "presales1")
    page.goto(url)
    page.get_by_test_id("advance-submit").click()
    expect(page.locator(".alert, .toast").filter(has_text="缺少证据：截图").first).to_be_visible()
    page.get_by_test_id("attach-form").locator("select[name=kind]").select_option("screenshot")
    page.set_input_files(
        "input[name=file]", {"name": "方案初稿.png", "mimeType": "image/png", "buffer": _png()}
    )
    page.get_by_test_id("attach-submit").click()
    expect(page.locator("[data-proof='screenshot']")).to_have_attribute("data-ready", "1")
    page.get_by_test_id("advance-submit").click()
    expect(page.get_by_test_id("state")).to_contain_text("方案初稿完成")
    page.get_by_test_id("attach-form").locator("select[name=kind]").select_option("signed_file")
    page.set_input_files(
        "input[name=file]",
        {"name": "客户确认书（签字）.pdf", "mimeType": "application/pdf", "buffer": SIGNED_PDF},
    )
    page.get_by_test_id("attach-submit").click()
    page.fill("textarea[name=note]", "客户已签字确认方案")
    page.get_by_test_id("advance-submit").click()
    expect(page.get_by_test_id("state")).to_contain_text("客户确认签字")
    expect(page.get_by_test_id("state")).to_contain_text("已关闭")
    expect(page.get_by_test_id("transitions")).to_contain_text("客户确认书（签字）.pdf")
    shot(page, "desktop-closed")
    order.refresh_from_db()
    assert order.closed_at is not None

    # The rep sees the outcome in 我的工单 on the phone without asking anyone.
    phone_page.goto("/workorders/")
    row = phone_page.get_by_test_id("workorder-row").filter(has_text="手术室吊塔定制方案（现场）")
    expect(row).to_contain_text("已关闭")
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-mine")
    # The department queue's kanban on a phone stays within the screen width.
    _switch(phone_page, "presales1")
    phone_page.goto("/workorders/queues/presales/?view=board")
    expect(phone_page.get_by_test_id("workorder-board")).to_be_visible()
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-board")
