"""Writes of work orders: raise, acknowledge, assign, attach proof, advance, comment, close.

Each action is one transaction that locks the order before it reads its state. Events are
recorded on the order (the rules engine starts and stops its SLA timers from them:
`workorder.created`, `workorder.<type>_created`, `workorder.acknowledged`, a state's own
`workorder.<event>`, `workorder.closed`) and, for its timeline, on the record it was raised from.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Count, F, Q

from salesflow.contracts.models import Contract
from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.core.lookups import InArray
from salesflow.customers.models import Customer
from salesflow.org.choices import COMPANY_WIDE_ROLES
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity
from salesflow.quotes.models import Quote
from salesflow.rules.schema import RulePack, WorkOrderParty, WorkOrderType
from salesflow.rules.selectors import active_pack
from salesflow.workorders.choices import ApprovalState, AttachmentKind, ProofKind
from salesflow.workorders.models import Acknowledgement, Attachment, Comment, Transition, WorkOrder

TITLE_MAX = 200
NOTE_MAX = 4000
COMMENT_MAX = 4000
PROOF_LABELS = dict(ProofKind.choices)
# Which evidence check a file of each kind goes through (pipeline.evidence: by content).
FILE_CHECKS = {
    AttachmentKind.SCREENSHOT: "photo",
    AttachmentKind.SIGNED_FILE: "signed_pdf",
    AttachmentKind.FILE: "document",
}
MENTION = re.compile(r"@([\w.\-+]{1,150})")


# ---------------------------------------------------------------------------------------------
# The type of an order, from the active pack


def type_of(code: str, *, pack: RulePack | None = None, field: str = "type") -> WorkOrderType:
    """The pack's work-order type `code`, or a field error naming `field`."""
    if pack is None:
        _number, pack = active_pack()
    found = pack.workorder_type(code)
    if found is None:
        raise FieldErrors({field: [f"“{code}” 不是工单类型 / not a work-order type."]})
    return found


def type_for(order: WorkOrder) -> WorkOrderType:
    """The type of an existing order; an order whose type left the pack cannot move on."""
    _number, pack = active_pack()
    found = pack.workorder_type(order.type_code)
    if found is None:
        raise Conflict(
            f"工单类型「{order.type_name}」已不在规则包中，无法继续处理 / The type is no longer in the pack.",
            type=order.type_code,
        )
    return found


def clean_form(wo_type: WorkOrderType, values: Any, *, pack: RulePack) -> dict[str, Any]:
    """The form values checked against the type's fields: unknown keys, required, type, dictionary."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise FieldErrors({"form_values": ["应为键值对象 / Must be an object."]})
    errors: dict[str, list[str]] = {}
    known = {f.key for f in wo_type.form}
    for key in values:
        if key not in known:
            errors[f"form_values.{key}"] = [f"“{key}” 不是此类工单的字段 / not a field of this type."]
    clean: dict[str, Any] = {}
    for spec in wo_type.form:
        raw = values.get(spec.key)
        where = f"form_values.{spec.key}"
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if spec.required:
                errors[where] = [f"请填写「{spec.label}」 / {spec.label_en or spec.key} is required."]
            continue
        if spec.type == "number":
            try:
                number = Decimal(str(raw).strip().replace(",", ""))
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite() or isinstance(raw, bool):
                errors[where] = [f"「{spec.label}」应为数字 / must be a number."]
                continue
            clean[spec.key] = str(number)
        elif spec.type == "date":
            try:
                clean[spec.key] = date.fromisoformat(str(raw).strip()).isoformat()
            except ValueError:
                errors[where] = [f"「{spec.label}」应为日期（如 2026-12-31） / must be a date."]
        elif spec.type == "choice":
            dictionary = pack.dictionary(spec.dictionary or "")
            codes = {c.code for c in dictionary.choices} if dictionary else set()
            if str(raw) not in codes:
                errors[where] = [f"「{spec.label}」不是可选值 / not one of the choices."]
                continue
            clean[spec.key] = str(raw)
        else:
            text = str(raw).strip()
            if len(text) > spec.max_length:
                errors[where] = [f"「{spec.label}」最多 {spec.max_length} 字 / too long."]
                continue
            clean[spec.key] = text
    if errors:
        raise FieldErrors(errors)
    return clean


def _next_number(now: datetime) -> str:
    prefix = f"GD{clock.to_local(now):%Y%m}"
    last = (
        WorkOrder.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
    ).first()
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:05d}"


def pick_handler(wo_type: WorkOrderType, *, near: User | None) -> User | None:
    """The handler a new order gets: of the type's first handling role, the nearest above the
    raiser, else the one with the fewest open orders."""
    from salesflow.org import selectors as org_selectors

    role = wo_type.handler_roles[0]
    if near is not None and near.team_id is not None:
        holder = org_selectors.role_holder_above(near, role)
        if holder is not None:
            return holder
    return (
        User.objects.filter(role=role, is_active=True)
        .annotate(open=Count("assigned_workorders", filter=Q(assigned_workorders__closed_at__isnull=True)))
        .order_by("open", "pk")
        .first()
    )


# ---------------------------------------------------------------------------------------------
# Who may do what


def is_handler(user: User, wo_type: WorkOrderType) -> bool:
    """Whether `user` holds one of the type's handling roles (or a company-wide role)."""
    return user.is_active and (user.role in wo_type.handler_roles or user.role in COMPANY_WIDE_ROLES)


