"""线索 pages: the list with lights and countdowns, a lead's page, the pool, website forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from salesflow.activities.models import ActivityKind
from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, NotFound, user_message
from salesflow.core.errors import PermissionDenied as DomainPermissionDenied
from salesflow.core.lookups import visible_or_404
from salesflow.leads import assignment, learned, selectors, services
from salesflow.leads.choices import OWNED_OPEN_STATUSES, LeadStatus
from salesflow.leads.forms import AssignmentPolicyForm, ConvertForm, IntakeFormForm, ReassignForm
from salesflow.leads.models import Lead
from salesflow.leads.permissions import can_manage_forms
from salesflow.notify.services import readable_or_404
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.org.selectors import current_user
from salesflow.rules import services as rules_services
from salesflow.rules.permissions import can_edit_rules
from salesflow.rules.selectors import active_pack
from salesflow.timers.selectors import sla_rows
from salesflow.workflows import services as workflows


def _with_lights(leads: list[Lead]) -> list[dict[str, Any]]:
    timers = selectors.timers_of(leads)
    now = clock.now()
    rows = []
    for lead in leads:
        running = [d for d in timers[lead.pk] if d.status == "pending"]
        rows.append(
            {
                "lead": lead,
                "light": selectors.light(lead, timers[lead.pk], now=now),
                "next_due": min((d.due_at for d in running), default=None),
            }
        )
    return rows


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    """Visible leads, filters in the URL (`owner=me`, `status`, `min_score`)."""
    me = current_user(request)
    status = request.GET.get("status", "")
    min_score = request.GET.get("min_score", "")
    # The page ignores a filter it cannot use (the API answers 422 for it).
    filters = selectors.LeadFilters(
        owned=True,
        owner="me" if request.GET.get("owner") == "me" else "",
        status=status if status in LeadStatus.values else "",
        score_min=int(min_score) if min_score.isdigit() else None,
    )
    qs = selectors.leads_list(user=me, filters=filters)
    leads = list(qs.order_by("-id")[:100])
    return render(
        request,
        "leads/list.html",
        {
            "nav": "leads",
            "rows": _with_lights(leads),
            "statuses": LeadStatus.choices,
            "status": status,
            "min_score": min_score,
            "mine": request.GET.get("owner") == "me",
            "pool_count": selectors.pool().count(),
        },
    )


@login_required
def pool_page(request: HttpRequest) -> HttpResponse:
    """线索池: unowned leads any rep may claim."""
    return render(
        request,
        "leads/pool.html",
        {
            "nav": "leads",
            "leads": selectors.pool()[:100],
            "can_claim": current_user(request).role == Role.REP,
        },
    )


@login_required
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    """A lead: header with light and score, factors, timers, timeline; opening it acknowledges."""
    me = current_user(request)
    lead = readable_or_404(selectors.leads_visible_to(me), lead_id, reader=me)
    lead = services.lead_acknowledge(lead=lead, actor=me)
    timers = selectors.timers_of([lead])[lead.pk]
    now = clock.now()
    _number, pack = active_pack()
    labels = {d.code: {c.code: c.label for c in d.choices} for d in pack.tag_dictionaries}
    return render(
        request,
        "leads/detail.html",
        {
            "nav": "leads",
            "lead": lead,
            "light": selectors.light(lead, timers, now=now),
            "sla": sla_rows(timers, now=now),
            "labels": labels,
            "reps": User.objects.filter(role=Role.REP, is_active=True).order_by("id")
            if me.role != Role.REP
            else [],
            "events": events.story_of(lead),
            "activity_kinds": ActivityKind.choices,
            "learned": learned.predict(lead),
        },
    )


@login_required
@require_POST
def claim(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Claim a pooled lead."""
    lead = selectors.claim_target(current_user(request), lead_id)
    if lead is None:
        raise NotFound(f"No lead {lead_id}.", id=lead_id)
    try:
        services.lead_claim(lead=lead, actor=current_user(request))
    except (Conflict, DomainPermissionDenied) as exc:
        messages.error(request, exc.message)
        return redirect("lead-pool")
    messages.success(request, f"已认领「{lead}」")
    return redirect("lead-detail", lead_id=lead.pk)


