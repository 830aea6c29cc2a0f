"""Writes of the approvals app: start a request, decide its steps, withdraw it, delegations.

Every action is one transaction that locks the request (then the step) before it reads their
state, so two approvers acting on one step at once cannot both win: the second finds the step
decided and gets a Conflict ("已由他人处理"). Events are recorded on the SUBJECT record (the
quote, the work order …) so every step shows on its timeline; the SLA timers run on the step.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q

from salesflow.approvals import registry
from salesflow.approvals.choices import Decision, RequestState, StepState
from salesflow.approvals.models import ApprovalDelegation, ApprovalRequest, ApprovalStep
from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.org import selectors as org_selectors
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.rules.conditions import compile_condition, describe, fact_fields
from salesflow.rules.schema import ApprovalChain, ApprovalChainStep
from salesflow.rules.selectors import active_pack

COMMENT_MAX = 2000
SUMMARY_MAX = 300
FACT_TEXT_MAX = 300
ALREADY_DECIDED = "已由他人处理 / Someone else has already decided this step."
APPROVER_LABELS = {"manager": "直属主管", "director": "大区总监"}
ROLE_LABELS = dict(Role.choices)


def approver_label(spec: str) -> str:
    """manager → 直属主管, role:finance → 财务 (for pages and messages)."""
    if spec in APPROVER_LABELS:
        return APPROVER_LABELS[spec]
    return str(ROLE_LABELS.get(spec.removeprefix("role:"), spec))


def local_today(now: datetime) -> date:
    """The company's calendar day at `now` (delegations are by local date)."""
    return clock.to_local(now).date()


# ---------------------------------------------------------------------------------------------
# Facts and conditions


def _clean_facts(facts: Any) -> dict[str, Any]:
    """Facts as JSON: numbers (Decimal kept exact as text), strings, booleans; else a field error."""
    if not isinstance(facts, dict):
        raise FieldErrors({"facts": ["应为键值对象 / Must be an object of facts."]})
    clean: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in facts.items():
        if not isinstance(key, str) or not key or len(key) > 60:
            problems.append(f"“{key}” 不是有效的要素名 / not a fact name.")
        elif value is None or isinstance(value, bool | int | float):
            clean[key] = value
        elif isinstance(value, Decimal):
            if not value.is_finite():
                problems.append(f"{key}: 不是有效数字 / not a number.")
            clean[key] = str(value)
        elif isinstance(value, str) and len(value) <= FACT_TEXT_MAX:
            clean[key] = value
        else:
            problems.append(f"{key}: 应为数字或不超过 {FACT_TEXT_MAX} 字的文本 / a number or short text.")
    if problems:
        raise FieldErrors({"facts": problems})
    return clean


