"""Reads of quotes, scoped to who is asking; cost and margin only for the pack's roles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from salesflow.catalog.models import Product
from salesflow.core.errors import FieldErrors
from salesflow.core.lookups import search_term
from salesflow.customers.choices import GrantScope
from salesflow.customers.selectors import granted_customer_ids, live_grant_expiries, smart_fill
from salesflow.notify.selectors import with_open_tasks
from salesflow.org.models import User
from salesflow.org.selectors import owner_scope_q
from salesflow.pipeline.models import Opportunity
from salesflow.quotes.choices import QuoteState
from salesflow.quotes.models import Quote, QuoteAttachment, QuoteLine, QuoteVersion
from salesflow.quotes.permissions import QUOTE_READERS_ALL, sees_cost, sees_margin
from salesflow.rules.schema import QuotePolicy
from salesflow.rules.selectors import active_pack

_MODEL_SEPARATORS = re.compile(r"[\s,，、;；/]+")


def policy() -> QuotePolicy:
    """The active pack's quote section."""
    return active_pack()[1].quotes


def quotes_visible_to(user: Any) -> QuerySet[Quote]:
    """Quotes of the opportunities `user` may read (own, their people's, company-wide roles),
    those one holds an open task about, every quote for finance, and the quotes of customers
    `user` holds a live temporary grant (临时授权) on — read-only: working on a quote stays with
    its owner's line (`may_work_on`)."""
    if not getattr(user, "is_authenticated", False):
        return Quote.objects.none()
    base = Quote.objects.select_related("owner", "customer", "opportunity")
    if getattr(user, "role", "") in QUOTE_READERS_ALL:
        return base
    scope = with_open_tasks(user, owner_scope_q(user), Quote)
    if not scope:  # company-wide: every quote already
        return base
    return base.filter(scope | Q(customer_id__in=granted_customer_ids(user, scope=GrantScope.QUOTES)))


def grant_expiries(user: Any, quotes: list[Quote]) -> dict[int, Any]:
    """quote id → when `user`'s temporary grant ends, for the quotes `user` reads only through a
    grant (the list marks them 临时授权 with that date)."""
    if not quotes or not getattr(user, "is_authenticated", False):
        return {}
    expiries = live_grant_expiries(user, scope=GrantScope.QUOTES)
    if not expiries:
        return {}
    return {
        q.pk: expiries[q.customer_id] for q in quotes if q.customer_id in expiries and not reads_own(user, q)
    }


def reads_own(user: Any, quote: Quote) -> bool:
    """Whether `user` reads `quote` in their own right (its owner's line, company-wide, finance)."""
    if getattr(user, "role", "") in QUOTE_READERS_ALL:
        return True
    return owns_or_manages(user, quote.owner_id)


@dataclass(frozen=True)
class QuoteFilters:
    """What the quote list may be narrowed by (page, API and export)."""

    q: str = ""  # number, title or customer name
    state: str = ""
    opportunity: int | None = None
    customer: int | None = None


def quote_filters_from(params: Any) -> QuoteFilters:
    """QuoteFilters from a query dict, checked."""
    state = str(params.get("state", "") or "").strip()
    if state and state not in QuoteState.values:
        raise FieldErrors({"state": [f"未知状态“{state}” / unknown state"]}, location="query")
    raw_opp = str(params.get("opportunity", "") or "").strip()
    if raw_opp and not raw_opp.isdigit():
        raise FieldErrors({"opportunity": ["应为商机编号 / an opportunity id"]}, location="query")
    raw_customer = str(params.get("customer", "") or "").strip()
    if raw_customer and not raw_customer.isdigit():
        raise FieldErrors({"customer": ["应为客户编号 / a customer id"]}, location="query")
    return QuoteFilters(
        q=str(params.get("q", "") or ""),
        state=state,
        opportunity=int(raw_opp) if raw_opp else None,
        customer=int(raw_customer) if raw_customer else None,
    )


def quotes_list(*, user: Any, filters: QuoteFilters) -> QuerySet[Quote]:
    """The visible quotes narrowed by `filters`, newest first."""
    qs = quotes_visible_to(user)
    q = search_term(filters.q)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(customer__name__icontains=q))
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.opportunity:
        qs = qs.filter(opportunity_id=filters.opportunity)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    return qs.order_by("-updated_at", "-id")


def current_version(quote: Quote) -> QuoteVersion:
    """The version being worked on or last sent."""
    return QuoteVersion.objects.select_related("sent_by", "created_by").get(
        quote=quote, number=quote.current_version
    )


def version_lines(version: QuoteVersion) -> list[QuoteLine]:
    """A version's lines in order."""
    return list(QuoteLine.objects.filter(version=version).order_by("position"))


