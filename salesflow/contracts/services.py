"""Writes of contracts and collections: a contract from an accepted quote, its payment plan,
legal review, signing (which wins the deal and writes the customer's order), delivery,
acceptance, termination; payment requests (请款) and money received (回款登记).

Each write runs in one transaction and records its event, so the rules engine sees it:
`payment.scheduled` (an instalment got its due date) starts the pack's `payment_due_reminder`
and `payment_overdue` ladders; a request stops the reminder, full payment stops both.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from salesflow.contracts import selectors
from salesflow.contracts.choices import (
    LIVE_STATES,
    OUTSTANDING_STATES,
    ContractState,
    InstalmentState,
    Milestone,
)
from salesflow.contracts.models import Contract, ContractSequence, Instalment, PaymentReceipt
from salesflow.contracts.permissions import records_payments
from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.org.models import User
from salesflow.pipeline import evidence as evidence_checks
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.quotes.choices import QuoteState
from salesflow.quotes.models import Quote, QuoteLine, QuoteVersion
from salesflow.quotes.selectors import owns_or_manages as owner_or_manager
from salesflow.rules.selectors import active_pack

CENT = Decimal("0.01")
MAX_INSTALMENTS = 12
TEXT_LIMITS = {"title": 200, "payment_terms": 200, "delivery_terms": 200}


def _next_number(now: datetime) -> str:
    """HT-2026-000123: a per-year sequence, taken under a row lock so two contracts never share one."""
    year = clock.to_local(now).year
    ContractSequence.objects.get_or_create(year=year)
    sequence = ContractSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{selectors.policy().number_prefix}-{year}-{sequence.last:06d}"


def deviating(clauses: list[dict[str, str]]) -> list[dict[str, str]]:
    """The clauses that are not word for word a template of the pack (those need legal review)."""
    templates = {c.code: c.text for c in active_pack()[1].quotes.clause_templates}
    return [c for c in clauses if templates.get(c.get("code", "")) != c.get("text")]


def deviations_of(clauses: list[dict[str, str]]) -> int:
    """How many clauses deviate from the templates."""
    return len(deviating(clauses))


def _default_plan(contract: Contract) -> list[Instalment]:
    """The pack's payment plan as instalments of `contract` (the last one takes the rounding)."""
    plan = selectors.policy().payment_plan
    rows: list[Instalment] = []
    left = contract.amount
    for position, item in enumerate(plan, start=1):
        amount = left if position == len(plan) else (contract.amount * item.pct / 100).quantize(CENT)
        left -= amount
        rows.append(
            Instalment(
                contract=contract,
                position=position,
                name=item.name,
                pct=item.pct,
                amount=amount,
                milestone=item.milestone,
                days=item.days,
            )
        )
    return rows


def _lines_of(version: QuoteVersion) -> list[dict[str, str]]:
    return [
        {
            "sku": line.sku,
            "name": line.name,
            "unit": line.unit,
            "quantity": str(line.quantity),
            "net_price": str(line.net_price),
            "line_total": str(line.line_total),
            "tax_rate_pct": str(line.tax_rate_pct),
            "product_id": str(line.product_id),
        }
        for line in QuoteLine.objects.filter(version=version).order_by("position")
    ]