def _facts_namespace(facts: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(facts=SimpleNamespace(**facts))


def _check_facts_for(chain: ApprovalChain, facts: dict[str, Any]) -> None:
    """Every fact a step's condition reads is present, and numeric where compared with numbers.

    A missing discount must not silently skip the general manager's step.
    """
    problems: list[str] = []
    for step in chain.steps:
        for path, info in fact_fields(step.condition, chain.facts).items():
            name = path.removeprefix("facts.")
            value = facts.get(name)
            if value is None:
                problems.append(f"缺少「{info.label}」({name}) / missing fact {name}.")
            elif info.kind == "number":
                try:
                    if isinstance(value, bool) or not Decimal(str(value)).is_finite():
                        raise InvalidOperation
                except (InvalidOperation, ValueError):
                    problems.append(f"「{info.label}」应为数字 / {name} must be a number.")
    if problems:
        raise FieldErrors({"facts": sorted(set(problems))})


def step_applies(chain: ApprovalChain, step: ApprovalChainStep, facts: dict[str, Any], now: datetime) -> bool:
    """Whether `step`'s condition holds for `facts` (no condition: always)."""
    if not step.condition:
        return True
    fields = fact_fields(step.condition, chain.facts)
    return compile_condition(step.condition, fields).matches(_facts_namespace(facts), now)


def skip_reason(chain: ApprovalChain, step: ApprovalChainStep) -> str:
    """Why a step was skipped, in words (its condition did not hold)."""
    text = describe(step.condition, fact_fields(step.condition, chain.facts))
    return f"不满足条件：{text}"[:300]


# ---------------------------------------------------------------------------------------------
# Approvers


def resolve_approvers(spec: str, requester: User) -> list[User]:
    """The users who may decide a step of `spec`, relative to the requester (never the requester)."""
    if spec == "manager":
        found = [requester.manager] if requester.manager is not None else []
    elif spec == "director":
        holder = org_selectors.role_holder_above(requester, Role.DIRECTOR)
        found = [holder] if holder is not None else []
    elif spec.startswith("role:"):
        found = list(User.objects.filter(role=spec.removeprefix("role:"), is_active=True).order_by("pk"))
    else:
        found = []
    return [u for u in found if u.is_active and u.pk != requester.pk]


def active_delegators(user: User, day: date) -> list[int]:
    """Ids of the people whose steps `user` may decide on `day` (their delegate while away)."""
    return list(
        ApprovalDelegation.objects.filter(delegate=user, starts_on__lte=day, ends_on__gte=day).values_list(
            "delegator_id", flat=True
        )
    )


def active_delegates(user_ids: list[int], day: date) -> list[User]:
    """The active delegates of `user_ids` on `day`."""
    ids = ApprovalDelegation.objects.filter(
        delegator_id__in=user_ids, starts_on__lte=day, ends_on__gte=day
    ).values_list("delegate_id", flat=True)
    return list(User.objects.filter(pk__in=list(ids), is_active=True).order_by("pk"))


def acting_for(step: ApprovalStep, actor: User, now: datetime) -> User | None:
    """None when `actor` is a candidate of `step`; the candidate they stand in for as a delegate.

    PermissionDenied for anyone else, and for the requester (nobody approves their own request).
    """
    if actor.pk == step.request.requester_id:
        raise PermissionDenied("不能审批自己发起的申请 / You cannot decide your own request.")
    candidate_ids = set(step.candidates.values_list("pk", flat=True))
    if actor.pk in candidate_ids:
        return None
    for delegator_id in sorted(set(active_delegators(actor, local_today(now))) & candidate_ids):
        return User.objects.get(pk=delegator_id)
    raise PermissionDenied(
        f"您不是「{step.name}」的审批人或其代理人 / You are not an approver of this step.", step=step.name
    )


# ---------------------------------------------------------------------------------------------
# Requests


def _chain(code: str) -> ApprovalChain:
    chain = active_pack()[1].chain(code)
    if chain is None:
        raise FieldErrors({"chain_code": [f"规则包中没有审批流程“{code}” / No approval chain “{code}”."]})
    return chain


def _subject_of(request: ApprovalRequest) -> models.Model:
    kind = registry.get(request.kind)
    if kind is None:
        raise NotFound(f"“{request.kind}” 不是可审批的记录类型 / Unknown kind.")
    subject = kind.model._default_manager.filter(pk=request.subject_id).first()
    if subject is None:
        raise NotFound("审批对象已不存在 / The record under approval no longer exists.")
    return subject


def _payload(
    request: ApprovalRequest, step: ApprovalStep | None, actor: User | None, **extra: Any
) -> dict[str, Any]:
    return {
        "request_id": request.pk,
        "chain_name": request.chain_name,
        "step": step.name if step else "",
        "comment": extra.pop("comment", ""),
        "actor": actor.pk if actor else None,
        **extra,
    }


def _notify(
    people: list[User],
    *,
    kind: str,
    title: str,
    body: str,
    request: ApprovalRequest,
    actor: User | None,
    now: datetime,
) -> None:
    from salesflow.notify import services as notify

    # The notification points at the request: the inbox link opens the approval page.
    notify.notify(recipients=people, kind=kind, title=title, body=body, subject=request, actor=actor, now=now)


def approval_request_start(
    *,
    subject: models.Model,
    chain_code: str,
    requester: User,
    facts: dict[str, Any],
    summary: str = "",
    comment: str = "",
    now: datetime | None = None,
) -> ApprovalRequest:
    """Ask for `subject` to be approved through the pack's chain `chain_code`.

    Resolves every step's approvers relative to the requester, skips the steps whose condition
    is false, and opens the first applicable one; a chain whose every step is skipped is
    approved at once. A second pending request for the same subject is a Conflict (409).
    """
    now = now or clock.now()
    chain = _chain(chain_code)
    kind = registry.require(chain.subject, field="chain_code")
    if not isinstance(subject, kind.model) or subject.pk is None:
        raise FieldErrors(
            {"subject": [f"审批流程「{chain.name}」只适用于{kind.label} / Wrong kind of record."]}
        )
    clean = _clean_facts(facts)
    _check_facts_for(chain, clean)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise FieldErrors({"comment": [f"最多 {COMMENT_MAX} 字 / At most {COMMENT_MAX} characters."]})
    summary = (summary or str(subject)).strip()[:SUMMARY_MAX]
    plan: list[tuple[ApprovalChainStep, bool, list[User]]] = []
    for spec in chain.steps:
        applies = step_applies(chain, spec, clean, now)
        people = resolve_approvers(spec.approver, requester) if applies else []
        if applies and not people:
            raise Conflict(
                f"「{spec.name}」找不到审批人（{approver_label(spec.approver)}），请联系销售运营 / "
                "No approver for this step.",
                step=spec.code,
            )
        plan.append((spec, applies, people))
    subject_type = subject._meta.label_lower
    with transaction.atomic():
        pending = (
            ApprovalRequest.objects.select_for_update()
            .filter(subject_type=subject_type, subject_id=subject.pk, state=RequestState.PENDING)
            .first()
        )
        if pending is not None:
            raise Conflict("该记录已有审批中的申请 / A request is already pending.", request=pending.pk)
        request = ApprovalRequest(
            subject_type=subject_type,
            subject_id=subject.pk,
            kind=kind.kind,
            chain=chain.code,
            chain_name=chain.name,
            requester=requester,
            facts=clean,
            summary=summary,
            comment=comment,
            created_at=now,
        )
        attach_actor(request, requester, now)
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError as exc:  # started by someone else a moment ago
            raise Conflict("该记录已有审批中的申请 / A request is already pending.") from exc
        events.record(
            name="approval.requested",
            subject=subject,
            actor=requester,
            occurred_at=now,
            payload=_payload(request, None, requester, comment=comment),
        )
        for order, (spec, applies, people) in enumerate(plan):
            step = ApprovalStep(
                request=request,
                order=order,
                code=spec.code,
                name=spec.name,
                approver_spec=spec.approver,
                condition=spec.condition,
                sla_policy=spec.sla_policy or "",
                state=StepState.WAITING if applies else StepState.SKIPPED,
                skip_reason="" if applies else skip_reason(chain, spec),
                decided_at=None if applies else now,
            )
            attach_actor(step, requester, now)
            step.save()
            step.candidates.set(people)
            if not applies:
                events.record(
                    name="approval.step_skipped",
                    subject=subject,
                    actor=None,
                    occurred_at=now,
                    payload=_payload(request, step, None, skip_reason=step.skip_reason),
                )
        _advance(request, subject=subject, actor=requester, now=now)
    return request


def _open(
    step: ApprovalStep, *, request: ApprovalRequest, subject: models.Model, actor: User | None, now: datetime
) -> None:
    """Open `step`: record it, start its SLA, tell its approvers (and their delegates)."""
    from salesflow.rules import engine

    step.state = StepState.OPEN
    step.opened_at = now
    attach_actor(step, actor, now)
    step.save(update_fields=["state", "opened_at"])
    people = list(step.candidates.order_by("pk"))
    events.record(
        name="approval.step_opened",
        subject=subject,
        actor=actor,
        occurred_at=now,
        payload=_payload(request, step, actor, approvers="、".join(str(u) for u in people)),
    )
    if step.sla_policy:
        policy = active_pack()[1].policy(step.sla_policy)
        # The policy says when it runs; the approvals app is what knows a step opened.
        if policy is not None and policy.enabled and "approval.step_opened" in policy.start_events:
            engine.start_policy(subject=step, policy_code=policy.code, started_at=now, actor=actor)
    delegates = active_delegates([u.pk for u in people], local_today(now))
    _notify(
        [*people, *delegates],
        kind="approval.step_opened",
        title=f"待您审批：{request.chain_name}·{step.name}",
        body=f"{request.summary}（申请人：{request.requester}）",
        request=request,
        actor=actor,
        now=now,
    )


def _stop_timers(step: ApprovalStep, now: datetime) -> None:
    from salesflow.timers import services as timers

    timers.timer_stop(subject=step, policy_code=None, reason="approval.step_decided", now=now)


def _advance(request: ApprovalRequest, *, subject: models.Model, actor: User | None, now: datetime) -> None:
    """Open the next waiting step, or approve the request when none is left."""
    nxt = request.steps.filter(state=StepState.WAITING).order_by("order").first()
    if nxt is not None:
        _open(nxt, request=request, subject=subject, actor=actor, now=now)
        return
    _finish(request, RequestState.APPROVED, subject=subject, actor=actor, comment="", now=now)


FINAL_EVENTS = {
    RequestState.APPROVED: "approval.approved",
    RequestState.REJECTED: "approval.rejected",
    RequestState.RETURNED: "approval.returned",
    RequestState.WITHDRAWN: "approval.withdrawn",
}


def _finish(
    request: ApprovalRequest,
    state: RequestState,
    *,
    subject: models.Model,
    actor: User | None,
    comment: str,
    now: datetime,
    step: ApprovalStep | None = None,
) -> None:
    """End the request in `state`: cancel what is left, record, tell the requester, call the hook."""
    for left in request.steps.filter(state__in=[StepState.WAITING, StepState.OPEN]):
        _stop_timers(left, now)
        left.state = StepState.CANCELLED
        left.decided_at = now
        attach_actor(left, actor, now)
        left.save(update_fields=["state", "decided_at"])
    request.state = state
    request.decided_at = now
    request.version += 1
    attach_actor(request, actor, now)
    request.save(update_fields=["state", "decided_at", "version"])
    events.record(
        name=FINAL_EVENTS[state],
        subject=subject,
        actor=actor,
        occurred_at=now,
        payload=_payload(request, step, actor, comment=comment),
    )
    if actor is None or actor.pk != request.requester_id:
        words = {
            RequestState.APPROVED: "已通过",
            RequestState.REJECTED: "被驳回",
            RequestState.RETURNED: "被退回修改",
            RequestState.WITHDRAWN: "已撤回",
        }[state]
        _notify(
            [request.requester],
            kind=FINAL_EVENTS[state],
            title=f"您的审批{words}：{request.chain_name}",
            body=f"{request.summary}" + (f"（意见：{comment}）" if comment else ""),
            request=request,
            actor=actor,
            now=now,
        )
    kind = registry.get(request.kind)
    if kind is not None and kind.on_decided is not None:
        kind.on_decided(request)


def _clean_comment(comment: Any) -> str:
    text = comment.strip() if isinstance(comment, str) else ""
    if not text:
        raise FieldErrors({"comment": ["请填写审批意见 / A comment is required."]})
    if len(text) > COMMENT_MAX:
        raise FieldErrors({"comment": [f"最多 {COMMENT_MAX} 字 / At most {COMMENT_MAX} characters."]})
    return text


def _decide(
    *, step: ApprovalStep, actor: User, comment: str, decision: Decision, now: datetime | None
) -> ApprovalStep:
    text = _clean_comment(comment)
    now = now or clock.now()
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=step.request_id)
        locked = ApprovalStep.objects.select_for_update().select_related("request").get(pk=step.pk)
        # Who may act does not depend on the state: outsiders hear 403 even on a decided step.
        on_behalf = acting_for(locked, actor, now)
        # The state is read only now, under the lock: of two approvers at once, one wins.
        if locked.state != StepState.OPEN or request.state != RequestState.PENDING:
            raise Conflict(ALREADY_DECIDED, state=locked.state, request_state=request.state)
        subject = _subject_of(request)
        _stop_timers(locked, now)
        locked.state = {
            Decision.APPROVE: StepState.APPROVED,
            Decision.REJECT: StepState.REJECTED,
            Decision.RETURN: StepState.RETURNED,
        }[decision]
        locked.acted_by = actor
        locked.acted_on_behalf_of = on_behalf
        locked.comment = text
        locked.decided_at = now
        attach_actor(locked, actor, now)
        locked.save(update_fields=["state", "acted_by", "acted_on_behalf_of", "comment", "decided_at"])
        events.record(
            name="approval.step_decided",
            subject=subject,
            actor=actor,
            occurred_at=now,
            payload=_payload(
                request,
                locked,
                actor,
                comment=text,
                decision=str(decision),
                on_behalf_of=str(on_behalf) if on_behalf else "",
            ),
        )
        if decision == Decision.APPROVE:
            _advance(request, subject=subject, actor=actor, now=now)
            if request.state == RequestState.PENDING:  # ended: _finish saved it with its new version
                request.version += 1
                request.save(update_fields=["version"])
        else:
            final = RequestState.REJECTED if decision == Decision.REJECT else RequestState.RETURNED
            _finish(request, final, subject=subject, actor=actor, comment=text, now=now, step=locked)
    return locked


