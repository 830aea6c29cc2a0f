"""客户 pages: the list and the pool, a customer's page (contacts, orders, notes, timers), handover."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from salesflow.activities import services as activities
from salesflow.activities.forms import ActivityForm
from salesflow.activities.models import ActivityKind
from salesflow.contracts import selectors as contract_selectors
from salesflow.core import clock, events
from salesflow.core.errors import DomainError, FieldErrors, NotFound, user_message
from salesflow.core.lookups import SEARCH_MAX, visible_or_404
from salesflow.core.pagination import (
    ListParams,
    choose_sort,
    light_and_due,
    list_links,
    sorted_page,
)
from salesflow.core.panels import detail_panels
from salesflow.customers import selectors, services
from salesflow.customers.forms import (
    ContactForm,
    CustomerForm,
    GrantForm,
    HandoverForm,
    NoteForm,
    OpportunityForm,
    OrderForm,
    ReleaseForm,
    TagConfirmForm,
    UnfreezeForm,
)
from salesflow.customers.models import Customer
from salesflow.notify.services import readable_or_404
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.org.selectors import current_user, list_filter_choices
from salesflow.pipeline import services as pipeline
from salesflow.rules.selectors import active_pack, is_frozen
from salesflow.workflows import services as workflows

FILTERS = ("q", "owner", "industry_segment", "customer_tier", "customer_class")


def _labels() -> dict[str, dict[str, str]]:
    _number, pack = active_pack()
    return {d.code: {c.code: c.label for c in d.choices} for d in pack.tag_dictionaries}


def today_section(request: HttpRequest) -> dict[str, Any]:
    """今日: the rep's customers that go back to the pool soonest, with the countdown."""
    return {
        "template": "customers/partials/today.html",
        "rows": selectors.closest_to_release(current_user(request)),
    }


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """Visible customers, red first, paginated with the total; filters and sort kept in the URL.

    `pool=1` shows the company pool. Managers (and directors, the GM) narrow by owner, team and
    light; a rep sees their own scope as everywhere.
    """
    me = current_user(request)
    pool = request.GET.get("pool") == "1"
    params = ListParams.from_query(request.GET)
    chosen = {k: request.GET.get(k, "").strip()[:100] for k in FILTERS}
    chosen["owner"] = params.owner
    filters = selectors.CustomerFilters(pool=pool, team=params.team, light=params.light, **chosen)
    key, descending, sort = choose_sort(params.sort, selectors.LIST_SORTS, "light")
    try:
        qs = selectors.with_list_keys(selectors.customers_list(user=me, filters=filters))
        page = sorted_page(
            qs, key=key, descending=descending, cursor=params.cursor, limit=params.limit, sort=sort
        )
    except FieldErrors:
        # A stale cursor (or a search too long): the first page of what can be shown.
        qs = selectors.with_list_keys(
            selectors.customers_list(user=me, filters=replace(filters, q=chosen["q"][:SEARCH_MAX], team=""))
        )
        page = sorted_page(qs, key=key, descending=descending, cursor=None, limit=params.limit, sort=sort)
    phones = selectors.primary_phones([c.pk for c in page.rows])
    now = clock.now()
    rows = [
        {
            "customer": c,
            **light_and_due(c, now),
            "phone": phones.get(c.pk, ""),
        }
        for c in page.rows
    ]
    people, teams = list_filter_choices(me)
    links = list_links(request.GET, page, selectors.LIST_SORTS)
    _number, pack = active_pack()
    return render(
        request,
        "customers/list.html",
        {
            "nav": "customers",
            "rows": rows,
            "page": page,
            "pool": pool,
            "chosen": chosen,
            "team": params.team,
            "light": params.light,
            "people": people,
            "teams": teams,
            "labels": _labels(),
            "dictionaries": [
                pack.dictionary(c) for c in ("industry_segment", "customer_tier", "customer_class")
            ],
            "pool_count": selectors.pool().count(),
            "can_claim": me.role == Role.REP,
            "export_query": links["filter_query"],
            **links,
        },
    )


def _visible(request: HttpRequest, customer_id: int) -> Customer:
    me = current_user(request)
    return readable_or_404(selectors.customers_visible_to(me), customer_id, reader=me)