def contract_create(*, quote: Quote, actor: User | None, now: datetime | None = None) -> Contract:
    """A contract draft from an accepted quote: its version's lines, clauses and terms, the pack's
    payment plan, the quote's owner as owner and project manager. One live contract per quote."""
    now = now or clock.now()
    with transaction.atomic():
        locked = Quote.objects.select_for_update().select_related("customer", "owner").get(pk=quote.pk)
        if actor is not None and not owner_or_manager(actor, locked.owner_id):
            raise PermissionDenied("只有报价负责人或其上级可以生成合同 / Only the quote's owner or managers.")
        if locked.state != QuoteState.ACCEPTED:
            raise Conflict("只有客户已接受的报价可以生成合同 / Only an accepted quote.", state=locked.state)
        existing = Contract.objects.filter(quote=locked).exclude(state=ContractState.TERMINATED).first()
        if existing is not None:
            raise Conflict(f"该报价已有合同 {existing.number} / A contract exists.", contract=existing.pk)
        version = QuoteVersion.objects.get(quote=locked, number=locked.current_version)
        contract = Contract(
            number="",
            quote=locked,
            quote_version=version.number,
            opportunity_id=locked.opportunity_id,
            customer=locked.customer,
            owner=locked.owner,
            project_manager=locked.owner,
            title=locked.title,
            amount=version.total,
            lines=_lines_of(version),
            clauses=list(version.clauses),
            payment_terms=version.payment_terms,
            delivery_terms=version.delivery_terms,
            created_at=now,
            updated_at=now,
        )
        contract.deviations = deviations_of(contract.clauses)
        contract.number = _next_number(now)
        attach_actor(contract, actor, now)
        contract.save()
        Instalment.objects.bulk_create(_default_plan(contract))
        events.record(
            name="contract.created",
            subject=contract,
            actor=actor,
            occurred_at=now,
            payload={
                "contract": contract.number,
                "quote": locked.number,
                "contract_amount": str(contract.amount),
            },
        )
    return contract


def on_quote_accepted(event: Any) -> None:
    """Event listener: the customer (or the rep on their behalf) accepted a quote → a contract draft."""
    if event.name != "quote.accepted":
        return
    quote = Quote.objects.get(pk=event.subject_id)
    if Contract.objects.filter(quote=quote).exclude(state=ContractState.TERMINATED).exists():
        return
    contract_create(quote=quote, actor=None, now=event.occurred_at)


def _lock(contract: Contract) -> Contract:
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("owner", "customer", "opportunity", "project_manager")
        .get(pk=contract.pk)
    )


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _save(contract: Contract, actor: User | None, now: datetime, *fields: str) -> None:
    contract.updated_at = now
    attach_actor(contract, actor, now)
    contract.save(update_fields=[*fields, "updated_at"])


@dataclass(frozen=True)
class ClauseInput:
    """A clause as edited: the template code it came from (or empty for a new one), title, text."""

    title: str
    text: str
    code: str = ""


def contract_update(
    *,
    contract: Contract,
    actor: User,
    title: str | None = None,
    project_manager: int | None = None,
    payment_terms: str | None = None,
    delivery_terms: str | None = None,
    clauses: list[ClauseInput] | None = None,
    now: datetime | None = None,
) -> Contract:
    """Edit a draft: title, terms, project manager, clauses (a changed clause needs legal review)."""
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    texts = {"title": title, "payment_terms": payment_terms, "delivery_terms": delivery_terms}
    cleaned: dict[str, str] = {}
    for key, value in texts.items():
        if value is None:
            continue
        value = value.strip() if isinstance(value, str) else ""
        if key == "title" and not value:
            errors[key] = ["请填写合同名称 / A title is required."]
        elif len(value) > TEXT_LIMITS[key]:
            errors[key] = [f"最多 {TEXT_LIMITS[key]} 字 / At most {TEXT_LIMITS[key]} characters."]
        cleaned[key] = value
    manager: User | None = None
    if project_manager is not None:
        manager = User.objects.filter(pk=project_manager, is_active=True).first()
        if manager is None:
            errors["project_manager"] = ["未找到该同事 / No such active colleague."]
    new_clauses: list[dict[str, str]] | None = None
    if clauses is not None:
        new_clauses = []
        if len(clauses) > 50:
            errors["clauses"] = ["最多 50 条 / At most 50 clauses."]
        for index, clause in enumerate(clauses[:50]):
            title_text, body = clause.title.strip(), clause.text.strip()
            if not title_text or not body or len(title_text) > 40 or len(body) > 2000:
                errors.setdefault("clauses", []).append(
                    f"第 {index + 1} 条：标题 1–40 字，内容 1–2000 字 / "
                    f"clause {index + 1}: title 1–40, text 1–2000"
                )
            new_clauses.append({"code": clause.code.strip()[:60], "title": title_text, "text": body})
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = _lock(contract)
        _require(
            selectors.owns_or_manages(actor, locked),
            "只有合同负责人或其上级可以修改 / Owner or managers only.",
        )
        if locked.state != ContractState.DRAFT:
            raise Conflict("只有草稿合同可以修改 / Only a draft changes.", state=locked.state)
        for key, value in cleaned.items():
            setattr(locked, key, value)
        if manager is not None:
            locked.project_manager = manager
        if new_clauses is not None:
            locked.clauses = new_clauses
            locked.deviations = deviations_of(new_clauses)
            locked.reviewed_at = None
        _save(
            locked,
            actor,
            now,
            "title",
            "payment_terms",
            "delivery_terms",
            "project_manager",
            "clauses",
            "deviations",
            "reviewed_at",
        )
        events.record(name="contract.updated", subject=locked, actor=actor, occurred_at=now, payload={})
    return locked


