"""Reads of imports and exports: the rows a user may export, in the import's column order; jobs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, time
from typing import Any, TypeVar, get_type_hints

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime

from salesflow.activities.models import Activity, ActivityKind
from salesflow.catalog.models import Product
from salesflow.catalog.permissions import can_see_cost
from salesflow.catalog.selectors import filter_products, product_filters_from, products_visible_to
from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.customers.models import Contact, Customer, Order
from salesflow.customers.selectors import CustomerFilters, customers_list, customers_visible_to
from salesflow.imports import xlsx
from salesflow.imports.choices import ExportKind
from salesflow.imports.models import ImportJob
from salesflow.imports.spec import LEAD_SOURCES, TAG_FIELDS, Column, columns_of
from salesflow.imports.validation import tag_labels
from salesflow.leads.models import Lead
from salesflow.leads.selectors import LeadFilters, leads_list, leads_visible_to
from salesflow.org.models import User
from salesflow.org.selectors import visible_owner_ids
from salesflow.pipeline.apps import pipeline_name, stage_name
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity
from salesflow.pipeline.selectors import OpportunityFilters, opportunities_list, opportunities_visible_to

F = TypeVar("F")

# Query parameters the list pages spell differently from their filter dataclass.
FILTER_ALIASES = {"min_score": "score_min", "max_score": "score_max"}


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def filters_from_query(cls: type[F], query: Mapping[str, str]) -> F:
    """The list's filter dataclass (CustomerFilters, LeadFilters, …) from a query string.

    Every field of the dataclass is read under its own name (so the export follows whatever
    the list can filter by), typed by its annotation; a value that cannot be one is a
    FieldErrors naming the query parameter. Parameters the dataclass does not know (page,
    cursor, sort) are ignored.
    """
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    raw: dict[str, str] = {}
    for key, value in query.items():
        name = FILTER_ALIASES.get(key, key)
        if name in names and value not in (None, ""):
            raw[name] = str(value).strip()[:200]
    chosen: dict[str, Any] = {}
    for name, text in raw.items():
        kind = hints[name]
        if kind is bool:
            chosen[name] = _truthy(text)
        elif kind in (int, int | None):
            if not text.lstrip("-").isdigit():
                raise FieldErrors({name: ["应为整数 / Must be a whole number."]}, location="query")
            chosen[name] = int(text)
        elif kind in (datetime, datetime | None):
            moment = parse_datetime(text)
            day = parse_date(text) if moment is None else None
            if moment is None and day is None:
                raise FieldErrors({name: ["应为日期，例如 2025-03-01 / Must be a date."]}, location="query")
            if moment is None and day is not None:
                moment = datetime.combine(day, time.min)
            assert moment is not None
            chosen[name] = moment.replace(tzinfo=clock.local_zone()) if moment.tzinfo is None else moment
        elif kind is str:
            chosen[name] = text
    return cls(**chosen)


def customers_for_export(user: User | None, filters: Mapping[str, str]) -> QuerySet[Customer]:
    """The customers `user` sees (everyone's when None: the server's CLI) with the list filters."""
    return customers_list(user=user, filters=filters_from_query(CustomerFilters, filters))


def leads_for_export(user: User | None, filters: Mapping[str, str]) -> QuerySet[Lead]:
    """The leads `user` sees with the list filters: `q`, `owner=me`, `pool=true`, `status`, …"""
    return leads_list(user=user, filters=filters_from_query(LeadFilters, filters))


def opportunities_for_export(user: User | None, filters: Mapping[str, str]) -> QuerySet[Opportunity]:
    """The opportunities `user` sees with the board's filters (every one when None: the CLI)."""
    chosen = filters_from_query(OpportunityFilters, filters)
    if user is not None:
        return opportunities_list(user=user, filters=chosen)
    qs = Opportunity.objects.select_related("owner", "customer")
    for name in ("status", "pipeline", "stage"):
        if getattr(chosen, name):
            qs = qs.filter(**{name: getattr(chosen, name)})
    return qs