@login_required
@require_POST
def reassign(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Managers move a lead to another rep with a reason."""
    me = current_user(request)
    if me.role == Role.REP:
        raise PermissionDenied("销售不能改派线索")
    lead = visible_or_404(selectors.leads_visible_to(me), lead_id)
    data = ReassignForm(request.POST).parsed()
    to = User.objects.filter(pk=ReassignForm.user_id(data["to"])).first()
    try:
        if to is None:
            raise FieldErrors({"to": ["请选择销售"]})
        services.lead_reassign(lead=lead, to=to, reason=data["reason"], actor=me)
    except FieldErrors as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(request, f"已改派给 {to}")
    return redirect("lead-detail", lead_id=lead_id)


@login_required
@require_POST
def convert(request: HttpRequest, lead_id: int) -> HttpResponse:
    """转化: the lead becomes a customer, a contact and an opportunity, then its customer page opens."""
    me = current_user(request)
    lead = visible_or_404(selectors.leads_visible_to(me), lead_id)
    data = ConvertForm(request.POST).parsed()
    try:
        customer, _opportunity = workflows.lead_convert(
            lead=lead, actor=me, opportunity_title=data["opportunity_title"], amount=data["amount"] or "0"
        )
    except (FieldErrors, Conflict, DomainPermissionDenied) as exc:
        messages.error(request, user_message(exc))
        return redirect("lead-detail", lead_id=lead_id)
    messages.success(request, f"已转化为客户「{customer.name}」并创建商机")
    return redirect("customer-detail", customer_id=customer.pk)


@login_required
def forms_page(request: HttpRequest) -> HttpResponse:
    """设置 → 网站表单: forms and their intake URLs (ops admin)."""
    me = current_user(request)
    if not can_manage_forms(me):
        raise PermissionDenied("只有运营管理员可以管理网站表单")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = IntakeFormForm(request.POST).parsed()
        try:
            services.form_create(
                name=data["name"],
                code=data["code"] or "website",
                default_source=data["default_source"],
                allowed_origins=IntakeFormForm.origins(data["allowed_origins"]),
                actor=me,
            )
        except FieldErrors as exc:
            errors = exc.errors
        else:
            messages.success(request, "已创建表单")
            return redirect("lead-forms")
    base = request.build_absolute_uri("/api/v1/intake/")
    return render(
        request,
        "leads/forms.html",
        {"nav": "settings", "forms": selectors.forms(), "base": base, "errors": errors},
        status=422 if errors else 200,
    )


WEIGHT_NAMES = {
    "tier_fit": "客户等级匹配",
    "product_line_skill": "产品线技能",
    "seniority": "资历（高分线索）",
    "open_workload": "当前在手量（越少越优先）",
}


@login_required
def assignment_page(request: HttpRequest) -> HttpResponse:
    """设置 → 分单规则: the policy, and whom it would give the 20 latest leads in the editor's scope."""
    me = current_user(request)
    if not can_edit_rules(me):
        raise PermissionDenied("只有销售管理者和运营管理员可以查看和修改分单规则")
    _number, pack = active_pack()
    policy = pack.assignment.model_dump(mode="json")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        policy = AssignmentPolicyForm(request.POST, factors=WEIGHT_NAMES).policy()
        try:
            rules_services.pack_assignment_save(assignment=policy, actor=me)
        except FieldErrors as exc:
            errors = exc.errors
        else:
            messages.success(request, "分单规则已保存为新版本")
            return redirect("lead-assignment")
    recent = list(selectors.leads_visible_to(me).order_by("-created_at", "-id")[:20])
    rows = assignment.preview(recent, policy=pack.assignment, now=clock.now())
    return render(
        request,
        "leads/assignment.html",
        {
            "nav": "settings",
            "policy": policy,
            "errors": errors,
            "rows": rows,
            "weight_names": WEIGHT_NAMES,
            "can_edit": can_edit_rules(me),
        },
        status=422 if errors else 200,
    )


def today_section(request: HttpRequest) -> dict[str, Any]:
    """今日: the rep's new leads with the time left to respond."""
    me = current_user(request)
    leads = list(
        Lead.objects.filter(owner=me, status__in=OWNED_OPEN_STATUSES, first_contact_at__isnull=True).order_by(
            "assigned_at"
        )[:10]
    )
    return {"template": "leads/partials/today.html", "rows": _with_lights(leads)}
