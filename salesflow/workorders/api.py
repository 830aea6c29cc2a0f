"""REST endpoints of 工单: the pack's types, work orders, acknowledgements, transitions, files,
comments and the department queues.

Scoped by workorders.selectors (404 for an order one may not see); the services decide who may
act (403: a handler outside the type's handling roles), what the state forbids (409, e.g. the
proof a state still needs, named in `missing`) and what input is wrong (422 naming the field).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from salesflow.core import clock, records
from salesflow.core.errors import FieldErrors
from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import keyset_page
from salesflow.org.models import User
from salesflow.org.selectors import current_user
from salesflow.rules.selectors import active_pack
from salesflow.workorders import selectors, services
from salesflow.workorders.choices import Department
from salesflow.workorders.models import WorkOrder

router = Router(tags=["workorders"])


class WorkOrderPersonOut(Schema):
    id: int
    name: str


class WorkOrderFieldOut(Schema):
    key: str
    label: str
    type: str
    required: bool
    choices: list[dict[str, str]]


class WorkOrderStateOut(Schema):
    code: str
    name: str
    proof: list[str]


class WorkOrderPartyOut(Schema):
    code: str
    name: str
    who: str


class WorkOrderTypeOut(Schema):
    code: str
    name: str
    department: str
    department_label: str
    handler_roles: list[str]
    form: list[WorkOrderFieldOut]
    states: list[WorkOrderStateOut]
    parties: list[WorkOrderPartyOut]
    approval_chain: str | None
    sla_policies: list[str]


class WorkOrderFormValueOut(Schema):
    key: str
    label: str
    value: str


class WorkOrderAckOut(Schema):
    party: str
    party_name: str
    acknowledged_by: WorkOrderPersonOut | None
    acknowledged_at: datetime | None


class WorkOrderSlaOut(Schema):
    due_at: datetime | None
    policy_name: str
    step_name: str
    light: str
    breached_steps: int


class WorkOrderOut(Schema):
    id: int
    number: str
    type: str
    type_name: str
    title: str
    customer: WorkOrderPersonOut
    opportunity_id: int | None
    quote_id: int | None
    contract_id: int | None
    state: str
    state_name: str
    department: str
    department_label: str
    assignee: WorkOrderPersonOut | None
    raised_by: WorkOrderPersonOut
    approval_state: str
    raised_at: datetime
    acknowledged_at: datetime | None
    closed_at: datetime | None
    version: int
    form_values: list[WorkOrderFormValueOut]
    acknowledgements: list[WorkOrderAckOut]
    sla: WorkOrderSlaOut


class WorkOrderTransitionOut(Schema):
    from_state: str
    to_state: str
    to_state_name: str
    note: str
    actor: WorkOrderPersonOut
    at: datetime
    files: list[str]


class WorkOrderAttachmentOut(Schema):
    id: int
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: WorkOrderPersonOut
    uploaded_at: datetime
    used: bool


class WorkOrderCommentOut(Schema):
    id: int
    author: WorkOrderPersonOut
    body: str
    mentions: list[WorkOrderPersonOut]
    created_at: datetime


class WorkOrderEscalationOut(Schema):
    step: str
    at: datetime
    told: list[str]


class WorkOrderDetailOut(WorkOrderOut):
    transitions: list[WorkOrderTransitionOut]
    attachments: list[WorkOrderAttachmentOut]
    comments: list[WorkOrderCommentOut]
    escalations: list[WorkOrderEscalationOut]


class WorkOrderPage(Schema):
    items: list[WorkOrderOut]
    next: str | None


DEPARTMENT_LABELS = dict(Department.choices)


def _person(user: User | None) -> WorkOrderPersonOut | None:
    return WorkOrderPersonOut(id=user.pk, name=str(user)) if user is not None else None


def _out(order: WorkOrder, sla: selectors.Sla) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "type": order.type_code,
        "type_name": order.type_name,
        "title": order.title,
        "customer": WorkOrderPersonOut(id=order.customer.pk, name=order.customer.name),
        "opportunity_id": order.opportunity_id,
        "quote_id": order.quote_id,
        "contract_id": order.contract_id,
        "state": order.state,
        "state_name": order.state_name,
        "department": order.department,
        "department_label": str(DEPARTMENT_LABELS.get(order.department, order.department)),
        "assignee": _person(order.assignee),
        "raised_by": _person(order.raised_by),
        "approval_state": order.approval_state,
        "raised_at": order.raised_at,
        "acknowledged_at": order.acknowledged_at,
        "closed_at": order.closed_at,
        "version": order.version,
        "form_values": [WorkOrderFormValueOut(**row) for row in selectors.form_rows(order)],
        "acknowledgements": [
            WorkOrderAckOut(
                party=a.party,
                party_name=a.party_name,
                acknowledged_by=_person(a.acknowledged_by),
                acknowledged_at=a.acknowledged_at,
            )
            for a in order.acknowledgements.all()
        ],
        "sla": WorkOrderSlaOut(**sla.__dict__),
    }


def _page(rows: list[WorkOrder], next_cursor: str | None) -> WorkOrderPage:
    slas = selectors.sla_for(rows, clock.now())
    return WorkOrderPage(items=[WorkOrderOut(**_out(o, slas[o.pk])) for o in rows], next=next_cursor)


def _visible(request: HttpRequest, workorder_id: int) -> tuple[User, WorkOrder]:
    me = current_user(request)
    qs = selectors.with_list_relations(selectors.workorders_visible_to(me))
    return me, visible_or_404(qs, workorder_id)


def _detail(request: HttpRequest, workorder_id: int) -> WorkOrderDetailOut:
    _me, order = _visible(request, workorder_id)
    sla = selectors.sla_for([order], clock.now())[order.pk]
    transitions = order.transitions.select_related("actor").prefetch_related("attachments")
    return WorkOrderDetailOut(
        **_out(order, sla),
        transitions=[
            WorkOrderTransitionOut(
                from_state=t.from_state,
                to_state=t.to_state,
                to_state_name=t.to_state_name,
                note=t.note,
                actor=WorkOrderPersonOut(id=t.actor.pk, name=str(t.actor)),
                at=t.at,
                files=[a.original_name for a in t.attachments.all()],
            )
            for t in transitions
        ],
        attachments=[_attachment(a) for a in order.attachments.select_related("uploaded_by")],
        comments=[
            WorkOrderCommentOut(
                id=c.pk,
                author=WorkOrderPersonOut(id=c.author.pk, name=str(c.author)),
                body=c.body,
                mentions=[WorkOrderPersonOut(id=u.pk, name=str(u)) for u in c.mentions.all()],
                created_at=c.created_at,
            )
            for c in order.comments.select_related("author").prefetch_related("mentions")
        ],
        escalations=[WorkOrderEscalationOut(**row) for row in selectors.escalations_of(order)],
    )


def _attachment(a: Any) -> WorkOrderAttachmentOut:
    return WorkOrderAttachmentOut(
        id=a.pk,
        kind=a.kind,
        name=a.original_name,
        content_type=a.content_type,
        size=a.size,
        sha256=a.sha256,
        uploaded_by=WorkOrderPersonOut(id=a.uploaded_by.pk, name=str(a.uploaded_by)),
        uploaded_at=a.uploaded_at,
        used=a.transition_id is not None,
    )


# ---------------------------------------------------------------------------------------------
# Types


@router.get("/workorder-types", response=list[WorkOrderTypeOut])
def list_types(request: HttpRequest) -> list[WorkOrderTypeOut]:
    """The work-order types of the active pack: form fields (with choices), states and proof, parties."""
    _number, pack = active_pack()
    out = []
    for t in pack.workorder_types:
        if not t.enabled:
            continue
        fields = []
        for f in t.form:
            dictionary = pack.dictionary(f.dictionary) if f.dictionary else None
            choices = [{"code": c.code, "label": c.label} for c in dictionary.choices] if dictionary else []
            fields.append(
                WorkOrderFieldOut(key=f.key, label=f.label, type=f.type, required=f.required, choices=choices)
            )
        out.append(
            WorkOrderTypeOut(
                code=t.code,
                name=t.name,
                department=t.department,
                department_label=str(DEPARTMENT_LABELS.get(t.department, t.department)),
                handler_roles=list(t.handler_roles),
                form=fields,
                states=[WorkOrderStateOut(code=s.code, name=s.name, proof=list(s.proof)) for s in t.states],
                parties=[WorkOrderPartyOut(code=p.code, name=p.name, who=p.who) for p in t.parties],
                approval_chain=t.approval_chain,
                sla_policies=list(t.sla_policies),
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Work orders


@router.get("/workorders", response=WorkOrderPage)
def list_workorders(
    request: HttpRequest,
    mine: str | None = None,
    department: str | None = None,
    type: str | None = None,
    state: str | None = None,
    status: str | None = None,
    assignee: int | None = None,
    customer: int | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> WorkOrderPage:
    """Work orders visible to the caller, newest first; `mine=raised|assigned`, `status=open|closed`."""
    me = current_user(request)
    errors: dict[str, list[str]] = {}
    if mine not in (None, "", "raised", "assigned"):
        errors["mine"] = ["应为 raised 或 assigned / raised or assigned."]
    if status not in (None, "", "open", "closed"):
        errors["status"] = ["应为 open 或 closed / open or closed."]
    if department not in (None, "", *Department.values):
        errors["department"] = [f"应为 {'、'.join(Department.values)} 之一 / not a department."]
    if errors:
        raise FieldErrors(errors, location="query")
    filters = selectors.Filters(
        department=department or None,
        type=type or None,
        state=state or None,
        status=status or None,
        assignee=assignee,
        mine=mine or None,
        customer=customer,
        q=q or None,
    )
    qs = selectors.with_list_relations(
        selectors.filtered(selectors.workorders_visible_to(me), filters, user=me)
    )
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, newest_first=True)
    return _page(rows, next_cursor)


@router.get("/workorder-queues/{department}", response=WorkOrderPage)
def department_queue(
    request: HttpRequest, department: str, cursor: str | None = None, limit: int = 50
) -> WorkOrderPage:
    """A department's open queue (售前 presales, 法务 legal, 财务 finance, 交付 delivery, 产品 product)."""
    if department not in Department.values:
        raise FieldErrors({"department": ["不是处理部门 / not a department."]}, location="path")
    me = current_user(request)
    qs = selectors.with_list_relations(selectors.queue_for(me, department))
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, newest_first=True)
    return _page(rows, next_cursor)


