"""Reads of the approvals app, scoped to who may see them.

A request is visible to its requester, to everyone asked to decide one of its steps (and
their delegates), to the requester's managers up the reporting line (manager, director,
the company-wide roles per org.selectors.visible_owner_ids), and to admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse

from salesflow.approvals import registry
from salesflow.approvals.choices import RequestState, StepState
from salesflow.approvals.models import ApprovalDelegation, ApprovalRequest, ApprovalStep
from salesflow.approvals.services import active_delegators, local_today
from salesflow.core import clock, records
from salesflow.core.errors import FieldErrors
from salesflow.org.models import User
from salesflow.org.selectors import visible_owner_ids

# Steps whose approvers have been asked (a waiting or skipped step's approvers see nothing yet).
ASKED = (StepState.OPEN, StepState.APPROVED, StepState.REJECTED, StepState.RETURNED, StepState.CANCELLED)
LIST_STATES = ("pending", "mine", "done")


def deciders(user: User, now: datetime | None = None) -> list[int]:
    """`user` and everyone whose steps `user` may decide today as their delegate."""
    return [user.pk, *active_delegators(user, local_today(now or clock.now()))]


def requests_visible_to(user: User, *, now: datetime | None = None) -> QuerySet[ApprovalRequest]:
    """The requests `user` may open."""
    qs = ApprovalRequest.objects.select_related("requester")
    owners = visible_owner_ids(user)
    if owners is None:
        return qs
    ids = deciders(user, now)
    asked = ApprovalStep.objects.filter(state__in=ASKED, candidates__in=ids).values("request_id")
    acted = ApprovalStep.objects.filter(Q(acted_by=user) | Q(acted_on_behalf_of=user)).values("request_id")
    return qs.filter(Q(requester_id__in=owners) | Q(pk__in=asked) | Q(pk__in=acted))


def steps_visible_to(user: User) -> QuerySet[ApprovalStep]:
    """The steps of the requests `user` may open."""
    return ApprovalStep.objects.filter(request__in=requests_visible_to(user).values("pk"))


def pending_for(user: User, *, now: datetime | None = None) -> QuerySet[ApprovalRequest]:
    """Pending requests whose open step `user` may decide, as a candidate or an active delegate.

    One query (the navigation counts it on every page): the delegations are a subquery.
    """
    day = local_today(now or clock.now())
    delegators = ApprovalDelegation.objects.filter(
        delegate=user, starts_on__lte=day, ends_on__gte=day
    ).values("delegator_id")
    open_steps = ApprovalStep.objects.filter(
        Q(candidates=user) | Q(candidates__in=delegators), state=StepState.OPEN
    ).values("request_id")
    return (
        ApprovalRequest.objects.filter(state=RequestState.PENDING, pk__in=open_steps)
        .exclude(requester=user)
        .select_related("requester")
    )


def pending_count(user: User) -> int:
    """How many requests wait for `user` (the navigation's badge)."""
    return pending_for(user).count()


def requests_list(*, user: User, state: str) -> QuerySet[ApprovalRequest]:
    """A tab of 我的审批: `pending` (待我审批), `mine` (我发起的) or `done` (已处理 by me)."""
    if state == "pending":
        qs = pending_for(user)
    elif state == "mine":
        qs = ApprovalRequest.objects.filter(requester=user).select_related("requester")
    elif state == "done":
        acted = ApprovalStep.objects.filter(Q(acted_by=user) | Q(acted_on_behalf_of=user)).values(
            "request_id"
        )
        qs = ApprovalRequest.objects.filter(pk__in=acted).select_related("requester")
    else:
        raise FieldErrors(
            {"state": [f"“{state}” 不是有效值（pending / mine / done） / use pending, mine or done."]},
            location="query",
        )
    return qs.prefetch_related(_steps_prefetch())


def _steps_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "steps",
        queryset=ApprovalStep.objects.order_by("order")
        .select_related("acted_by", "acted_on_behalf_of")
        .prefetch_related("candidates"),
    )


def request_detail(queryset: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    """`queryset` with the steps, approvers and deciders loaded."""
    return queryset.prefetch_related(_steps_prefetch())


def current_step(request: ApprovalRequest) -> ApprovalStep | None:
    """The open step of a request (from prefetched steps when there are)."""
    return next((s for s in request.steps.all() if s.state == StepState.OPEN), None)


@dataclass(frozen=True)
class SubjectView:
    """What a page shows of a request's subject: its kind's label, the facts, a link."""

    label: str
    facts: list[tuple[str, str]]
    url: str | None
    name: str
    # The subject's timeline, where every step of its approvals is recorded.
    timeline_url: str | None = None


def subject_view(request: ApprovalRequest, user: User) -> SubjectView:
    """The subject's labelled facts (from its kind's `describe`) and link, for `user`."""
    kind = registry.get(request.kind)
    if kind is None:
        return SubjectView(request.kind, [], None, request.summary)
    subject = kind.model._default_manager.filter(pk=request.subject_id).first()
    if subject is None:
        return SubjectView(kind.label, [], None, request.summary)
    url = kind.detail_url(subject) if kind.detail_url else None
    rtype = records.type_for_label(request.subject_type)
    timeline = reverse("record-timeline", args=[rtype.name, request.subject_id]) if rtype else None
    return SubjectView(kind.label, kind.facts_for(subject, user), url, str(subject), timeline)


def may_decide(step: ApprovalStep | None, user: User, *, acting_for: list[int] | None = None) -> bool:
    """Whether `user` may act on `step` now (the buttons are shown only then).

    `acting_for` is `deciders(user)` when the caller has it (a list asks once, not per row).
    """
    if step is None or step.state != StepState.OPEN or step.request.requester_id == user.pk:
        return False
    ids = {c.pk for c in step.candidates.all()}
    return bool(ids & set(acting_for if acting_for is not None else deciders(user)))


def delegations_visible_to(user: User) -> QuerySet[ApprovalDelegation]:
    """Delegations `user` gives or takes; all of them for the ops admin."""
    qs = ApprovalDelegation.objects.select_related("delegator", "delegate")
    if user.is_superuser or user.role == "ops_admin":
        return qs
    return qs.filter(Q(delegator=user) | Q(delegate=user))


def delegate_choices(user: User) -> QuerySet[User]:
    """Colleagues one may name as delegate: active people other than oneself."""
    return User.objects.filter(is_active=True).exclude(pk=user.pk).exclude(role="integration").order_by("pk")
