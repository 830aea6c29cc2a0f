"""The money panels of 今日战报: a quote sent over 72 h ago without an answer is yellow; contracts
at 90 % collected are green; overdue instalments are listed with their days — per team."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from salesflow.analytics import battle
from salesflow.contracts import selectors as contract_selectors
from salesflow.contracts import services as contracts
from salesflow.contracts.models import Instalment
from salesflow.contracts.tests.helpers import SIGNED_PDF, accepted_contract, people
from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.quotes.models import Quote
from salesflow.quotes.tests.helpers import deal, products, quote, send

pytestmark = pytest.mark.django_db


def _panels(scope: battle.BattleScope) -> dict[str, dict[str, Any]]:
    return {p.code: p.data for p in battle.battle_report(scope, now=clock.now())}


def test_yellow_quotes_green_contracts_and_overdue_money_per_team(trio: Trio) -> None:
    fin, _legal = people(trio)
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio, name="黄灯医院")
    old = send(quote(opportunity, trio.owner, (hip, 1, 0)), trio.owner)
    Quote.objects.filter(pk=old.pk).update(sent_at=clock.now() - timedelta(hours=80))
    fresh = send(quote(opportunity, trio.owner, (hip, 2, 0)), trio.owner)
    contract = contracts.contract_sign(
        contract=accepted_contract(trio), actor=trio.owner, data=SIGNED_PDF, filename="合同.pdf"
    )
    first = contract_selectors.plan_of(contract)[0]
    today = clock.to_local(clock.now()).date()
    Instalment.objects.filter(pk=first.pk).update(due_date=today - timedelta(days=12))
    team = _panels(battle.BattleScope(team=trio.team, name=""))
    assert team["yellow_quotes"]["count"] == 1
    assert [q["number"] for q in team["yellow_quotes"]["items"]] == [old.number]
    assert fresh.number not in str(team["yellow_quotes"])
    money = team["collections"]
    assert (money["contracts"], money["green"], money["overdue_count"]) == (1, 0, 1)
    assert money["overdue_amount"] == Decimal("33900.00") and money["items"][0]["days"] == 12
    contracts.contract_deliver(contract=contract, actor=trio.owner)
    payments = [(first, "33900"), (contract_selectors.plan_of(contract)[1], "67800")]
    for instalment, amount in payments:
        contracts.payment_record(
            instalment=instalment,
            actor=fin,
            amount=amount,
            received_on=today,
            bank_reference=f"R{instalment.pk}",
        )
    money = _panels(battle.BattleScope(team=trio.team, name=""))["collections"]
    assert (money["green"], money["overdue_count"], money["collected_pct"]) == (1, 0, 90.0)
    other = _panels(battle.BattleScope(team=trio.other_team, name=""))
    assert other["yellow_quotes"]["count"] == 0 and other["collections"]["contracts"] == 0
