"""Pages of 工单: the raise card on record pages, raising with the type's form, the detail with
labels (never codes), parties, stepper and proof, 我的工单, the queues (list and kanban), export."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from salesflow.pipeline import services as pipeline
from salesflow.timers import sweeper
from salesflow.workorders.models import WorkOrder
from salesflow.workorders.tests.helpers import Cast, pdf_bytes, png_bytes, raise_custom

pytestmark = pytest.mark.django_db


def test_the_customer_and_opportunity_pages_carry_the_raise_card(people: Cast, client: Client) -> None:
    client.force_login(people.trio.owner)
    html = client.get(f"/customers/{people.customer.pk}/").content.decode()
    assert 'data-testid="workorders-panel"' in html and "定制方案申请" in html
    opportunity = pipeline.opportunity_create(
        customer=people.customer,
        title="吊塔项目",
        owner=people.trio.owner,
        actor=people.trio.owner,
        amount="380000",
    )
    order = raise_custom(people, opportunity=opportunity)
    html = client.get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert 'data-testid="workorders-panel"' in html and order.title in html


def test_raising_from_the_form_shows_errors_by_field_then_the_order(people: Cast, client: Client) -> None:
    client.force_login(people.trio.owner)
    url = f"/workorders/new/?customer={people.customer.pk}&type=custom_solution"
    page = client.get(url).content.decode()
    assert "客户需求" in page and "脊柱类" in page and "需求澄清中" in page
    bad = client.post(
        "/workorders/new/", {"customer": people.customer.pk, "type": "custom_solution", "title": "x"}
    )
    assert bad.status_code == 200 and "请填写「客户需求」" in bad.content.decode()
    assert not WorkOrder.objects.exists()
    done = client.post(
        "/workorders/new/",
        {
            "customer": people.customer.pk,
            "type": "custom_solution",
            "title": "定制吊塔",
            "f_requirement": "吊塔 <script>alert(1)</script>",
            "f_product_line": "spine",
        },
    )
    order = WorkOrder.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/workorders/{order.pk}/"
    detail = client.get(done["Location"]).content.decode()
    assert (
        "脊柱类" in detail and "spine" not in detail.split('data-testid="form-values"')[1].split("</dl>")[0]
    )
    assert "<script>alert(1)</script>" not in detail and "&lt;script&gt;" in detail
    assert detail.count('data-acknowledged="0"') == 3
    assert 'data-testid="ack-sales"' in detail  # the owner acknowledges for sales
    # An outsider gets 404.
    client.force_login(people.trio.outsider)
    assert client.get(f"/workorders/{order.pk}/").status_code == 404
    assert client.get(f"/workorders/new/?customer={people.customer.pk}").status_code == 404


def test_presales_works_the_order_from_its_page_up_to_closing(people: Cast, client: Client) -> None:
    order = raise_custom(people)
    client.force_login(people.presales)
    url = f"/workorders/{order.pk}/"
    client.post(f"{url}acknowledge/", {"party": "presales"})
    refused = client.post(f"{url}advance/", {"to_state": "draft_done"}, follow=True).content.decode()
    assert "缺少证据：截图" in refused
    client.post(f"{url}attach/", {"kind": "screenshot", "file": SimpleUploadedFile("初稿.png", png_bytes())})
    client.post(f"{url}advance/", {"to_state": "draft_done"})
    client.post(f"{url}attach/", {"kind": "signed_file", "file": SimpleUploadedFile("确认.pdf", pdf_bytes())})
    client.post(f"{url}advance/", {"to_state": "customer_signed", "note": "客户已签字"})
    order.refresh_from_db()
    assert order.closed_at is not None and order.state == "customer_signed"
    html = client.get(url).content.decode()
    assert html.count('data-status="done"') == 3 and "确认.pdf" in html and "初稿.png" in html
    signed = order.attachments.get(kind="signed_file")
    response = client.get(f"{url}files/{signed.pk}/")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    client.force_login(people.trio.outsider)
    assert client.get(f"{url}files/{signed.pk}/").status_code == 404


def test_my_workorders_queue_board_and_export(
    people: Cast, client: Client, django_assert_max_num_queries: object
) -> None:
    order = raise_custom(people)
    for i in range(3):
        raise_custom(people, title=f"方案 {i}")
    client.force_login(people.trio.owner)
    mine = client.get("/workorders/").content.decode()
    assert mine.count('data-testid="workorder-row"') == 4 and "需求澄清中" in mine
    client.force_login(people.presales)
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        listed = client.get("/workorders/queues/presales/").content.decode()
    assert listed.count('data-testid="queue-row"') == 4 and "售前工单队列" in listed
    board = client.get("/workorders/queues/presales/?view=board").content.decode()
    assert 'data-state="clarifying"' in board and board.count('data-testid="board-card"') == 4
    assert client.get("/workorders/queues/nowhere/").status_code == 404
    filtered = client.get("/workorders/queues/presales/?q=方案 1").content.decode()
    assert filtered.count('data-testid="queue-row"') == 1
    moved = client.post(
        f"/workorders/{order.pk}/assign/",
        {"assignee": people.presales2.pk, "next": "/workorders/queues/presales/"},
    )
    assert moved["Location"] == "/workorders/queues/presales/"
    order.refresh_from_db()
    assert order.assignee == people.presales2
    response = client.get("/workorders/export.xlsx?department=presales&status=open")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:6] == ("工单号", "工单类型", "标题", "客户名称", "处理部门", "状态")
    assert len(rows) == 5 and rows[1][1] == "定制方案申请" and rows[1][4] == "售前"


def test_the_detail_lists_escalations_with_who_was_told(people: Cast, client: Client) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    order = raise_custom(people, now=datetime(2026, 12, 11, 17, 0, tzinfo=shanghai))
    sweeper.sweep(now=datetime(2026, 12, 14, 16, 30, tzinfo=shanghai), worker_id="t")
    client.force_login(people.trio.owner)
    html = client.get(f"/workorders/{order.pk}/").content.decode()
    section = html.split('data-testid="escalations"')[1]
    assert "售前主管" in section and "运营总监" in section
    assert 'data-light="red"' in html


def test_settings_show_the_workorder_types_section(people: Cast, client: Client) -> None:
    client.force_login(people.trio.admin)
    html = client.get("/settings/rules/").content.decode()
    section = html.split('data-testid="workorder-types"')[1].split("</table>")[0]
    assert "定制方案申请" in section and "销售、售前、交付" in section
    assert "客户确认签字 · 签字文件" in section and "工单 4 小时内响应" in section
    assert 'custom_solution"' in section  # the row's data attribute; the labels are what people read
    assert ">custom_solution<" not in section


def test_the_timeline_labels_the_events_a_type_names(people: Cast, client: Client) -> None:
    order = raise_custom(people)
    client.force_login(people.trio.owner)
    html = client.get(f"/records/workorder/{order.pk}/timeline/").content.decode()
    assert "发起定制方案申请" in html and "custom_solution_created" not in html
