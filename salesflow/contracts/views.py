"""合同 and 应收账款 pages: the contract list, a contract with its payment plan and money received,
the clause and plan editors, the receivables ageing with drill-down, and the opportunity's
contract card."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesflow.contracts import selectors, services
from salesflow.contracts.choices import (
    LIVE_STATES,
    OUTSTANDING_STATES,
    ContractState,
    InstalmentState,
    Milestone,
)
from salesflow.contracts.models import Contract, Instalment
from salesflow.contracts.permissions import records_payments
from salesflow.core import clock, events
from salesflow.core.errors import DomainError, FieldErrors, user_message
from salesflow.core.lookups import SEARCH_MAX, visible_or_404
from salesflow.core.panels import detail_panels
from salesflow.org.models import User
from salesflow.org.selectors import current_user
from salesflow.quotes.models import Quote
from salesflow.quotes.selectors import owns_or_manages as owner_or_manager
from salesflow.quotes.selectors import quotes_visible_to

PAGE_ROWS = 200
# The instalments a receivables cell lists on the page (most overdue first); the export has all.
DRILL_ROWS = 50


def _today() -> date:
    return clock.to_local(clock.now()).date()


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    """合同 list: search by number, title or customer; filter by state; newest first."""
    me = current_user(request)
    chosen = {k: request.GET.get(k, "").strip()[:SEARCH_MAX] for k in ("q", "state")}
    if chosen["state"] not in ContractState.values:
        chosen["state"] = ""
    qs = selectors.contracts_list(user=me, filters=selectors.contract_filters_from(chosen))
    total = qs.count()
    rows = list(qs[:PAGE_ROWS])
    green_pct = selectors.green_pct()
    collected = [(c, selectors.collected_pct(c)) for c in rows]
    return render(
        request,
        "contracts/list.html",
        {
            "nav": "contracts",
            "rows": [(c, pct, pct >= green_pct) for c, pct in collected],
            "total": total,
            "truncated": total > PAGE_ROWS,
            "chosen": chosen,
            "states": ContractState.choices,
            "green_pct": green_pct,
        },
    )


def _visible(request: HttpRequest, contract_id: int) -> Contract:
    return visible_or_404(selectors.contracts_visible_to(current_user(request)), contract_id)


@login_required
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    """One contract: state and next step, amount and collection progress with its light, the
    payment plan (due, overdue, requested, received), receipts, lines, clauses, timeline."""
    me = current_user(request)
    contract = _visible(request, contract_id)
    today = _today()
    plan = selectors.plan_of(contract)
    owner_side = selectors.owns_or_manages(me, contract)
    delivers = selectors.may_deliver(me, contract)
    live = contract.state in LIVE_STATES
    return render(
        request,
        "contracts/detail.html",
        {
            "nav": "contracts",
            "panels": detail_panels("contract", request, contract),
            "contract": contract,
            "plan": [(i, selectors.is_overdue(i, today)) for i in plan],
            "receipts": selectors.receipts_of(contract),
            "collected_pct": selectors.collected_pct(contract),
            "green": selectors.green(contract),
            "green_pct": selectors.green_pct(),
            "owner_side": owner_side,
            "editable": owner_side and contract.state == ContractState.DRAFT,
            "reviewable": owner_side and contract.state == ContractState.DRAFT and contract.deviations > 0,
            "signable": contract.owner_id == me.pk and selectors.signable(contract),
            "deliverable": delivers and contract.state == ContractState.SIGNED,
            "completable": delivers and contract.state == ContractState.IN_DELIVERY,
            "terminable": owner_side and selectors.terminable(contract),
            "may_request": delivers and live,
            "may_record": records_payments(me) and live,
            "may_reschedule": owner_side and live,
            "planned": InstalmentState.PLANNED,
            "outstanding_states": OUTSTANDING_STATES,
            "approval": _latest_approval(contract),
            "events": events.story_of(contract),
            "today": today,
        },
    )


def _latest_approval(contract: Contract) -> Any:
    from salesflow.approvals.models import ApprovalRequest
    from salesflow.approvals.selectors import request_detail

    return (
        request_detail(
            ApprovalRequest.objects.filter(subject_type=Contract._meta.label_lower, subject_id=contract.pk)
        )
        .order_by("-id")
        .first()
    )


@login_required
def contract_signed_pdf(request: HttpRequest, contract_id: int) -> FileResponse:
    """The signed contract PDF."""
    contract = _visible(request, contract_id)
    if not contract.signed_file:
        raise Http404("no signed contract")
    return FileResponse(
        contract.signed_file.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{contract.number}.pdf",
    )


def _act(request: HttpRequest, contract: Contract, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except DomainError as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(request, done)
    return redirect("contract-detail", contract.pk)


@login_required
@require_POST
def contract_create(request: HttpRequest) -> HttpResponse:
    """生成合同 from an accepted quote (when the automatic draft was terminated)."""
    me = current_user(request)
    raw = request.POST.get("quote", "")
    quote = visible_or_404(quotes_visible_to(me), int(raw) if raw.isdigit() else 0)
    try:
        contract = services.contract_create(quote=quote, actor=me)
    except DomainError as exc:
        messages.error(request, user_message(exc))
        return redirect("quote-detail", quote.pk)
    messages.success(request, _("合同草稿已生成：%(number)s") % {"number": contract.number})
    return redirect("contract-detail", contract.pk)


@login_required
def contract_edit(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Edit a draft: title, terms, project manager and clauses (a changed clause needs legal review)."""
    me = current_user(request)
    contract = _visible(request, contract_id)
    if not selectors.owns_or_manages(me, contract) or contract.state != ContractState.DRAFT:
        messages.error(request, _("该合同当前不能修改"))
        return redirect("contract-detail", contract.pk)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        codes = request.POST.getlist("clause_code")[:50]
        titles = request.POST.getlist("clause_title")[:50]
        texts = request.POST.getlist("clause_text")[:50]
        clauses = [
            services.ClauseInput(
                code=codes[i] if i < len(codes) else "", title=t, text=texts[i] if i < len(texts) else ""
            )
            for i, t in enumerate(titles)
            if t.strip() or (i < len(texts) and texts[i].strip())
        ]
        raw_pm = request.POST.get("project_manager", "")
        try:
            services.contract_update(
                contract=contract,
                actor=me,
                title=request.POST.get("title", ""),
                payment_terms=request.POST.get("payment_terms", ""),
                delivery_terms=request.POST.get("delivery_terms", ""),
                project_manager=int(raw_pm) if raw_pm.isdigit() else None,
                clauses=clauses,
            )
        except FieldErrors as exc:
            errors = exc.errors
        except DomainError as exc:
            messages.error(request, user_message(exc))
            return redirect("contract-detail", contract.pk)
        else:
            messages.success(request, _("合同已保存"))
            return redirect("contract-detail", contract.pk)
        values: dict[str, Any] = {
            "title": request.POST.get("title", ""),
            "payment_terms": request.POST.get("payment_terms", ""),
            "delivery_terms": request.POST.get("delivery_terms", ""),
            "project_manager": raw_pm,
            "clauses": [c.__dict__ for c in clauses],
        }
    else:
        values = {
            "title": contract.title,
            "payment_terms": contract.payment_terms,
            "delivery_terms": contract.delivery_terms,
            "project_manager": str(contract.project_manager_id or ""),
            "clauses": contract.clauses,
        }
    return render(
        request,
        "contracts/edit.html",
        {
            "nav": "contracts",
            "contract": contract,
            "values": values,
            "errors": errors,
            "people": User.objects.filter(is_active=True)
            .exclude(role="integration")
            .order_by("team__name", "display_name"),
            "spare": range(2),
        },
        status=400 if errors else 200,
    )