def record_owner_id(order: WorkOrder) -> int | None:
    """The owner of the record the order was raised from (contract, quote, deal, else customer)."""
    for linked in (order.contract, order.quote, order.opportunity, order.customer):
        owner_id = getattr(linked, "owner_id", None) if linked is not None else None
        if owner_id:
            return int(owner_id)
    return None


def may_act_for(user: User, party: Acknowledgement | WorkOrderParty, order: WorkOrder) -> bool:
    """Whether `user` may acknowledge for `party` of `order`."""
    who = party.who
    if not user.is_active:
        return False
    if who == "raiser":
        return user.pk == order.raised_by_id
    if who == "record_owner":
        return user.pk == record_owner_id(order)
    if who == "assignee":
        return user.pk == order.assignee_id
    return who.startswith("role:") and user.role == who.removeprefix("role:")


def _linked(order: WorkOrder) -> models.Model:
    """The record the order was raised from: its timeline shows the order."""
    return order.contract or order.quote or order.opportunity or order.customer


def _payload(order: WorkOrder, **extra: Any) -> dict[str, Any]:
    return {"workorder": order.number, "workorder_type": order.type_name, "title": order.title, **extra}


def _lock(order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("customer", "opportunity", "quote", "contract")
        .get(pk=order.pk)
    )


def _require_open(order: WorkOrder) -> None:
    if order.closed_at is not None:
        raise Conflict("工单已关闭 / The work order is closed.", state=order.state)


def _notify(
    recipients: list[User], *, title: str, body: str, order: WorkOrder, actor: User | None, now: datetime
) -> None:
    from salesflow.notify.services import notify

    people = [u for u in recipients if actor is None or u.pk != actor.pk]
    if people:
        notify(
            recipients=people, kind="workorder", title=title, body=body, subject=order, actor=actor, now=now
        )


def party_users(order: WorkOrder, ack: Acknowledgement) -> list[User]:
    """Who may acknowledge for a party: told when the order is raised."""
    if ack.who == "raiser":
        return [order.raised_by]
    if ack.who == "record_owner":
        owner_id = record_owner_id(order)
        return list(User.objects.filter(pk=owner_id, is_active=True)) if owner_id else []
    if ack.who == "assignee":
        return [order.assignee] if order.assignee else []
    role = ack.who.removeprefix("role:")
    if order.assignee and order.assignee.role == role:
        return [order.assignee]
    return list(User.objects.filter(role=role, is_active=True).order_by("pk")[:20])


# ---------------------------------------------------------------------------------------------
# Raise