def activities_for_export(user: User | None, filters: Mapping[str, str]) -> QuerySet[Activity]:
    """The activities on the leads, customers and opportunities `user` sees, and their own.

    `owner=me` narrows to what the caller logged, `kind` to one kind (电话, 拜访, …).
    """
    qs = Activity.objects.select_related("actor", "lead", "customer", "opportunity")
    if user is not None:
        owners = visible_owner_ids(user)
        if owners is not None:
            qs = qs.filter(
                Q(actor=user)
                | Q(lead__in=leads_visible_to(user).values("id"))
                | Q(customer__in=customers_visible_to(user).values("id"))
                | Q(opportunity__in=opportunities_visible_to(user).values("id"))
            )
    kind = (filters.get("kind") or "").strip()
    if kind:
        if kind not in ActivityKind.values:
            raise FieldErrors(
                {"kind": [f"应为 {', '.join(ActivityKind.values)} 之一 / Unknown kind."]}, location="query"
            )
        qs = qs.filter(kind=kind)
    owner = (filters.get("owner") or "").strip()
    if owner == "me" and user is not None:
        qs = qs.filter(actor=user)
    elif owner:
        if not owner.isdigit():
            raise FieldErrors({"owner": ["应为 me 或用户编号 / Use me or a user id."]}, location="query")
        qs = qs.filter(actor_id=int(owner))
    return qs


def headers_of(kind: str) -> list[str]:
    """The Chinese headers export writes and import reads."""
    return [c.header for c in columns_of(kind)]


def export_columns(kind: str, user: User | None) -> list[Column]:
    """The columns `user` gets: a product's standard cost only for the roles the pack names
    (the command line without `--user` is the server's administrator and gets every column)."""
    columns = columns_of(kind)
    if kind == ExportKind.PRODUCTS and user is not None and not can_see_cost(user):
        return [c for c in columns if c.field != "standard_cost"]
    return columns


def owner_name(user: User | None) -> str:
    """The owner column: the person's display name (import reads it, or a username, back)."""
    return str(user) if user is not None else ""


def _check_kind(kind: str) -> None:
    if kind not in ExportKind.values:
        raise FieldErrors(
            {"kind": [f"应为 {', '.join(ExportKind.values)} 之一 / Unknown kind."]}, location="path"
        )


def export_rows(kind: str, user: User | None, filters: Mapping[str, str]) -> Iterator[list[Any]]:
    """The rows of an export, streamed; dictionary labels, not codes. Notes are never exported."""
    _check_kind(kind)
    labels = {f: tag_labels(d) for f, d in TAG_FIELDS.get(kind, {}).items()}
    labels["product_lines"] = tag_labels("product_line")

    def label(fieldname: str, code: str) -> str:
        return labels[fieldname].get(code, code) if code else ""

    def lines(codes: list[str]) -> str:
        return "、".join(label("product_lines", p) for p in codes or [])

    if kind == ExportKind.PRODUCTS:
        fields = [c.field for c in export_columns(kind, user)]
        # The command line without `--user` exports the whole catalogue.
        scope = products_visible_to(user) if user is not None else Product.objects.all()
        products = filter_products(scope, product_filters_from(filters))

        def product_cell(p: Any, fieldname: str) -> Any:
            if fieldname == "product_line":
                return label("product_line", p.product_line)
            if fieldname == "active":
                return "是" if p.active else "否"
            return getattr(p, fieldname)

        labels["product_line"] = tag_labels("product_line")
        return (
            [product_cell(p, f) for f in fields] for p in products.order_by("sku").iterator(chunk_size=2000)
        )
    if kind == ExportKind.OPPORTUNITIES:
        statuses = dict(OpportunityStatus.choices)
        opportunities = opportunities_for_export(user, filters).select_related("owner", "customer")
        return (
            [
                o.title,
                o.customer.name,
                o.amount,
                pipeline_name(o.pipeline) or o.pipeline,
                stage_name(o.stage) or o.stage,
                str(statuses.get(o.status, o.status)),
                o.expected_close,
                lines(o.product_lines),
                owner_name(o.owner),
                o.stage_entered_at,
                o.last_update_at,
                o.created_at,
            ]
            for o in opportunities.order_by("id").iterator(chunk_size=2000)
        )
    if kind == ExportKind.QUOTES:
        from salesflow.quotes.choices import QuoteState
        from salesflow.quotes.models import Quote
        from salesflow.quotes.selectors import quote_filters_from, quotes_list

        states = dict(QuoteState.choices)
        quotes = (
            quotes_list(user=user, filters=quote_filters_from(filters))
            if user is not None
            else Quote.objects.select_related("owner", "customer")
        )
        return (
            [
                q.number,
                q.title,
                q.customer.name,
                owner_name(q.owner),
                q.current_version,
                str(states.get(q.state, q.state)),
                q.total,
                q.health_score,
                "是" if q.special else "否",
                q.sent_at,
                q.updated_at,
            ]
            for q in quotes.order_by("id").iterator(chunk_size=2000)
        )
    if kind in (ExportKind.CONTRACTS, ExportKind.RECEIVABLES):
        return _contract_rows(kind, user, filters)
    if kind == ExportKind.APPROVALS:
        return _approval_rows(user, filters)
    if kind == ExportKind.REVIEW_MINUTES:
        return _review_minutes_rows(user, filters)
    if kind == ExportKind.WORKORDERS:
        return _workorder_rows(user, filters)
    if kind == ExportKind.ACTIVITIES:
        kinds = dict(ActivityKind.choices)
        activities = activities_for_export(user, filters).order_by("occurred_at", "id")
        return (
            [
                a.occurred_at,
                str(kinds.get(a.kind, a.kind)),
                "商机" if a.opportunity else ("客户" if a.customer else "线索"),
                str(a.opportunity or a.customer or a.lead or ""),
                owner_name(a.actor),
                round(a.duration_seconds / 60) if a.duration_seconds else None,
                "是" if a.effective else "否",
                a.note,
            ]
            for a in activities.iterator(chunk_size=2000)
        )
    if kind == ExportKind.LEADS:
        leads = leads_for_export(user, filters).select_related("owner").order_by("id")
        return (
            [
                lead.name,
                lead.phone,
                lead.email,
                lead.company,
                lead.title,
                label("industry_segment", lead.industry_segment),
                label("customer_tier", lead.customer_tier),
                label("product_line", lead.product_line),
                label("buying_stage", lead.buying_stage),
                label("company_size", lead.company_size),
                lead.budget,
                LEAD_SOURCES.get(lead.source, lead.source),
                lead.message,
                owner_name(lead.owner),
            ]
            for lead in leads.iterator(chunk_size=2000)
        )
    customers = customers_for_export(user, filters)
    if kind == ExportKind.CUSTOMERS:
        return (
            [
                c.name,
                label("industry_segment", c.industry_segment),
                label("customer_tier", c.customer_tier),
                label("customer_class", c.customer_class),
                c.region.name if c.region else "",
                c.address,
                c.payment_term,
                owner_name(c.owner),
            ]
            for c in customers.select_related("owner", "region").order_by("id").iterator(chunk_size=2000)
        )
    if kind == ExportKind.CONTACTS:
        contacts = (
            Contact.objects.filter(customer__in=customers.values("id"))
            .select_related("customer")
            .order_by("customer_id", "id")
        )
        return (
            [c.customer.name, c.name, c.title, c.phone, c.email] for c in contacts.iterator(chunk_size=2000)
        )
    orders = (
        Order.objects.filter(customer__in=customers.values("id"))
        .select_related("customer")
        .order_by("customer_id", "id")
    )
    return (
        [
            o.customer.name,
            o.ordered_on,
            o.amount,
            lines(o.product_lines),
            o.models_bought,
            o.payment_term,
            o.reference,
        ]
        for o in orders.iterator(chunk_size=2000)
    )