@login_required
def contract_plan(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Edit a draft's payment plan: a share or an amount per instalment, due after a
    milestone or on a date."""
    me = current_user(request)
    contract = _visible(request, contract_id)
    if not selectors.owns_or_manages(me, contract) or contract.state != ContractState.DRAFT:
        messages.error(request, _("签订前才能修改回款计划"))
        return redirect("contract-detail", contract.pk)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        keys = ("name", "milestone", "pct", "amount", "days", "due_date")
        columns = {k: request.POST.getlist(k)[: services.MAX_INSTALMENTS + 3] for k in keys}
        rows = []
        for i, name in enumerate(columns["name"]):
            cell = {k: (columns[k][i] if i < len(columns[k]) else "").strip()[:40] for k in keys}
            if not name.strip() and not cell["pct"] and not cell["amount"]:
                continue
            rows.append(cell)
        try:
            services.contract_plan_set(
                contract=contract,
                actor=me,
                instalments=[
                    services.InstalmentInput(
                        name=r["name"],
                        milestone=r["milestone"],
                        pct=r["pct"] or None,
                        amount=r["amount"] or None,
                        days=r["days"] or 0,
                        due_date=parse_date(r["due_date"]) if r["due_date"] else None,
                    )
                    for r in rows
                ],
            )
        except FieldErrors as exc:
            errors = exc.errors
        except DomainError as exc:
            messages.error(request, user_message(exc))
            return redirect("contract-detail", contract.pk)
        else:
            messages.success(request, _("回款计划已保存"))
            return redirect("contract-detail", contract.pk)
    else:
        rows = [
            {
                "name": i.name,
                "milestone": i.milestone,
                "pct": f"{i.pct.normalize():f}" if i.pct is not None else "",
                "amount": "" if i.pct is not None else f"{i.amount:f}",
                "days": str(i.days),
                "due_date": i.due_date.isoformat() if i.due_date else "",
            }
            for i in selectors.plan_of(contract)
        ]
    spare = [{"name": "", "milestone": "", "pct": "", "amount": "", "days": "", "due_date": ""}] * 2
    return render(
        request,
        "contracts/plan.html",
        {
            "nav": "contracts",
            "contract": contract,
            "rows": rows + spare,
            "errors": errors,
            "milestones": Milestone.choices,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def contract_review(request: HttpRequest, contract_id: int) -> HttpResponse:
    """提交法务审核 of a contract whose clauses deviate from the templates."""
    contract = _visible(request, contract_id)
    me = current_user(request)
    comment = request.POST.get("comment", "")[:500]
    return _act(
        request,
        contract,
        lambda: services.contract_review_start(contract=contract, actor=me, comment=comment),
        _("已提交法务审核"),
    )


@login_required
@require_POST
def contract_sign(request: HttpRequest, contract_id: int) -> HttpResponse:
    """上传签署合同: the signed PDF wins the deal and starts the payment plan."""
    contract = _visible(request, contract_id)
    me = current_user(request)
    upload = request.FILES.get("file")
    raw_date = request.POST.get("signed_on", "")
    signed_on = parse_date(raw_date) if raw_date else None
    if raw_date and signed_on is None:
        messages.error(request, _("签订日期格式不正确"))
        return redirect("contract-detail", contract.pk)
    return _act(
        request,
        contract,
        lambda: services.contract_sign(
            contract=contract,
            actor=me,
            data=upload.read() if upload else b"",
            filename=(upload.name or "") if upload else "",
            signed_on=signed_on,
        ),
        _("合同已签订，商机已赢单"),
    )


def _milestone_view(
    request: HttpRequest, contract_id: int, service: Any, key: str, done: str
) -> HttpResponse:
    contract = _visible(request, contract_id)
    me = current_user(request)
    raw = request.POST.get(key, "")
    on = parse_date(raw) if raw else None
    if raw and on is None:
        messages.error(request, _("日期格式不正确"))
        return redirect("contract-detail", contract.pk)
    return _act(request, contract, lambda: service(contract=contract, actor=me, **{key: on}), done)


@login_required
@require_POST
def contract_deliver(request: HttpRequest, contract_id: int) -> HttpResponse:
    """交付完成: the delivery instalments fall due."""
    return _milestone_view(request, contract_id, services.contract_deliver, "delivered_on", _("已登记交付"))


@login_required
@require_POST
def contract_complete(request: HttpRequest, contract_id: int) -> HttpResponse:
    """客户验收: the contract is completed and the acceptance instalments fall due."""
    return _milestone_view(request, contract_id, services.contract_complete, "accepted_on", _("已登记验收"))


@login_required
@require_POST
def contract_terminate(request: HttpRequest, contract_id: int) -> HttpResponse:
    """终止合同 with a reason."""
    contract = _visible(request, contract_id)
    me = current_user(request)
    reason = request.POST.get("reason", "")[:600]
    return _act(
        request,
        contract,
        lambda: services.contract_terminate(contract=contract, actor=me, reason=reason),
        _("合同已终止"),
    )


def _visible_instalment(request: HttpRequest, instalment_id: int) -> Instalment:
    return visible_or_404(selectors.instalments_visible_to(current_user(request)), instalment_id)


@login_required
@require_POST
def instalment_request(request: HttpRequest, instalment_id: int) -> HttpResponse:
    """请款 for one instalment (finance is told)."""
    instalment = _visible_instalment(request, instalment_id)
    me = current_user(request)
    note = request.POST.get("note", "")[:600]
    return _act(
        request,
        instalment.contract,
        lambda: services.payment_request(instalment=instalment, actor=me, note=note),
        _("已发起请款，财务已收到通知"),
    )


@login_required
@require_POST
def instalment_receive(request: HttpRequest, instalment_id: int) -> HttpResponse:
    """回款登记 by finance: amount, date received, bank reference."""
    instalment = _visible_instalment(request, instalment_id)
    me = current_user(request)
    raw_date = request.POST.get("received_on", "")
    return _act(
        request,
        instalment.contract,
        lambda: services.payment_record(
            instalment=instalment,
            actor=me,
            amount=request.POST.get("amount", "")[:30],
            received_on=parse_date(raw_date) if raw_date else None,
            bank_reference=request.POST.get("bank_reference", "")[:80],
        ),
        _("回款已登记"),
    )


@login_required
@require_POST
def instalment_reschedule(request: HttpRequest, instalment_id: int) -> HttpResponse:
    """改期: a new due date agreed with the customer (its reminders restart)."""
    instalment = _visible_instalment(request, instalment_id)
    me = current_user(request)
    raw = request.POST.get("due_date", "")
    due = parse_date(raw) if raw else None
    return _act(
        request,
        instalment.contract,
        lambda: services.payment_reschedule(instalment=instalment, actor=me, due_date=due),  # type: ignore[arg-type]
        _("到期日已调整"),
    )


@login_required
def receivables(request: HttpRequest) -> HttpResponse:
    """应收账款: outstanding money by ageing bucket, by team and rep, with the instalments behind a cell."""
    me = current_user(request)
    today = _today()
    params = {k: request.GET.get(k, "")[:20] for k in ("bucket", "team", "owner")}
    try:
        cell = selectors.ageing_filters_from(params)
    except FieldErrors:
        cell = selectors.AgeingFilters()
    table = selectors.ageing(me, today=today, team=cell.team, owner=cell.owner)
    drill = cell.bucket is not None or cell.owner is not None
    rows = (
        list(
            selectors.receivable_rows(
                me, today=today, bucket=cell.bucket, team=cell.team, owner=cell.owner
            ).select_related("contract__owner__team")[: DRILL_ROWS + 1]
        )
        if drill
        else []
    )
    truncated = len(rows) > DRILL_ROWS
    rows = rows[:DRILL_ROWS]
    labels = {b.key: b.label for b in table.buckets}
    return render(
        request,
        "contracts/receivables.html",
        {
            "nav": "contracts",
            "table": table,
            "cell": cell,
            "drill": drill,
            "rows": [(i, labels.get(getattr(i, "bucket", -1), "")) for i in rows],
            "teams": selectors.ageing_teams(me),
            "today": today,
            "export_query": "&".join(f"{k}={v}" for k, v in params.items() if v and v.isdigit()),
            "bucket_label": labels.get(cell.bucket, "") if cell.bucket is not None else "",
            "truncated": truncated,
        },
    )


def opportunity_panel(request: HttpRequest, opportunity: Any) -> str:
    """The 合同 card of an opportunity page: its contracts with state and collection progress,
    and 生成合同 for an accepted quote that has no live contract (its draft was terminated)."""
    me = current_user(request)
    contracts = list(selectors.contracts_visible_to(me).filter(opportunity=opportunity).order_by("-id")[:5])
    live = Contract.objects.exclude(state=ContractState.TERMINATED).values("quote_id")
    waiting: Quote | None = (
        quotes_visible_to(me).filter(opportunity=opportunity, state="accepted").exclude(pk__in=live).first()
    )
    if not contracts and waiting is None:
        return ""
    return render_to_string(
        "contracts/partials/opportunity_panel.html",
        {
            "contracts": [(c, selectors.collected_pct(c), selectors.green(c)) for c in contracts],
            "waiting": waiting if waiting is not None and owner_or_manager(me, waiting.owner_id) else None,
        },
        request=request,
    )
