"""Reads of work orders, scoped to the reader.

A rep sees the orders they raised and those on their own customers; a handler sees the queues of
the types they handle or must acknowledge; a manager sees their team's; company-wide roles see
all. The API, the pages and exports all read through `workorders_visible_to`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from salesflow.customers.models import Customer
from salesflow.org import selectors as org_selectors
from salesflow.org.models import User
from salesflow.rules.schema import RulePack, WorkOrderType
from salesflow.rules.selectors import active_pack
from salesflow.timers.models import Deadline
from salesflow.workorders.choices import Department
from salesflow.workorders.models import Acknowledgement, WorkOrder

DEPARTMENT_LABELS = dict(Department.choices)


def _types_touching(role: str, pack: RulePack) -> list[str]:
    """The type codes `role` handles or acknowledges for."""
    return [
        t.code
        for t in pack.workorder_types
        if role in t.handler_roles or f"role:{role}" in {p.who for p in t.parties}
    ]


def visibility_q(user: User) -> Q | None:
    """The orders `user` may see as a filter; None means all."""
    owners = org_selectors.visible_owner_ids(user)
    if owners is None:
        return None
    _number, pack = active_pack()
    # No multi-valued join (it would need DISTINCT and a scan): acknowledgements as a small subquery.
    acknowledged = Acknowledgement.objects.filter(acknowledged_by=user).values("work_order_id")
    own_customers = Customer.objects.filter(owner=user).values("id")
    q = Q(raised_by=user) | Q(assignee=user) | Q(customer_id__in=own_customers) | Q(id__in=acknowledged)
    if len(owners) > 1:  # a manager or director: the team's orders
        q |= Q(raised_by__in=owners) | Q(assignee__in=owners)
    codes = _types_touching(user.role, pack)
    if codes:
        q |= Q(type_code__in=codes)
    return q


def workorders_visible_to(user: User) -> QuerySet[WorkOrder]:
    """Every order `user` may see."""
    qs = WorkOrder.objects.all()
    q = visibility_q(user)
    # Filtered in place (no id subquery), so a queue's index on (department, closed_at, raised_at)
    # reads the newest rows and stops at a page.
    return qs if q is None else qs.filter(q)


def with_list_relations(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """What a list row shows, without N+1."""
    return qs.select_related("customer", "assignee", "raised_by").prefetch_related(
        Prefetch(
            "acknowledgements",
            queryset=Acknowledgement.objects.select_related("acknowledged_by").order_by("order", "id"),
        )
    )


@dataclass(frozen=True)
class Filters:
    """List filters kept in the URL / query string."""

    department: str | None = None
    type: str | None = None
    state: str | None = None
    assignee: int | None = None
    mine: str | None = None  # raised | assigned
    status: str | None = None  # open | closed
    q: str | None = None
    customer: int | None = None


def filtered(qs: QuerySet[WorkOrder], filters: Filters, *, user: User) -> QuerySet[WorkOrder]:
    """`qs` narrowed by the list filters."""
    if filters.department:
        qs = qs.filter(department=filters.department)
    if filters.type:
        qs = qs.filter(type_code=filters.type)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.assignee:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    if filters.mine == "raised":
        qs = qs.filter(raised_by=user)
    elif filters.mine == "assigned":
        qs = qs.filter(assignee=user)
    if filters.status == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif filters.status == "closed":
        qs = qs.filter(closed_at__isnull=False)
    if filters.q:
        text = filters.q.strip()[:100]
        qs = qs.filter(
            Q(title__icontains=text) | Q(number__icontains=text) | Q(customer__name__icontains=text)
        )
    return qs


def queue_for(user: User, department: str) -> QuerySet[WorkOrder]:
    """A department's open queue as `user` may see it."""
    return workorders_visible_to(user).filter(department=department, closed_at__isnull=True)


def departments_for(user: User) -> list[tuple[str, str]]:
    """The department queues `user` works in or oversees (value, label)."""
    from salesflow.org.choices import COMPANY_WIDE_ROLES, MANAGING_ROLES

    if user.is_superuser or user.role in COMPANY_WIDE_ROLES or user.role in MANAGING_ROLES:
        return [(d, str(label)) for d, label in Department.choices]
    return [(d, str(label)) for d, label in Department.choices if d == user.role]


# ---------------------------------------------------------------------------------------------
# Presenting one order