class WorkOrderRaiseIn(Schema):
    type: str
    title: str
    customer_id: int | None = None
    opportunity_id: int | None = None
    quote_id: int | None = None
    contract_id: int | None = None
    form_values: dict[str, Any] = {}


def _linked(me: User, payload: WorkOrderRaiseIn) -> dict[str, Any]:
    """The records the order is raised from, each visible to the caller (else 422 naming it)."""
    found: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field, name in (
        ("customer_id", "customer"),
        ("opportunity_id", "opportunity"),
        ("quote_id", "quote"),
        ("contract_id", "contract"),
    ):
        pk = getattr(payload, field)
        if pk is None:
            continue
        obj = records.record_type(name).visible_to(me).filter(pk=pk).first()
        if obj is None:
            errors[field] = [f"没有你可见的 {name} {pk} / No such {name} visible to you."]
        else:
            found[name] = obj
    if not errors and "customer" not in found:
        for name in ("contract", "quote", "opportunity"):
            if name in found:
                found["customer"] = found[name].customer
                break
    if not errors and "customer" not in found:
        errors["customer_id"] = ["请指定客户（或商机、报价、合同）/ A customer is required."]
    if errors:
        raise FieldErrors(errors)
    return found


@router.post("/workorders", response={201: WorkOrderDetailOut})
def raise_workorder(request: HttpRequest, payload: WorkOrderRaiseIn) -> Status[WorkOrderDetailOut]:
    """Raise a work order from a customer, opportunity, quote or contract with the type's form."""
    me = current_user(request)
    linked = _linked(me, payload)
    order = services.workorder_raise(
        actor=me,
        type_code=payload.type,
        title=payload.title,
        form_values=payload.form_values,
        **linked,
    )
    return Status(201, _detail(request, order.pk))


