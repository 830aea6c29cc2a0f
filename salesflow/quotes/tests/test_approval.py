"""Special quotes through the approvals app: submitted by the rep, decided step by step by the
regional manager, finance and (above the pack's discount or amount) the GM; approved quotes may
be sent, rejected or returned ones go back to a draft; approvers see the margin only by right."""

from __future__ import annotations

import pytest
from django.test import Client

from salesflow.approvals import services as approvals
from salesflow.approvals.choices import RequestState, StepState
from salesflow.approvals.models import ApprovalRequest, ApprovalStep
from salesflow.core.errors import Conflict
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for, make_user
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.quotes import selectors, services
from salesflow.quotes.choices import QuoteState

from .helpers import deal, lines, products, quote, send

pytestmark = pytest.mark.django_db


def _open_step(made: object) -> ApprovalStep:
    return ApprovalStep.objects.get(request__subject_id=made.pk, state=StepState.OPEN)  # type: ignore[attr-defined]


def test_a_special_quote_is_approved_step_by_step_and_then_sent(trio: Trio) -> None:
    _hip, screw = products(trio)
    gm = make_user("gm", Role.GM, trio.admin.team, None)
    fin = User.objects.get(username="fin")
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (screw, 1, 15), risk_note="竞品低价抢单")
    with pytest.raises(Conflict):
        send(made, trio.owner)
    submitted = services.quote_submit(quote=made, actor=trio.owner)
    assert submitted.state == QuoteState.IN_APPROVAL
    request = ApprovalRequest.objects.get(subject_id=made.pk)
    assert request.facts["discount_pct"] == "15.0" and request.comment == "竞品低价抢单"
    # 15% and ¥960.50: the GM's step (discount above 20% or amount above ¥500,000) is skipped.
    assert [s.state for s in request.steps.order_by("order")] == [
        StepState.OPEN,
        StepState.WAITING,
        StepState.SKIPPED,
    ]
    with pytest.raises(Conflict):
        services.quote_update(
            quote=made, actor=trio.owner, data=services.QuoteInput(lines=lines((screw, 1, 5)))
        )
    approvals.approval_approve(step=_open_step(made), actor=trio.manager, comment="同意")
    approvals.approval_approve(step=_open_step(made), actor=fin, comment="财务同意")
    made.refresh_from_db()
    assert made.state == QuoteState.APPROVED and selectors.current_version(made).approved_at is not None
    assert send(made, trio.owner).state == QuoteState.SENT
    names = set(
        Event.objects.filter(subject_type="quotes.quote", subject_id=made.pk).values_list("name", flat=True)
    )
    assert {"approval.requested", "approval.step_decided", "approval.approved", "quote.sent"} <= names
    assert gm.pk not in request.steps.values_list("candidates", flat=True)


def test_a_large_discount_goes_up_to_the_gm_and_a_rejection_returns_the_quote_to_a_draft(trio: Trio) -> None:
    _hip, screw = products(trio)
    gm = make_user("gm", Role.GM, trio.admin.team, None)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (screw, 1, 25))
    services.quote_submit(quote=made, actor=trio.owner, comment="年度框架")
    request = ApprovalRequest.objects.get(subject_id=made.pk)
    gm_step = request.steps.get(code="general_manager")
    assert gm_step.state == StepState.WAITING and list(gm_step.candidates.all()) == [gm]
    approvals.approval_reject(step=_open_step(made), actor=trio.manager, comment="折扣过大")
    made.refresh_from_db()
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED and made.state == QuoteState.DRAFT
    # Revised within the limit it is an ordinary quote again.
    services.quote_update(quote=made, actor=trio.owner, data=services.QuoteInput(lines=lines((screw, 1, 8))))
    made.refresh_from_db()
    assert not made.special and send(made, trio.owner).state == QuoteState.SENT


def test_a_returned_quote_can_be_revised_and_submitted_again(trio: Trio) -> None:
    _hip, screw = products(trio)
    make_user("gm", Role.GM, trio.admin.team, None)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (screw, 1, 15))
    services.quote_submit(quote=made, actor=trio.owner)
    approvals.approval_return(step=_open_step(made), actor=trio.manager, comment="补充竞品对比表")
    made.refresh_from_db()
    assert made.state == QuoteState.DRAFT
    services.quote_update(quote=made, actor=trio.owner, data=services.QuoteInput(lines=lines((screw, 1, 12))))
    assert services.quote_submit(quote=made, actor=trio.owner).state == QuoteState.IN_APPROVAL
    assert ApprovalRequest.objects.filter(subject_id=made.pk).count() == 2


def test_an_ordinary_quote_is_not_submitted(trio: Trio) -> None:
    _hip, screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (screw, 1, 5))
    refused = api_client_for(trio.owner).post(
        f"/api/v1/quotes/{made.pk}/submit", {}, content_type="application/json"
    )
    assert refused.status_code == 409 and "无需审批" in refused.json()["detail"]
    assert (
        api_client_for(trio.teammate)
        .post(f"/api/v1/quotes/{made.pk}/submit", {}, content_type="application/json")
        .status_code
        == 404
    )


def test_approvers_read_the_special_quote_and_only_margin_readers_see_the_margin(trio: Trio) -> None:
    hip, _screw = products(trio)
    make_user("gm", Role.GM, trio.admin.team, None)
    fin = User.objects.get(username="fin")
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 15))
    submitted = api_client_for(trio.owner).post(
        f"/api/v1/quotes/{made.pk}/submit", {"comment": "院方预算有限"}, content_type="application/json"
    )
    assert submitted.status_code == 200 and submitted.json()["state"] == "in_approval"
    request = ApprovalRequest.objects.get(subject_id=made.pk)
    manager = Client()
    manager.force_login(trio.manager)
    page = manager.get(f"/approvals/{request.pk}/").content.decode()
    assert "仁和医院" in page and "最大 15.0%" in page and "预计毛利率" not in page
    approvals.approval_approve(step=_open_step(made), actor=trio.manager, comment="同意")
    finance = Client()
    finance.force_login(fin)
    page = finance.get(f"/approvals/{request.pk}/").content.decode()
    assert "预计毛利率" in page and "49.2%" in page
    quote_page = Client()
    quote_page.force_login(trio.owner)
    text = quote_page.get(f"/quotes/{made.pk}/").content.decode()
    assert 'data-testid="approval-status"' in text and "区域经理审批" in text
