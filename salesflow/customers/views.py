"""客户 pages: the list and the pool, a customer's page (contacts, orders, notes, timers), handover."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from salesflow.activities.models import ActivityKind
from salesflow.core import clock, events
from salesflow.core.errors import DomainError, FieldErrors, user_message
from salesflow.customers import selectors, services
from salesflow.customers.api import filtered
from salesflow.customers.models import Customer
from salesflow.notify.services import task_access_log
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.rules.selectors import active_pack

FILTERS = ("q", "owner", "industry_segment", "customer_tier", "customer_class")


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _labels() -> dict[str, dict[str, str]]:
    _number, pack = active_pack()
    return {d.code: {c.code: c.label for c in d.choices} for d in pack.tag_dictionaries}


def today_section(request: HttpRequest) -> dict[str, Any]:
    """今日: the rep's customers that go back to the pool soonest, with the countdown."""
    return {"template": "customers/partials/today.html", "rows": selectors.closest_to_release(_me(request))}


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """Visible customers with filters kept in the URL; `pool=1` shows the company pool."""
    me = _me(request)
    pool = request.GET.get("pool") == "1"
    chosen = {k: request.GET.get(k, "").strip()[:100] for k in FILTERS}
    try:
        qs = filtered(me, pool=pool, **chosen)
    except FieldErrors:
        qs = Customer.objects.none()
    customers = list(qs.order_by("-id")[:100])
    _number, pack = active_pack()
    return render(
        request,
        "customers/list.html",
        {
            "nav": "customers",
            "customers": customers,
            "pool": pool,
            "chosen": chosen,
            "labels": _labels(),
            "dictionaries": [
                pack.dictionary(c) for c in ("industry_segment", "customer_tier", "customer_class")
            ],
            "pool_count": selectors.pool().count(),
            "can_claim": me.role == Role.REP,
            "export_query": request.GET.urlencode(),
        },
    )


def _visible(request: HttpRequest, customer_id: int) -> Customer:
    me = _me(request)
    customer = selectors.customers_visible_to(me).filter(pk=customer_id).first()
    if customer is None:
        raise Http404("Not visible")
    task_access_log(reader=me, record=customer)
    return customer


