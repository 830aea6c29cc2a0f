"""设置 → 销售目标: the sheet of one's subtree with signed amounts, saving all or nothing, the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from salesflow.analytics.models import SalesTarget
from salesflow.analytics.services import target_set
from salesflow.analytics.targets import TargetRow, target_sheet
from salesflow.analytics.testing import make_november
from salesflow.core.testing import Trio, api_client_for
from salesflow.org.models import User

pytestmark = pytest.mark.django_db

NOV = date(2026, 11, 1)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _by_name(rows: list[TargetRow]) -> dict[str, TargetRow]:
    return {row.name: row for row in rows}


def test_the_sheet_covers_the_readers_subtree_with_signed_amounts(trio: Trio) -> None:
    # November: A (owner, ¥100,000) and D (teammate, ¥200,000) won; nobody in 杭州组 won.
    make_november(trio)
    target_set(actor=trio.admin, team=trio.team, month=NOV, amount=Decimal("400000"))
    target_set(actor=trio.admin, person=trio.owner, month=NOV, amount=Decimal("150000"))
    company = _by_name(target_sheet(trio.admin, NOV))
    assert list(company)[:3] == ["测试公司", "华东大区", "上海一组"]
    region = company["华东大区"]
    assert region.amount is None and region.covered == Decimal("400000")  # only 上海一组 is set
    assert region.signed == Decimal("300000")
    team = company["上海一组"]
    assert (team.signed, team.completion) == (Decimal("300000"), 75.0)
    owner = company["owner"]
    assert (owner.kind, owner.signed, owner.amount) == ("person", Decimal("100000"), Decimal("150000"))
    assert owner.completion == 66.7
    assert company["outsider"].signed == Decimal(0) and company["outsider"].completion is None
    # A manager sees their own team and its people only, and may edit them.
    manager = _by_name(target_sheet(trio.manager, NOV))
    assert set(manager) == {"上海一组", "mgr", "owner", "teammate"}
    assert manager["owner"].editable and manager["上海一组"].editable
    assert not manager["mgr"].editable  # their own target is their director's to set
    # Outside November nothing was signed.
    assert _by_name(target_sheet(trio.manager, date(2026, 12, 1)))["上海一组"].signed == Decimal(0)


def test_the_page_saves_every_changed_cell_in_wan(trio: Trio) -> None:
    client = _client(trio.manager)
    page = client.get("/settings/targets/?month=2026-12")
    assert page.status_code == 200
    html = page.content.decode()
    assert "销售目标 2026-12" in html and "上海一组" in html and "杭州组" not in html
    team, owner = trio.team.pk, trio.owner.pk
    response = client.post(
        "/settings/targets/?month=2026-12",
        {"month": "2026-12", "action": "save", f"team-{team}": "30", f"person-{owner}": "12.5"},
    )
    assert response.status_code == 302 and response["Location"].endswith("month=2026-12")
    amounts = dict(SalesTarget.objects.values_list("month", "amount").filter(team=trio.team))
    assert amounts == {date(2026, 12, 1): Decimal("300000.00")}
    assert SalesTarget.objects.get(person=trio.owner).amount == Decimal("125000.00")
    html = client.get("/settings/targets/?month=2026-12").content.decode()
    assert 'value="30"' in html and 'value="12.5"' in html
    # Emptying a cell clears that target.
    client.post("/settings/targets/", {"month": "2026-12", "action": "save", f"person-{owner}": ""})
    assert not SalesTarget.objects.filter(person=trio.owner).exists()


def test_one_bad_cell_saves_nothing_and_is_named(trio: Trio) -> None:
    client = _client(trio.manager)
    team, owner = trio.team.pk, trio.owner.pk
    response = client.post(
        "/settings/targets/", {"month": "2026-12", f"team-{team}": "30", f"person-{owner}": "三十"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "请输入数字（万元）" in html and 'value="三十"' in html
    assert not SalesTarget.objects.exists()
    negative = client.post("/settings/targets/", {"month": "2026-12", f"team-{team}": "-1"})
    assert negative.status_code == 422 and "目标应为 0 到 1 万亿元之间" in negative.content.decode()
    assert not SalesTarget.objects.exists()
    assert client.get("/settings/targets/?month=2026-13").status_code == 422


def test_cells_outside_ones_subtree_are_ignored_and_reps_have_no_sheet(trio: Trio) -> None:
    client = _client(trio.other_manager)
    client.post("/settings/targets/", {"month": "2026-12", f"team-{trio.team.pk}": "99"})
    assert not SalesTarget.objects.exists()
    assert _client(trio.owner).get("/settings/targets/").status_code == 403


def test_copy_previous_month_fills_only_empty_cells(trio: Trio) -> None:
    target_set(actor=trio.admin, team=trio.team, month=NOV, amount=Decimal("100000"))
    target_set(actor=trio.admin, person=trio.owner, month=NOV, amount=Decimal("40000"))
    target_set(actor=trio.admin, team=trio.other_team, month=NOV, amount=Decimal("70000"))
    target_set(actor=trio.admin, person=trio.owner, month=date(2026, 12, 1), amount=Decimal("50000"))
    response = _client(trio.manager).post("/settings/targets/", {"month": "2026-12", "action": "copy"})
    assert response.status_code == 302
    december = {
        (t.team_id, t.person_id): t.amount for t in SalesTarget.objects.filter(month=date(2026, 12, 1))
    }
    # The manager's team copied, the owner's own December kept, the other team not theirs.
    assert december == {(trio.team.pk, None): Decimal("100000"), (None, trio.owner.pk): Decimal("50000")}


def test_api_reads_and_saves_all_or_nothing(trio: Trio) -> None:
    make_november(trio)
    api = api_client_for(trio.manager)
    sheet = api.get("/api/v1/analytics/targets?month=2026-11").json()
    assert sheet["month"] == "2026-11-01"
    team_row = next(r for r in sheet["rows"] if r["kind"] == "team")
    assert team_row["team"]["name"] == "上海一组" and Decimal(team_row["signed"]) == Decimal("300000")
    saved = api.put(
        "/api/v1/analytics/targets",
        {"month": "2026-11-01", "targets": [{"team": trio.team.pk, "amount": "600000"}]},
        content_type="application/json",
    )
    assert saved.status_code == 200
    row = next(r for r in saved.json()["rows"] if r["kind"] == "team")
    assert Decimal(row["amount"]) == Decimal("600000") and row["completion"] == 50.0
    bad = api.put(
        "/api/v1/analytics/targets",
        {
            "month": "2026-11-01",
            "targets": [
                {"person": trio.owner.pk, "amount": "1000"},
                {"team": trio.other_team.pk, "amount": "1000"},
                {"person": trio.teammate.pk, "amount": "-5"},
            ],
        },
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["detail"]] == [["body", "targets.1.team"]]
    assert not SalesTarget.objects.filter(person__isnull=False).exists()
    negative = api.put(
        "/api/v1/analytics/targets",
        {"month": "2026-11-01", "targets": [{"person": trio.teammate.pk, "amount": "-5"}]},
        content_type="application/json",
    )
    assert negative.status_code == 422
    assert [e["loc"] for e in negative.json()["detail"]] == [["body", "targets.0.amount"]]
    assert api.get("/api/v1/analytics/targets?month=13").status_code == 422
    assert api_client_for(trio.owner).get("/api/v1/analytics/targets").status_code == 403


def test_api_clears_with_null(trio: Trio) -> None:
    target_set(actor=trio.admin, team=trio.team, month=date(2026, 12, 1), amount=Decimal("1"))
    api = api_client_for(trio.director)
    response = api.put(
        "/api/v1/analytics/targets",
        {"month": "2026-12-01", "targets": [{"team": trio.team.pk, "amount": None}]},
        content_type="application/json",
    )
    assert response.status_code == 200 and not SalesTarget.objects.exists()
