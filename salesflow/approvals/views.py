"""我的审批: the approvals lists, a request's page with its step ladder and decision form, delegations.

Thin: every write goes through approvals.services, every read through approvals.selectors.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesflow.approvals import selectors, services
from salesflow.approvals.choices import Decision, RequestState, StepState
from salesflow.approvals.models import ApprovalRequest
from salesflow.core.errors import Conflict, FieldErrors, user_message
from salesflow.core.htmx import htmx_partial
from salesflow.core.lookups import visible_or_404
from salesflow.org.models import User
from salesflow.org.selectors import current_user

TABS = (("pending", "待我审批"), ("mine", "我发起的"), ("done", "已处理"))
PAGE_ROWS = 100


def shell_values(request: HttpRequest) -> dict[str, Any]:
    """The navigation's badge: how many requests wait for the signed-in user."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    return {"pending_approvals": selectors.pending_count(user)}


@login_required
def approval_list(request: HttpRequest) -> HttpResponse:
    """我的审批: 待我审批 / 我发起的 / 已处理, newest first."""
    me = current_user(request)
    tab = request.GET.get("tab", "pending")
    if tab not in dict(TABS):
        tab = "pending"
    rows = list(selectors.requests_list(user=me, state=tab).order_by("-created_at", "-id")[:PAGE_ROWS])
    counts = {"pending": selectors.pending_count(me)}
    return render(
        request,
        "approvals/list.html",
        {
            "nav": "approvals",
            "tab": tab,
            "tabs": [(key, _(label)) for key, label in TABS],
            "rows": [(r, selectors.current_step(r)) for r in rows],
            "counts": counts,
        },
    )


def _visible(me: User, request_id: int) -> ApprovalRequest:
    return visible_or_404(selectors.request_detail(selectors.requests_visible_to(me)), request_id)


def _detail_context(me: User, approval: ApprovalRequest, **extra: Any) -> dict[str, Any]:
    step = selectors.current_step(approval)
    return {
        "nav": "approvals",
        "approval": approval,
        "steps": list(approval.steps.all()),
        "current": step,
        "subject": selectors.subject_view(approval, me),
        "can_decide": selectors.may_decide(step, me),
        "can_withdraw": approval.state == RequestState.PENDING and approval.requester_id == me.pk,
        "decisions": Decision.choices,
        "step_states": StepState,
        "errors": {},
        "chosen": {},
        "oob_count": None,
        **extra,
    }


@login_required
def approval_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request: the subject's facts and link, the step ladder, and the decision form."""
    me = current_user(request)
    approval = _visible(me, request_id)
    return render(request, "approvals/detail.html", _detail_context(me, approval))


def _after_action(request: HttpRequest, me: User, request_id: int, text: str) -> HttpResponse:
    if htmx_partial(request):
        approval = _visible(me, request_id)
        # The navigation's count changed too: swapped out of band.
        context = _detail_context(me, approval, oob_count=selectors.pending_count(me))
        response = render(request, "approvals/partials/body.html", context)
        response["X-Toast"] = quote(text)
        return response
    messages.success(request, text)
    return redirect("approval-detail", request_id)


def _form_again(
    request: HttpRequest, me: User, request_id: int, errors: dict[str, list[str]], chosen: dict[str, str]
) -> HttpResponse:
    approval = _visible(me, request_id)
    context = _detail_context(me, approval, errors=errors, chosen=chosen)
    template = "approvals/partials/body.html" if htmx_partial(request) else "approvals/detail.html"
    return render(request, template, context)


@login_required
@require_POST
def approval_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    """Approve, reject or return the open step; a comment is required (errors shown inline)."""
    me = current_user(request)
    approval = _visible(me, request_id)
    decision = request.POST.get("decision", "")
    comment = request.POST.get("comment", "")
    chosen = {"decision": decision, "comment": comment}
    raw_step = request.POST.get("step", "")
    try:
        services.approval_decide(
            request=approval,
            decision=decision,
            actor=me,
            comment=comment,
            step_id=int(raw_step) if raw_step.isdigit() else None,
        )
    except FieldErrors as exc:
        return _form_again(request, me, request_id, exc.errors, chosen)
    except Conflict as exc:
        if htmx_partial(request):
            return _form_again(request, me, request_id, {"decision": [exc.message]}, chosen)
        messages.error(request, user_message(exc))
        return redirect("approval-detail", request_id)
    words = {"approve": _("已同意"), "reject": _("已驳回"), "return": _("已退回修改")}
    return _after_action(request, me, request_id, str(words[decision]))


@login_required
@require_POST
def approval_withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    """The requester withdraws a pending request (with a comment)."""
    me = current_user(request)
    approval = _visible(me, request_id)
    comment = request.POST.get("comment", "")
    try:
        services.approval_withdraw(request=approval, actor=me, comment=comment)
    except FieldErrors as exc:
        return _form_again(
            request,
            me,
            request_id,
            {"withdraw_comment": exc.errors.get("comment", [])},
            {"withdraw_comment": comment},
        )
    except Conflict as exc:
        messages.error(request, user_message(exc))
        return redirect("approval-detail", request_id)
    return _after_action(request, me, request_id, _("已撤回"))


@login_required
def delegation_list(request: HttpRequest) -> HttpResponse:
    """审批代理: whom one's steps go to while away; POST adds one."""
    me = current_user(request)
    errors: dict[str, list[str]] = {}
    chosen: dict[str, str] = {}
    if request.method == "POST":
        chosen = {k: request.POST.get(k, "").strip() for k in ("delegate", "starts_on", "ends_on", "reason")}
        delegate = None
        if chosen["delegate"].isdigit():
            delegate = selectors.delegate_choices(me).filter(pk=int(chosen["delegate"])).first()
        try:
            services.delegation_create(
                delegator=me,
                delegate=delegate,
                starts_on=chosen["starts_on"],
                ends_on=chosen["ends_on"],
                reason=chosen["reason"],
                actor=me,
            )
        except FieldErrors as exc:
            errors = exc.errors
        except Conflict as exc:
            errors = {"starts_on": [exc.message]}
        else:
            messages.success(request, _("已设置审批代理"))
            return redirect("approval-delegations")
    return render(
        request,
        "approvals/delegations.html",
        {
            "nav": "approvals",
            "tab": "delegations",
            "tabs": [(key, _(label)) for key, label in TABS],
            "counts": {"pending": selectors.pending_count(me)},
            "delegations": list(selectors.delegations_visible_to(me)[:PAGE_ROWS]),
            "people": list(selectors.delegate_choices(me)),
            "errors": errors,
            "chosen": chosen,
        },
    )


@login_required
@require_POST
def delegation_delete(request: HttpRequest, delegation_id: int) -> HttpResponse:
    """Remove a delegation (the delegator or the ops admin)."""
    me = current_user(request)
    delegation = visible_or_404(selectors.delegations_visible_to(me), delegation_id)
    services.delegation_delete(delegation=delegation, actor=me)
    messages.success(request, _("已删除审批代理"))
    return redirect("approval-delegations")
