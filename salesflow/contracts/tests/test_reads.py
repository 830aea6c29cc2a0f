"""Contract reads: who sees contracts and receivables (owner / teammate / outsider / manager /
finance), the ageing buckets by rep and team with drill-down, the API and the pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from salesflow.contracts import selectors, services
from salesflow.contracts.models import Contract, Instalment
from salesflow.core import clock
from salesflow.core.testing import Trio, api_client_for
from salesflow.org.models import User

from .helpers import AMOUNT, SIGNED_PDF, accepted_contract, people

pytestmark = pytest.mark.django_db


def _signed(trio: Trio, name: str = "仁和医院", owner: User | None = None) -> Contract:
    contract = accepted_contract(trio, name=name, owner=owner)
    return services.contract_sign(
        contract=contract, actor=contract.owner, data=SIGNED_PDF, filename="合同.pdf"
    )


def _due(contract: Contract, *days_ago: int) -> list[Instalment]:
    """Give the contract's instalments due dates `days_ago` days before today (negative: future)."""
    today = clock.to_local(clock.now()).date()
    plan = selectors.plan_of(contract)
    for instalment, ago in zip(plan, days_ago, strict=False):
        Instalment.objects.filter(pk=instalment.pk).update(due_date=today - timedelta(days=ago))
    return selectors.plan_of(contract)


def test_contracts_are_read_by_the_owner_line_and_finance_only(trio: Trio) -> None:
    fin, legal = people(trio)
    contract = accepted_contract(trio)
    for reader in (trio.owner, trio.manager, trio.director, fin, legal):
        assert selectors.contracts_visible_to(reader).filter(pk=contract.pk).exists(), reader
        assert api_client_for(reader).get(f"/api/v1/contracts/{contract.pk}").status_code == 200
    for stranger in (trio.teammate, trio.outsider, trio.other_manager):
        assert not selectors.contracts_visible_to(stranger).filter(pk=contract.pk).exists(), stranger
        assert api_client_for(stranger).get(f"/api/v1/contracts/{contract.pk}").status_code == 404
        client = Client()
        client.force_login(stranger)
        assert client.get(f"/contracts/{contract.pk}/").status_code == 404
    # The project manager reads the contract they run, though it is not in their line.
    Contract.objects.filter(pk=contract.pk).update(project_manager=trio.teammate)
    assert selectors.contracts_visible_to(trio.teammate).filter(pk=contract.pk).exists()


def test_ageing_puts_outstanding_money_in_the_pack_buckets_by_rep_and_team(trio: Trio) -> None:
    fin, _legal = people(trio)
    mine = _signed(trio)
    theirs = _signed(trio, name="康宁医院", owner=trio.outsider)
    _due(mine, -5, 10, 45)  # not yet due, 1–30, 31–60
    _due(theirs, 75, 120)  # 61–90, over 90
    today = clock.to_local(clock.now()).date()
    table = selectors.ageing(fin, today=today)
    assert [b.label for b in table.buckets] == ["未到期", "1–30 天", "31–60 天", "61–90 天", "90 天以上"]
    # Signing scheduled only the first instalment; the others got their dates above.
    assert table.totals == [
        Decimal("33900.00"),
        Decimal("67800.00"),
        Decimal("11300.00"),
        Decimal("33900.00"),
        Decimal("67800.00"),
    ]
    # The outsider's acceptance instalment has no date yet (not delivered): not a receivable.
    assert table.total == AMOUNT * 2 - Decimal("11300.00")
    assert table.overdue == table.total - Decimal("33900.00")
    by_rep = {r.name: r for r in table.reps}
    assert by_rep["owner"].amounts[0] == Decimal("33900.00") and by_rep["outsider"].amounts[4] == Decimal(
        "67800.00"
    )
    assert {r.name for r in table.teams} == {str(trio.team), str(trio.other_team)}
    # The rep sees only their own; the outsider's manager only theirs.
    assert selectors.ageing(trio.owner, today=today).total == AMOUNT
    assert selectors.ageing(trio.teammate, today=today).total == 0
    assert selectors.ageing(trio.other_manager, today=today).total == AMOUNT - Decimal("11300.00")
    # A paid instalment leaves the ageing; a partly paid one counts what is still open.
    first = selectors.plan_of(mine)[1]
    services.payment_record(instalment=first, actor=fin, amount="800", received_on=today, bank_reference="X1")
    assert selectors.ageing(fin, today=today).totals[1] == Decimal("67000.00")
    cell = selectors.receivable_rows(fin, today=today, bucket=4)
    assert [i.contract.customer.name for i in cell] == ["康宁医院"]