def jobs_visible_to(user: User) -> QuerySet[ImportJob]:
    """Import jobs: superusers and the ops admin see all, others their own."""
    qs = ImportJob.objects.select_related("created_by").defer("source", "skipped_file")
    if user.is_superuser or user.role == "ops_admin":
        return qs
    return qs.filter(created_by=user)


def export_workbook(kind: str, user: User | None, filters: Mapping[str, str]) -> bytes:
    """An .xlsx of what `user` may see of `kind`, headers as import reads them: the header row
    styled and frozen, columns sized, money and dates as Excel numbers and dates."""
    return write_export(kind, export_rows(kind, user, filters), columns=export_columns(kind, user))


def write_export(kind: str, rows: Iterable[list[Any]], *, columns: list[Column] | None = None) -> bytes:
    """`rows` of `kind` as a workbook in the export's look (the CLI streams through this too)."""
    _check_kind(kind)
    columns = columns if columns is not None else columns_of(kind)
    return xlsx.write(
        [c.header for c in columns],
        rows,
        title=str(ExportKind(kind).label),
        formats=[c.fmt for c in columns],
        widths=[c.excel_width for c in columns],
    )


def _approval_rows(user: Any, filters: Mapping[str, str]) -> Iterator[list[Any]]:
    """Rows of a tab of 我的审批 (`state`: pending — the default —, mine or done)."""
    from salesflow.approvals import selectors as approvals
    from salesflow.approvals.choices import RequestState
    from salesflow.approvals.models import ApprovalRequest

    states = dict(RequestState.choices)
    rows = (
        approvals.requests_list(user=user, state=filters.get("state") or "pending")
        if user is not None
        else ApprovalRequest.objects.select_related("requester").prefetch_related("steps")
    )
    return (
        [
            a.summary,
            a.chain_name,
            owner_name(a.requester),
            str(states.get(a.state, a.state)),
            step.name if (step := approvals.current_step(a)) is not None else "",
            a.created_at,
            a.decided_at,
        ]
        for a in rows.order_by("-created_at", "-id")[:10_000]
    )