def workorder_raise(
    *,
    actor: User,
    type_code: str,
    customer: Customer,
    title: str,
    form_values: dict[str, Any] | None = None,
    opportunity: Opportunity | None = None,
    quote: Quote | None = None,
    contract: Contract | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Raise a work order of a pack type on a customer (and optionally its deal, quote, contract)."""
    now = now or clock.now()
    _number, pack = active_pack()
    wo_type = type_of(type_code, pack=pack, field="type")
    if not wo_type.enabled:
        raise FieldErrors({"type": [f"工单类型「{wo_type.name}」已停用 / This type is disabled."]})
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["请填写标题 / A title is required."]
    elif len(title) > TITLE_MAX:
        errors["title"] = [f"最多 {TITLE_MAX} 字 / At most {TITLE_MAX} characters."]
    for name, linked in (("opportunity", opportunity), ("quote", quote), ("contract", contract)):
        if linked is not None and getattr(linked, "customer_id", None) != customer.pk:
            errors[name] = ["不属于该客户 / Does not belong to this customer."]
    try:
        values = clean_form(wo_type, form_values, pack=pack)
    except FieldErrors as exc:
        errors.update(exc.errors)
        values = {}
    if errors:
        raise FieldErrors(errors)
    handler = pick_handler(wo_type, near=actor)
    first = wo_type.states[0]
    with transaction.atomic():
        order = WorkOrder(
            number=_next_number(now),
            type_code=wo_type.code,
            type_name=wo_type.name,
            title=title,
            customer=customer,
            opportunity=opportunity,
            quote=quote,
            contract=contract,
            form_values=values,
            state=first.code,
            state_name=first.name,
            department=wo_type.department,
            assignee=handler,
            raised_by=actor,
            approval_state=ApprovalState.PENDING if wo_type.approval_chain else ApprovalState.NONE,
            service_request=wo_type.service_request,
            raised_at=now,
            updated_at=now,
        )
        attach_actor(order, actor, now)
        order.save()
        acks = [
            Acknowledgement(work_order=order, party=p.code, party_name=p.name, who=p.who, order=i)
            for i, p in enumerate(wo_type.parties)
        ]
        Acknowledgement.objects.bulk_create(acks)
        Transition.objects.create(
            work_order=order,
            from_state="",
            to_state=first.code,
            to_state_name=first.name,
            actor=actor,
            at=now,
        )
        payload = _payload(order, assignee=str(handler) if handler else "")
        events.record(name="workorder.created", subject=order, actor=actor, occurred_at=now, payload=payload)
        events.record(
            name=f"workorder.{wo_type.code}_created",
            subject=order,
            actor=actor,
            occurred_at=now,
            payload=payload,
        )
        events.record(
            name="workorder.raised", subject=_linked(order), actor=actor, occurred_at=now, payload=payload
        )
        if wo_type.approval_chain:
            from salesflow.approvals.services import approval_request_start

            numbers = {f.key for f in wo_type.form if f.type == "number"}
            facts = {k: Decimal(v) for k, v in values.items() if k in numbers}
            approval_request_start(
                subject=order,
                chain_code=wo_type.approval_chain,
                requester=actor,
                facts=facts,
                summary=f"{order.number} {title}",
                now=now,
            )
        if order.service_request:
            from salesflow.customers.services import health_recompute

            health_recompute(customer=order.customer, now=now)
        told: dict[int, User] = {}
        for ack in acks:
            for user in party_users(order, ack):
                told.setdefault(user.pk, user)
        if handler is not None:
            told.setdefault(handler.pk, handler)
        _notify(
            list(told.values()),
            title=f"新工单待确认：{order.type_name}",
            body=f"{order.number} {title}（{order.customer}）",
            order=order,
            actor=actor,
            now=now,
        )
    return order


# ---------------------------------------------------------------------------------------------
# Acknowledge, assign


def workorder_acknowledge(
    *, order: WorkOrder, actor: User, party: str | None = None, now: datetime | None = None
) -> Acknowledgement:
    """`actor` acknowledges the order for a party they may act for (the first open one if not named)."""
    now = now or clock.now()
    with transaction.atomic():
        order = _lock(order)
        _require_open(order)
        open_acks = list(order.acknowledgements.filter(acknowledged_at__isnull=True))
        if party is not None:
            known = {a.party for a in order.acknowledgements.all()}
            if party not in known:
                raise FieldErrors({"party": [f"“{party}” 不是此工单的确认方 / not a party of this order."]})
            open_acks = [a for a in open_acks if a.party == party]
            if not open_acks:
                raise Conflict("该方已确认 / This party has already acknowledged.", party=party)
        mine = [a for a in open_acks if may_act_for(actor, a, order)]
        if not mine:
            if party is None and not open_acks:
                raise Conflict("各方均已确认 / Every party has already acknowledged.")
            raise PermissionDenied("你不能代表该方确认此工单 / You cannot acknowledge for this party.")
        ack = mine[0]
        ack.acknowledged_by = actor
        ack.acknowledged_at = now
        ack.save(update_fields=["acknowledged_by", "acknowledged_at"])
        events.record(
            name="workorder.party_acknowledged",
            subject=order,
            actor=actor,
            occurred_at=now,
            payload=_payload(order, party=ack.party_name),
        )
        remaining = order.acknowledgements.filter(acknowledged_at__isnull=True).exists()
        if not remaining:
            order.acknowledged_at = now
            order.updated_at = now
            order.version += 1
            attach_actor(order, actor, now)
            order.save(update_fields=["acknowledged_at", "updated_at", "version"])
            events.record(
                name="workorder.acknowledged",
                subject=order,
                actor=actor,
                occurred_at=now,
                payload=_payload(order),
            )
    return ack


def workorder_assign(
    *, order: WorkOrder, actor: User, assignee: User, now: datetime | None = None
) -> WorkOrder:
    """Give the order to a handler of its department (a handler or a company-wide role assigns)."""
    now = now or clock.now()
    wo_type = type_for(order)
    if not is_handler(actor, wo_type):
        raise PermissionDenied("只有处理部门的同事可以分派此工单 / Only the handling department assigns.")
    if not assignee.is_active or assignee.role not in wo_type.handler_roles:
        raise FieldErrors({"assignee": ["应为处理部门的同事 / Must be a handler of this type."]})
    with transaction.atomic():
        order = _lock(order)
        _require_open(order)
        if order.assignee_id == assignee.pk:
            return order
        before = order.assignee
        order.assignee = assignee
        order.updated_at = now
        order.version += 1
        attach_actor(order, actor, now)
        order.save(update_fields=["assignee", "updated_at", "version"])
        events.record(
            name="workorder.assigned",
            subject=order,
            actor=actor,
            occurred_at=now,
            payload=_payload(
                order,
                assignee=str(assignee),
                previous=str(before) if before else "",
            ),
        )
        _notify(
            [assignee],
            title=f"工单分派给你：{order.type_name}",
            body=order.name,
            order=order,
            actor=actor,
            now=now,
        )
    return order


# ---------------------------------------------------------------------------------------------
# Files, transitions, close


def workorder_attach(
    *,
    order: WorkOrder,
    actor: User,
    kind: str,
    data: bytes,
    filename: str,
    now: datetime | None = None,
) -> Attachment:
    """Store a file on the order, accepted by what its bytes are (a screenshot must be an image,
    a signed file a PDF)."""
    from salesflow.pipeline.evidence import ContentRefused, check_file

    now = now or clock.now()
    if kind not in AttachmentKind.values:
        raise FieldErrors({"kind": [f"“{kind}” 不是附件类型（screenshot、signed_file、file）/ not a kind."]})
    _number, pack = active_pack()
    if len(data) > pack.evidence.max_upload_mb * 1024 * 1024:
        raise FieldErrors({"file": [f"文件超过 {pack.evidence.max_upload_mb} MB / File too large."]})
    if not data:
        raise FieldErrors({"file": ["文件为空 / The file is empty."]})
    try:
        checked = check_file(
            data, kind=FILE_CHECKS[AttachmentKind(kind)], max_pixels=pack.evidence.max_pixels
        )
    except ContentRefused as exc:
        raise FieldErrors({"file": [str(exc)]}) from None
    name = (filename or "file").replace("\\", "/").rsplit("/", 1)[-1][:150] or "file"
    digest = hashlib.sha256(checked.data).hexdigest()
    with transaction.atomic():
        order = _lock(order)
        _require_open(order)
        attachment = Attachment(
            work_order=order,
            kind=kind,
            original_name=name,
            content_type=checked.content_type,
            size=len(checked.data),
            sha256=digest,
            uploaded_by=actor,
            uploaded_at=now,
        )
        attachment.file.save(f"{digest[:16]}.{checked.extension}", ContentFile(checked.data), save=False)
        attachment.save()
        events.record(
            name="workorder.file_attached",
            subject=order,
            actor=actor,
            occurred_at=now,
            payload=_payload(order, kind=str(AttachmentKind(kind).label), file=name),
        )
    return attachment


def missing_proof(order: WorkOrder, wo_type: WorkOrderType, to_state: str, note: str) -> list[str]:
    """The proof kinds entering `to_state` needs that the order does not yet carry."""
    state = wo_type.state(to_state)
    if state is None:
        return []
    fresh = set(order.attachments.filter(transition__isnull=True).values_list("kind", flat=True).distinct())
    missing: list[str] = []
    for proof in state.proof:
        if proof == ProofKind.NOTE:
            if not note.strip():
                missing.append(proof)
        elif proof not in fresh:
            missing.append(proof)
    return missing


def workorder_advance(
    *, order: WorkOrder, actor: User, to_state: str, note: str = "", now: datetime | None = None
) -> WorkOrder:
    """Move the order to a later state of its type; refused (409) while the state's proof is missing."""
    now = now or clock.now()
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise FieldErrors({"note": [f"最多 {NOTE_MAX} 字 / At most {NOTE_MAX} characters."]})
    wo_type = type_for(order)
    target = wo_type.state(to_state)
    if target is None:
        names = "、".join(s.name for s in wo_type.states)
        raise FieldErrors(
            {"to_state": [f"“{to_state}” 不是此类工单的状态（{names}）/ not a state of this type."]}
        )
    if not (is_handler(actor, wo_type) or actor.pk == order.assignee_id):
        raise PermissionDenied("只有处理部门的同事可以推进此工单 / Only the handling department advances it.")
    with transaction.atomic():
        order = _lock(order)
        _require_open(order)
        if wo_type.state_index(to_state) <= wo_type.state_index(order.state):
            raise Conflict(
                f"工单已在「{order.state_name}」，只能向后推进 / The order can only move forward.",
                state=order.state,
            )
        if order.approval_state == ApprovalState.PENDING:
            raise Conflict("工单审批中，通过后才能推进 / Waiting for approval.", approval="pending")
        if order.approval_state == ApprovalState.REJECTED:
            raise Conflict("工单审批被驳回，不能推进 / The approval was rejected.", approval="rejected")
        missing = missing_proof(order, wo_type, to_state, note)
        if missing:
            labels = "、".join(str(PROOF_LABELS[m]) for m in missing)
            raise Conflict(
                f"缺少证据：{labels} — 上传后即可推进到「{target.name}」 / "
                f"Proof missing: {', '.join(missing)}.",
                missing=missing,
                state=to_state,
            )
        transition = Transition.objects.create(
            work_order=order,
            from_state=order.state,
            to_state=target.code,
            to_state_name=target.name,
            note=note,
            actor=actor,
            at=now,
        )
        proof_files = list(order.attachments.filter(transition__isnull=True))
        order.attachments.filter(transition__isnull=True).update(transition=transition)
        closes = wo_type.closes_at(target.code)
        order.state = target.code
        order.state_name = target.name
        order.updated_at = now
        order.version += 1
        if closes:
            order.closed_at = now
        attach_actor(order, actor, now)
        order.save(update_fields=["state", "state_name", "updated_at", "version", "closed_at"])
        payload = _payload(
            order,
            state=target.name,
            note=note,
            files=[a.original_name for a in proof_files],
        )
        events.record(
            name="workorder.state_changed", subject=order, actor=actor, occurred_at=now, payload=payload
        )
        if target.event:
            events.record(
                name=f"workorder.{target.event}", subject=order, actor=actor, occurred_at=now, payload=payload
            )
        if closes:
            _closed(order, actor=actor, now=now, reason=target.name)
        else:
            _notify(
                [order.raised_by],
                title=f"工单进展：{order.state_name}",
                body=order.name,
                order=order,
                actor=actor,
                now=now,
            )
    return order


def _closed(order: WorkOrder, *, actor: User, now: datetime, reason: str) -> None:
    payload = _payload(order, state=order.state_name, reason=reason)
    events.record(name="workorder.closed", subject=order, actor=actor, occurred_at=now, payload=payload)
    events.record(
        name="workorder.closed", subject=_linked(order), actor=actor, occurred_at=now, payload=payload
    )
    _notify(
        [order.raised_by],
        title=f"工单已关闭：{order.type_name}",
        body=f"{order.name}（{order.state_name}）",
        order=order,
        actor=actor,
        now=now,
    )


def workorder_close(*, order: WorkOrder, actor: User, reason: str, now: datetime | None = None) -> WorkOrder:
    """Close the order without finishing its flow (withdrawn by its raiser, or cancelled by a handler)."""
    now = now or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors({"reason": ["请填写关闭原因 / A reason is required."]})
    if len(reason) > NOTE_MAX:
        raise FieldErrors({"reason": [f"最多 {NOTE_MAX} 字 / At most {NOTE_MAX} characters."]})
    wo_type = type_for(order)
    if not (actor.pk == order.raised_by_id or is_handler(actor, wo_type)):
        raise PermissionDenied("只有发起人或处理部门可以关闭此工单 / Only its raiser or handlers close it.")
    with transaction.atomic():
        order = _lock(order)
        _require_open(order)
        order.closed_at = now
        order.updated_at = now
        order.version += 1
        attach_actor(order, actor, now)
        order.save(update_fields=["closed_at", "updated_at", "version"])
        _closed(order, actor=actor, now=now, reason=reason)
    return order


def on_approval_decided(request: Any) -> None:
    """The approvals hook: the order's approval state follows its request."""
    state = {"approved": ApprovalState.APPROVED, "rejected": ApprovalState.REJECTED}.get(request.state)
    if state is None:
        state = ApprovalState.REJECTED if request.state == "returned" else ApprovalState.NONE
    WorkOrder.objects.filter(pk=request.subject_id).update(approval_state=state)


def approval_description(order: WorkOrder) -> list[tuple[str, str]]:
    """What approvers see of an order: customer, type, title and the form as labels."""
    from salesflow.workorders.selectors import form_rows

    rows = [("客户", str(order.customer)), ("工单类型", order.type_name), ("标题", order.title)]
    return rows + [(r["label"], r["value"]) for r in form_rows(order)]


# ---------------------------------------------------------------------------------------------
# Comments


def workorder_comment(*, order: WorkOrder, actor: User, body: str, now: datetime | None = None) -> Comment:
    """Comment on an order; every @username of an active colleague is told."""
    now = now or clock.now()
    body = (body or "").strip()
    if not body:
        raise FieldErrors({"body": ["请填写内容 / The comment is empty."]})
    if len(body) > COMMENT_MAX:
        raise FieldErrors({"body": [f"最多 {COMMENT_MAX} 字 / At most {COMMENT_MAX} characters."]})
    names = sorted(set(MENTION.findall(body)))
    mentioned = list(User.objects.filter(username__in=names, is_active=True)) if names else []
    with transaction.atomic():
        order = _lock(order)
        comment = Comment.objects.create(work_order=order, author=actor, body=body, created_at=now)
        if mentioned:
            comment.mentions.set(mentioned)
        events.record(
            name="workorder.commented",
            subject=order,
            actor=actor,
            occurred_at=now,
            payload=_payload(order, comment=body[:300]),
        )
        _notify(
            mentioned,
            title=f"{actor} 在工单中提到了你",
            body=f"{order.name}：{body[:200]}",
            order=order,
            actor=actor,
            now=now,
        )
    return comment


# ---------------------------------------------------------------------------------------------
# Customer health


def service_request_counts(customer_ids: list[int], since: datetime) -> dict[int, int]:
    """Service requests (complaints …) per customer raised since `since` (customer health)."""
    rows = (
        WorkOrder.objects.filter(
            InArray(F("customer_id"), customer_ids), service_request=True, raised_at__gte=since
        )
        .values("customer_id")
        .annotate(n=Count("id"))
    )
    return {r["customer_id"]: r["n"] for r in rows}


def parties_roles(wo_type: WorkOrderType) -> set[str]:
    """The roles named by the type's parties (role:<role>)."""
    return {p.who.removeprefix("role:") for p in wo_type.parties if p.who.startswith("role:")}
