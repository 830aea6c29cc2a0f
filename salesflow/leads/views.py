"""线索 pages: the list with lights and countdowns, a lead's page, the pool, website forms."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from salesflow.activities.models import ActivityKind
from salesflow.core import clock, events
from salesflow.core.error_views import localized_reason
from salesflow.core.errors import Conflict, FieldErrors, NotFound, Throttled, user_message
from salesflow.core.errors import PermissionDenied as DomainPermissionDenied
from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import (
    ListParams,
    choose_sort,
    light_and_due,
    list_links,
    sorted_page,
)
from salesflow.core.security import client_address, framable_policy
from salesflow.leads import assignment, learned, selectors, services
from salesflow.leads.choices import OWNED_OPEN_STATUSES, UTM_FIELDS, LeadStatus
from salesflow.leads.forms import (
    AssignmentPolicyForm,
    ConvertForm,
    HostedForm,
    IntakeFormForm,
    LeadEntryForm,
    ReassignForm,
)
from salesflow.leads.models import IntakeForm, Lead
from salesflow.leads.permissions import can_manage_forms
from salesflow.notify.services import readable_or_404
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.org.selectors import current_user, list_filter_choices
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
    """Visible owned leads, red first, paginated with the total; filters and sort kept in the URL.

    Filters: `owner` (me or, for managers, a person), `team`, `light`, `status`, `min_score`.
    """
    me = current_user(request)
    now = clock.now()
    params = ListParams.from_query(request.GET)
    status = request.GET.get("status", "")
    min_score = request.GET.get("min_score", "")
    # The page ignores a filter it cannot use (the API answers 422 for it).
    q = request.GET.get("q", "").strip()[:100]
    filters = selectors.LeadFilters(
        q=q,
        owned=True,
        owner=params.owner,
        status=status if status in LeadStatus.values else "",
        score_min=int(min_score) if min_score.isdigit() else None,
        team=params.team,
        light=params.light,
    )
    key, descending, sort = choose_sort(params.sort, selectors.LIST_SORTS, "light")
    try:
        qs = selectors.leads_list(user=me, filters=filters, now=now)
        qs = selectors.with_list_keys(qs, now=now)
        page = sorted_page(
            qs, key=key, descending=descending, cursor=params.cursor, limit=params.limit, sort=sort
        )
    except FieldErrors:
        # A stale cursor or a team that no longer exists: the first page without it.
        qs = selectors.with_list_keys(
            selectors.leads_list(user=me, filters=replace(filters, team=""), now=now), now=now
        )
        page = sorted_page(qs, key=key, descending=descending, cursor=None, limit=params.limit, sort=sort)
    rows = [
        {
            "lead": lead,
            **light_and_due(lead, now),
        }
        for lead in page.rows
    ]
    people, teams = list_filter_choices(me)
    links = list_links(request.GET, page, selectors.LIST_SORTS)
    return render(
        request,
        "leads/list.html",
        {
            "nav": "leads",
            "rows": rows,
            "page": page,
            "statuses": LeadStatus.choices,
            "status": status,
            "min_score": min_score,
            "q": q,
            "owner": params.owner,
            "mine": params.owner == "me",
            "team": params.team,
            "light": params.light,
            "people": people,
            "teams": teams,
            "pool_count": selectors.pool().count(),
            "export_query": links["filter_query"],
            **links,
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
        {
            "nav": "settings",
            "forms": selectors.forms(),
            "base": base,
            "site": request.build_absolute_uri("/").rstrip("/"),
            "errors": errors,
        },
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


def _field_rows(
    fields: list[dict[str, Any]], values: dict[str, str], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Fields as the form partial draws them: the typed value kept, each error in the reader's words."""
    return [
        {
            **f,
            "value": values.get(str(f["name"]), ""),
            "errors": [localized_reason(m) or m for m in errors.get(str(f["name"]), [])],
        }
        for f in fields
    ]


# The quick form's optional fields, behind 更多, in this order.
ENTRY_MORE = [
    "email",
    "title",
    "industry_segment",
    "customer_tier",
    "product_line",
    "buying_stage",
    "company_size",
    "budget",
    "source",
    "message",
]


