"""Excel import and export: round trip, every error kind, dry run, all-or-nothing, skipped rows, scope."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from salesflow.core.models import Event
from salesflow.core.testing import Trio
from salesflow.customers import services as customer_services
from salesflow.customers.models import Contact, Customer, Order
from salesflow.imports import selectors, services
from salesflow.imports.tests.helpers import cells, sheet
from salesflow.leads.models import Lead
from salesflow.timers.models import Deadline

pytestmark = pytest.mark.django_db

CUSTOMER_HEADERS = ["客户名称", "行业细分", "客户等级", "客户分级", "区域", "地址", "付款条件偏好", "负责人"]


def _errors(result: services.ImportResult) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.reason) for e in result.errors]


def test_customers_import_writes_rows_with_search_keys_history_events_and_commitment_timer(
    trio: Trio,
) -> None:
    data = sheet(
        CUSTOMER_HEADERS,
        [
            [
                "杭州市第一医疗器械有限公司",
                "经销商",
                "三甲",
                "A 类客户",
                "上海一组",
                "杭州市西湖区",
                "月结30天",
                "owner",
            ],
            ["宁波仁爱医院", "hospital_private", "private", "", "", "", "", ""],
        ],
    )
    result = services.import_run(kind="customers", sheet=data, actor=trio.admin)
    assert result.errors == [] and result.created == 2 and result.written
    owned = Customer.objects.get(name="杭州市第一医疗器械有限公司")
    assert (owned.industry_segment, owned.customer_tier, owned.customer_class) == (
        "distributor",
        "tier3a",
        "a",
    )
    assert owned.owner == trio.owner and owned.claimed_at is not None and owned.region == trio.team
    assert "hzsdyylqxyxgs" in owned.initials
    assert owned.history.count() == 1 and owned.history.first().history_user == trio.admin
    names = set(
        Event.objects.filter(subject_id=owned.pk, subject_type="customers.customer").values_list(
            "name", flat=True
        )
    )
    assert {"customer.created", "customer.claimed", "timer.started"} <= names
    # The 7-day commitment clock starts on customer.claimed, as with customer_create.
    assert Deadline.objects.filter(subject_type="customers.customer", subject_id=owned.pk).exists()
    pooled = Customer.objects.get(name="宁波仁爱医院")
    assert pooled.owner is None and pooled.industry_segment == "hospital_private"


def test_every_customer_error_names_row_column_and_reason(trio: Trio) -> None:
    customer_services.customer_create(name="上海瑞金医院", actor=None)
    data = sheet(
        ["客户名称", "行业细分", "负责人", "区域"],
        [
            ["", "经销商", "", ""],  # row 2: missing name
            ["苏州医疗", "面包店", "", ""],  # row 3: unknown tag
            ["苏州医疗有限公司", "", "", ""],  # row 4: duplicate of row 3 in the file
            ["上海瑞金医院", "", "", ""],  # row 5: exists in the database
            ["南京医院", "", "nobody", "火星组"],  # row 6: unknown owner and region
        ],
    )
    result = services.import_run(kind="customers", sheet=data, actor=trio.admin)
    errors = _errors(result)
    assert [(r, c) for r, c, _ in errors] == [
        (2, "客户名称"),
        (3, "行业细分"),
        (4, "客户名称"),
        (5, "客户名称"),
        (6, "负责人"),
        (6, "区域"),
    ]
    assert "必填" in errors[0][2] and "面包店" in errors[1][2] and "第 3 行" in errors[2][2]
    assert "已存在" in errors[3][2]
    assert not result.written and Customer.objects.count() == 1  # all or nothing


def test_dry_run_writes_nothing_even_when_every_row_is_good(trio: Trio) -> None:
    data = sheet(["客户名称"], [["甲医院"], ["乙医院"]])
    before = Event.objects.count()
    result = services.import_run(kind="customers", sheet=data, actor=trio.admin, dry_run=True)
    assert result.valid == 2 and result.created == 2 and not result.written  # would create
    assert Customer.objects.count() == 0 and Event.objects.count() == before


def test_skip_bad_rows_writes_good_rows_and_returns_bad_ones_with_reasons(trio: Trio) -> None:
    data = sheet(["客户名称", "客户等级"], [["甲医院", "三甲"], ["乙医院", "四甲"], ["", "二甲"]])
    result = services.import_run(kind="customers", sheet=data, actor=trio.admin, skip_bad_rows=True)
    assert result.created == 1 and result.skipped == 2
    assert list(Customer.objects.values_list("name", flat=True)) == ["甲医院"]
    assert result.skipped_xlsx is not None
    rows = cells(result.skipped_xlsx)
    assert rows[0] == ["客户名称", "客户等级", "错误原因"]
    assert rows[1][:2] == ["乙医院", "四甲"] and "第 3 行「客户等级」" in rows[1][2] and "四甲" in rows[1][2]
    assert rows[2][1] == "二甲" and "「客户名称」" in rows[2][2] and "必填" in rows[2][2]


def test_contacts_errors_bad_phone_bad_email_unknown_customer_and_duplicates(trio: Trio) -> None:
    customer = customer_services.customer_create(name="甲医院", actor=None)
    customer_services.contact_add(customer=customer, name="王主任", phone="13900000000", actor=None)
    data = sheet(
        ["客户名称", "姓名", "职务", "手机", "邮箱"],
        [
            ["甲医院", "李医生", "科主任", "138 0013 8000", "li@example.com"],  # 2 ok
            ["甲医院", "张医生", "", "12345", ""],  # 3 bad phone
            ["甲医院", "赵医生", "", "", "not-an-email"],  # 4 bad email
            ["乙医院", "钱医生", "", "", ""],  # 5 unknown customer
            ["甲医院", "李医生2", "", "+86 13800138000", ""],  # 6 duplicate of row 2
            ["甲医院", "王主任", "", "13900000000", ""],  # 7 exists in the database
        ],
    )
    result = services.import_run(kind="contacts", sheet=data, actor=trio.admin)
    assert [(r, c) for r, c, _ in _errors(result)] == [
        (3, "手机"),
        (4, "邮箱"),
        (5, "客户名称"),
        (6, "手机"),
        (7, "手机"),
    ]
    assert not result.written and Contact.objects.count() == 1
    result = services.import_run(kind="contacts", sheet=data, actor=trio.admin, skip_bad_rows=True)
    assert result.created == 1
    customer.refresh_from_db()
    assert "13800138000" in customer.search_text and "liyisheng" in customer.search_text


def test_orders_import_checks_amounts_dates_and_runs_tag_rules(trio: Trio) -> None:
    customer = customer_services.customer_create(name="甲医院", actor=None)
    data = sheet(
        ["客户名称", "下单日期", "金额", "产品线", "型号", "订单号"],
        [
            ["甲医院", date(2024, 3, 1), 50000, "关节类、spine", "JX-1", "SO-1"],  # 2 ok
            ["甲医院", "2024/03/02", "¥1,200.50", "", "", "SO-2"],  # 3 ok
            ["甲医院", "昨天", 100, "", "", ""],  # 4 bad date
            ["甲医院", "2024-03-03", "很多", "", "", ""],  # 5 bad amount
            ["甲医院", "2024-03-03", 100, "牙科", "", ""],  # 6 unknown product line
            ["甲医院", "2024-03-03", 100, "", "", "SO-1"],  # 7 duplicate reference
            ["丙医院", "2024-03-03", 100, "", "", ""],  # 8 unknown customer
            ["甲医院", "2999-01-01", 100, "", "", ""],  # 9 future
        ],
    )
    result = services.import_run(kind="orders", sheet=data, actor=trio.admin)
    assert [(r, c) for r, c, _ in _errors(result)] == [
        (4, "下单日期"),
        (5, "金额"),
        (6, "产品线"),
        (7, "订单号"),
        (8, "客户名称"),
        (9, "下单日期"),
    ]
    assert Order.objects.count() == 0
    result = services.import_run(kind="orders", sheet=data, actor=trio.admin, skip_bad_rows=True)
    assert result.created == 2
    first = Order.objects.get(reference="SO-1")
    assert first.amount == Decimal("50000.00") and first.product_lines == ["joint", "spine"]
    assert Order.objects.get(reference="SO-2").amount == Decimal("1200.50")
    assert Event.objects.filter(name="customer.order_added", subject_id=customer.pk).count() == 2


def test_leads_import_scores_gives_to_owner_and_reports_duplicates(trio: Trio) -> None:
    data = sheet(
        ["姓名", "手机", "邮箱", "公司", "行业细分", "预算", "负责人"],
        [
            ["周先生", "13800000001", "", "甲医院", "公立医院", "480000", "owner"],  # 2 ok, owned
            ["吴女士", "13800000002", "wu@example.com", "", "", "", ""],  # 3 ok, pooled
            ["郑先生", "13800000001", "", "", "", "", ""],  # 4 duplicate phone of row 2
            ["王先生", "", "", "", "", "很多钱", ""],  # 5 bad budget
            ["", "13800000009", "", "", "", "", ""],  # 6 missing name
            ["陈先生", "", "", "", "", "", "outsider"],  # 7 owner out of a manager's scope
        ],
    )
    result = services.import_run(kind="leads", sheet=data, actor=trio.manager)
    assert [(r, c) for r, c, _ in _errors(result)] == [(4, "手机"), (5, "预算"), (6, "姓名"), (7, "负责人")]
    result = services.import_run(kind="leads", sheet=data, actor=trio.manager, skip_bad_rows=True)
    assert result.created == 2
    owned = Lead.objects.get(name="周先生")
    assert owned.owner == trio.owner and owned.status == "assigned" and owned.budget == Decimal("480000.00")
    assert Lead.objects.get(name="吴女士").owner is None
    again = services.import_run(
        kind="leads", sheet=sheet(["姓名", "手机"], [["周", "13800000001"]]), actor=trio.admin
    )
    assert "未关闭线索" in again.errors[0].reason


def test_export_then_import_round_trips_customers_contacts_and_orders(trio: Trio) -> None:
    customer = customer_services.customer_create(
        name="杭州市第一医疗器械有限公司",
        actor=None,
        industry_segment="distributor",
        customer_tier="tier3a",
        owner=trio.owner,
        region=trio.team,
        address="杭州",
        payment_term="月结",
    )
    customer_services.contact_add(
        customer=customer, name="王主任", phone="13900000000", email="w@x.cn", actor=None
    )
    customer_services.order_add(
        customer=customer,
        ordered_on=date(2024, 5, 1),
        amount="12345.67",
        product_lines=["joint"],
        reference="R1",
        actor=None,
    )
    books = {kind: selectors.export_workbook(kind, None, {}) for kind in ("customers", "contacts", "orders")}
    assert cells(books["customers"])[1] == [
        "杭州市第一医疗器械有限公司",
        "经销商",
        "三甲",
        None,
        "上海一组",
        "杭州",
        "月结",
        "owner",
    ]
    Customer.objects.all().delete()
    from salesflow.imports import xlsx

    for kind in ("customers", "contacts", "orders"):
        result = services.import_run(kind=kind, sheet=xlsx.read(books[kind]), actor=trio.admin)
        assert result.errors == [] and result.created == 1, kind
    again = Customer.objects.get()
    assert (again.industry_segment, again.customer_tier, again.owner, again.region) == (
        "distributor",
        "tier3a",
        trio.owner,
        trio.team,
    )
    assert again.contacts.get().phone == "13900000000"
    order = again.orders.get()
    assert (order.amount, order.ordered_on, order.product_lines, order.reference) == (
        Decimal("12345.67"),
        date(2024, 5, 1),
        ["joint"],
        "R1",
    )
    for kind in ("customers", "contacts", "orders"):
        assert cells(selectors.export_workbook(kind, None, {})) == cells(books[kind])


def test_leads_round_trip(trio: Trio) -> None:
    data = sheet(
        ["姓名", "手机", "公司", "产品线", "公司规模", "预算", "负责人"],
        [["周先生", "13800000001", "甲", "关节类", "large", 1000, "owner"]],
    )
    assert services.import_run(kind="leads", sheet=data, actor=trio.admin).created == 1
    exported = selectors.export_workbook("leads", None, {})
    assert cells(exported)[1][:3] == ["周先生", "13800000001", None]
    Lead.objects.all().delete()
    from salesflow.imports import xlsx

    result = services.import_run(kind="leads", sheet=xlsx.read(exported), actor=trio.admin)
    assert result.errors == [] and result.created == 1
    assert cells(selectors.export_workbook("leads", None, {})) == cells(exported)


def test_a_reps_export_holds_only_own_and_pool_customers_and_never_private_notes(trio: Trio) -> None:
    mine = customer_services.customer_create(name="我的医院", actor=None, owner=trio.owner)
    customer_services.customer_create(name="同事的医院", actor=None, owner=trio.teammate)
    customer_services.customer_create(name="池中医院", actor=None)
    customer_services.note_add(customer=mine, author=trio.owner, text="私密备注：回扣", private=True)
    customer_services.note_add(customer=mine, author=trio.owner, text="公开备注", private=False)
    customer_services.contact_add(customer=mine, name="王主任", actor=None)
    rows = cells(selectors.export_workbook("customers", trio.owner, {}))
    assert sorted(r[0] for r in rows[1:]) == ["我的医院", "池中医院"]
    assert [r[0] for r in cells(selectors.export_workbook("customers", trio.owner, {"owner": "me"}))[1:]] == [
        "我的医院"
    ]
    assert [
        r[0] for r in cells(selectors.export_workbook("customers", trio.owner, {"pool": "true"}))[1:]
    ] == ["池中医院"]
    assert len(cells(selectors.export_workbook("customers", trio.manager, {}))) == 4
    for kind in ("customers", "contacts", "orders"):
        text = repr(cells(selectors.export_workbook(kind, trio.owner, {})))
        assert "私密" not in text and "回扣" not in text
    assert [r[0] for r in cells(selectors.export_workbook("contacts", trio.teammate, {}))[1:]] == []


def test_reps_may_not_import(trio: Trio) -> None:
    from salesflow.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_run(kind="customers", sheet=sheet(["客户名称"], [["甲"]]), actor=trio.owner)
