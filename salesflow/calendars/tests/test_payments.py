"""Payment due dates on the calendar: an instalment of a signed contract with money to collect is
on its project manager's day (owner / teammate / manager), and leaves once it is paid."""

from __future__ import annotations

from datetime import timedelta

import pytest

from salesflow.calendars import selectors
from salesflow.calendars.registry import CalendarEntry
from salesflow.contracts import selectors as contracts
from salesflow.contracts import services
from salesflow.contracts.tests.helpers import SIGNED_PDF, accepted_contract, people
from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.org.models import User

pytestmark = pytest.mark.django_db


def _payments(viewer: User, **params: str) -> list[CalendarEntry]:
    today = clock.to_local(clock.now()).date()
    end = (today + timedelta(days=14)).isoformat()
    query = selectors.parse_calendar_query({"start": today.isoformat(), "end": end, **params}, user=viewer)
    return [e for e in selectors.calendar_entries(viewer, query) if e.kind == "payment"]


def test_an_instalment_due_is_on_the_project_managers_calendar_until_paid(trio: Trio) -> None:
    fin, _legal = people(trio)
    contract = services.contract_sign(
        contract=accepted_contract(trio), actor=trio.owner, data=SIGNED_PDF, filename="合同.pdf"
    )
    first = contracts.plan_of(contract)[0]
    entries = _payments(trio.owner)
    assert [(e.start, e.all_day, e.detail) for e in entries] == [(first.due_date, True, contract.number)]
    assert "仁和医院" in entries[0].title and "预付款" in entries[0].title and "¥" in entries[0].title
    assert entries[0].url == f"/contracts/{contract.pk}/#plan" and entries[0].owner_id == trio.owner.pk
    assert _payments(trio.teammate) == []
    assert len(_payments(trio.manager, user=str(trio.owner.pk))) == 1
    services.payment_record(
        instalment=first,
        actor=fin,
        amount=first.amount,
        received_on=clock.to_local(clock.now()).date(),
        bank_reference="CAL-1",
    )
    assert _payments(trio.owner) == []
    assert first.due_date is not None and first.due_date <= clock.to_local(clock.now()).date() + timedelta(
        days=14
    )