@login_required
def lead_new(request: HttpRequest) -> HttpResponse:
    """新建线索: name, phone and company, the rest behind 更多; the website intake's path behind it."""
    me = current_user(request)
    if not services.may_enter_leads(me):
        raise PermissionDenied("只有销售、销售管理者和运营管理员可以新建线索")
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    duplicate: dict[str, Any] = {}
    if request.method == "POST":
        form = LeadEntryForm(request.POST)
        try:
            values = {k: v for k, v in form.parsed().items() if isinstance(v, str)}
            lead = services.lead_enter(data=form.entry(), actor=me)
        except FieldErrors as exc:
            errors = exc.errors
        except Conflict as exc:
            duplicate = {"message": localized_reason(exc.message), "lead": exc.context.get("lead")}
        else:
            messages.success(request, f"已新建线索「{lead}」")
            return redirect("lead-detail", lead_id=lead.pk)
    _number, pack = active_pack()
    manual = IntakeForm(code="manual", required_fields=services.MANUAL_REQUIRED)
    fields = {str(f["name"]): f for f in selectors.intake_fields(manual)}
    sources = pack.dictionary("lead_source")
    if sources is not None:
        fields["source"] = {
            **fields["source"],
            "type": "choice",
            "choices": [{"value": c.code, "label": c.label} for c in sources.choices],
        }
    values.setdefault("source", services.MANUAL_SOURCE)
    rows = _field_rows([fields[n] for n in [*services.MANUAL_REQUIRED, *ENTRY_MORE]], values, errors)
    quick, more = rows[: len(services.MANUAL_REQUIRED)], rows[len(services.MANUAL_REQUIRED) :]
    return render(
        request,
        "leads/new.html",
        {
            "nav": "leads",
            "quick": quick,
            "more": more,
            "more_open": any(r["errors"] for r in more),
            "duplicate": duplicate,
            "errors": errors,
        },
        status=422 if errors else (409 if duplicate else 200),
    )


# A visitor sees the contact fields, then whatever the form requires, then the message; the
# source comes from the form, UTM parameters from the page's own query string.
HOSTED_FIELDS = ["name", "phone", "email", "company", "title"]


@csrf_exempt
@xframe_options_exempt
def hosted_form(request: HttpRequest, key: str) -> HttpResponse:
    """/f/<key>/: a website form as a standalone page a site links to or frames.

    CSRF: the page is public and posts to itself from inside other sites' iframes, where the
    browser withholds our cookies (SameSite), so Django's cookie-based token cannot work. It
    is exempt, and safe to be: it reads no session or user and acts for nobody — a forged post
    can do no more than the public intake API (`POST /api/v1/intake/<key>`) already allows
    anyone, under the same honeypot and per-address / per-form throttles.
    """
    intake = IntakeForm.objects.filter(key=key, active=True).first()
    if intake is None:
        return render(request, "leads/hosted_missing.html", status=404)
    fields = selectors.intake_fields(intake)
    required = [f for f in fields if f["required"] and f["name"] not in HOSTED_FIELDS]
    shown = [f for f in fields if f["name"] in HOSTED_FIELDS] + required
    shown += [f for f in fields if f["name"] == "message" and f not in shown]
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    refused = ""
    if request.method == "POST":
        names = [str(f["name"]) for f in shown] + UTM_FIELDS + [intake.honeypot_field]
        values = HostedForm(request.POST, names=names).submission()
        try:
            services.intake_submit(form=intake, data=values, client=client_address(request))
        except FieldErrors as exc:
            errors = exc.errors
        except Throttled:
            refused = "提交太频繁了，请一分钟后再试。"
        else:
            return redirect(reverse("hosted-form", args=[key]) + "?sent=1")
    utm = {name: request.GET.get(name, "")[:200] for name in UTM_FIELDS if request.GET.get(name)}
    utm.update({name: values[name] for name in UTM_FIELDS if values.get(name)})
    response = render(
        request,
        "leads/hosted.html",
        {
            "intake": intake,
            "fields": _field_rows(shown, values, errors),
            "utm": utm,
            "sent": request.method == "GET" and request.GET.get("sent") == "1",
            "refused": refused,
            "has_errors": bool(errors),
        },
        status=422 if errors else (429 if refused else 200),
    )
    response["Content-Security-Policy"] = framable_policy(intake.allowed_origins)
    return response
