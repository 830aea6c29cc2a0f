"""Reads of imports and exports: the rows a user may export, in the import's column order; jobs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from salesflow.core.errors import FieldErrors
from salesflow.customers.models import Contact, Customer, Order
from salesflow.customers.selectors import CustomerFilters, customers_list
from salesflow.imports import xlsx
from salesflow.imports.choices import ImportKind
from salesflow.imports.models import ImportJob
from salesflow.imports.spec import TAG_FIELDS, columns_of
from salesflow.imports.validation import tag_labels
from salesflow.leads.models import Lead
from salesflow.leads.selectors import LeadFilters, leads_list
from salesflow.org.models import User

CUSTOMER_FILTERS = ("q", "owner", "industry_segment", "customer_tier", "customer_class")
LEAD_FILTERS = ("q", "owner", "status")


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def customers_for_export(user: User | None, filters: dict[str, str]) -> QuerySet[Customer]:
    """The customers `user` sees (everyone's when None: the server's CLI) with the list filters."""
    chosen = {k: (filters.get(k) or "").strip() for k in CUSTOMER_FILTERS}
    return customers_list(user=user, filters=CustomerFilters(pool=_truthy(filters.get("pool")), **chosen))


def leads_for_export(user: User | None, filters: dict[str, str]) -> QuerySet[Lead]:
    """The leads `user` sees with the list filters: `q`, `owner=me`, `pool=true`, `status`."""

    def value(key: str) -> str:
        return (filters.get(key) or "").strip()

    chosen = LeadFilters(
        q=value("q"), owner=value("owner"), status=value("status"), pool=_truthy(filters.get("pool"))
    )
    return leads_list(user=user, filters=chosen)


def headers_of(kind: str) -> list[str]:
    """The Chinese headers export writes and import reads."""
    return [c.header for c in columns_of(kind)]


def _owner_name(user: User | None) -> str:
    return user.username if user is not None else ""


def export_rows(kind: str, user: User | None, filters: dict[str, str]) -> Iterator[list[Any]]:
    """The rows of an export, streamed; tags as Chinese labels. Notes are never exported."""
    if kind not in ImportKind.values:
        raise FieldErrors(
            {"kind": [f"应为 {', '.join(ImportKind.values)} 之一 / Unknown kind."]}, location="path"
        )
    labels = {f: tag_labels(d) for f, d in TAG_FIELDS.get(kind, {}).items()}

    def label(fieldname: str, code: str) -> str:
        return labels[fieldname].get(code, code) if code else ""

    if kind == ImportKind.LEADS:
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
                lead.source,
                lead.message,
                _owner_name(lead.owner),
            ]
            for lead in leads.iterator(chunk_size=2000)
        )
    customers = customers_for_export(user, filters)
    if kind == ImportKind.CUSTOMERS:
        return (
            [
                c.name,
                label("industry_segment", c.industry_segment),
                label("customer_tier", c.customer_tier),
                label("customer_class", c.customer_class),
                c.region.name if c.region else "",
                c.address,
                c.payment_term,
                _owner_name(c.owner),
            ]
            for c in customers.select_related("owner", "region").order_by("id").iterator(chunk_size=2000)
        )
    if kind == ImportKind.CONTACTS:
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
            "、".join(label("product_lines", p) for p in o.product_lines),
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


def export_workbook(kind: str, user: User | None, filters: dict[str, str]) -> bytes:
    """An .xlsx of what `user` may see of `kind`, headers as import reads them."""
    return xlsx.write(headers_of(kind), export_rows(kind, user, filters), title=str(ImportKind(kind).label))