def test_the_receivables_api_and_page_drill_into_a_cell(trio: Trio) -> None:
    fin, _legal = people(trio)
    contract = _signed(trio)
    _due(contract, 40)
    answer = api_client_for(fin).get("/api/v1/receivables").json()
    assert answer["totals"][2] == "33900.00" and answer["reps"][0]["name"] == "owner"
    items = api_client_for(fin).get("/api/v1/receivables/items?bucket=2").json()["items"]
    assert [i["contract_number"] for i in items] == [contract.number] and items[0]["bucket"] == 2
    bad = api_client_for(fin).get("/api/v1/receivables/items?bucket=9&team=x")
    assert bad.status_code == 422 and {"bucket", "team"} <= {d["loc"][-1] for d in bad.json()["detail"]}
    client = Client()
    client.force_login(fin)
    page = client.get("/receivables/?bucket=2")
    html = page.content.decode()
    assert page.status_code == 200 and "31–60 天" in html and contract.customer.name in html
    assert "应收账款" in html and "¥" in html
    sheet = client.get("/receivables/export.xlsx?bucket=2")
    assert sheet.status_code == 200 and sheet["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )


def _json(user: User, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(api_client_for(user), method)(url, body, content_type="application/json")


def test_the_contract_api_plans_signs_and_collects(trio: Trio) -> None:
    fin, _legal = people(trio)
    contract = accepted_contract(trio)
    url = f"/api/v1/contracts/{contract.pk}"
    bad = _json(
        trio.owner,
        "put",
        f"{url}/plan",
        {"instalments": [{"name": "全款", "milestone": "never", "pct": 100}]},
    )
    assert bad.status_code == 422 and "instalments[0].milestone" in {
        d["loc"][-1] for d in bad.json()["detail"]
    }
    plan = _json(
        trio.owner,
        "put",
        f"{url}/plan",
        {
            "instalments": [
                {"name": "预付", "milestone": "signing", "pct": 50},
                {"name": "尾款", "milestone": "delivery", "pct": 50},
            ]
        },
    )
    assert plan.status_code == 200 and [i["amount"] for i in plan.json()["instalments"]] == [
        "56500.00",
        "56500.00",
    ]
    assert _json(trio.teammate, "patch", url, {"title": "x"}).status_code == 404
    signed = api_client_for(trio.owner).post(f"{url}/sign", {"file": _upload()})
    assert signed.status_code == 200, signed.content
    body = signed.json()
    assert (
        body["state"] == "signed" and body["state_label"] == "已签订" and body["instalments"][0]["due_date"]
    )
    first = body["instalments"][0]["id"]
    assert (
        _json(trio.owner, "post", f"/api/v1/instalments/{first}/request", {"note": "已开票"}).status_code
        == 200
    )
    receipt = _json(
        fin,
        "post",
        f"/api/v1/instalments/{first}/receipts",
        {
            "amount": "56500",
            "received_on": clock.to_local(clock.now()).date().isoformat(),
            "bank_reference": "B-1",
        },
    )
    assert receipt.status_code == 201
    after = api_client_for(trio.owner).get(url).json()
    assert after["received_total"] == "56500.00" and after["collected_pct"] == "50.0" and not after["green"]
    assert after["receipts"][0]["bank_reference"] == "B-1"


def _upload() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("合同.pdf", SIGNED_PDF, "application/pdf")


def test_the_pages_show_the_plan_the_light_and_the_next_step(trio: Trio) -> None:
    fin, _legal = people(trio)
    contract = _signed(trio)
    client = Client()
    client.force_login(trio.owner)
    listing = client.get("/contracts/").content.decode()
    assert contract.number in listing and "已签订" in listing
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "回款计划" in page and "预付款" in page and "发起请款" in page and "登记回款" not in page
    assert "signing" not in page and "planned" not in page
    client.force_login(fin)
    today = clock.to_local(clock.now()).date().isoformat()
    first = selectors.plan_of(contract)[0]
    response = client.post(
        f"/instalments/{first.pk}/receive/", {"amount": "33900", "received_on": today, "bank_reference": "B9"}
    )
    assert response.status_code == 302
    client.get(f"/instalments/{first.pk}/receive/")
    first.refresh_from_db()
    assert first.state == "paid"
    client.force_login(trio.owner)
    opportunity_page = client.get(f"/opportunities/{contract.opportunity_id}/").content.decode()
    assert contract.number in opportunity_page and "30%" in opportunity_page