@dataclass(frozen=True)
class InstalmentInput:
    """One row of an edited payment plan: a share (pct) or an amount, due after a milestone or on a date."""

    name: str
    milestone: str
    pct: Any = None
    amount: Any = None
    days: Any = 0
    due_date: date | None = None


def _decimal(raw: Any) -> Decimal | None:
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _clean_plan(contract: Contract, rows: list[InstalmentInput]) -> list[Instalment]:
    errors: dict[str, list[str]] = {}
    if not rows:
        raise FieldErrors({"instalments": ["至少一个回款节点 / At least one instalment."]})
    if len(rows) > MAX_INSTALMENTS:
        raise FieldErrors(
            {"instalments": [f"最多 {MAX_INSTALMENTS} 个回款节点 / At most {MAX_INSTALMENTS}."]}
        )
    made: list[Instalment] = []
    for position, row in enumerate(rows, start=1):
        where = f"instalments[{position - 1}]"
        name = (row.name or "").strip() if isinstance(row.name, str) else ""
        if not name or len(name) > 40:
            errors[f"{where}.name"] = ["名称 1–40 字 / name of 1–40 characters"]
        if row.milestone not in Milestone.values:
            errors[f"{where}.milestone"] = [f"应为 {', '.join(Milestone.values)} 之一 / one of them"]
        pct, amount = _decimal(row.pct), _decimal(row.amount)
        if (pct is None) == (amount is None):
            errors[f"{where}.pct"] = ["请填写比例或金额之一 / Give a percentage or an amount."]
        elif pct is not None and not Decimal(0) < pct <= Decimal(100):
            errors[f"{where}.pct"] = ["比例应在 0–100 之间 / between 0 and 100"]
        elif amount is not None and not Decimal(0) < amount <= contract.amount:
            errors[f"{where}.amount"] = [
                "金额应大于 0 且不超过合同金额 / above 0, at most the contract amount"
            ]
        try:
            days = int(row.days or 0)
        except (TypeError, ValueError):
            days = -1
        if not 0 <= days <= 365:
            errors[f"{where}.days"] = ["天数应在 0–365 之间 / between 0 and 365"]
        if row.milestone == Milestone.DATE and row.due_date is None:
            errors[f"{where}.due_date"] = ["固定日期的节点需要到期日 / A date instalment needs its due date."]
        value = (contract.amount * pct / 100).quantize(CENT) if pct is not None else (amount or Decimal(0))
        made.append(
            Instalment(
                contract=contract,
                position=position,
                name=name,
                pct=pct,
                amount=value.quantize(CENT),
                milestone=row.milestone,
                days=max(days, 0),
                due_date=row.due_date if row.milestone == Milestone.DATE else None,
            )
        )
    if not errors:
        total = sum((m.amount for m in made), Decimal(0))
        gap = contract.amount - total
        # Percentages that add up to 100 may miss the amount by rounding: the last row absorbs cents.
        if gap and abs(gap) <= CENT * len(made) and all(m.pct is not None for m in made):
            made[-1].amount += gap
            gap = Decimal(0)
        if gap:
            errors["instalments"] = [
                f"回款节点合计 {total} 与合同金额 {contract.amount} 不符 / "
                "The instalments must add up to the amount."
            ]
    if errors:
        raise FieldErrors(errors)
    return made