def approval_approve(
    *, step: ApprovalStep, actor: User, comment: str, now: datetime | None = None
) -> ApprovalStep:
    """Approve an open step (a candidate or an active delegate): the next step opens, or it ends approved."""
    return _decide(step=step, actor=actor, comment=comment, decision=Decision.APPROVE, now=now)


def approval_reject(
    *, step: ApprovalStep, actor: User, comment: str, now: datetime | None = None
) -> ApprovalStep:
    """Reject an open step: the chain stops and the request ends rejected."""
    return _decide(step=step, actor=actor, comment=comment, decision=Decision.REJECT, now=now)


def approval_return(
    *, step: ApprovalStep, actor: User, comment: str, now: datetime | None = None
) -> ApprovalStep:
    """Send the request back to the requester for changes; a new request may be started after."""
    return _decide(step=step, actor=actor, comment=comment, decision=Decision.RETURN, now=now)


def approval_decide(
    *,
    request: ApprovalRequest,
    decision: str,
    actor: User,
    comment: str,
    step_id: int | None = None,
    now: datetime | None = None,
) -> ApprovalStep:
    """Decide the request's open step (`approve`, `reject` or `return`): what the API and pages call.

    `step_id` names the step the approver was looking at: when it is no longer open (someone
    decided it meanwhile) the answer is the Conflict, not a decision on the step after it.
    """
    if decision not in Decision.values:
        raise FieldErrors({"decision": [f"“{decision}” 不是有效操作 / use approve, reject or return."]})
    if step_id is not None:
        seen = request.steps.filter(pk=step_id).first()
        if seen is None:
            raise FieldErrors({"step": [f"该审批没有编号为 {step_id} 的环节 / No such step."]})
        return _decide(step=seen, actor=actor, comment=comment, decision=Decision(decision), now=now)
    step = request.steps.filter(state=StepState.OPEN).first()
    at = now or clock.now()
    if step is None or not _was_candidate(step, actor, at):
        if actor.pk == request.requester_id:
            raise PermissionDenied("不能审批自己发起的申请 / You cannot decide your own request.")
        # Someone who could decide an earlier step hears that it was decided meanwhile (the other
        # finance person, a double click), not that they may not decide the step after it.
        decided = request.steps.exclude(state__in=[StepState.WAITING, StepState.SKIPPED, StepState.OPEN])
        if any(_was_candidate(s, actor, at) for s in decided):
            raise Conflict(ALREADY_DECIDED, request_state=request.state)
        if step is None:
            raise PermissionDenied("您不是该审批的审批人 / You are not an approver of this request.")
    return _decide(step=step, actor=actor, comment=comment, decision=Decision(decision), now=now)