@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A customer: header with owner and release countdown, contacts, orders, notes, timeline."""
    me = current_user(request)
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
            "orders_total": selectors.orders_of(customer).aggregate(total=Sum("amount"), count=Count("id")),
            "opportunities": customer.opportunities.select_related("owner").order_by("-id")[:20],
            "notes": selectors.notes_visible_to(me, customer),
            "events": events.story_of(customer),
            "smart_fill": selectors.smart_fill(customer),
            "can_claim": customer.owner_id is None and me.role == Role.REP,
            "may_act": may_act,
            "is_owner": customer.owner_id == me.pk,
            "quoting_freeze": is_frozen(customer, "quoting"),
            "may_unfreeze": services.may_unfreeze(me, customer),
            "activity_kinds": ActivityKind.choices,
            "today": clock.to_local(clock.now()).date(),
            "pipelines": active_pack()[1].stage_templates,
            "product_lines": active_pack()[1].dictionary("product_line"),
            "grants_card": _grants_card(me, customer),
            "panels": detail_panels("customer", request, customer),
        },
    )


def _grants_card(me: User, customer: Customer) -> dict[str, Any] | None:
    """The 临时授权 card for who may grant: the form, the grants with their state, the read log."""
    if not selectors.may_grant(me, customer):
        return None
    now = clock.now()
    grants = selectors.grants_of(customer)
    policy = active_pack()[1].grants
    return {
        "grants": [{"grant": g, "live": g.is_live(now)} for g in grants],
        "reads": selectors.grant_reads([g.pk for g in grants], limit=20),
        "candidates": selectors.grant_candidates(me, customer),
        "default_days": policy.default_days,
        "max_days": policy.max_days,
    }


@login_required
@require_POST
def grant_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    """临时授权: let a colleague read this customer's quotes for some days (owner or their managers)."""
    me = current_user(request)
    customer = _visible(request, customer_id)
    try:
        data = GrantForm(request.POST).parsed()
        raw = data["grantee"].strip()
        grantee = User.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        grant = services.grant_create(
            customer=customer, grantee=grantee, actor=me, days=data["days"], reason=data["reason"]
        )
    except DomainError as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(
            request,
            f"已授权 {grant.grantee} 查看该客户的报价，至 {clock.to_local(grant.expires_at):%Y-%m-%d %H:%M}",
        )
    return redirect(f"{reverse('customer-detail', args=[customer_id])}#grants")


@login_required
@require_POST
def grant_revoke(request: HttpRequest, customer_id: int, grant_id: int) -> HttpResponse:
    """撤销 a temporary grant at once."""
    me = current_user(request)
    customer = _visible(request, customer_id)
    grant = visible_or_404(selectors.grants_visible_to(me).filter(customer=customer), grant_id)
    try:
        services.grant_revoke(grant=grant, actor=me)
    except DomainError as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(request, f"已撤销 {grant.grantee} 的临时授权")
    return redirect(f"{reverse('customer-detail', args=[customer_id])}#grants")