def form_rows(order: WorkOrder, wo_type: WorkOrderType | None = None) -> list[dict[str, str]]:
    """The form values as labels (a choice shows its dictionary label, never its code)."""
    _number, pack = active_pack()
    wo_type = wo_type or pack.workorder_type(order.type_code)
    rows: list[dict[str, str]] = []
    values = order.form_values or {}
    fields = wo_type.form if wo_type else []
    seen = set()
    for spec in fields:
        seen.add(spec.key)
        if spec.key not in values:
            continue
        value = str(values[spec.key])
        if spec.type == "choice":
            dictionary = pack.dictionary(spec.dictionary or "")
            choice = next((c for c in dictionary.choices if c.code == value), None) if dictionary else None
            value = choice.label if choice else value
        rows.append({"key": spec.key, "label": spec.label, "value": value})
    for key, value in values.items():  # a field the type no longer has: kept, shown by its key
        if key not in seen:
            rows.append({"key": key, "label": key, "value": str(value)})
    return rows


def states_of(order: WorkOrder, wo_type: WorkOrderType | None) -> list[dict[str, Any]]:
    """The stepper: each state with done / current / later and the proof it needs."""
    from salesflow.workorders.choices import ProofKind

    labels = dict(ProofKind.choices)
    if wo_type is None:
        return [{"code": order.state, "name": order.state_name, "status": "current", "proof": []}]
    current = wo_type.state_index(order.state)
    rows = []
    for i, state in enumerate(wo_type.states):
        status = (
            "done"
            if i < current or (i == current and order.is_closed)
            else "current"
            if i == current
            else "todo"
        )
        rows.append(
            {
                "code": state.code,
                "name": state.name,
                "status": status,
                "proof": [{"code": p, "label": str(labels[p])} for p in state.proof],
            }
        )
    return rows


def next_state(order: WorkOrder, wo_type: WorkOrderType | None) -> Any:
    """The state after the current one (None at the end or when closed)."""
    if wo_type is None or order.is_closed:
        return None
    index = wo_type.state_index(order.state)
    return wo_type.states[index + 1] if 0 <= index < len(wo_type.states) - 1 else None


@dataclass(frozen=True)
class Sla:
    """The SLA of an order as a countdown and a light."""

    due_at: datetime | None
    policy_name: str
    step_name: str
    light: str  # green, yellow, red, grey
    breached_steps: int


def sla_for(orders: list[WorkOrder], now: datetime) -> dict[int, Sla]:
    """For each order: its next pending SLA step (countdown), and red when a step already fired."""
    if not orders:
        return {}
    ids = [o.pk for o in orders]
    rows = Deadline.objects.filter(subject_type="workorders.workorder", subject_id__in=ids).values(
        "subject_id", "due_at", "status", "policy_name", "step_name"
    )
    pending: dict[int, dict[str, Any]] = {}
    fired: dict[int, int] = {}
    for row in rows:
        sid = row["subject_id"]
        if row["status"] == "pending":
            if sid not in pending or row["due_at"] < pending[sid]["due_at"]:
                pending[sid] = dict(row)
        elif row["status"] == "fired":
            fired[sid] = fired.get(sid, 0) + 1
    result: dict[int, Sla] = {}
    for order in orders:
        nxt = pending.get(order.pk)
        n_fired = fired.get(order.pk, 0)
        if order.is_closed:
            light = "grey"
        elif n_fired:
            light = "red"
        elif nxt and (nxt["due_at"] - now).total_seconds() < 3600:
            light = "yellow"
        else:
            light = "green"
        result[order.pk] = Sla(
            due_at=nxt["due_at"] if nxt and not order.is_closed else None,
            policy_name=nxt["policy_name"] if nxt else "",
            step_name=nxt["step_name"] if nxt else "",
            light=light,
            breached_steps=n_fired,
        )
    return result


def may_see(user: User, order: WorkOrder) -> bool:
    """Whether `user` may see `order`."""
    return workorders_visible_to(user).filter(pk=order.pk).exists()


def escalations_of(order: WorkOrder) -> list[dict[str, Any]]:
    """Each ladder step that fired on the order, with who was told."""
    from salesflow.rules.models import RuleFiring

    rows = RuleFiring.objects.filter(
        subject_type="workorders.workorder", subject_id=order.pk, trigger__startswith="timer:"
    ).order_by("fired_at", "id")
    usernames = {u for r in rows for u in (r.detail or {}).get("recipients", [])}
    names = {u.username: str(u) for u in User.objects.filter(username__in=usernames)}
    return [
        {
            "step": r.rule_code.partition("/")[2] or r.rule_code,
            "at": r.fired_at,
            "told": [names.get(u, u) for u in (r.detail or {}).get("recipients", [])],
        }
        for r in rows
    ]


def event_label(name: str) -> str | None:
    """Labels of the events a pack's types name: `workorder.<type>_created` and a state's event."""
    if not name.startswith("workorder."):
        return None
    rest = name.removeprefix("workorder.")
    _number, pack = active_pack()
    for wo_type in pack.workorder_types:
        if rest == f"{wo_type.code}_created":
            return f"发起{wo_type.name}"
        for state in wo_type.states:
            if state.event and rest == state.event:
                return f"工单进入「{state.name}」"
    return None