def _was_candidate(step: ApprovalStep, actor: User, now: datetime) -> bool:
    try:
        acting_for(step, actor, now)
    except PermissionDenied:
        return False
    return True


def approval_withdraw(
    *, request: ApprovalRequest, actor: User, comment: str, now: datetime | None = None
) -> ApprovalRequest:
    """The requester takes a pending request back; the open step is cancelled and its approvers told."""
    text = _clean_comment(comment)
    now = now or clock.now()
    with transaction.atomic():
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if actor.pk != locked.requester_id:
            raise PermissionDenied("只有申请人可以撤回 / Only the requester may withdraw.")
        if locked.state != RequestState.PENDING:
            raise Conflict(
                f"审批已结束（{locked.get_state_display()}），不能撤回 / The request has ended.",
                state=locked.state,
            )
        subject = _subject_of(locked)
        open_step = locked.steps.filter(state=StepState.OPEN).first()
        waiting_for = list(open_step.candidates.all()) if open_step else []
        _finish(
            locked,
            RequestState.WITHDRAWN,
            subject=subject,
            actor=actor,
            comment=text,
            now=now,
            step=open_step,
        )
        if waiting_for:
            _notify(
                waiting_for,
                kind="approval.withdrawn",
                title=f"申请人已撤回：{locked.chain_name}",
                body=f"{locked.summary}（说明：{text}）",
                request=locked,
                actor=actor,
                now=now,
            )
    return locked


