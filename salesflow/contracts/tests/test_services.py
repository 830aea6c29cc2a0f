"""Contract services: a draft from an accepted quote, the payment plan, legal review of deviating
clauses, signing (evidence, won deal, order, due dates), delivery and acceptance, payment
requests and receipts, the reminder and overdue ladders, termination."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from salesflow.approvals import services as approvals
from salesflow.approvals.models import ApprovalRequest, ApprovalStep
from salesflow.contracts import selectors, services
from salesflow.contracts.choices import ContractState, InstalmentState
from salesflow.contracts.models import Contract, Instalment, PaymentReceipt
from salesflow.core import clock
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.models import Event
from salesflow.core.testing import Trio
from salesflow.customers.models import Order
from salesflow.notify.models import Notification, Task
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Evidence, Opportunity
from salesflow.pipeline.services import EvidenceMissing
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline

from .helpers import AMOUNT, SIGNED_PDF, accepted_contract, people

pytestmark = pytest.mark.django_db


def _sign(contract: Contract, trio: Trio, on: date | None = None) -> Contract:
    return services.contract_sign(
        contract=contract, actor=trio.owner, data=SIGNED_PDF, filename="合同.pdf", signed_on=on
    )


def test_accepting_a_quote_makes_a_numbered_contract_draft_with_the_pack_plan(trio: Trio) -> None:
    contract = accepted_contract(trio)
    year = clock.to_local(clock.now()).year
    assert contract.number == f"HT-{year}-000001" and contract.state == ContractState.DRAFT
    assert (
        contract.amount == AMOUNT and contract.owner == trio.owner and contract.project_manager == trio.owner
    )
    assert [line["sku"] for line in contract.lines] == ["HIP-52"] and contract.deviations == 0
    plan = selectors.plan_of(contract)
    assert [(i.name, i.pct, i.amount, i.milestone, i.days) for i in plan] == [
        ("预付款", Decimal("30.00"), Decimal("33900.00"), "signing", 7),
        ("到货款", Decimal("60.00"), Decimal("67800.00"), "delivery", 30),
        ("验收尾款", Decimal("10.00"), Decimal("11300.00"), "acceptance", 30),
    ]
    assert all(i.due_date is None for i in plan)
    second = accepted_contract(trio, name="康宁医院")
    assert second.number == f"HT-{year}-000002"
    # One live contract per quote: asking again is a conflict.
    with pytest.raises(Conflict):
        services.contract_create(quote=contract.quote, actor=trio.owner)


def test_a_bad_plan_names_each_field_and_keeps_the_old_plan(trio: Trio) -> None:
    contract = accepted_contract(trio)
    before = [(i.name, i.amount) for i in selectors.plan_of(contract)]
    with pytest.raises(FieldErrors) as caught:
        services.contract_plan_set(
            contract=contract,
            actor=trio.owner,
            instalments=[
                services.InstalmentInput(name="", milestone="signing", pct="50"),
                services.InstalmentInput(name="尾款", milestone="sometime", pct="50", amount="10"),
                services.InstalmentInput(name="质保", milestone="date", amount="10", days="400"),
            ],
        )
    assert set(caught.value.errors) == {
        "instalments[0].name",
        "instalments[1].milestone",
        "instalments[1].pct",
        "instalments[2].days",
        "instalments[2].due_date",
    }
    with pytest.raises(FieldErrors) as short:
        services.contract_plan_set(
            contract=contract,
            actor=trio.owner,
            instalments=[services.InstalmentInput(name="预付款", milestone="signing", pct="50")],
        )
    assert "instalments" in short.value.errors
    assert [(i.name, i.amount) for i in selectors.plan_of(contract)] == before
    plan = services.contract_plan_set(
        contract=contract,
        actor=trio.owner,
        instalments=[
            services.InstalmentInput(name="预付款", milestone="signing", amount="13000", days=0),
            services.InstalmentInput(
                name="尾款", milestone="date", amount="100000", due_date=date(2027, 3, 1)
            ),
        ],
    )
    assert [(i.amount, i.due_date) for i in plan] == [
        (Decimal("13000.00"), None),
        (Decimal("100000.00"), date(2027, 3, 1)),
    ]
    for stranger in (trio.teammate, trio.outsider):
        with pytest.raises(PermissionDenied):
            services.contract_plan_set(
                contract=contract,
                actor=stranger,
                instalments=[services.InstalmentInput(name="全款", milestone="signing", pct="100")],
            )


def test_a_deviating_clause_needs_legal_review_before_signing(trio: Trio) -> None:
    _fin, legal = people(trio)
    contract = accepted_contract(trio)
    clauses = [
        services.ClauseInput(code=c["code"], title=c["title"], text=c["text"]) for c in contract.clauses
    ]
    clauses[0] = services.ClauseInput(
        code=clauses[0].code, title=clauses[0].title, text="货到后 180 天内付清全款。"
    )
    contract = services.contract_update(contract=contract, actor=trio.owner, clauses=clauses)
    assert contract.deviations == 1
    with pytest.raises(Conflict):
        _sign(contract, trio)
    contract = services.contract_review_start(contract=contract, actor=trio.owner, comment="客户要求账期")
    assert contract.state == ContractState.LEGAL_REVIEW
    assert Event.objects.filter(name="contract.review_started", subject_id=contract.pk).exists()
    request = ApprovalRequest.objects.get(subject_type="contracts.contract", subject_id=contract.pk)
    step = ApprovalStep.objects.get(request=request, state="open")
    assert list(step.candidates.all()) == [legal]
    with pytest.raises(Conflict):
        _sign(contract, trio)
    approvals.approval_return(step=step, actor=legal, comment="账期过长，请改为 90 天")
    contract.refresh_from_db()
    assert contract.state == ContractState.DRAFT and contract.reviewed_at is None
    contract = services.contract_review_start(contract=contract, actor=trio.owner)
    step = ApprovalStep.objects.filter(request__subject_id=contract.pk, state="open").get()
    approvals.approval_approve(step=step, actor=legal, comment="同意")
    contract.refresh_from_db()
    assert contract.state == ContractState.LEGAL_REVIEW and contract.reviewed_at is not None
    assert _sign(contract, trio).state == ContractState.SIGNED


def test_signing_wins_the_deal_writes_the_order_and_schedules_the_first_instalment(trio: Trio) -> None:
    contract = accepted_contract(trio)
    today = clock.to_local(clock.now()).date()
    signed = _sign(contract, trio, on=today - timedelta(days=2))
    assert signed.state == ContractState.SIGNED and signed.signed_sha256 and signed.signed_file
    opportunity = Opportunity.objects.get(pk=contract.opportunity_id)
    assert opportunity.status == OpportunityStatus.WON
    evidence = Evidence.objects.get(opportunity=opportunity, requirement="signed_contract")
    assert evidence.kind == "signed_pdf" and evidence.stage == "contract_signed"
    order = Order.objects.get(customer=contract.customer)
    assert order.reference == contract.number and order.amount == AMOUNT and order.product_lines == ["joint"]
    first, second, third = selectors.plan_of(signed)
    assert first.due_date == today - timedelta(days=2) + timedelta(days=7)
    assert second.due_date is None and third.due_date is None
    policies = set(
        Deadline.objects.filter(subject_type="contracts.instalment", subject_id=first.pk).values_list(
            "policy", flat=True
        )
    )
    assert policies == {"payment_due_reminder", "payment_overdue"}
    assert Event.objects.filter(name="payment.scheduled", subject_id=first.pk).count() == 1


def test_signing_from_an_earlier_stage_checks_that_stage_evidence_and_writes_nothing(trio: Trio) -> None:
    contract = accepted_contract(trio, stage="proposal_quote")
    with pytest.raises(EvidenceMissing):
        _sign(contract, trio)
    contract.refresh_from_db()
    assert contract.state == ContractState.DRAFT and not contract.signed_sha256
    assert not Order.objects.exists() and not Evidence.objects.exists()
    assert Opportunity.objects.get(pk=contract.opportunity_id).status == OpportunityStatus.OPEN


def test_only_the_owner_signs_and_only_a_pdf(trio: Trio) -> None:
    contract = accepted_contract(trio)
    with pytest.raises(FieldErrors) as caught:
        services.contract_sign(contract=contract, actor=trio.owner, data=b"GIF89a", filename="x.pdf")
    assert set(caught.value.errors) == {"file"}
    with pytest.raises(FieldErrors) as future:
        _sign(contract, trio, on=clock.to_local(clock.now()).date() + timedelta(days=1))
    assert set(future.value.errors) == {"signed_on"}
    for other in (trio.manager, trio.teammate):
        with pytest.raises(PermissionDenied):
            services.contract_sign(contract=contract, actor=other, data=SIGNED_PDF, filename="合同.pdf")


def test_delivery_and_acceptance_schedule_their_instalments(trio: Trio) -> None:
    contract = _sign(accepted_contract(trio), trio)
    today = clock.to_local(clock.now()).date()
    with pytest.raises(PermissionDenied):
        services.contract_deliver(contract=contract, actor=trio.teammate)
    delivered = services.contract_deliver(contract=contract, actor=trio.owner, delivered_on=today)
    assert delivered.state == ContractState.IN_DELIVERY
    assert selectors.plan_of(contract)[1].due_date == today + timedelta(days=30)
    with pytest.raises(Conflict):
        services.contract_deliver(contract=contract, actor=trio.owner)
    completed = services.contract_complete(contract=contract, actor=trio.manager, accepted_on=today)
    assert completed.state == ContractState.COMPLETED
    assert selectors.plan_of(contract)[2].due_date == today + timedelta(days=30)


def test_a_request_stops_the_reminder_and_receipts_fill_the_green_light(trio: Trio) -> None:
    fin, _legal = people(trio)
    contract = _sign(accepted_contract(trio), trio)
    first = selectors.plan_of(contract)[0]
    with pytest.raises(PermissionDenied):
        services.payment_request(instalment=first, actor=trio.outsider)
    services.payment_request(instalment=first, actor=trio.owner, note="已开票")
    reminders = Deadline.objects.filter(subject_id=first.pk, policy="payment_due_reminder")
    assert not reminders.filter(status=Deadline.Status.PENDING).exists()
    assert Notification.objects.filter(recipient=fin, kind="payment.request_raised").exists()
    today = clock.to_local(clock.now()).date()
    with pytest.raises(PermissionDenied):
        services.payment_record(
            instalment=first, actor=trio.owner, amount="100", received_on=today, bank_reference="B1"
        )
    with pytest.raises(FieldErrors) as caught:
        services.payment_record(instalment=first, actor=fin, amount="-1", received_on=None, bank_reference="")
    assert set(caught.value.errors) == {"amount", "received_on", "bank_reference"}
    with pytest.raises(FieldErrors) as over:
        services.payment_record(
            instalment=first, actor=fin, amount="40000", received_on=today, bank_reference="B1"
        )
    assert set(over.value.errors) == {"amount"}
    services.payment_record(
        instalment=first, actor=fin, amount="20000", received_on=today, bank_reference="B1"
    )
    first.refresh_from_db()
    assert first.state == InstalmentState.PARTLY_PAID and first.received == Decimal("20000.00")
    with pytest.raises(FieldErrors):
        services.payment_record(
            instalment=first, actor=fin, amount="1", received_on=today, bank_reference="B1"
        )
    services.payment_record(
        instalment=first, actor=fin, amount="13900", received_on=today, bank_reference="B2"
    )
    first.refresh_from_db()
    assert first.state == InstalmentState.PAID
    overdue = Deadline.objects.filter(subject_id=first.pk, policy="payment_overdue")
    assert not overdue.filter(status=Deadline.Status.PENDING).exists()
    contract.refresh_from_db()
    assert contract.received_total == Decimal("33900.00") and not selectors.green(contract)
    services.contract_deliver(contract=contract, actor=trio.owner)
    second = selectors.plan_of(contract)[1]
    services.payment_record(
        instalment=second, actor=fin, amount="67800", received_on=today, bank_reference="B3"
    )
    contract.refresh_from_db()
    # 101,700 of 113,000 is exactly 90%: the pack's green share.
    assert selectors.collected_pct(contract) == Decimal("90.0") and selectors.green(contract)
    assert PaymentReceipt.objects.count() == 3


def _local(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.local_zone())


def test_the_reminder_and_the_overdue_ladder_fire_by_the_calendar(trio: Trio) -> None:
    fin, _legal = people(trio)
    contract = _sign(accepted_contract(trio), trio)
    first = selectors.plan_of(contract)[0]
    assert first.due_date is not None
    sweeper.sweep(now=_local(first.due_date - timedelta(days=4)))
    assert not Notification.objects.filter(kind="payment.due_soon").exists()
    sweeper.sweep(now=_local(first.due_date - timedelta(days=2)))
    told = set(
        Notification.objects.filter(kind="payment.due_soon").values_list("recipient__username", flat=True)
    )
    assert told == {fin.username, trio.owner.username}
    sweeper.sweep(now=_local(first.due_date + timedelta(days=2)))
    task = Task.objects.get(assignee=trio.owner, created_by_rule__startswith="sla:payment_overdue")
    assert "逾期" in task.title and contract.customer.name not in ("",)
    assert selectors.is_overdue(first, first.due_date + timedelta(days=1))
    sweeper.sweep(now=_local(first.due_date + timedelta(days=31)))
    escalated = Notification.objects.filter(recipient=trio.manager, kind="sla.escalated")
    assert escalated.count() == 1
    sweeper.sweep(now=_local(first.due_date + timedelta(days=32)))
    assert escalated.count() == 1


def test_termination_cancels_what_is_not_collected_and_stops_the_ladders(trio: Trio) -> None:
    contract = _sign(accepted_contract(trio), trio)
    with pytest.raises(FieldErrors):
        services.contract_terminate(contract=contract, actor=trio.owner, reason=" ")
    services.contract_terminate(contract=contract, actor=trio.owner, reason="客户预算取消")
    assert set(Instalment.objects.filter(contract=contract).values_list("state", flat=True)) == {"cancelled"}
    assert not Deadline.objects.filter(
        subject_type="contracts.instalment", status=Deadline.Status.PENDING
    ).exists()
    # A new contract may now be made from the same accepted quote.
    again = services.contract_create(quote=contract.quote, actor=trio.owner)
    assert again.pk != contract.pk and again.state == ContractState.DRAFT


def test_a_leaving_reps_contracts_to_collect_move_with_the_handover(trio: Trio) -> None:
    from salesflow.workflows import services as workflows

    contract = _sign(accepted_contract(trio), trio)
    draft = accepted_contract(trio, name="康宁医院")
    moved = workflows.user_handover(user=trio.owner, to=trio.teammate, actor=trio.manager)
    assert moved["contracts"] == 2
    for made in (contract, draft):
        made.refresh_from_db()
        assert made.owner == trio.teammate and made.project_manager == trio.teammate
    assert Event.objects.filter(name="contract.handed_over", subject_id=contract.pk).exists()
    # The overdue ladder now reminds the new project manager.
    first = selectors.plan_of(contract)[0]
    assert first.due_date is not None
    sweeper.sweep(now=_local(first.due_date + timedelta(days=2)))
    assert Task.objects.filter(
        assignee=trio.teammate, created_by_rule__startswith="sla:payment_overdue"
    ).exists()
    # Handed to the pool, the customers go there but the money goes to the leaver's manager.
    third = accepted_contract(trio, name="华山医院", owner=trio.outsider)
    workflows.user_handover(user=trio.outsider, to=None, actor=trio.admin)
    third.refresh_from_db()
    assert third.owner == trio.other_manager
