"""Excel that round-trips: import modes matched by natural key, the per-row dry run, owners by
name, styled exports that follow the lists' filters, and the opportunity and activity exports."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from salesflow.activities.services import activity_log
from salesflow.core import clock
from salesflow.core.models import Event
from salesflow.core.testing import TEST_PASSWORD, Trio, api_client_for, make_user
from salesflow.customers import services as customer_services
from salesflow.customers.models import Contact, Customer, Order
from salesflow.imports import selectors, services, xlsx
from salesflow.imports.choices import ImportMode, RowAction
from salesflow.imports.tests.helpers import book, cells
from salesflow.leads import services as lead_services
from salesflow.leads.models import Lead
from salesflow.org.choices import Role
from salesflow.pipeline.services import opportunity_create

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _world(trio: Trio) -> dict[str, Any]:
    """Two customers (one with a contact and an order), and a lead, owned by trio.owner."""
    ada = customer_services.customer_create(
        name="甲医院",
        actor=trio.admin,
        owner=trio.owner,
        region=trio.team,
        industry_segment="hospital_public",
        customer_tier="tier3a",
        address="上海市徐汇区 1 号",
        payment_term="月结 30 天",
    )
    bob = customer_services.customer_create(name="乙诊所", actor=trio.admin, owner=trio.owner)
    contact = customer_services.contact_add(
        customer=ada,
        name="王主任",
        title="主任",
        phone="13800000001",
        email="w@example.com",
        actor=trio.admin,
    )
    order = customer_services.order_add(
        customer=ada,
        ordered_on=date(2025, 3, 1),
        amount=Decimal("123456.78"),
        product_lines=["joint", "spine"],
        models_bought="J-100",
        payment_term="预付",
        reference="SO-001",
        actor=trio.admin,
    )
    lead = lead_services.lead_create(
        name="李倩",
        phone="13900000002",
        company="丙医院",
        customer_tier="tier2a",
        budget=Decimal("480000"),
        source="wechat",
        owner=trio.owner,
        actor=trio.admin,
    )
    return {"ada": ada, "bob": bob, "contact": contact, "order": order, "lead": lead}


def _reimport(kind: str, data: bytes, actor: Any, mode: str = ImportMode.UPDATE, **kw: Any) -> Any:
    return services.import_run(kind=kind, sheet=xlsx.read(data), actor=actor, mode=mode, **kw)


def _snapshot() -> list[Any]:
    fields = ("name", "region_id", "industry_segment", "customer_tier", "address", "payment_term", "owner_id")
    return [
        list(Customer.objects.order_by("id").values_list(*fields)),
        list(Contact.objects.order_by("id").values_list("name", "title", "phone", "email")),
        list(Order.objects.order_by("id").values_list("ordered_on", "amount", "product_lines", "reference")),
        list(
            Lead.objects.order_by("id").values_list("name", "phone", "budget", "source", "owner_id", "status")
        ),
    ]


@pytest.mark.parametrize("kind", ["customers", "contacts", "orders", "leads"])
def test_unchanged_export_reimports_as_unchanged_in_update_mode(trio: Trio, kind: str) -> None:
    _world(trio)
    data = selectors.export_workbook(kind, trio.admin, {})
    before, events = _snapshot(), Event.objects.count()
    dry = _reimport(kind, data, trio.admin, dry_run=True)
    assert dry.errors == [] and dry.unchanged == dry.total > 0
    assert {r["action"] for r in dry.rows} == {RowAction.UNCHANGED}
    result = _reimport(kind, data, trio.admin)
    assert (result.created, result.updated, result.unchanged, result.written) == (0, 0, dry.total, True)
    assert _snapshot() == before and Event.objects.count() == events
    # Upsert reads the same file the same way; create-only refuses every existing key, per row.
    assert _reimport(kind, data, trio.admin, mode=ImportMode.UPSERT, dry_run=True).unchanged == dry.total
    refused = _reimport(kind, data, trio.admin, mode=ImportMode.CREATE, dry_run=True)
    assert len({e.row for e in refused.errors}) == dry.total and refused.valid == 0


def _edit(data: bytes, row: int, header: str, value: Any) -> bytes:
    rows = cells(data)
    rows[row][rows[0].index(header)] = value
    return book([str(h) for h in rows[0]], [list(r) for r in rows[1:]])


def test_changed_cell_is_an_update_naming_the_field_with_history_and_event(trio: Trio) -> None:
    world = _world(trio)
    data = _edit(selectors.export_workbook("customers", trio.admin, {}), 1, "地址", "上海市长宁区 9 号")
    dry = _reimport("customers", data, trio.admin, dry_run=True)
    assert (dry.updated, dry.unchanged) == (1, 1)
    assert dry.rows[0] == {"row": 2, "action": RowAction.UPDATE, "changed": ["地址"], "errors": []}
    assert Customer.objects.get(pk=world["ada"].pk).address == "上海市徐汇区 1 号"  # a dry run writes nothing
    history = world["ada"].history.count()
    result = _reimport("customers", data, trio.admin)
    ada = Customer.objects.get(pk=world["ada"].pk)
    assert (result.updated, ada.address, ada.customer_tier) == (1, "上海市长宁区 9 号", "tier3a")
    assert ada.history.count() == history + 1 and ada.history.first().history_user == trio.admin
    event = Event.objects.filter(name="customer.updated").get()
    assert (
        event.payload == {"fields": ["address"], "changed": "地址", "via": "import"}
        and event.subject_id == ada.pk
    )


def test_changed_order_amount_and_contact_title_update_through_the_services(trio: Trio) -> None:
    world = _world(trio)
    orders = _edit(selectors.export_workbook("orders", trio.admin, {}), 1, "金额", 99.5)
    assert _reimport("orders", orders, trio.admin).updated == 1
    assert Order.objects.get(pk=world["order"].pk).amount == Decimal("99.50")
    contacts = _edit(selectors.export_workbook("contacts", trio.admin, {}), 1, "职务", "副院长")
    dry = _reimport("contacts", contacts, trio.admin, dry_run=True)
    assert dry.rows[0]["changed"] == ["职务"]
    _reimport("contacts", contacts, trio.admin)
    assert Contact.objects.get(pk=world["contact"].pk).title == "副院长"
    assert Event.objects.filter(name="customer.contact_updated").count() == 1


def test_lead_update_by_phone_and_a_new_owner_is_a_reassignment(trio: Trio) -> None:
    world = _world(trio)
    data = _edit(selectors.export_workbook("leads", trio.admin, {}), 1, "负责人", "teammate")
    dry = _reimport("leads", data, trio.admin, dry_run=True)
    assert dry.rows[0]["changed"] == ["负责人"]
    _reimport("leads", data, trio.admin)
    lead = Lead.objects.get(pk=world["lead"].pk)
    assert lead.owner == trio.teammate and lead.source == "wechat"
    assert Event.objects.filter(name="lead.reassigned", subject_id=lead.pk).count() == 1


def test_update_only_refuses_rows_without_a_record_and_upsert_creates_them(trio: Trio) -> None:
    _world(trio)
    data = book(["客户名称", "客户等级"], [["甲医院", "二甲"], ["丁医院", "三甲"]])
    only = _reimport("customers", data, trio.admin, dry_run=True)
    assert [(e.row, e.column) for e in only.errors] == [(3, "客户名称")]
    assert "找不到要更新的记录" in only.errors[0].reason
    both = _reimport("customers", data, trio.admin, mode=ImportMode.UPSERT)
    assert (both.created, both.updated, both.written) == (1, 1, True)
    assert Customer.objects.get(name="甲医院").customer_tier == "tier2a"
    assert Customer.objects.filter(name="丁医院").exists()


def test_create_only_refuses_existing_keys_per_row_and_skips_them_when_asked(trio: Trio) -> None:
    _world(trio)
    data = book(["客户名称"], [["甲医院"], ["戊医院"]])
    result = _reimport("customers", data, trio.admin, mode=ImportMode.CREATE, skip_bad_rows=True)
    assert [(e.row, e.column) for e in result.errors] == [(2, "客户名称")]
    assert (result.created, result.skipped) == (1, 1)


def test_an_empty_cell_leaves_the_field_as_it_is(trio: Trio) -> None:
    world = _world(trio)
    data = book(["客户名称", "地址", "客户等级"], [["甲医院", "", "二甲"]])
    result = _reimport("customers", data, trio.admin)
    ada = Customer.objects.get(pk=world["ada"].pk)
    assert result.updated == 1 and (ada.address, ada.customer_tier) == ("上海市徐汇区 1 号", "tier2a")


def test_update_outside_the_importers_scope_is_a_row_error(trio: Trio) -> None:
    other = customer_services.customer_create(name="杭州医院", actor=trio.admin, owner=trio.outsider)
    data = book(["客户名称", "地址"], [[other.name, "新地址"]])
    result = _reimport("customers", data, trio.manager, dry_run=True)
    assert [(e.row, e.column) for e in result.errors] == [(2, "客户名称")]
    assert "不在你的范围内" in result.errors[0].reason


def test_mode_is_validated_naming_the_field(trio: Trio) -> None:
    data = book(["客户名称"], [["甲医院"]])
    with pytest.raises(Exception) as refused:
        _reimport("customers", data, trio.admin, mode="merge")
    assert "mode" in refused.value.errors  # type: ignore[attr-defined]
    response = api_client_for(trio.admin).post(
        "/api/v1/imports/customers",
        {"file": SimpleUploadedFile("c.xlsx", data, content_type=XLSX), "mode": "merge"},
    )
    assert response.status_code == 422 and "mode" in response.content.decode()


# Owners ------------------------------------------------------------------------------------


def test_owner_column_exports_the_display_name_and_imports_name_or_username(trio: Trio) -> None:
    rep = make_user("zhangsan", Role.REP, trio.team, trio.manager, display_name="张三")
    customer_services.customer_create(name="甲医院", actor=trio.admin, owner=rep)
    exported = cells(selectors.export_workbook("customers", trio.admin, {}))
    assert exported[1][exported[0].index("负责人")] == "张三"
    data = book(["客户名称", "负责人"], [["乙医院", "张三"], ["丙医院", "zhangsan"], ["丁医院", "无名氏"]])
    result = _reimport("customers", data, trio.admin, mode=ImportMode.CREATE, skip_bad_rows=True)
    assert [(e.row, e.column) for e in result.errors] == [(4, "负责人")]
    assert set(Customer.objects.filter(owner=rep).values_list("name", flat=True)) == {
        "甲医院",
        "乙医院",
        "丙医院",
    }


def test_an_ambiguous_owner_name_is_a_row_error_asking_for_the_username(trio: Trio) -> None:
    make_user("wang1", Role.REP, trio.team, trio.manager, display_name="王伟")
    make_user("wang2", Role.REP, trio.team, trio.manager, display_name="王伟")
    data = book(["客户名称", "负责人"], [["甲医院", "王伟"], ["乙医院", "wang2"]])
    result = _reimport("customers", data, trio.admin, mode=ImportMode.CREATE, dry_run=True)
    assert [(e.row, e.column) for e in result.errors] == [(2, "负责人")]
    assert "同名" in result.errors[0].reason


# Exports ------------------------------------------------------------------------------------


def test_export_has_a_styled_frozen_header_widths_and_number_formats(trio: Trio) -> None:
    _world(trio)
    wb = load_workbook(io.BytesIO(selectors.export_workbook("orders", trio.admin, {})))
    ws = wb.active
    assert ws is not None
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b and ws["A1"].fill.fill_type == "solid"
    assert ws.column_dimensions["A"].width >= 20  # customer names
    headers = [c.value for c in ws[1]]
    day, amount = ws.cell(2, headers.index("下单日期") + 1), ws.cell(2, headers.index("金额") + 1)
    assert isinstance(day.value, datetime) and day.value.date() == date(2025, 3, 1)
    assert day.number_format == "yyyy-mm-dd"
    assert amount.value == pytest.approx(123456.78) and "¥" in amount.number_format
    assert "0.00" in amount.number_format
    assert ws.cell(2, headers.index("产品线") + 1).value == "关节类、脊柱类"


def test_export_writes_labels_not_codes(trio: Trio) -> None:
    _world(trio)
    customers = cells(selectors.export_workbook("customers", trio.admin, {}))
    assert customers[1][:4] == ["甲医院", "公立医院", "三甲", None]
    leads = cells(selectors.export_workbook("leads", trio.admin, {}))
    row = dict(zip(leads[0], leads[1], strict=True))
    assert (row["客户等级"], row["来源"], row["负责人"]) == ("二甲", "微信", "owner")


def test_customer_export_follows_the_list_filters(trio: Trio) -> None:
    _world(trio)
    customer_services.customer_create(
        name="丙医院", actor=trio.admin, owner=trio.teammate, customer_tier="tier2a"
    )

    def names(filters: dict[str, str]) -> list[Any]:
        return [r[0] for r in cells(selectors.export_workbook("customers", trio.manager, filters))[1:]]

    assert names({}) == ["甲医院", "乙诊所", "丙医院"]
    assert names({"customer_tier": "tier2a"}) == ["丙医院"]
    assert names({"q": "诊所"}) == ["乙诊所"]
    assert names({"owner": str(trio.teammate.pk)}) == ["丙医院"]
    page = Client()
    assert page.login(username=trio.manager.username, password=TEST_PASSWORD)
    response = page.get("/customers/export.xlsx?customer_tier=tier2a&page=2")
    assert response.status_code == 200 and [r[0] for r in cells(response.content)[1:]] == ["丙医院"]


def test_lead_export_follows_the_list_filters_including_the_score(trio: Trio) -> None:
    world = _world(trio)
    lead_services.lead_create(name="低分", phone="13700000003", owner=trio.owner, actor=trio.admin)
    top = Lead.objects.get(pk=world["lead"].pk).score
    names = [r[0] for r in cells(selectors.export_workbook("leads", trio.admin, {"min_score": str(top)}))[1:]]
    assert "李倩" in names and ("低分" not in names or Lead.objects.get(name="低分").score >= top)
    response = api_client_for(trio.admin).get("/api/v1/exports/leads.xlsx?score_min=abc")
    assert response.status_code == 422 and "score_min" in response.content.decode()


def _opportunities(trio: Trio) -> dict[str, Any]:
    mine = customer_services.customer_create(name="甲医院", actor=trio.admin, owner=trio.owner)
    theirs = customer_services.customer_create(name="杭州医院", actor=trio.admin, owner=trio.outsider)
    a = opportunity_create(
        customer=mine,
        title="关节集采",
        actor=trio.owner,
        owner=trio.owner,
        amount="250000",
        product_lines=["joint"],
    )
    b = opportunity_create(customer=theirs, title="脊柱项目", actor=trio.outsider, owner=trio.outsider)
    when = clock.now() - timedelta(hours=1)
    activity_log(
        kind="call", occurred_at=when, actor=trio.owner, customer=mine, duration_seconds=300, note="谈价格"
    )
    activity_log(kind="visit", occurred_at=when, actor=trio.outsider, opportunity=b, note="=HYPERLINK(1)")
    return {"a": a, "b": b}


@pytest.mark.parametrize(
    ("who", "titles"),
    [("owner", ["关节集采"]), ("teammate", []), ("outsider", ["脊柱项目"]), ("manager", ["关节集采"])],
)
def test_opportunity_export_is_scoped_like_the_board(trio: Trio, who: str, titles: list[str]) -> None:
    _opportunities(trio)
    response = api_client_for(getattr(trio, who)).get("/api/v1/exports/opportunities.xlsx")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    rows = cells(response.content)
    assert rows[0][:3] == ["商机名称", "客户名称", "金额"]
    assert [r[0] for r in rows[1:]] == titles


def test_opportunity_export_cells_are_labels_money_and_local_dates(trio: Trio) -> None:
    world = _opportunities(trio)
    wb = load_workbook(io.BytesIO(selectors.export_workbook("opportunities", trio.owner, {"status": "open"})))
    ws = wb.active
    assert ws is not None
    row = {ws.cell(1, i).value: ws.cell(2, i) for i in range(1, ws.max_column + 1)}
    assert row["金额"].value == 250000 and "¥" in row["金额"].number_format
    assert (
        row["状态"].value == "进行中" and row["负责人"].value == "owner" and row["产品线"].value == "关节类"
    )
    assert row["阶段"].value != world["a"].stage  # the stage's name, not its code
    local = clock.to_local(world["a"].created_at).replace(tzinfo=None, second=0, microsecond=0)
    assert row["创建时间"].value.replace(second=0, microsecond=0) == local
    assert selectors.export_workbook("opportunities", trio.owner, {"status": "won"}) is not None
    assert len(cells(selectors.export_workbook("opportunities", trio.owner, {"status": "won"}))) == 1


@pytest.mark.parametrize(
    ("who", "notes"),
    [
        ("owner", ["谈价格"]),
        ("teammate", []),
        ("outsider", ["=HYPERLINK(1)"]),
        ("director", ["谈价格", "=HYPERLINK(1)"]),
    ],
)
def test_activity_export_is_scoped_to_what_the_caller_sees(trio: Trio, who: str, notes: list[str]) -> None:
    _opportunities(trio)
    response = api_client_for(getattr(trio, who)).get("/api/v1/exports/activities.xlsx")
    assert response.status_code == 200
    rows = cells(response.content)
    assert sorted(r[-1] for r in rows[1:]) == sorted(notes)  # formula-like text stays text


def test_activity_export_filters_and_labels(trio: Trio) -> None:
    _opportunities(trio)
    rows = cells(selectors.export_workbook("activities", trio.admin, {"kind": "call"}))
    assert [r[1:4] for r in rows[1:]] == [["电话", "客户", "甲医院"]]
    assert rows[1][4] == "owner" and rows[1][5] == 5 and rows[1][6] == "是"  # a 5-minute call counts
    response = api_client_for(trio.admin).get("/api/v1/exports/activities.xlsx?kind=fax")
    assert response.status_code == 422 and "kind" in response.content.decode()


def test_new_export_pages_download_for_a_signed_in_user(trio: Trio) -> None:
    _opportunities(trio)
    page = Client()
    assert page.login(username=trio.owner.username, password=TEST_PASSWORD)
    for url in ("/opportunities/export.xlsx?owner=me", "/activities/export.xlsx"):
        response = page.get(url)
        assert response.status_code == 200 and response["Content-Type"] == XLSX
        assert len(cells(response.content)) == 2


# CLI and wizard ------------------------------------------------------------------------------


def test_cli_export_and_reimport_in_update_mode(trio: Trio, tmp_path: Path, capsys: Any) -> None:
    _world(trio)
    out = tmp_path / "customers.xlsx"
    call_command("export", "customers", "--out", str(out))
    call_command("import", "customers", str(out), "--mode", "update", "--dry-run")
    assert "不变 2 行" in capsys.readouterr().out
    opp = tmp_path / "opps.xlsx"
    _opportunities_for_cli = customer_services.customer_create(
        name="己医院", actor=trio.admin, owner=trio.owner
    )
    opportunity_create(customer=_opportunities_for_cli, title="CLI 商机", actor=trio.owner, owner=trio.owner)
    call_command("export", "opportunities", "--out", str(opp), "--filter", "status=open")
    assert [r[0] for r in cells(opp.read_bytes())[1:]] == ["CLI 商机"]


def test_wizard_mode_and_per_row_preview(trio: Trio) -> None:
    _world(trio)
    data = _edit(selectors.export_workbook("customers", trio.admin, {}), 2, "付款条件偏好", "预付")
    page = Client()
    assert page.login(username=trio.admin.username, password=TEST_PASSWORD)
    response = page.post(
        "/settings/import/",
        {
            "kind": "customers",
            "mode": "upsert",
            "file": SimpleUploadedFile("c.xlsx", data, content_type=XLSX),
        },
    )
    assert response.status_code == 302
    job_url = response["Location"]
    preview = page.get(job_url).content.decode()
    assert "0 新建" in preview and "1 更新" in preview and "1 不变" in preview
    assert "付款条件偏好" in preview and "客户名称（忽略空格" in preview
    page.post(job_url, {"action": "run"})
    from salesflow.core.testing import run_ready_tasks

    run_ready_tasks()
    assert Customer.objects.get(name="乙诊所").payment_term == "预付"
    result = page.get(job_url).content.decode()
    assert 'data-testid="import-updated">1<' in result and 'data-testid="import-unchanged">1<' in result


def test_list_pages_link_their_exports_with_their_filters(trio: Trio) -> None:
    _opportunities(trio)
    page = Client()
    assert page.login(username=trio.owner.username, password=TEST_PASSWORD)
    leads = page.get("/leads/?owner=me&status=assigned&page=3").content.decode()
    assert 'href="/leads/export.xlsx?owner=me&amp;status=assigned&amp;owned=1"' in leads
    board = page.get("/opportunities/?q=%E5%85%B3%E8%8A%82").content.decode()
    assert 'href="/opportunities/export.xlsx?q=%E5%85%B3%E8%8A%82&amp;status=open"' in board
    assert 'href="/activities/export.xlsx"' in board
    exported = page.get("/opportunities/export.xlsx?q=%E5%85%B3%E8%8A%82&status=open")
    assert [r[0] for r in cells(exported.content)[1:]] == ["关节集采"]