@router.get("/workorders/{workorder_id}", response=WorkOrderDetailOut)
def get_workorder(request: HttpRequest, workorder_id: int) -> WorkOrderDetailOut:
    """One order: form as labels, parties, transitions with proof, files, comments, escalations."""
    return _detail(request, workorder_id)


class WorkOrderAckIn(Schema):
    party: str | None = None


@router.post("/workorders/{workorder_id}/acknowledgements", response=WorkOrderDetailOut)
def acknowledge(request: HttpRequest, workorder_id: int, payload: WorkOrderAckIn) -> WorkOrderDetailOut:
    """Acknowledge for a party the caller may act for (`party` optional)."""
    me, order = _visible(request, workorder_id)
    services.workorder_acknowledge(order=order, actor=me, party=payload.party)
    return _detail(request, workorder_id)


class WorkOrderAssignIn(Schema):
    assignee_id: int


@router.post("/workorders/{workorder_id}/assign", response=WorkOrderDetailOut)
def assign(request: HttpRequest, workorder_id: int, payload: WorkOrderAssignIn) -> WorkOrderDetailOut:
    """Give the order to a handler of its department."""
    me, order = _visible(request, workorder_id)
    assignee = User.objects.filter(pk=payload.assignee_id).first()
    if assignee is None:
        raise FieldErrors({"assignee_id": ["没有此用户 / No such user."]})
    services.workorder_assign(order=order, actor=me, assignee=assignee)
    return _detail(request, workorder_id)