def contract_plan_set(
    *, contract: Contract, actor: User, instalments: list[InstalmentInput], now: datetime | None = None
) -> list[Instalment]:
    """Replace a draft contract's payment plan (they must add up to the contract amount)."""
    now = now or clock.now()
    with transaction.atomic():
        locked = _lock(contract)
        _require(
            selectors.owns_or_manages(actor, locked),
            "只有合同负责人或其上级可以修改 / Owner or managers only.",
        )
        if locked.state != ContractState.DRAFT:
            raise Conflict(
                "签订前才能修改回款计划 / The plan changes only before signing.", state=locked.state
            )
        made = _clean_plan(locked, instalments)
        locked.instalments.all().delete()
        Instalment.objects.bulk_create(made)
        _save(locked, actor, now)
        events.record(
            name="contract.plan_changed",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"instalments": len(made)},
        )
    return selectors.plan_of(locked)


def contract_review_start(
    *, contract: Contract, actor: User, comment: str = "", now: datetime | None = None
) -> Contract:
    """Send a contract whose clauses deviate from the templates to legal review (the pack's chain)."""
    from salesflow.approvals.services import approval_request_start

    now = now or clock.now()
    with transaction.atomic():
        locked = _lock(contract)
        _require(
            selectors.owns_or_manages(actor, locked),
            "只有合同负责人或其上级可以提交 / Owner or managers only.",
        )
        if locked.state != ContractState.DRAFT:
            raise Conflict("只有草稿合同可以提交法务审核 / Only a draft.", state=locked.state)
        if not locked.deviations:
            raise Conflict(
                "条款与模板一致，无需法务审核，可直接签订 / Clauses follow the templates: sign it."
            )
        locked.state = ContractState.LEGAL_REVIEW
        _save(locked, actor, now, "state")
        events.record(
            name="contract.review_started",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"deviations": locked.deviations},
        )
        approval_request_start(
            subject=locked,
            chain_code=selectors.policy().review_chain,
            requester=actor,
            facts={"amount": locked.amount, "deviations": locked.deviations},
            summary=f"{locked.number} {locked.customer.name} {locked.title}",
            comment=(comment or "").strip()[:500],
            now=now,
        )
    return locked


def contract_on_approval_decided(request: Any) -> None:
    """The approvals hook (inside its transaction): approved → may be signed; otherwise back to draft."""
    from salesflow.approvals.choices import RequestState

    contract = Contract.objects.select_for_update().get(pk=request.subject_id)
    now = request.decided_at or clock.now()
    if request.state == RequestState.APPROVED:
        contract.reviewed_at = now
    else:
        contract.state = ContractState.DRAFT
    contract.updated_at = now
    contract.save(update_fields=["state", "reviewed_at", "updated_at"])


def approval_description(contract: Contract) -> list[tuple[str, str]]:
    """What legal reads in 我的审批: customer, amount, and each clause that deviates."""
    from salesflow.core.templatetags.salesflow import money

    facts = [
        ("客户", contract.customer.name),
        ("合同", f"{contract.number} {contract.title}"),
        ("合同金额", money(contract.amount)),
    ]
    facts += [(f"偏离条款：{c.get('title', '')}", c.get("text", "")) for c in deviating(contract.clauses)]
    return facts


def _schedule(
    instalment: Instalment, due: date, *, actor: User | None, now: datetime, rescheduled: bool = False
) -> None:
    instalment.due_date = due
    instalment.save(update_fields=["due_date"])
    events.record(
        name="payment.rescheduled" if rescheduled else "payment.scheduled",
        subject=instalment,
        actor=actor,
        occurred_at=now,
        payload={
            "contract": instalment.contract.number,
            "due_date": due.isoformat(),
            "amount": str(instalment.amount),
        },
    )


