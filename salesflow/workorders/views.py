"""Pages of 工单: 我的工单, the department queues (list and kanban), one order, raising one, and
the raise card on customer, opportunity, quote and contract pages. Thin: parse, call the
services, render; refusals come back as a flash message naming what to do."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesflow.core import clock, records
from salesflow.core.errors import DomainError, NotFound, user_message
from salesflow.core.lookups import visible_or_404
from salesflow.org.models import User
from salesflow.org.selectors import current_user
from salesflow.rules.selectors import active_pack
from salesflow.workorders import selectors, services
from salesflow.workorders.choices import AttachmentKind, Department
from salesflow.workorders.models import WorkOrder

PAGE_SIZE = 50
BOARD_PER_STATE = 30
LINKED = ("customer", "opportunity", "quote", "contract")


def _filters(request: HttpRequest, **fixed: Any) -> selectors.Filters:
    get = request.GET
    assignee = get.get("assignee", "")
    return selectors.Filters(
        department=fixed.get("department") or None,
        type=get.get("type") or None,
        state=get.get("state") or None,
        status=get.get("status") or fixed.get("status") or None,
        assignee=int(assignee) if assignee.isdigit() else None,
        mine=fixed.get("mine"),
        q=get.get("q") or None,
    )


def _rows(orders: list[WorkOrder]) -> list[dict[str, Any]]:
    slas = selectors.sla_for(orders, clock.now())
    return [{"order": o, "sla": slas[o.pk]} for o in orders]


def _type_choices() -> list[tuple[str, str]]:
    _number, pack = active_pack()
    return [(t.code, t.name) for t in pack.workorder_types]


# ---------------------------------------------------------------------------------------------
# Lists


@login_required
def my_workorders(request: HttpRequest) -> HttpResponse:
    """我的工单: what I raised (and its state, without asking anyone), what I handle, what waits for
    my acknowledgement."""
    me = current_user(request)
    tab = request.GET.get("tab") or "raised"
    if tab not in ("raised", "assigned", "all"):
        tab = "raised"
    filters = _filters(request, mine=tab if tab != "all" else None)
    qs = selectors.filtered(selectors.workorders_visible_to(me), filters, user=me)
    orders = list(selectors.with_list_relations(qs).order_by("-raised_at", "-id")[:PAGE_SIZE])
    return render(
        request,
        "workorders/mine.html",
        {
            "nav": "workorders",
            "tab": tab,
            "rows": _rows(orders),
            "filters": filters,
            "types": _type_choices(),
            "departments": selectors.departments_for(me),
            "export_query": request.GET.urlencode(),
            "mine_param": tab if tab != "all" else "",
            "tab_keep": [("tab", tab)],
        },
    )


@login_required
def queue(request: HttpRequest, department: str) -> HttpResponse:
    """A department queue (售前, 法务, 财务, 交付 …) as a list or a kanban by state, with SLA lights."""
    if department not in Department.values:
        raise Http404(department)
    me = current_user(request)
    view = "board" if request.GET.get("view") == "board" else "list"
    filters = _filters(request, department=department, status="open")
    base = selectors.filtered(selectors.workorders_visible_to(me), filters, user=me)
    qs = selectors.with_list_relations(base)
    _number, pack = active_pack()
    handlers = _handlers_for(department, pack)
    context: dict[str, Any] = {
        "nav": "workorders",
        "department": department,
        "department_label": dict(Department.choices)[department],
        "departments": selectors.departments_for(me),
        "view": view,
        "filters": filters,
        "types": [(t.code, t.name) for t in pack.workorder_types if t.department == department],
        "handlers": handlers,
        "view_keep": [("view", view)],
        "export_query": f"department={department}&status=open&" + request.GET.urlencode(),
    }
    if view == "board":
        columns: list[dict[str, Any]] = []
        names: dict[str, str] = {}
        for t in pack.workorder_types:
            if t.department != department or (filters.type and t.code != filters.type):
                continue
            for s in t.states:
                names.setdefault(s.code, s.name)
        # One grouped count for every column, then a page of each (the queue's index, newest first).
        grouped = base.order_by().values("state").annotate(n=Count("id"))
        counts = {row["state"]: row["n"] for row in grouped}
        for code, name in names.items():
            orders = list(qs.filter(state=code).order_by("-raised_at", "-id")[:BOARD_PER_STATE])
            rows = _rows(orders)
            columns.append({"code": code, "name": name, "rows": rows, "count": counts.get(code, 0)})
        context["columns"] = columns
    else:
        context["rows"] = _rows(list(qs.order_by("-raised_at", "-id")[:PAGE_SIZE]))
    return render(request, "workorders/queue.html", context)


def _handlers_for(department: str, pack: Any) -> list[User]:
    roles = {r for t in pack.workorder_types if t.department == department for r in t.handler_roles}
    return list(User.objects.filter(role__in=roles, is_active=True).order_by("role", "pk"))


# ---------------------------------------------------------------------------------------------
# One order


def _visible(request: HttpRequest, workorder_id: int) -> tuple[User, WorkOrder]:
    me = current_user(request)
    qs = selectors.with_list_relations(selectors.workorders_visible_to(me)).select_related(
        "opportunity", "quote", "contract"
    )
    return me, visible_or_404(qs, workorder_id)


@login_required
def detail(request: HttpRequest, workorder_id: int) -> HttpResponse:
    """One order: form values as labels, parties and acknowledgements, the state stepper with the
    proof each state needs, files, comments, the SLA countdown and escalations."""
    me, order = _visible(request, workorder_id)
    _number, pack = active_pack()
    wo_type = pack.workorder_type(order.type_code)
    sla = selectors.sla_for([order], clock.now())[order.pk]
    acks = [
        {"ack": a, "mine": a.acknowledged_at is None and services.may_act_for(me, a, order)}
        for a in order.acknowledgements.all()
    ]
    nxt = selectors.next_state(order, wo_type)
    can_handle = wo_type is not None and (services.is_handler(me, wo_type) or me.pk == order.assignee_id)
    fresh = list(order.attachments.filter(transition__isnull=True).select_related("uploaded_by"))
    return render(
        request,
        "workorders/detail.html",
        {
            "nav": "workorders",
            "order": order,
            "type": wo_type,
            "sla": sla,
            "form_rows": selectors.form_rows(order, wo_type),
            "acks": acks,
            "states": selectors.states_of(order, wo_type),
            "next_state": nxt,
            "next_proof": [
                {
                    "code": p,
                    "label": dict(services.PROOF_LABELS)[p],
                    "ready": p != "note" and p in {a.kind for a in fresh},
                }
                for p in (nxt.proof if nxt else [])
            ],
            "can_handle": can_handle and not order.is_closed,
            "can_close": not order.is_closed
            and wo_type is not None
            and (me.pk == order.raised_by_id or services.is_handler(me, wo_type)),
            "handlers": [
                u
                for u in _handlers_for(order.department, pack)
                if wo_type and u.role in wo_type.handler_roles
            ],
            "transitions": order.transitions.select_related("actor").prefetch_related("attachments"),
            "fresh": fresh,
            "comments": order.comments.select_related("author"),
            "escalations": selectors.escalations_of(order),
            "attachment_kinds": AttachmentKind.choices,
            "department_label": dict(Department.choices).get(order.department, order.department),
            "linked": [
                (label, obj, records.url_for(obj._meta.label_lower, obj.pk))
                for label, obj in (
                    (_("客户"), order.customer),
                    (_("商机"), order.opportunity),
                    (_("报价"), order.quote),
                    (_("合同"), order.contract),
                )
                if obj is not None
            ],
        },
    )


def _back(order_id: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("workorder-detail", args=[order_id]) + anchor)


def _act(request: HttpRequest, workorder_id: int, action: Any, done: str, anchor: str = "") -> HttpResponse:
    me, order = _visible(request, workorder_id)
    try:
        action(me, order)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, user_message(exc))
    else:
        messages.success(request, done)
    return _back(order.pk, anchor)


@login_required
def attachment_file(request: HttpRequest, workorder_id: int, attachment_id: int) -> FileResponse:
    """A file of an order (as stored after the content check: images re-encoded, PDFs as sent)."""
    _me, order = _visible(request, workorder_id)
    attachment = visible_or_404(order.attachments.all(), attachment_id)
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=attachment.content_type != "image/jpeg",
        filename=attachment.original_name,
    )


@login_required
@require_POST
def acknowledge(request: HttpRequest, workorder_id: int) -> HttpResponse:
    """Acknowledge for a party (`party`)."""
    party = request.POST.get("party") or None
    return _act(
        request,
        workorder_id,
        lambda me, order: services.workorder_acknowledge(order=order, actor=me, party=party),
        _("已确认"),
    )


@login_required
@require_POST
def assign(request: HttpRequest, workorder_id: int) -> HttpResponse:
    """Give the order to a colleague of its department."""
    raw = request.POST.get("assignee", "")
    assignee = User.objects.filter(pk=int(raw)).first() if raw.isdigit() else None

    def run(me: User, order: WorkOrder) -> None:
        if assignee is None:
            from salesflow.core.errors import FieldErrors

            raise FieldErrors({"assignee": [_("请选择处理人")]})
        services.workorder_assign(order=order, actor=me, assignee=assignee)

    response = _act(request, workorder_id, run, _("已分派"))
    back = request.POST.get("next", "")
    if back.startswith("/workorders/") and "//" not in back:
        return redirect(back)
    return response


@login_required
@require_POST
def attach(request: HttpRequest, workorder_id: int) -> HttpResponse:
    """Upload a file (screenshot, signed file, other) to the order."""
    upload = request.FILES.get("file")
    kind = request.POST.get("kind", "file")

    def run(me: User, order: WorkOrder) -> None:
        if upload is None:
            from salesflow.core.errors import FieldErrors

            raise FieldErrors({"file": [_("请选择文件")]})
        services.workorder_attach(
            order=order, actor=me, kind=kind, data=upload.read(), filename=upload.name or ""
        )

    return _act(request, workorder_id, run, _("已上传"), "#proof")


@login_required
@require_POST
def advance(request: HttpRequest, workorder_id: int) -> HttpResponse:
    """Move the order to its next state (with the note the state may need)."""
    to_state = request.POST.get("to_state", "")
    note = request.POST.get("note", "")
    return _act(
        request,
        workorder_id,
        lambda me, order: services.workorder_advance(order=order, actor=me, to_state=to_state, note=note),
        _("已推进"),
        "#proof",
    )


@login_required
@require_POST
def comment(request: HttpRequest, workorder_id: int) -> HttpResponse:
    """Comment (with @mentions)."""
    body = request.POST.get("body", "")
    return _act(
        request,
        workorder_id,
        lambda me, order: services.workorder_comment(order=order, actor=me, body=body),
        _("已评论"),
        "#comments",
    )


@login_required
@require_POST
def close(request: HttpRequest, workorder_id: int) -> HttpResponse:
    """Close the order with a reason."""
    reason = request.POST.get("reason", "")
    return _act(
        request,
        workorder_id,
        lambda me, order: services.workorder_close(order=order, actor=me, reason=reason),
        _("工单已关闭"),
    )


# ---------------------------------------------------------------------------------------------
# Raising


def _linked_from(request: HttpRequest, me: User, data: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in LINKED:
        raw = str(data.get(name, "") or "")
        if not raw:
            continue
        if not raw.isdigit():
            raise Http404(name)
        obj = records.record_type(name).visible_to(me).filter(pk=int(raw)).first()
        if obj is None:
            raise Http404(name)
        found[name] = obj
    if "customer" not in found:
        for name in ("contract", "quote", "opportunity"):
            if name in found:
                found["customer"] = found[name].customer
                break
    if "customer" not in found:
        raise Http404("customer")
    return found


@login_required
def raise_form(request: HttpRequest) -> HttpResponse:
    """发起工单: the type's form from the pack, for the record it is raised from."""
    me = current_user(request)
    data = request.POST if request.method == "POST" else request.GET
    linked = _linked_from(request, me, data)
    _number, pack = active_pack()
    types = [t for t in pack.workorder_types if t.enabled]
    code = data.get("type") or (types[0].code if types else "")
    wo_type = pack.workorder_type(code)
    if wo_type is None:
        raise Http404(code)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    title = ""
    if request.method == "POST":
        title = request.POST.get("title", "")
        values = {f.key: request.POST.get(f"f_{f.key}", "") for f in wo_type.form}
        try:
            order = services.workorder_raise(
                actor=me, type_code=wo_type.code, title=title, form_values=values, **linked
            )
        except DomainError as exc:
            from salesflow.core.errors import FieldErrors

            if isinstance(exc, FieldErrors):
                errors = {k.removeprefix("form_values."): v for k, v in exc.errors.items()}
            else:
                messages.error(request, user_message(exc))
        else:
            messages.success(request, _("工单已发起：%(number)s") % {"number": order.number})
            return redirect("workorder-detail", order.pk)
    fields = []
    for spec in wo_type.form:
        dictionary = pack.dictionary(spec.dictionary) if spec.dictionary else None
        fields.append(
            {
                "spec": spec,
                "value": values.get(spec.key, ""),
                "choices": [(c.code, c.label) for c in dictionary.choices] if dictionary else [],
                "errors": errors.get(spec.key, []),
            }
        )
    return render(
        request,
        "workorders/raise.html",
        {
            "nav": "workorders",
            "type": wo_type,
            "types": types,
            "fields": fields,
            "title": title,
            "title_errors": errors.get("title", []),
            "linked": linked,
            "link_query": "&".join(f"{k}={v.pk}" for k, v in linked.items()),
            "department_label": dict(Department.choices).get(wo_type.department, wo_type.department),
        },
    )


def record_panel(request: HttpRequest, record: Any) -> str:
    """The 工单 card of a customer, opportunity, quote or contract page: raise one, see its orders."""
    me = current_user(request)
    name = records.type_for_label(record._meta.label_lower)
    if name is None:
        return ""
    field = name.name
    qs = selectors.workorders_visible_to(me).filter(**{field: record})
    orders = list(selectors.with_list_relations(qs).order_by("-raised_at", "-id")[:5])
    _number, pack = active_pack()
    return render_to_string(
        "workorders/partials/record_panel.html",
        {
            "rows": _rows(orders),
            "types": [(t.code, t.name) for t in pack.workorder_types if t.enabled],
            "field": field,
            "record": record,
        },
        request=request,
    )
