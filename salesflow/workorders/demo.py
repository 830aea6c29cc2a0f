"""The demo company's work orders: every type of the pack in every state (proof uploaded, parties
acknowledged, approvals decided), and some left unacknowledged so their ladders fired once, twice
or three times — the third put them on this month's process-review agenda. All through the
services; the due ladder steps fire at their own due time through the sweeper's step handler."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

from PIL import Image

from salesflow.approvals import services as approvals
from salesflow.approvals.models import ApprovalRequest
from salesflow.contracts.models import Contract
from salesflow.core.demo import COUNT_LABELS, DemoContext, demo_part
from salesflow.core.errors import DomainError
from salesflow.customers.models import Customer
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity
from salesflow.quotes.models import Quote
from salesflow.rules.schema import WorkOrderType
from salesflow.rules.selectors import active_pack, calendar_for
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline
from salesflow.workorders import services
from salesflow.workorders.models import WorkOrder

COUNT_LABELS.setdefault("workorders", "工单")
COUNT_LABELS.setdefault("workorder_escalations", "工单超时升级")

SIGNED_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXTS = {
    "requirement": "手术室需定制双臂吊塔，兼容现有腔镜设备，需提供承重与布线方案。",
    "reason": "竞品报价低 12%，客户年度框架采购，需特价保单。",
    "items": "关节置换器械包 20 套",
    "address": "上海市黄浦区瑞金二路 197 号 设备科",
    "detail": "到货包装破损 2 箱，客户要求 48 小时内补发并说明原因。",
}
TITLES = {
    "special_price_approval": "年度框架采购特价",
    "nonstandard_design": "非标托架设计支持",
    "urgent_shipment": "急诊手术器械加急发货",
    "customer_complaint": "到货包装破损投诉",
    "payment_term_change": "付款条件改为月结 60 天",
    "custom_solution": "手术室吊塔定制方案",
}
# How many ladder steps fired on the unacknowledged demo orders, by type.
BREACHES = [("custom_solution", 1), ("custom_solution", 2), ("custom_solution", 3), ("nonstandard_design", 3)]
BREACHES += [("urgent_shipment", 2), ("customer_complaint", 1)]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def _form(wo_type: WorkOrderType, ctx: DemoContext) -> dict[str, Any]:
    _number, pack = active_pack()
    today = ctx.now.date()
    values: dict[str, Any] = {}
    for spec in wo_type.form:
        if spec.type == "number":
            values[spec.key] = {"discount_pct": "15", "budget": "380000"}.get(spec.key, "260000")
        elif spec.type == "date":
            values[spec.key] = (today + timedelta(days=ctx.rng.randint(3, 20))).isoformat()
        elif spec.type == "choice":
            dictionary = pack.dictionary(spec.dictionary or "")
            codes = [c.code for c in dictionary.choices] if dictionary else []
            if codes:
                values[spec.key] = codes[ctx.rng.randrange(len(codes))]
        else:
            values[spec.key] = TEXTS.get(spec.key, spec.label)
    return values


def _links(rep: User, wo_type: WorkOrderType) -> dict[str, Any] | None:
    """The record a rep raises this type from: a contract, a quote, a deal, else a customer."""
    if wo_type.code == "payment_term_change":
        contract = Contract.objects.filter(owner=rep).order_by("id").first()
        if contract is not None:
            return {"customer": contract.customer, "contract": contract}
    if wo_type.code == "special_price_approval":
        quote = Quote.objects.filter(owner=rep).order_by("id").first()
        if quote is not None:
            return {"customer": quote.customer, "quote": quote}
    if wo_type.code in ("custom_solution", "nonstandard_design"):
        deal = Opportunity.objects.filter(owner=rep, status="open").order_by("id").first()
        if deal is not None:
            return {"customer": deal.customer, "opportunity": deal}
    customer = Customer.objects.filter(owner=rep).order_by("id").first()
    return {"customer": customer} if customer is not None else None


def _acknowledge_all(order: WorkOrder, at: datetime) -> None:
    for ack in order.acknowledgements.filter(acknowledged_at__isnull=True):
        for user in services.party_users(order, ack):
            try:
                services.workorder_acknowledge(order=order, actor=user, party=ack.party, now=at)
            except DomainError:
                continue
            break


def _approve(order: WorkOrder, at: datetime) -> None:
    request = ApprovalRequest.objects.filter(subject_type="workorders.workorder", subject_id=order.pk).first()
    while request is not None and request.state == "pending":
        step = request.steps.filter(state="open").first()
        approver = step.candidates.order_by("pk").first() if step is not None else None
        if step is None or approver is None:
            return
        approvals.approval_approve(step=step, actor=approver, comment="同意，请按流程执行。", now=at)
        request.refresh_from_db()


def _advance_to(order: WorkOrder, wo_type: WorkOrderType, index: int, at: datetime) -> WorkOrder:
    handler = order.assignee
    if handler is None:
        return order
    for step, state in enumerate(wo_type.states[1 : index + 1], start=1):
        when = at + timedelta(hours=3 * step)
        for proof in state.proof:
            if proof == "screenshot":
                services.workorder_attach(
                    order=order,
                    actor=handler,
                    kind="screenshot",
                    data=_png(),
                    filename=f"{state.name}.png",
                    now=when,
                )
            elif proof == "signed_file":
                services.workorder_attach(
                    order=order,
                    actor=handler,
                    kind="signed_file",
                    data=SIGNED_PDF,
                    filename=f"{state.name}（签字）.pdf",
                    now=when,
                )
        order = services.workorder_advance(
            order=order, actor=handler, to_state=state.code, note=f"{state.name}：已按要求完成。", now=when
        )
    return order


def _raised_before(ctx: DemoContext, hours: int, *, working: bool, fired: int) -> datetime:
    """A raise time whose ladder (every `hours`) has fired `fired` steps by now, no more."""
    _number, pack = active_pack()
    calendar = calendar_for(pack)
    at = ctx.now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)

    def due(start: datetime, n: int) -> datetime:
        if working:
            return calendar.add_working_hours(start, hours * n)
        return start + timedelta(hours=hours * n)

    for _ in range(24 * 30):
        if due(at, fired) <= ctx.now and (fired >= 3 or due(at, fired + 1) > ctx.now):
            return at
        at -= timedelta(hours=1)
    return at


def _fire_due(order: WorkOrder, now: datetime) -> int:
    """Fire the order's ladder steps due by `now`, each at its own due time, exactly once."""
    fired = 0
    due = Deadline.objects.filter(
        subject_type="workorders.workorder",
        subject_id=order.pk,
        status=Deadline.Status.PENDING,
        due_at__lte=now,
    ).order_by("due_at", "id")
    for deadline in due:
        deadline.refresh_from_db(fields=["status"])
        if deadline.status != Deadline.Status.PENDING:
            continue
        outcome = sweeper._fire_one(deadline, now=deadline.due_at, worker_id="demo")
        if outcome.outcome == "fired":
            Deadline.objects.filter(pk=deadline.pk).update(
                status=Deadline.Status.FIRED, fired_at=deadline.due_at, claimed_by="demo", attempts=1
            )
            fired += 1
    return fired