def _milestone_reached(
    contract: Contract, milestone: str, on: date, *, actor: User | None, now: datetime
) -> None:
    """Give the instalments waiting for `milestone` their due dates (which starts their reminders)."""
    for instalment in contract.instalments.filter(milestone=milestone, state__in=OUTSTANDING_STATES):
        instalment.contract = contract
        _schedule(instalment, on + timedelta(days=instalment.days), actor=actor, now=now)


def _signing_stage(opportunity: Any) -> tuple[str, str] | None:
    """(stage, requirement) of the pipeline stage whose exit evidence is the signed contract."""
    from salesflow.pipeline.services import pipeline_for

    template = pipeline_for(opportunity.pipeline)
    wanted = selectors.policy().signed_evidence
    for stage in template.stages if template else []:
        for requirement in stage.exit_evidence:
            if requirement.code == wanted:
                return stage.code, requirement.code
    return None


def _win_opportunity(contract: Contract, *, data: bytes, filename: str, actor: User, now: datetime) -> None:
    """The signed PDF is the 合同签订 stage evidence; the deal moves there (its earlier stages' evidence
    is checked as always) and is won."""
    from salesflow.pipeline.models import Opportunity
    from salesflow.pipeline.services import evidence_add, opportunity_advance, opportunity_close, pipeline_for

    opportunity = Opportunity.objects.get(pk=contract.opportunity_id)
    if opportunity.status == OpportunityStatus.LOST:
        raise Conflict("商机已输单，不能签订合同 / The opportunity was lost.")
    if opportunity.status == OpportunityStatus.WON:
        return
    signing = _signing_stage(opportunity)
    if signing is not None:
        stage, requirement = signing
        template = pipeline_for(opportunity.pipeline)
        codes = [s.code for s in template.stages] if template else []
        if opportunity.stage in codes and codes.index(opportunity.stage) < codes.index(stage):
            opportunity = opportunity_advance(opportunity=opportunity, to_stage=stage, actor=actor, now=now)
        if opportunity.stage == stage:
            evidence_add(
                requirement=requirement,
                actor=actor,
                opportunity=opportunity,
                data=data,
                filename=filename,
                now=now,
            )
    opportunity_close(opportunity=opportunity, outcome=OpportunityStatus.WON, actor=actor, now=now)


def _write_order(contract: Contract, *, actor: User, on: date, now: datetime) -> None:
    """The customer's order for a signed contract (feeds tag rules and customer health)."""
    from salesflow.catalog.models import Product
    from salesflow.customers.services import order_add

    product_ids = [
        int(line["product_id"]) for line in contract.lines if str(line.get("product_id", "")).isdigit()
    ]
    product_lines = sorted(
        set(Product.objects.filter(pk__in=product_ids).values_list("product_line", flat=True))
    )
    order_add(
        customer=contract.customer,
        ordered_on=on,
        amount=contract.amount,
        actor=actor,
        product_lines=[p for p in product_lines if p],
        models_bought="、".join(line["sku"] for line in contract.lines)[:300],
        payment_term=contract.payment_terms[:100],
        reference=contract.number,
        now=now,
    )


