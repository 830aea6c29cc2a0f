"""Three-level attribution (三级归因看板), acquisition spend and the weekly digest, on small
hand-computed histories; pages and API for owner, teammate, outsider and the ops admin."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from salesflow.activities.models import Activity
from salesflow.analytics import attribution, digest
from salesflow.analytics.models import AcquisitionSpend, DigestSent
from salesflow.analytics.services import playbook_save, spend_import, spend_set, target_set
from salesflow.analytics.testing import SHANGHAI, deal
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.core.testing import Trio
from salesflow.leads.models import Lead
from salesflow.notify.models import Notification
from salesflow.org.models import User
from salesflow.rules.selectors import active_pack

pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def lead(owner: User | None, assigned: datetime, *replies: datetime, **extra: Any) -> Lead:
    record = Lead.objects.create(
        name="客户",
        status=str(extra.pop("status", "assigned")),
        owner=owner,
        assigned_at=assigned,
        created_at=assigned - timedelta(minutes=1),
        **extra,
    )
    for when in replies:
        assert owner is not None
        Activity.objects.create(lead=record, kind="call", occurred_at=when, actor=owner, created_at=when)
    return record


def test_effective_contact_rate_per_week(trio: Trio) -> None:
    monday = date(2026, 11, 30)
    # Week of Nov 30: a record at 47 h (hit), one at 49 h (miss), none (miss) = 1 / 3.
    lead(trio.owner, at(11, 30), at(12, 2, 9))
    lead(trio.owner, at(11, 30), at(12, 2, 11))
    lead(trio.owner, at(12, 1))
    # The teammate's lead is theirs only; a lead whose 48 h have not passed yet is not counted.
    lead(trio.teammate, at(12, 1), at(12, 1, 11))
    lead(trio.owner, at(12, 6, 9))
    now = at(12, 7, 12)
    within = timedelta(hours=48)
    mine = attribution.effective_contact_trend(trio.owner, [monday], within=within, now=now)[0]
    assert (mine.numerator, mine.denominator, mine.value) == (1, 3, 33.3)
    team = attribution.effective_contact_trend(trio.manager, [monday], within=within, now=now)[0]
    assert (team.numerator, team.denominator, team.value) == (2, 4, 50.0)
    assert (
        attribution.effective_contact_trend(trio.outsider, [monday], within=within, now=now)[0].value is None
    )


def test_stage_conversion_spread_across_reps(trio: Trio) -> None:
    # November: the owner enters 线索登记 3 times and advances all 3 (100%); the teammate 3
    # times and advances 1 (33.3%). Population standard deviation = 33.3 points. The outsider
    # (2 entries, below min_sample 3) is left out; first_contact has one rep only: no spread.
    def go(owner: User, n: int, advance: bool) -> None:
        stays = [("lead_registered", at(11, 3 + n), at(11, 5 + n) if advance else None)]
        if advance:
            stays.append(("first_contact", at(11, 5 + n), None))
        deal(owner, f"{owner.username}{n}", created=at(11, 3 + n), stays=stays)

    for n in range(3):
        go(trio.owner, n, True)
    go(trio.teammate, 0, True)
    go(trio.teammate, 1, False)
    go(trio.teammate, 2, False)
    go(trio.outsider, 0, False)
    go(trio.outsider, 1, False)
    months = [date(2026, 10, 1), date(2026, 11, 1)]
    points = attribution.conversion_spread_trend(trio.admin, months, min_sample=3)
    assert [p.value for p in points] == [None, 33.3]
    # A rep alone has no spread.
    assert attribution.conversion_spread_trend(trio.owner, months, min_sample=3)[1].value is None


def test_acquisition_cost_year_on_year(trio: Trio) -> None:
    spend_set(actor=trio.admin, source="baidu", month=date(2025, 11, 1), amount=Decimal("10000"))
    spend_set(actor=trio.admin, source="baidu", month=date(2026, 11, 1), amount=Decimal("9000"))
    spend_set(actor=trio.admin, source="expo", month=date(2026, 11, 1), amount=Decimal("5000"))
    for _ in range(4):
        lead(
            None,
            at(11, 10, year=2025),
            status="converted",
            source="baidu",
            converted_at=at(11, 12, year=2025),
        )
    for _ in range(6):
        lead(None, at(11, 10), status="converted", source="baidu", converted_at=at(11, 12))
    # A baidu lead converted in December is not November's.
    lead(None, at(11, 10), status="converted", source="baidu", converted_at=at(12, 2))
    _n, pack = active_pack()
    trend, sources, overall = attribution.cac_board([date(2026, 11, 1)], pack)
    baidu = next(s for s in sources if s.source == "baidu")
    # 10,000 / 4 = 2,500 a year ago; 9,000 / 6 = 1,500 now: 40% cheaper.
    assert (baidu.cac_before, baidu.cac, baidu.drop_pct) == (Decimal("2500.00"), Decimal("1500.00"), 40.0)
    expo = next(s for s in sources if s.source == "expo")
    assert expo.label == "展会" and expo.cac is None and expo.drop_pct is None
    # Overall: (10,000 / 4) against (14,000 / 6 = 2,333.33): 6.7% cheaper.
    assert overall == 6.7 and trend[0].value == 6.7


def test_spend_is_the_ops_admins_and_checked(trio: Trio) -> None:
    for person in (trio.manager, trio.owner, trio.director):
        with pytest.raises(PermissionDenied):
            spend_set(actor=person, source="baidu", month=date(2026, 11, 1), amount=Decimal("1"))
    with pytest.raises(FieldErrors) as err:
        spend_set(actor=trio.admin, source="nope", month=None, amount=Decimal("-1"))
    assert set(err.value.errors) == {"source", "month", "amount"}
    spend_set(actor=trio.admin, source="baidu", month=date(2026, 11, 15), amount=Decimal("100"))
    spend_set(actor=trio.admin, source="baidu", month=date(2026, 11, 1), amount=Decimal("200"))
    assert list(AcquisitionSpend.objects.values_list("month", "amount")) == [
        (date(2026, 11, 1), Decimal("200.00"))
    ]


def test_spend_page_and_api_refuse_non_admins(trio: Trio, client: Client) -> None:
    url = reverse("attribution-spend")
    client.force_login(trio.manager)
    assert client.post(url, {"source": "baidu", "month": "2026-11", "amount": "100"}).status_code == 403
    assert (
        client.post(
            "/api/v1/analytics/acquisition-spend",
            {"source": "baidu", "month": "2026-11-01", "amount": "1"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert not AcquisitionSpend.objects.exists()
    client.force_login(trio.admin)
    response = client.post(url, {"source": "baidu", "month": "2026-11", "amount": "12,000"})
    assert response.status_code == 302
    assert AcquisitionSpend.objects.get().amount == Decimal("12000")
    bad = client.post(url, {"source": "baidu", "month": "x", "amount": "abc"})
    assert bad.status_code == 422 and "请填写月份" in bad.content.decode()


def test_attribution_page_and_api_by_role(
    trio: Trio, client: Client, django_assert_max_num_queries: object
) -> None:
    spend_set(actor=trio.admin, source="baidu", month=date(2026, 11, 1), amount=Decimal("9000"))
    with time_machine.travel(at(12, 7, 12), tick=False):
        client.force_login(trio.owner)
        body = client.get("/api/v1/analytics/attribution").json()
        assert [lv["level"] for lv in body["levels"]] == ["action", "process"]  # no spend for a rep
        assert body["sources"] == []
        client.force_login(trio.manager)
        body = client.get("/api/v1/analytics/attribution").json()
        assert [lv["level"] for lv in body["levels"]] == ["action", "process", "result"]
        assert body["sources"][0]["label"] == "百度推广"
        with django_assert_max_num_queries(20):  # type: ignore[operator]
            page = client.get(reverse("attribution-dashboard"))
        assert page.status_code == 200 and "获客成本（按线索来源）" in page.content.decode()


def test_health_page_and_api_by_role(
    trio: Trio, client: Client, django_assert_max_num_queries: object
) -> None:
    lead(trio.owner, at(12, 1), at(12, 1, 10, 30))
    lead(trio.outsider, at(12, 1), at(12, 1, 14))
    with time_machine.travel(at(12, 7, 12), tick=False):
        client.force_login(trio.owner)
        body = client.get("/api/v1/analytics/health").json()
        rows = body["indicators"][0]["rows"]
        assert [r["name"] for r in rows] == ["owner"] and rows[0]["latest"] == 30.0
        client.force_login(trio.director)
        body = client.get("/api/v1/analytics/health").json()
        assert {r["name"]: r["latest"] for r in body["indicators"][0]["rows"]} == {
            "上海一组": 30.0,
            "杭州组": 240.0,
        }
        client.force_login(trio.manager)
        with django_assert_max_num_queries(25):  # type: ignore[operator]
            page = client.get(reverse("health-dashboard"))
        text = page.content.decode()
        assert page.status_code == 200 and "上海一组" in text and "杭州组" not in text
        assert "检查分单规则" in text  # the playbook


def test_playbook_is_pack_text_rule_editors_change(trio: Trio) -> None:
    with pytest.raises(PermissionDenied):
        playbook_save(actor=trio.owner, code="median_lead_response", playbook="x")
    playbook_save(actor=trio.manager, code="median_lead_response", playbook="第一步\r\n第二步")
    _number, pack = active_pack()
    found = next(t for t in pack.health_thresholds if t.code == "median_lead_response")
    assert found.playbook == "第一步\n第二步"
    with pytest.raises(FieldErrors):
        playbook_save(actor=trio.manager, code="median_lead_response", playbook="x" * 4001)


# ---------------------------------------------------------------------------------------------
# The weekly digest


def test_weekly_digest_on_monday_morning_once_per_manager(trio: Trio) -> None:
    target_set(actor=trio.admin, team=trio.team, month=date(2026, 11, 1), amount=Decimal("400000"))
    deal(
        trio.owner,
        "W",
        created=at(11, 1),
        stays=[("lead_registered", at(11, 1), at(11, 26))],
        status="won",
        amount="100000",
    )
    digest.register_digest_section(
        "test_forecast", lambda manager, week, now: ("三、预测", f"P50 {manager.username}")
    )
    try:
        monday = at(11, 30, 8)  # Monday, before 08:30
        assert digest.digest_tick(monday) is False
        assert digest.digest_tick(at(11, 29, 9)) is False  # Sunday
        assert digest.digest_tick(at(11, 30, 8, 45)) is True
        assert digest.digest_tick(at(11, 30, 9, 45)) is False
        assert digest.send_weekly_digests(now=at(11, 30, 10))["sent"] == []  # idempotent
        notes = Notification.objects.filter(kind=digest.DIGEST_KIND)
        assert sorted(n.recipient.username for n in notes) == ["mgr", "mgr2"]
        body = notes.get(recipient=trio.manager).body
        assert "上周签约 10.0 万元" in body and "本月目标 40.0 万元，完成 25%" in body
        assert "最需改进的过程指标" in body and "改进手册" in body
        assert "三、预测" in body and "P50 mgr" in body
        assert "本月尚未设置目标" in notes.get(recipient=trio.other_manager).body
        # The next Monday: again, once.
        assert digest.digest_tick(at(12, 7, 9)) is True
        assert DigestSent.objects.filter(manager=trio.manager).count() == 2
    finally:
        digest._sections.pop("test_forecast", None)


def test_spend_workbook_round_trip_all_or_nothing(trio: Trio, client: Client) -> None:
    from salesflow.imports import xlsx

    spend_set(actor=trio.admin, source="baidu", month=date(2026, 10, 1), amount=Decimal("8000"), note="十月")
    client.force_login(trio.admin)
    exported = client.get(reverse("attribution-spend-export"))
    sheet = xlsx.read(exported.content)
    assert sheet.headers == ["线索来源", "月份", "金额（元）", "备注"]
    assert [cells[:2] for _n, cells in sheet.rows] == [["百度推广", "2026-10"]]
    good = xlsx.write(sheet.headers, [["百度推广", "2026-10", 9000, "改"], ["展会", "2026-11", "1,500", ""]])
    with pytest.raises(PermissionDenied):
        spend_import(actor=trio.manager, data=good)
    bad = xlsx.write(sheet.headers, [["展会", "2026-11", 100, ""], ["电视", "2026-11", -5, ""]])
    with pytest.raises(FieldErrors) as err:
        spend_import(actor=trio.admin, data=bad)
    assert err.value.errors["file"] == ["第 3 行：请选择线索来源；金额应为 0 到 1 万亿之间"]
    assert AcquisitionSpend.objects.count() == 1  # nothing of the bad workbook was saved
    assert spend_import(actor=trio.admin, data=good) == 2
    assert dict(AcquisitionSpend.objects.values_list("source", "amount")) == {
        "baidu": Decimal("9000.00"),
        "expo": Decimal("1500.00"),
    }


@time_machine.travel(datetime(2026, 12, 6, 10, tzinfo=SHANGHAI), tick=False)
def test_spend_grid_shows_twelve_months_by_source_and_a_cell_opens_the_form(
    trio: Trio, client: Client
) -> None:
    spend_set(actor=trio.admin, source="baidu", month=date(2026, 11, 1), amount=Decimal("12000"))
    spend_set(actor=trio.admin, source="wechat", month=date(2026, 11, 1), amount=Decimal("3000"))
    spend_set(actor=trio.admin, source="baidu", month=date(2025, 12, 1), amount=Decimal("5000"))
    spend_set(actor=trio.admin, source="baidu", month=date(2025, 11, 1), amount=Decimal("999"))  # 13th month
    client.force_login(trio.admin)
    html = client.get(reverse("attribution-spend")).content.decode()
    grid = html[html.index('data-testid="spend-grid"') : html.index('data-testid="spend-rows"')]
    months = re.findall(r'<th scope="row">(\d{4}-\d{2})</th>', grid)
    assert months[0] == "2026-12" and months[-1] == "2026-01" and len(months) == 12
    assert "百度推广" in grid and "¥1.2 万" in grid and "¥3,000" in grid
    assert "¥1.5 万" in grid  # November's total
    footer = grid[grid.index("<tfoot>") : grid.index("</tfoot>")]
    assert footer.endswith('<td class="text-end fw-bold">¥1.5 万</td></tr>')  # all twelve months
    assert "¥999" not in grid and "¥5,000" not in grid  # older than twelve months: only in the list
    form = client.get(reverse("attribution-spend") + "?month=2026-11&source=wechat").content.decode()
    assert 'value="2026-11"' in form and re.search(r'<option value="wechat"\s+selected', form)