@demo_part(order=58, label="工单")
def generate_workorders(ctx: DemoContext) -> None:
    """Every type in every state, and unacknowledged ones at each rung of their ladder."""
    _number, pack = active_pack()
    reps = [r for r in ctx.made.get("reps", []) if Customer.objects.filter(owner=r).exists()]
    if not reps:
        return
    n = 0
    for wo_type in pack.workorder_types:
        for index in range(len(wo_type.states)):
            rep = reps[n % len(reps)]
            n += 1
            links = _links(rep, wo_type)
            if links is None:
                continue
            at = ctx.now - timedelta(days=2 + 3 * index, hours=ctx.rng.randint(0, 6))
            try:
                order = services.workorder_raise(
                    actor=rep,
                    type_code=wo_type.code,
                    title=TITLES.get(wo_type.code, wo_type.name),
                    form_values=_form(wo_type, ctx),
                    now=at,
                    **links,
                )
            except DomainError:
                continue
            ctx.count("workorders")
            _acknowledge_all(order, at + timedelta(minutes=40))
            if index == 0:
                continue
            _approve(order, at + timedelta(hours=1))
            _advance_to(order, wo_type, index, at + timedelta(hours=1))
            if index == 1:
                services.workorder_comment(
                    order=order,
                    actor=rep,
                    body=f"@{order.assignee.username} 客户催得紧，辛苦优先处理。"
                    if order.assignee
                    else "请优先处理。",
                    now=at + timedelta(hours=2),
                )
    for code, fired in BREACHES:
        breached_type = pack.workorder_type(code)
        if breached_type is None:
            continue
        wo_type = breached_type
        rep = reps[n % len(reps)]
        n += 1
        links = _links(rep, wo_type)
        if links is None:
            continue
        urgent = code == "urgent_shipment"
        at = _raised_before(ctx, 2 if urgent else 4, working=not urgent, fired=fired)
        try:
            order = services.workorder_raise(
                actor=rep,
                type_code=code,
                title=TITLES.get(code, wo_type.name) + "（超时）",
                form_values=_form(wo_type, ctx),
                now=at,
                **links,
            )
        except DomainError:
            continue
        ctx.count("workorders")
        # Everyone but the sales party acknowledged (a custom solution needs all three).
        for ack in order.acknowledgements.exclude(who="record_owner"):
            if code == "custom_solution":
                for user in services.party_users(order, ack):
                    services.workorder_acknowledge(order=order, actor=user, party=ack.party, now=at)
                    break
        ctx.count("workorder_escalations", _fire_due(order, ctx.now))