def contract_sign(
    *,
    contract: Contract,
    actor: User,
    data: bytes,
    filename: str,
    signed_on: date | None = None,
    now: datetime | None = None,
) -> Contract:
    """Record the signed contract (a PDF, checked by content): it becomes the 合同签订 stage evidence,
    the opportunity is won, the customer's order is written and the signing instalments fall due."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    signed_on = signed_on or today
    errors: dict[str, list[str]] = {}
    # The signed PDF is stage evidence: the pack's evidence upload limit applies.
    limit_mb = active_pack()[1].evidence.max_upload_mb
    if not data:
        errors["file"] = ["请上传盖章合同 PDF / Upload the signed PDF."]
    elif len(data) > limit_mb * 1024 * 1024:
        errors["file"] = [f"文件超过 {limit_mb} MB / Larger than {limit_mb} MB."]
    elif not evidence_checks.is_pdf(data):
        errors["file"] = ["文件内容不是 PDF / The file is not a PDF."]
    if signed_on > today:
        errors["signed_on"] = ["不能晚于今天 / Must not be in the future."]
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = _lock(contract)
        if locked.owner_id != actor.pk:
            raise PermissionDenied(
                "只有合同负责人可以上传签署合同 / Only the owner uploads the signed contract."
            )
        if not selectors.signable(locked):
            raise Conflict(
                "条款偏离模板，需法务审核通过后才能签订 / "
                "Legal review must approve the deviating clauses first."
                if locked.deviations
                else "合同当前不能签订 / The contract cannot be signed now.",
                state=locked.state,
            )
        _win_opportunity(locked, data=data, filename=filename, actor=actor, now=now)
        locked.signed_file.save(f"{secrets.token_hex(12)}.pdf", ContentFile(data), save=False)
        locked.signed_sha256 = hashlib.sha256(data).hexdigest()
        locked.signed_on = signed_on
        locked.state = ContractState.SIGNED
        _save(locked, actor, now, "signed_file", "signed_sha256", "signed_on", "state")
        events.record(
            name="contract.signed",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"contract": locked.number, "contract_amount": str(locked.amount)},
        )
        _write_order(locked, actor=actor, on=signed_on, now=now)
        _milestone_reached(locked, Milestone.SIGNING, signed_on, actor=actor, now=now)
        for instalment in locked.instalments.filter(milestone=Milestone.DATE, state__in=OUTSTANDING_STATES):
            instalment.contract = locked
            _schedule(instalment, instalment.due_date or signed_on, actor=actor, now=now)
    return locked


def _milestone(
    contract: Contract,
    *,
    actor: User,
    on: date | None,
    now: datetime | None,
    before: ContractState,
    after: ContractState,
    milestone: Milestone,
    field: str,
    event: str,
) -> Contract:
    now = now or clock.now()
    today = clock.to_local(now).date()
    on = on or today
    if on > today:
        raise FieldErrors({field: ["不能晚于今天 / Must not be in the future."]})
    with transaction.atomic():
        locked = _lock(contract)
        _require(
            selectors.may_deliver(actor, locked), "只有负责人、其上级或项目经理 / Owner, managers or PM only."
        )
        if locked.state != before:
            raise Conflict(
                f"合同{locked.get_state_display()}，不能进行此操作 / Not possible now.", state=locked.state
            )
        if locked.signed_on and on < locked.signed_on:
            raise FieldErrors({field: ["不能早于签订日期 / Not before the signing date."]})
        setattr(locked, field, on)
        locked.state = after
        _save(locked, actor, now, field, "state")
        events.record(
            name=event, subject=locked, actor=actor, occurred_at=now, payload={field: on.isoformat()}
        )
        _milestone_reached(locked, milestone, on, actor=actor, now=now)
    return locked


def contract_deliver(
    *, contract: Contract, actor: User, delivered_on: date | None = None, now: datetime | None = None
) -> Contract:
    """Delivery done (交付): the delivery instalments fall due."""
    return _milestone(
        contract,
        actor=actor,
        on=delivered_on,
        now=now,
        before=ContractState.SIGNED,
        after=ContractState.IN_DELIVERY,
        milestone=Milestone.DELIVERY,
        field="delivered_on",
        event="contract.delivered",
    )


def contract_complete(
    *, contract: Contract, actor: User, accepted_on: date | None = None, now: datetime | None = None
) -> Contract:
    """Customer acceptance (验收): the contract is completed and the acceptance instalments fall due."""
    return _milestone(
        contract,
        actor=actor,
        on=accepted_on,
        now=now,
        before=ContractState.IN_DELIVERY,
        after=ContractState.COMPLETED,
        milestone=Milestone.ACCEPTANCE,
        field="accepted_on",
        event="contract.completed",
    )


def contract_terminate(
    *, contract: Contract, actor: User, reason: str, now: datetime | None = None
) -> Contract:
    """Terminate with a reason; instalments not collected are cancelled (their reminders stop)."""
    now = now or clock.now()
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise FieldErrors({"reason": ["请填写终止原因 / A reason is required."]})
    if len(reason) > 500:
        raise FieldErrors({"reason": ["最多 500 字 / At most 500 characters."]})
    with transaction.atomic():
        locked = _lock(contract)
        _require(
            selectors.owns_or_manages(actor, locked),
            "只有合同负责人或其上级可以终止 / Owner or managers only.",
        )
        if not selectors.terminable(locked):
            raise Conflict(
                "请先在审批中撤回法务审核 / Withdraw the legal review first."
                if locked.state == ContractState.LEGAL_REVIEW
                else "合同已完成或已终止 / Completed or terminated already.",
                state=locked.state,
            )
        locked.state = ContractState.TERMINATED
        locked.termination_reason = reason
        _save(locked, actor, now, "state", "termination_reason")
        events.record(
            name="contract.terminated",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"reason": reason},
        )
        for instalment in locked.instalments.filter(state__in=OUTSTANDING_STATES):
            instalment.state = InstalmentState.CANCELLED
            instalment.save(update_fields=["state"])
            events.record(
                name="payment.cancelled", subject=instalment, actor=actor, occurred_at=now, payload={}
            )
    return locked


def _lock_instalment(instalment: Instalment) -> Instalment:
    return (
        Instalment.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__customer", "contract__owner")
        .get(pk=instalment.pk)
    )


def payment_request(
    *, instalment: Instalment, actor: User, note: str = "", now: datetime | None = None
) -> Instalment:
    """请款: the rep or project manager asks finance to invoice and collect an instalment."""
    from salesflow.notify.services import notify
    from salesflow.rules.recipients import resolve

    now = now or clock.now()
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > 500:
        raise FieldErrors({"note": ["最多 500 字 / At most 500 characters."]})
    with transaction.atomic():
        locked = _lock_instalment(instalment)
        _require(
            selectors.may_deliver(actor, locked.contract),
            "只有负责人、其上级或项目经理可以请款 / Owner, managers or PM only.",
        )
        if locked.contract.state not in LIVE_STATES:
            raise Conflict("合同签订后才能请款 / Only a signed contract.", state=locked.contract.state)
        if locked.state != InstalmentState.PLANNED:
            raise Conflict(
                f"该节点{locked.get_state_display()} / Already {locked.state}.", state=locked.state
            )
        if locked.due_date is None:
            raise Conflict("该节点尚未到触发条件 / Its milestone has not happened yet.")
        locked.state = InstalmentState.REQUESTED
        locked.requested_at, locked.requested_by, locked.request_note = now, actor, note
        attach_actor(locked, actor, now)
        locked.save(update_fields=["state", "requested_at", "requested_by", "request_note"])
        events.record(
            name="payment.request_raised",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"contract": locked.contract.number, "amount": str(locked.amount)},
        )
        notify(
            recipients=resolve(["role:finance"], subject=locked, actor=actor),
            kind="payment.request_raised",
            title=f"请款：{locked.contract.customer.name} {locked.contract.number} {locked.name}",
            body=note,
            subject=locked.contract,
            actor=actor,
            now=now,
        )
    return locked


def payment_record(
    *,
    instalment: Instalment,
    actor: User,
    amount: Any,
    received_on: date | None,
    bank_reference: str,
    now: datetime | None = None,
) -> PaymentReceipt:
    """回款登记 by finance: partial payments allowed, never more than what is outstanding; full
    payment stops the instalment's reminders and ladders."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    errors: dict[str, list[str]] = {}
    value = _decimal(amount)
    if value is None or value <= 0:
        errors["amount"] = ["请填写大于 0 的金额 / An amount above 0."]
    elif value != value.quantize(CENT):
        errors["amount"] = ["最多两位小数 / At most two decimals."]
    if received_on is None:
        errors["received_on"] = ["请填写到账日期 / The date received is required."]
    elif received_on > today:
        errors["received_on"] = ["不能晚于今天 / Must not be in the future."]
    reference = bank_reference.strip() if isinstance(bank_reference, str) else ""
    if not reference or len(reference) > 60:
        errors["bank_reference"] = ["请填写银行流水号（最多 60 字） / The bank reference (≤ 60)."]
    if errors:
        raise FieldErrors(errors)
    assert value is not None and received_on is not None
    if not records_payments(actor):
        raise PermissionDenied("只有财务可以登记回款 / Only finance records payments.")
    with transaction.atomic():
        locked = _lock_instalment(instalment)
        if locked.contract.state not in LIVE_STATES:
            raise Conflict("合同签订后才能登记回款 / Only a signed contract.", state=locked.contract.state)
        if locked.state not in OUTSTANDING_STATES:
            raise Conflict(f"该节点{locked.get_state_display()} / Nothing outstanding.", state=locked.state)
        outstanding = locked.amount - locked.received
        if value > outstanding:
            raise FieldErrors(
                {"amount": [f"超过未回款金额 {outstanding} / More than the {outstanding} outstanding."]}
            )
        if PaymentReceipt.objects.filter(instalment=locked, bank_reference=reference).exists():
            raise FieldErrors({"bank_reference": ["该流水号已登记 / This reference is recorded already."]})
        receipt = PaymentReceipt.objects.create(
            instalment=locked,
            amount=value,
            received_on=received_on,
            bank_reference=reference,
            recorded_by=actor,
            recorded_at=now,
        )
        locked.received += value
        full = locked.received == locked.amount
        locked.state = InstalmentState.PAID if full else InstalmentState.PARTLY_PAID
        attach_actor(locked, actor, now)
        locked.save(update_fields=["received", "state"])
        contract = Contract.objects.select_for_update().get(pk=locked.contract_id)
        contract.received_total += value
        contract.updated_at = now
        contract.save(update_fields=["received_total", "updated_at"])
        events.record(
            name="payment.received" if full else "payment.partially_received",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"contract": contract.number, "amount": str(value), "bank_reference": reference},
        )
    return receipt