@login_required
@require_POST
def claim(request: HttpRequest, customer_id: int) -> HttpResponse:
    """认领 from the pool."""
    target = selectors.claim_target(current_user(request), customer_id)
    if target is None:
        raise NotFound(f"No customer {customer_id}.", id=customer_id)
    try:
        customer = services.customer_claim(customer=target, actor=current_user(request))
        due = selectors.release_due_of(customer)
        messages.success(
            request,
            f"已认领，请在 {clock.to_local(due):%Y-%m-%d %H:%M} 前完成一次有效互动" if due else "已认领",
        )
    except DomainError as exc:
        messages.error(request, user_message(exc))
        if not selectors.customers_visible_to(current_user(request)).filter(pk=customer_id).exists():
            # Taken by a colleague: their customer is not the claimant's to open; back to the pool.
            return redirect(f"{reverse('customer-list')}?pool=1")
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def release(request: HttpRequest, customer_id: int) -> HttpResponse:
    """释放 back to the pool with a reason."""
    customer = _visible(request, customer_id)
    try:
        data = ReleaseForm(request.POST).parsed()
        services.customer_release(customer=customer, reason=data["reason"], actor=current_user(request))
        messages.success(request, "已退回客户池")
        return redirect("customer-list")
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def unfreeze(request: HttpRequest, customer_id: int) -> HttpResponse:
    """解除冻结 by hand, with a reason; back to the page it came from (customer or opportunity)."""
    customer = _visible(request, customer_id)
    data = UnfreezeForm(request.POST).parsed()
    try:
        services.customer_unfreeze(customer=customer, reason=data["reason"], actor=current_user(request))
        messages.success(request, "已解除报价冻结")
    except DomainError as exc:
        messages.error(request, user_message(exc))
    back = data["next"]
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) and back.startswith("/"):
        return redirect(back)
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def add_note(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A note, private when the switch is on."""
    customer = _visible(request, customer_id)
    try:
        data = NoteForm(request.POST).parsed()
        services.note_add(
            customer=customer,
            author=current_user(request),
            text=data["text"],
            private=data["private"],
        )
        messages.success(request, "备注已保存")
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def add_contact(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A contact person."""
    customer = _visible(request, customer_id)
    try:
        services.contact_add(
            customer=customer, actor=current_user(request), **ContactForm(request.POST).parsed()
        )
        messages.success(request, "联系人已添加")
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def add_order(request: HttpRequest, customer_id: int) -> HttpResponse:
    """An order entered by hand (smart fill offers the last order's models and terms)."""
    customer = _visible(request, customer_id)
    try:
        services.order_add(customer=customer, actor=current_user(request), **OrderForm(request.POST).parsed())
        messages.success(request, "订单已保存")
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def log_activity(request: HttpRequest, customer_id: int) -> HttpResponse:
    """记录跟进 on a customer; an effective one restarts the 7-day clock."""
    customer = _visible(request, customer_id)
    try:
        data = ActivityForm(request.POST).parsed()
        activity = activities.activity_log(
            customer=customer,
            kind=data["kind"],
            occurred_at=clock.now(),
            actor=current_user(request),
            duration_seconds=ActivityForm.seconds(data["duration_minutes"]),
            note=data["note"],
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
    customer = _visible(request, customer_id)
    try:
        data = TagConfirmForm(request.POST).parsed()
        services.tag_confirm(
            customer=customer,
            accept=TagConfirmForm.accepted(data["accept"]),
            actor=current_user(request),
        )
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("customer-detail", customer_id=customer_id)


@login_required
@require_POST
def create_customer(request: HttpRequest) -> HttpResponse:
    """新建客户 from the list page: a rep's new customer is theirs, others' go to the pool."""
    me = current_user(request)
    try:
        customer = services.customer_create(
            **CustomerForm(request.POST).parsed(),
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
    me = current_user(request)
    customer = _visible(request, customer_id)
    try:
        data = OpportunityForm(request.POST).parsed()
        opportunity = pipeline.opportunity_create(
            customer=customer,
            title=data["title"],
            amount=data["amount"] or "0",
            product_lines=data["product_lines"],
            pipeline=data["pipeline"] or None,
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
    me = current_user(request)
    user = visible_or_404(User.objects.all(), user_id)
    # Like the POST: only who may hand the book over may see its counts.
    if not workflows.may_hand_over(actor=me, user=user):
        raise PermissionDenied("只有上级或运营管理员可以交接")
    if request.method == "POST":
        target = HandoverForm(request.POST).parsed()["to"]
        to = (
            None
            if target == "pool"
            else User.objects.filter(pk=int(target) if target.isdigit() else 0).first()
        )
        if target != "pool" and to is None:
            messages.error(request, "请选择接手的销售或客户池")
        else:
            try:
                moved = workflows.user_handover(user=user, to=to, actor=me)
            except DomainError as exc:
                messages.error(request, user_message(exc))
            else:
                messages.success(request, "交接完成")
                # Redirect after the POST so a refresh cannot hand over twice; the counts ride along.
                query = "&".join(f"{k}={v}" for k, v in moved.items())
                return redirect(f"{reverse('user-handover', args=[user.pk])}?done=1&{query}")
    result: dict[str, Any] | None = None
    if request.GET.get("done"):
        result = {
            k: int(request.GET.get(k, "0") or 0) for k in ("customers", "leads", "opportunities", "contracts")
        }
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
                "contracts": contract_selectors.to_hand_over(user).count(),
            },
            "reps": User.objects.filter(role=Role.REP, is_active=True).exclude(pk=user.pk).order_by("id"),
        },
    )