class WorkOrderTransitionIn(Schema):
    to_state: str
    note: str = ""


@router.post("/workorders/{workorder_id}/transitions", response=WorkOrderDetailOut)
def transition(request: HttpRequest, workorder_id: int, payload: WorkOrderTransitionIn) -> WorkOrderDetailOut:
    """Move the order to a later state; 409 with `missing` while the state's proof is not uploaded."""
    me, order = _visible(request, workorder_id)
    services.workorder_advance(order=order, actor=me, to_state=payload.to_state, note=payload.note)
    return _detail(request, workorder_id)


@router.post("/workorders/{workorder_id}/attachments", response={201: WorkOrderAttachmentOut})
def attach(
    request: HttpRequest, workorder_id: int, file: File[UploadedFile], kind: Form[str] = "file"
) -> Status[WorkOrderAttachmentOut]:
    """Upload a file (`kind` screenshot, signed_file or file), accepted by its content."""
    me, order = _visible(request, workorder_id)
    attachment = services.workorder_attach(
        order=order, actor=me, kind=kind, data=file.read(), filename=file.name or "file"
    )
    return Status(201, _attachment(attachment))


class WorkOrderCommentIn(Schema):
    body: str


@router.post("/workorders/{workorder_id}/comments", response={201: WorkOrderCommentOut})
def comment(
    request: HttpRequest, workorder_id: int, payload: WorkOrderCommentIn
) -> Status[WorkOrderCommentOut]:
    """Comment; every @username mentioned is notified."""
    me, order = _visible(request, workorder_id)
    made = services.workorder_comment(order=order, actor=me, body=payload.body)
    return Status(
        201,
        WorkOrderCommentOut(
            id=made.pk,
            author=WorkOrderPersonOut(id=me.pk, name=str(me)),
            body=made.body,
            mentions=[WorkOrderPersonOut(id=u.pk, name=str(u)) for u in made.mentions.all()],
            created_at=made.created_at,
        ),
    )


class WorkOrderCloseIn(Schema):
    reason: str


@router.post("/workorders/{workorder_id}/close", response=WorkOrderDetailOut)
def close(request: HttpRequest, workorder_id: int, payload: WorkOrderCloseIn) -> WorkOrderDetailOut:
    """Close without finishing the flow (its raiser or a handler), with a reason."""
    me, order = _visible(request, workorder_id)
    services.workorder_close(order=order, actor=me, reason=payload.reason)
    return _detail(request, workorder_id)