def payment_reschedule(
    *, instalment: Instalment, actor: User, due_date: date, now: datetime | None = None
) -> Instalment:
    """Move a scheduled instalment's due date (agreed with the customer): its reminders restart."""
    now = now or clock.now()
    if not isinstance(due_date, date):
        raise FieldErrors({"due_date": ["请填写新的到期日 / A new due date is required."]})
    with transaction.atomic():
        locked = _lock_instalment(instalment)
        _require(
            selectors.owns_or_manages(actor, locked.contract),
            "只有合同负责人或其上级可以调整 / Owner or managers only.",
        )
        if locked.state not in OUTSTANDING_STATES or locked.due_date is None:
            raise Conflict(
                "只有已到期排期且未收齐的节点可以调整 / Only a scheduled, unpaid instalment.",
                state=locked.state,
            )
        _schedule(locked, due_date, actor=actor, now=now, rescheduled=True)
    return locked


def contracts_hand_over(*, user: User, to: User | None, actor: User, now: datetime) -> int:
    """A leaving rep's contracts with money still to collect (or not yet signed) move to `to`;
    with no one named (their customers go to the pool) to their manager, since someone must
    collect. Where they ran the project, the new owner does. An event on each; the count."""
    heir = to or user.manager
    if heir is None:
        return 0
    with transaction.atomic():
        moved = list(selectors.to_hand_over(user).select_for_update().order_by("id"))
        for contract in moved:
            contract.owner = heir
            if contract.project_manager_id in (None, user.pk):
                contract.project_manager = heir
            _save(contract, actor, now, "owner", "project_manager")
            events.record(
                name="contract.handed_over",
                subject=contract,
                actor=actor,
                occurred_at=now,
                payload={"from": user.pk, "to": heir.pk},
            )
    return len(moved)