# ---------------------------------------------------------------------------------------------
# Delegations

DELEGATION_MANAGERS = frozenset({Role.OPS_ADMIN})


def may_manage_delegation(actor: User, delegator: User) -> bool:
    """The delegator sets their own delegate; the ops admin does it for someone already away."""
    return actor.pk == delegator.pk or actor.is_superuser or actor.role in DELEGATION_MANAGERS


def _clean_delegation(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for field in ("starts_on", "ends_on"):
        if field in values:
            value = values[field]
            if isinstance(value, str):
                try:
                    value = date.fromisoformat(value.strip())
                except ValueError:
                    value = None
            if not isinstance(value, date) or isinstance(value, datetime):
                errors.setdefault(field, []).append("请填写日期（YYYY-MM-DD） / A date is required.")
            else:
                clean[field] = value
    if "reason" in values:
        reason = values["reason"] if isinstance(values["reason"], str) else ""
        if len(reason) > 200:
            errors.setdefault("reason", []).append("最多 200 字 / At most 200 characters.")
        clean["reason"] = reason.strip()
    return clean


def _check_delegation(
    delegator: User, delegate: User | None, starts_on: Any, ends_on: Any, errors: dict[str, list[str]]
) -> None:
    if delegate is None or not delegate.is_active:
        errors.setdefault("delegate", []).append("请选择在职的代理人 / Choose an active colleague.")
    elif delegate.pk == delegator.pk:
        errors.setdefault("delegate", []).append("不能委托给自己 / Not yourself.")
    if isinstance(starts_on, date) and isinstance(ends_on, date) and ends_on < starts_on:
        errors.setdefault("ends_on", []).append("结束日期不能早于开始日期 / Ends before it starts.")


def delegation_create(
    *,
    delegator: User,
    delegate: User | None,
    starts_on: Any,
    ends_on: Any,
    reason: str = "",
    actor: User,
    now: datetime | None = None,
) -> ApprovalDelegation:
    """Let `delegate` decide `delegator`'s approval steps from `starts_on` to `ends_on` (inclusive)."""
    if not may_manage_delegation(actor, delegator):
        raise PermissionDenied("只能设置自己的审批代理 / You may only set your own delegate.")
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    clean = _clean_delegation({"starts_on": starts_on, "ends_on": ends_on, "reason": reason}, errors)
    _check_delegation(delegator, delegate, clean.get("starts_on"), clean.get("ends_on"), errors)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        overlapping = ApprovalDelegation.objects.filter(
            delegator=delegator, starts_on__lte=clean["ends_on"], ends_on__gte=clean["starts_on"]
        ).first()
        if overlapping is not None:
            raise Conflict(
                f"与已有的代理（{overlapping.starts_on}–{overlapping.ends_on}）时间重叠 / "
                "Overlaps another delegation.",
                field="starts_on",
                delegation=overlapping.pk,
            )
        delegation = ApprovalDelegation(
            delegator=delegator, delegate=delegate, created_at=now, created_by=actor, **clean
        )
        attach_actor(delegation, actor, now)
        delegation.save()
        events.record(
            name="approval.delegation_set",
            subject=delegator,
            actor=actor,
            occurred_at=now,
            payload={
                "delegate_name": str(delegate),
                "starts_on": clean["starts_on"].isoformat(),
                "ends_on": clean["ends_on"].isoformat(),
            },
        )
    return delegation


def delegation_update(
    *, delegation: ApprovalDelegation, changes: dict[str, Any], actor: User, now: datetime | None = None
) -> ApprovalDelegation:
    """Change a delegation's dates, delegate or reason."""
    unknown = sorted(set(changes) - {"delegate", "starts_on", "ends_on", "reason"})
    if unknown:
        raise FieldErrors({f: ["不能修改此字段 / Not an editable field."] for f in unknown})
    now = now or clock.now()
    with transaction.atomic():
        locked = (
            ApprovalDelegation.objects.select_for_update().select_related("delegator").get(pk=delegation.pk)
        )
        if not may_manage_delegation(actor, locked.delegator):
            raise PermissionDenied("只能修改自己的审批代理 / You may only change your own delegate.")
        errors: dict[str, list[str]] = {}
        clean = _clean_delegation(changes, errors)
        delegate = changes.get("delegate", locked.delegate)
        _check_delegation(
            locked.delegator,
            delegate,
            clean.get("starts_on", locked.starts_on),
            clean.get("ends_on", locked.ends_on),
            errors,
        )
        if errors:
            raise FieldErrors(errors)
        for field, value in clean.items():
            setattr(locked, field, value)
        locked.delegate = delegate
        overlapping = (
            ApprovalDelegation.objects.filter(
                delegator=locked.delegator, starts_on__lte=locked.ends_on, ends_on__gte=locked.starts_on
            )
            .exclude(pk=locked.pk)
            .first()
        )
        if overlapping is not None:
            raise Conflict("与已有的代理时间重叠 / Overlaps another delegation.", field="starts_on")
        attach_actor(locked, actor, now)
        locked.save()
    return locked


def delegation_delete(*, delegation: ApprovalDelegation, actor: User, now: datetime | None = None) -> None:
    """End a delegation early by removing it (its history row stays)."""
    now = now or clock.now()
    with transaction.atomic():
        locked = (
            ApprovalDelegation.objects.select_for_update().select_related("delegator").get(pk=delegation.pk)
        )
        if not may_manage_delegation(actor, locked.delegator):
            raise PermissionDenied("只能删除自己的审批代理 / You may only remove your own delegate.")
        attach_actor(locked, actor, now)
        locked.delete()


def delegations_q(user: User) -> Q:
    """Delegations `user` gives or takes."""
    return Q(delegator=user) | Q(delegate=user)