def versions_of(quote: Quote) -> list[QuoteVersion]:
    """Every version of a quote, newest first."""
    return list(
        QuoteVersion.objects.filter(quote=quote).select_related("sent_by", "share_link").order_by("-number")
    )


def attachments_of(quote: Quote) -> list[QuoteAttachment]:
    """The quote's supporting documents."""
    return list(QuoteAttachment.objects.filter(quote=quote).select_related("uploaded_by"))


@dataclass(frozen=True)
class CostView:
    """What of a quote's cost and margin `user` may see (None: hidden)."""

    cost: bool
    margin: bool


def cost_view(user: Any) -> CostView:
    """Read the field permissions once per request."""
    return CostView(sees_cost(user), sees_margin(user))


def smart_fill_for(opportunity: Opportunity) -> dict[str, Any]:
    """What a new quote proposes for a repeat customer: the products and payment terms of the
    customer's last order (as orders do), as active catalogue products."""
    fill = smart_fill(opportunity.customer)
    skus = [s.upper() for s in _MODEL_SEPARATORS.split(str(fill["models"] or "")) if s]
    products = list(Product.objects.filter(sku__in=skus, active=True)) if skus else []
    by_sku = {p.sku: p for p in products}
    return {
        "products": [by_sku[s] for s in dict.fromkeys(skus) if s in by_sku],
        "payment_terms": str(fill["payment_term"] or ""),
    }


def owns_or_manages(user: User, owner_id: int | None) -> bool:
    """Whether `user` is the record owner `owner_id`, one of their managers, or company-wide."""
    from salesflow.org.selectors import visible_owner_ids

    owners = visible_owner_ids(user)
    return owners is None or owner_id in owners


def may_work_on(user: User, quote: Quote) -> bool:
    """Whether `user` may edit, send or record feedback on `quote`: its owner or their managers."""
    return owns_or_manages(user, quote.owner_id)


def share_opens(versions: list[QuoteVersion]) -> dict[int, int]:
    """How often the customer opened each version's share link: version number → opens."""
    from django.db.models import Count

    from salesflow.core.models import PublicLinkAccess

    links = {v.share_link_id: v.number for v in versions if v.share_link_id}
    rows = (
        PublicLinkAccess.objects.filter(link_id__in=links, kind="open")
        .values("link_id")
        .annotate(n=Count("id"))
    )
    counts = {links[row["link_id"]]: row["n"] for row in rows}
    return {number: counts.get(number, 0) for number in links.values()}


def share_devices(versions: list[QuoteVersion]) -> dict[int, str]:
    """On what the customer opened each version's share link: version number → "手机 2 · 电脑 1"."""
    from django.db.models import Count

    from salesflow.core.models import PublicLinkAccess

    links = {v.share_link_id: v.number for v in versions if v.share_link_id}
    labels = dict(PublicLinkAccess.Device.choices)
    found: dict[int, list[str]] = {}
    rows = (
        PublicLinkAccess.objects.filter(link_id__in=links, kind="open")
        .values("link_id", "device")
        .annotate(n=Count("id"))
        .order_by("link_id", "-n", "device")
    )
    for row in rows:
        found.setdefault(links[row["link_id"]], []).append(f"{labels.get(row['device'], '')} {row['n']}")
    return {number: " · ".join(parts) for number, parts in found.items()}


def latest_approval(quote: Quote) -> Any:
    """The quote's most recent approval request with its steps (None when never submitted)."""
    from salesflow.approvals.models import ApprovalRequest
    from salesflow.approvals.selectors import request_detail

    return (
        request_detail(
            ApprovalRequest.objects.filter(subject_type=Quote._meta.label_lower, subject_id=quote.pk)
        )
        .order_by("-id")
        .first()
    )


@dataclass(frozen=True)
class Reading:
    """How the customer read one section of a sent version through its share link."""

    name: str
    views: int
    seconds: int


def readings(version: QuoteVersion) -> list[Reading]:
    """The sections of `version` the customer read, most read first."""
    from salesflow.quotes.models import QuoteSectionView
    from salesflow.quotes.services import sections_of

    names = sections_of(version)
    rows = QuoteSectionView.objects.filter(version=version).order_by("-views", "-seconds")
    return [Reading(names.get(r.section, r.section), r.views, r.seconds) for r in rows]


@dataclass(frozen=True)
class YellowLight:
    """The quote light (pack `lights.quote_yellow_unconfirmed`): a sent quote without an answer
    since before `since` is yellow; `label` says it in words."""

    since: Any
    label: str


def yellow_light() -> YellowLight:
    """The yellow-quote threshold as of now."""
    from salesflow.core import clock
    from salesflow.rules.messages import humanize
    from salesflow.timers.durations import parse_duration

    limit = active_pack()[1].lights.quote_yellow_unconfirmed
    since = clock.now() - parse_duration(limit).as_timedelta()
    return YellowLight(since, f"超过 {humanize(limit)}未确认")
