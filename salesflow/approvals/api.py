"""REST endpoints of 我的审批: lists, one request, decisions on its open step, withdrawal, delegations.

Scoped by approvals.selectors (404 for a request one may not see); services decide who may act
(403), what is no longer possible (409: "已由他人处理") and what is missing (422 naming `comment`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from salesflow.approvals import selectors, services
from salesflow.approvals.models import ApprovalDelegation, ApprovalRequest, ApprovalStep
from salesflow.core.errors import FieldErrors
from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import keyset_page
from salesflow.org.models import User
from salesflow.org.selectors import current_user

router = Router(tags=["approvals"])


class PersonOut(Schema):
    id: int
    name: str


class FactOut(Schema):
    label: str
    value: str


class StepOut(Schema):
    id: int
    order: int
    code: str
    name: str
    approver: str
    approver_label: str
    state: str
    state_label: str
    approvers: list[PersonOut]
    acted_by: PersonOut | None
    on_behalf_of: PersonOut | None
    comment: str
    skip_reason: str
    opened_at: datetime | None
    decided_at: datetime | None


class SubjectOut(Schema):
    kind: str
    label: str
    id: int
    name: str
    url: str | None
    facts: list[FactOut]


class ApprovalOut(Schema):
    """A request. Its raw facts (the numbers the chain's conditions read) are not sent: what a
    caller may see of the subject is `subject.facts`, from the subject kind's `describe`."""

    id: int
    kind: str
    chain: str
    chain_name: str
    state: str
    state_label: str
    summary: str
    comment: str
    requester: PersonOut
    created_at: datetime
    decided_at: datetime | None
    version: int
    current_step: int | None
    can_decide: bool
    steps: list[StepOut]
    subject: SubjectOut | None = None


class ApprovalPage(Schema):
    items: list[ApprovalOut]
    next: str | None


def _person(user: User | None) -> PersonOut | None:
    return PersonOut(id=user.pk, name=str(user)) if user is not None else None


def _step_out(step: ApprovalStep) -> StepOut:
    return StepOut(
        id=step.pk,
        order=step.order,
        code=step.code,
        name=step.name,
        approver=step.approver_spec,
        approver_label=services.approver_label(step.approver_spec),
        state=step.state,
        state_label=str(step.get_state_display()),
        approvers=[PersonOut(id=u.pk, name=str(u)) for u in step.candidates.all()],
        acted_by=_person(step.acted_by),
        on_behalf_of=_person(step.acted_on_behalf_of),
        comment=step.comment,
        skip_reason=step.skip_reason,
        opened_at=step.opened_at,
        decided_at=step.decided_at,
    )


def _out(
    approval: ApprovalRequest, me: User, *, with_subject: bool = False, acting_for: list[int] | None = None
) -> ApprovalOut:
    current = selectors.current_step(approval)
    subject = None
    if with_subject:
        view = selectors.subject_view(approval, me)
        subject = SubjectOut(
            kind=approval.kind,
            label=view.label,
            id=approval.subject_id,
            name=view.name,
            url=view.url,
            facts=[FactOut(label=str(label), value=str(value)) for label, value in view.facts],
        )
    return ApprovalOut(
        id=approval.pk,
        kind=approval.kind,
        chain=approval.chain,
        chain_name=approval.chain_name,
        state=approval.state,
        state_label=str(approval.get_state_display()),
        summary=approval.summary,
        comment=approval.comment,
        requester=PersonOut(id=approval.requester.pk, name=str(approval.requester)),
        created_at=approval.created_at,
        decided_at=approval.decided_at,
        version=approval.version,
        current_step=current.pk if current else None,
        can_decide=selectors.may_decide(current, me, acting_for=acting_for),
        steps=[_step_out(s) for s in approval.steps.all()],
        subject=subject,
    )


@router.get("/approvals", response=ApprovalPage)
def list_approvals(
    request: HttpRequest, state: str = "pending", cursor: str | None = None, limit: int = 50
) -> ApprovalPage:
    """`state=pending` (待我审批, delegated ones included), `mine` (我发起的) or `done` (已处理 by me)."""
    me = current_user(request)
    rows, next_cursor = keyset_page(
        selectors.requests_list(user=me, state=state), cursor=cursor, limit=limit, newest_first=True
    )
    acting_for = selectors.deciders(me)
    return ApprovalPage(items=[_out(r, me, acting_for=acting_for) for r in rows], next=next_cursor)


def _visible(request: HttpRequest, request_id: int) -> tuple[User, ApprovalRequest]:
    me = current_user(request)
    found = visible_or_404(selectors.request_detail(selectors.requests_visible_to(me)), request_id)
    return me, found


@router.get("/approvals/{request_id}", response=ApprovalOut)
def get_approval(request: HttpRequest, request_id: int) -> ApprovalOut:
    """One request with its subject's facts and the step ladder."""
    me, found = _visible(request, request_id)
    return _out(found, me, with_subject=True)


class CommentIn(Schema):
    comment: str = ""
    # The step the caller was deciding (optional): 409 when it is no longer open.
    step: int | None = None


class WithdrawIn(Schema):
    comment: str = ""


def _decide(request: HttpRequest, request_id: int, decision: str, payload: CommentIn) -> ApprovalOut:
    me, found = _visible(request, request_id)
    services.approval_decide(
        request=found, decision=decision, actor=me, comment=payload.comment, step_id=payload.step
    )
    _, fresh = _visible(request, request_id)
    return _out(fresh, me, with_subject=True)


@router.post("/approvals/{request_id}/approve", response=ApprovalOut)
def approve(request: HttpRequest, request_id: int, payload: CommentIn) -> ApprovalOut:
    """Approve the open step (its approvers or their active delegates); a comment is required."""
    return _decide(request, request_id, "approve", payload)


@router.post("/approvals/{request_id}/reject", response=ApprovalOut)
def reject(request: HttpRequest, request_id: int, payload: CommentIn) -> ApprovalOut:
    """Reject the open step: the chain stops."""
    return _decide(request, request_id, "reject", payload)


@router.post("/approvals/{request_id}/return", response=ApprovalOut)
def return_for_changes(request: HttpRequest, request_id: int, payload: CommentIn) -> ApprovalOut:
    """Return the request to the requester for changes."""
    return _decide(request, request_id, "return", payload)


@router.post("/approvals/{request_id}/withdraw", response=ApprovalOut)
def withdraw(request: HttpRequest, request_id: int, payload: WithdrawIn) -> ApprovalOut:
    """The requester withdraws a pending request."""
    me, found = _visible(request, request_id)
    services.approval_withdraw(request=found, actor=me, comment=payload.comment)
    _, fresh = _visible(request, request_id)
    return _out(fresh, me, with_subject=True)


class DelegationOut(Schema):
    id: int
    delegator: PersonOut
    delegate: PersonOut
    starts_on: date
    ends_on: date
    reason: str
    created_at: datetime


class DelegationIn(Schema):
    delegate: int
    starts_on: date
    ends_on: date
    reason: str = ""
    # The ops admin may set a delegate for someone already away; others only for themselves.
    delegator: int | None = None


class DelegationPatch(Schema):
    delegate: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    reason: str | None = None


def _delegation_out(d: ApprovalDelegation) -> DelegationOut:
    return DelegationOut(
        id=d.pk,
        delegator=PersonOut(id=d.delegator.pk, name=str(d.delegator)),
        delegate=PersonOut(id=d.delegate.pk, name=str(d.delegate)),
        starts_on=d.starts_on,
        ends_on=d.ends_on,
        reason=d.reason,
        created_at=d.created_at,
    )


def _user(user_id: int, field: str) -> User:
    found = User.objects.filter(pk=user_id, is_active=True).first()
    if found is None:
        raise FieldErrors({field: [f"没有编号为 {user_id} 的在职用户 / No active user {user_id}."]})
    return found


@router.get("/approval-delegations", response=list[DelegationOut])
def list_delegations(request: HttpRequest) -> list[DelegationOut]:
    """Delegations the caller gives or takes (all of them for the ops admin)."""
    return [_delegation_out(d) for d in selectors.delegations_visible_to(current_user(request))[:500]]


@router.post("/approval-delegations", response={201: DelegationOut})
def create_delegation(request: HttpRequest, payload: DelegationIn) -> Status[DelegationOut]:
    """Let `delegate` decide the caller's (or, for the ops admin, `delegator`'s) steps in a period."""
    me = current_user(request)
    delegator = _user(payload.delegator, "delegator") if payload.delegator is not None else me
    delegation = services.delegation_create(
        delegator=delegator,
        delegate=_user(payload.delegate, "delegate"),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        reason=payload.reason,
        actor=me,
    )
    return Status(201, _delegation_out(delegation))


def _visible_delegation(request: HttpRequest, delegation_id: int) -> ApprovalDelegation:
    return visible_or_404(selectors.delegations_visible_to(current_user(request)), delegation_id)


@router.patch("/approval-delegations/{delegation_id}", response=DelegationOut)
def update_delegation(request: HttpRequest, delegation_id: int, payload: DelegationPatch) -> DelegationOut:
    """Change a delegation's delegate, dates or reason (its delegator or the ops admin)."""
    delegation = _visible_delegation(request, delegation_id)
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    if "delegate" in changes:
        if changes["delegate"] is None:
            raise FieldErrors({"delegate": ["必填 / This field is required."]})
        changes["delegate"] = _user(changes["delegate"], "delegate")
    updated = services.delegation_update(delegation=delegation, changes=changes, actor=current_user(request))
    return _delegation_out(updated)


@router.delete("/approval-delegations/{delegation_id}", response={204: None})
def delete_delegation(request: HttpRequest, delegation_id: int) -> Status[None]:
    """Remove a delegation (its delegator or the ops admin)."""
    services.delegation_delete(
        delegation=_visible_delegation(request, delegation_id), actor=current_user(request)
    )
    return Status(204, None)