def _review_minutes_rows(user: Any, filters: Mapping[str, str]) -> Iterator[list[Any]]:
    """The minutes of a meeting's month, grouped as the review page shows them (its viewers only)."""
    from salesflow.reviews import selectors as reviews

    meeting = filters.get("meeting") or "monthly_process_review"
    month = reviews.parse_month(filters.get("month"))
    rows = reviews.agenda_for(user, meeting_code=meeting, month=month)
    return (
        [
            group.group,
            group.team,
            row.name,
            row.item.reason,
            row.rule_label,
            row.item.created_at,
            "是" if row.discussed else "否",
            row.entry.discussed_at if row.entry is not None else None,
            row.entry.decision if row.entry is not None else "",
            owner_name(row.entry.decision_owner) if row.entry is not None else "",
            row.entry.decided_at if row.entry is not None else None,
        ]
        for group in reviews.grouped(rows)
        for row in group.rows
    )


def _workorder_rows(user: Any, filters: Mapping[str, str]) -> Iterator[list[Any]]:
    """Rows of 我的工单 or a department queue, filtered as the page is (labels, never codes)."""
    from salesflow.core import clock
    from salesflow.workorders import selectors as workorders
    from salesflow.workorders.choices import Department
    from salesflow.workorders.models import WorkOrder

    departments = dict(Department.choices)
    assignee = str(filters.get("assignee") or "")
    wanted = workorders.Filters(
        department=filters.get("department") or None,
        type=filters.get("type") or None,
        state=filters.get("state") or None,
        status=filters.get("status") or None,
        assignee=int(assignee) if assignee.isdigit() else None,
        mine=filters.get("mine") or None,
        q=filters.get("q") or None,
    )
    scope = workorders.workorders_visible_to(user) if user is not None else WorkOrder.objects.all()
    if user is not None:
        scope = workorders.filtered(scope, wanted, user=user)
    orders = list(
        scope.select_related("customer", "assignee", "raised_by").order_by("-raised_at", "-id")[:10_000]
    )
    now = clock.now()
    slas: dict[int, Any] = {}
    for start in range(0, len(orders), 1000):
        slas.update(workorders.sla_for(orders[start : start + 1000], now))
    return (
        [
            o.number,
            o.type_name,
            o.title,
            o.customer.name,
            str(departments.get(o.department, o.department)),
            o.state_name + ("（已关闭）" if o.closed_at else ""),
            owner_name(o.assignee),
            owner_name(o.raised_by),
            o.raised_at,
            o.acknowledged_at,
            slas[o.pk].due_at,
            slas[o.pk].breached_steps,
            o.closed_at,
        ]
        for o in orders
    )


def _contract_rows(kind: str, user: Any, filters: Mapping[str, str]) -> Iterator[list[Any]]:
    """Rows of the contract list, or of the receivables behind an ageing cell."""
    from salesflow.contracts import selectors as contracts
    from salesflow.contracts.choices import ContractState, InstalmentState
    from salesflow.contracts.models import Contract

    if kind == ExportKind.CONTRACTS:
        states = dict(ContractState.choices)
        rows = (
            contracts.contracts_list(user=user, filters=contracts.contract_filters_from(filters))
            if user is not None
            else Contract.objects.select_related("owner", "customer")
        )
        return (
            [
                c.number,
                c.title,
                c.customer.name,
                owner_name(c.owner),
                str(states.get(c.state, c.state)),
                c.amount,
                c.received_total,
                contracts.collected_pct(c),
                c.signed_on,
                c.updated_at,
            ]
            for c in rows.order_by("id").iterator(chunk_size=2000)
        )
    today = clock.to_local(clock.now()).date()
    cell = contracts.ageing_filters_from(filters)
    labels = {b.key: b.label for b in contracts.buckets()}
    instalment_states = dict(InstalmentState.choices)
    instalments = (
        contracts.receivable_rows(user, today=today, bucket=cell.bucket, team=cell.team, owner=cell.owner)
        if user is not None
        else contracts.receivable_rows_unscoped(today=today)
    ).select_related("contract__owner__team")
    return (
        [
            i.contract.number,
            i.contract.customer.name,
            owner_name(i.contract.owner),
            str(i.contract.owner.team or ""),
            i.name,
            i.due_date,
            labels.get(getattr(i, "bucket", -1), ""),
            i.amount,
            getattr(i, "outstanding_amount", None),
            str(instalment_states.get(i.state, i.state)),
        ]
        for i in instalments.iterator(chunk_size=2000)
    )
