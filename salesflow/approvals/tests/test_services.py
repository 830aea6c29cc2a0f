"""Approval chains: who approves relative to the requester, skipped steps, decisions, events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from salesflow.approvals import services
from salesflow.approvals.choices import RequestState, StepState
from salesflow.approvals.models import ApprovalRequest, ApprovalStep
from salesflow.approvals.tests import helpers
from salesflow.approvals.tests.helpers import Cast, opportunity, start
from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.testing import make_user
from salesflow.notify.models import Notification
from salesflow.org.choices import Role

pytestmark = pytest.mark.django_db


def _open(request: ApprovalRequest) -> ApprovalStep:
    return request.steps.get(state=StepState.OPEN)


def test_the_chain_asks_the_requesters_manager_then_finance_and_skips_the_gm_below_the_thresholds(
    people: Cast,
) -> None:
    owner, manager = people.trio.owner, people.trio.manager
    request = start(opportunity(owner), owner, discount="10", amount="100000")
    steps = list(request.steps.order_by("order"))
    assert [s.code for s in steps] == ["regional_manager", "finance", "general_manager"]
    assert [s.state for s in steps] == [StepState.OPEN, StepState.WAITING, StepState.SKIPPED]
    assert list(steps[0].candidates.all()) == [manager]
    assert set(steps[1].candidates.all()) == {people.finance, people.finance2}
    assert (
        "申请折扣（%） 大于 20" in steps[2].skip_reason
        and "报价金额（元） 大于 500000" in steps[2].skip_reason
    )
    # The approver of the open step is told; nobody else yet.
    assert Notification.objects.filter(recipient=manager, kind="approval.step_opened").count() == 1
    assert not Notification.objects.filter(recipient=people.finance).exists()


def test_the_manager_step_follows_each_requesters_own_manager(people: Cast) -> None:
    trio = people.trio
    outsiders_request = start(opportunity(trio.outsider, title="外组商机"), trio.outsider)
    assert list(_open(outsiders_request).candidates.all()) == [trio.other_manager]
    # A manager's own request goes to their manager (the director).
    managers_request = start(opportunity(trio.manager, title="主管商机"), trio.manager)
    assert list(_open(managers_request).candidates.all()) == [trio.director]


def test_a_director_step_goes_to_the_requesters_region_director(people: Cast) -> None:
    helpers.install_chain(
        steps=[{"code": "director", "name": "总监审批", "approver": "director"}],
    )
    request = start(opportunity(people.trio.owner), people.trio.owner)
    assert list(_open(request).candidates.all()) == [people.trio.director]


def test_a_big_discount_or_amount_adds_the_general_manager(people: Cast) -> None:
    owner = people.trio.owner
    by_discount = start(opportunity(owner, title="大折扣"), owner, discount="25", amount="1000")
    by_amount = start(opportunity(owner, title="大金额"), owner, discount="5", amount="600000")
    for request in (by_discount, by_amount):
        gm_step = request.steps.get(code="general_manager")
        assert gm_step.state == StepState.WAITING
        assert list(gm_step.candidates.all()) == [people.gm]


def test_approving_every_step_ends_approved_and_calls_the_subjects_hook(people: Cast) -> None:
    trio = people.trio
    subject = opportunity(trio.owner)
    request = start(subject, trio.owner, discount="25")
    services.approval_approve(step=_open(request), actor=trio.manager, comment="同意，客户战略意义大")
    services.approval_approve(step=_open(request), actor=people.finance2, comment="毛利可接受")
    assert helpers.decided == []
    services.approval_approve(step=_open(request), actor=people.gm, comment="同意")
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED and request.decided_at is not None
    assert helpers.decided == [(request.pk, RequestState.APPROVED)]
    names = [e.name for e in events.events_for(subject) if e.name.startswith("approval.")]
    assert names == [
        "approval.requested",
        "approval.step_opened",
        "approval.step_decided",
        "approval.step_opened",
        "approval.step_decided",
        "approval.step_opened",
        "approval.step_decided",
        "approval.approved",
    ]
    decided = [e for e in events.events_for(subject) if e.name == "approval.step_decided"]
    assert [e.payload["comment"] for e in decided] == ["同意，客户战略意义大", "毛利可接受", "同意"]
    assert all(e.payload["request_id"] == request.pk for e in decided)
    assert [e.payload["actor"] for e in decided] == [trio.manager.pk, people.finance2.pk, people.gm.pk]
    assert Notification.objects.filter(recipient=trio.owner, kind="approval.approved").count() == 1


def test_the_skipped_step_is_on_the_subjects_timeline_with_its_reason(people: Cast) -> None:
    subject = opportunity(people.trio.owner)
    start(subject, people.trio.owner)
    skipped = [e for e in events.events_for(subject) if e.name == "approval.step_skipped"]
    assert len(skipped) == 1 and skipped[0].payload["step"] == "总经理审批"
    assert skipped[0].payload["skip_reason"].startswith("不满足条件")


def test_a_chain_whose_every_step_is_skipped_is_approved_at_once(people: Cast) -> None:
    helpers.install_chain(
        steps=[
            {
                "code": "gm_only",
                "name": "总经理审批",
                "approver": "role:gm",
                "condition": {"field": "facts.discount_pct", "op": "gt", "value": 20},
            }
        ]
    )
    request = start(opportunity(people.trio.owner), people.trio.owner, discount="5")
    assert request.state == RequestState.APPROVED
    assert helpers.decided == [(request.pk, RequestState.APPROVED)]


def test_reject_stops_the_chain(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner, discount="25")
    services.approval_reject(step=_open(request), actor=trio.manager, comment="折扣过大")
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED
    states = dict(request.steps.values_list("code", "state"))
    assert states == {
        "regional_manager": StepState.REJECTED,
        "finance": StepState.CANCELLED,
        "general_manager": StepState.CANCELLED,
    }
    assert not Notification.objects.filter(recipient=people.finance).exists()
    assert helpers.decided == [(request.pk, RequestState.REJECTED)]


def test_return_sends_it_back_and_a_new_request_may_start(people: Cast) -> None:
    trio = people.trio
    subject = opportunity(trio.owner)
    request = start(subject, trio.owner)
    services.approval_return(step=_open(request), actor=trio.manager, comment="请补充竞品对比")
    request.refresh_from_db()
    assert request.state == RequestState.RETURNED
    assert Notification.objects.filter(recipient=trio.owner, kind="approval.returned").exists()
    again = start(subject, trio.owner, discount="8")
    assert again.state == RequestState.PENDING and again.pk != request.pk


def test_a_second_pending_request_for_one_subject_is_a_conflict(people: Cast) -> None:
    subject = opportunity(people.trio.owner)
    first = start(subject, people.trio.owner)
    with pytest.raises(Conflict) as caught:
        start(subject, people.trio.owner)
    assert caught.value.status_code == 409 and caught.value.context["request"] == first.pk


def test_withdraw_by_the_requester_only(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner)
    with pytest.raises(PermissionDenied):
        services.approval_withdraw(request=request, actor=trio.manager, comment="不要了")
    with pytest.raises(FieldErrors) as missing:
        services.approval_withdraw(request=request, actor=trio.owner, comment=" ")
    assert "comment" in missing.value.errors
    services.approval_withdraw(request=request, actor=trio.owner, comment="客户改单，重新报价")
    request.refresh_from_db()
    assert request.state == RequestState.WITHDRAWN
    assert request.steps.get(code="regional_manager").state == StepState.CANCELLED
    assert Notification.objects.filter(recipient=trio.manager, kind="approval.withdrawn").exists()
    with pytest.raises(Conflict):
        services.approval_withdraw(request=request, actor=trio.owner, comment="再撤一次")


def test_a_comment_is_required_and_only_approvers_may_act(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner)
    step = _open(request)
    with pytest.raises(FieldErrors) as missing:
        services.approval_approve(step=step, actor=trio.manager, comment="")
    assert list(missing.value.errors) == ["comment"]
    for stranger in (trio.owner, trio.teammate, trio.other_manager, trio.director, people.finance):
        with pytest.raises(PermissionDenied):
            services.approval_approve(step=step, actor=stranger, comment="我来批")
    step.refresh_from_db()
    assert step.state == StepState.OPEN


def test_the_loser_of_two_approvers_hears_already_decided(people: Cast) -> None:
    """The state-check-after-lock: the second finance person finds the step decided (409)."""
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner)
    services.approval_approve(step=_open(request), actor=trio.manager, comment="同意")
    finance_step = _open(request)
    services.approval_approve(step=finance_step, actor=people.finance, comment="同意")
    with pytest.raises(Conflict) as caught:
        services.approval_approve(step=finance_step, actor=people.finance2, comment="同意")
    assert "已由他人处理" in caught.value.message
    finance_step.refresh_from_db()
    assert finance_step.acted_by == people.finance


def test_a_delegate_decides_while_the_approver_is_on_leave(people: Cast) -> None:
    trio = people.trio
    today = clock.to_local(clock.now()).date()
    stand_in = make_user("deputy", Role.MANAGER, trio.team, trio.director)
    services.delegation_create(
        delegator=trio.manager,
        delegate=stand_in,
        starts_on=today,
        ends_on=today + timedelta(days=5),
        reason="年假",
        actor=trio.manager,
    )
    subject = opportunity(trio.owner)
    request = start(subject, trio.owner)
    # The delegate is told too, and sees it among their pending ones.
    assert Notification.objects.filter(recipient=stand_in, kind="approval.step_opened").exists()
    from salesflow.approvals.selectors import pending_for

    assert list(pending_for(stand_in)) == [request]
    step = services.approval_approve(step=_open(request), actor=stand_in, comment="代为同意")
    assert step.acted_by == stand_in and step.acted_on_behalf_of == trio.manager
    decided = next(e for e in events.events_for(subject) if e.name == "approval.step_decided")
    assert decided.payload["on_behalf_of"] == str(trio.manager)


def test_a_delegation_outside_its_dates_gives_no_right(people: Cast) -> None:
    trio = people.trio
    today = clock.to_local(clock.now()).date()
    services.delegation_create(
        delegator=trio.manager,
        delegate=trio.other_manager,
        starts_on=today + timedelta(days=3),
        ends_on=today + timedelta(days=5),
        actor=trio.manager,
    )
    request = start(opportunity(trio.owner), trio.owner)
    with pytest.raises(PermissionDenied):
        services.approval_approve(step=_open(request), actor=trio.other_manager, comment="代批")


def test_delegation_input_errors_name_the_field(people: Cast) -> None:
    trio = people.trio
    with pytest.raises(FieldErrors) as bad:
        services.delegation_create(
            delegator=trio.manager,
            delegate=trio.manager,
            starts_on="2026-12-10",
            ends_on="2026-12-01",
            actor=trio.manager,
        )
    assert set(bad.value.errors) == {"delegate", "ends_on"}
    with pytest.raises(PermissionDenied):
        services.delegation_create(
            delegator=trio.manager,
            delegate=trio.owner,
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 2),
            actor=trio.owner,
        )


def test_missing_or_non_numeric_facts_are_refused_naming_facts(people: Cast) -> None:
    subject = opportunity(people.trio.owner)
    with pytest.raises(FieldErrors) as missing:
        services.approval_request_start(
            subject=subject, chain_code=helpers.CHAIN, requester=people.trio.owner, facts={"amount": 1}
        )
    assert "facts" in missing.value.errors and "discount_pct" in " ".join(missing.value.errors["facts"])
    with pytest.raises(FieldErrors):
        services.approval_request_start(
            subject=subject,
            chain_code=helpers.CHAIN,
            requester=people.trio.owner,
            facts={"amount": 1, "discount_pct": "很多"},
        )
    with pytest.raises(FieldErrors) as chain:
        services.approval_request_start(
            subject=subject, chain_code="nope", requester=people.trio.owner, facts={}
        )
    assert "chain_code" in chain.value.errors
    assert not ApprovalRequest.objects.exists()


def test_a_step_nobody_can_approve_is_refused_before_anything_is_written(people: Cast) -> None:
    # The director has no manager: the manager step has nobody.
    with pytest.raises(Conflict) as caught:
        start(opportunity(people.trio.director, title="总监商机"), people.trio.director)
    assert caught.value.context["step"] == "regional_manager"
    assert not ApprovalRequest.objects.exists()