@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A customer: header with owner and release countdown, contacts, orders, notes, timeline."""
    me = _me(request)
    customer = _visible(request, customer_id)
    may_act = customer.owner_id == me.pk or (customer.owner_id is not None and me.role != Role.REP)
    return render(
        request,
        "customers/detail.html",
        {
            "nav": "customers",
            "customer": customer,
            "labels": _labels(),
            "release_due_at": selectors.release_due_of(customer),
            "contacts": selectors.contacts_of(customer),
            "orders": selectors.orders_of(customer)[:20],
            "opportunities": customer.opportunities.select_related("owner").order_by("-id")[:20],
            "notes": selectors.notes_visible_to(me, customer),
            "events": events.story_of(customer),
            "smart_fill": selectors.smart_fill(customer),
            "can_claim": customer.owner_id is None and me.role == Role.REP,
            "may_act": may_act,
            "is_owner": customer.owner_id == me.pk,
            "activity_kinds": ActivityKind.choices,
            "today": clock.to_local(clock.now()).date(),
            "pipelines": active_pack()[1].stage_templates,
            "product_lines": active_pack()[1].dictionary("product_line"),
        },
    )


@login_required
@require_POST
def claim(request: HttpRequest, customer_id: int) -> HttpResponse:
    """认领 from the pool."""
    try:
        customer = services.customer_claim(customer=_visible(request, customer_id), actor=_me(request))
        due = selectors.release_due_of(customer)
        messages.success(
            request,
            f"已认领，请在 {clock.to_local(due):%Y-%m-%d %H:%M} 前完成一次有效互动" if due else "已认领",
        )
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def release(request: HttpRequest, customer_id: int) -> HttpResponse:
    """释放 back to the pool with a reason."""
    try:
        services.customer_release(
            customer=_visible(request, customer_id), reason=request.POST.get("reason", ""), actor=_me(request)
        )
        messages.success(request, "已退回客户池")
        return redirect("customer-list")
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def add_note(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A note, private when the switch is on."""
    try:
        services.note_add(
            customer=_visible(request, customer_id),
            author=_me(request),
            text=request.POST.get("text", ""),
            private=request.POST.get("private") == "on",
        )
        messages.success(request, "备注已保存")
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def add_contact(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A contact person."""
    try:
        services.contact_add(
            customer=_visible(request, customer_id),
            actor=_me(request),
            name=request.POST.get("name", ""),
            title=request.POST.get("title", ""),
            phone=request.POST.get("phone", ""),
            email=request.POST.get("email", ""),
        )
        messages.success(request, "联系人已添加")
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def add_order(request: HttpRequest, customer_id: int) -> HttpResponse:
    """An order entered by hand (smart fill offers the last order's models and terms)."""
    try:
        ordered_on = date.fromisoformat(request.POST.get("ordered_on", ""))
    except ValueError:
        messages.error(request, "下单日期格式应为 YYYY-MM-DD")
        return redirect("customer-detail", customer_id=customer_id)
    try:
        services.order_add(
            customer=_visible(request, customer_id),
            actor=_me(request),
            ordered_on=ordered_on,
            amount=request.POST.get("amount", ""),
            product_lines=request.POST.getlist("product_lines"),
            models_bought=request.POST.get("models_bought", ""),
            payment_term=request.POST.get("payment_term", ""),
        )
        messages.success(request, "订单已保存")
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def log_activity(request: HttpRequest, customer_id: int) -> HttpResponse:
    """记录跟进 on a customer; an effective one restarts the 7-day clock."""
    from salesflow.activities import services as activities

    try:
        minutes = float(request.POST.get("duration_minutes") or 0)
    except ValueError:
        messages.error(request, "时长应为分钟数 / Duration must be minutes.")
        return redirect("customer-detail", customer_id=customer_id)
    try:
        activity = activities.activity_log(
            customer=_visible(request, customer_id),
            kind=request.POST.get("kind", ""),
            occurred_at=clock.now(),
            actor=_me(request),
            duration_seconds=int(minutes * 60),
            note=request.POST.get("note", ""),
        )
        messages.success(
            request, "已记录跟进" + ("（有效互动，释放倒计时已重置）" if activity.effective else "")
        )
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def confirm_tag(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Confirm or dismiss the proposed class."""
    try:
        services.tag_confirm(
            customer=_visible(request, customer_id),
            accept=request.POST.get("accept") == "1",
            actor=_me(request),
        )
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def create_customer(request: HttpRequest) -> HttpResponse:
    """新建客户 from the list page: a rep's new customer is theirs, others' go to the pool."""
    me = _me(request)
    try:
        customer = services.customer_create(
            name=request.POST.get("name", ""),
            industry_segment=request.POST.get("industry_segment", ""),
            customer_tier=request.POST.get("customer_tier", ""),
            address=request.POST.get("address", ""),
            owner=me if me.role == Role.REP else None,
            actor=me,
        )
    except DomainError as exc:
        messages.error(request, user_message(exc))
        return redirect("customer-list")
    messages.success(request, "客户已创建")
    return redirect("customer-detail", customer_id=customer.pk)


@login_required
@require_POST
def create_opportunity(request: HttpRequest, customer_id: int) -> HttpResponse:
    """新建商机 for a customer, in the pipeline the pack gives its product line."""
    from salesflow.pipeline import services as pipeline

    me = _me(request)
    customer = _visible(request, customer_id)
    try:
        opportunity = pipeline.opportunity_create(
            customer=customer,
            title=request.POST.get("title", ""),
            amount=request.POST.get("amount", "") or "0",
            product_lines=request.POST.getlist("product_lines"),
            pipeline=request.POST.get("pipeline") or None,
            owner=customer.owner or me,
            actor=me,
        )
    except DomainError as exc:
        messages.error(request, user_message(exc))
        return redirect("customer-detail", customer_id=customer_id)
    messages.success(request, "商机已创建")
    return redirect("opportunity-detail", opportunity_id=opportunity.pk)


@login_required
def handover_page(request: HttpRequest, user_id: int) -> HttpResponse:
    """离职交接: move a rep's customers, leads and opportunities to a colleague or the pool."""
    me = _me(request)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user")
    # Like the POST: only who may hand the book over may see its counts.
    if not services.may_hand_over(actor=me, user=user):
        raise PermissionDenied("只有上级或运营管理员可以交接")
    if request.method == "POST":
        target = request.POST.get("to", "")
        to = (
            None
            if target == "pool"
            else User.objects.filter(pk=int(target) if target.isdigit() else 0).first()
        )
        if target != "pool" and to is None:
            messages.error(request, "请选择接手的销售或客户池")
        else:
            try:
                moved = services.user_handover(user=user, to=to, actor=me)
            except DomainError as exc:
                messages.error(request, user_message(exc))
            else:
                messages.success(request, "交接完成")
                # Redirect after the POST so a refresh cannot hand over twice; the counts ride along.
                query = "&".join(f"{k}={v}" for k, v in moved.items())
                return redirect(f"{reverse('user-handover', args=[user.pk])}?done=1&{query}")
    result: dict[str, Any] | None = None
    if request.GET.get("done"):
        result = {k: int(request.GET.get(k, "0") or 0) for k in ("customers", "leads", "opportunities")}
    return render(
        request,
        "customers/handover.html",
        {
            "nav": "settings",
            "person": user,
            "result": result,
            "counts": {
                "customers": Customer.objects.filter(owner=user).count(),
                "leads": user.leads.filter(status__in=["assigned", "acknowledged", "contacted"]).count(),
                "opportunities": user.opportunities.filter(status="open").count(),
            },
            "reps": User.objects.filter(role=Role.REP, is_active=True).exclude(pk=user.pk).order_by("id"),
        },
    )
