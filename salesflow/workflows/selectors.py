"""Reads that span apps: the top bar's search over leads, customers, contacts and opportunities.

Each kind is found through its own app's permission-scoped selector, so a search never
shows a record the viewer could not open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesflow.core.lookups import search_term
from salesflow.customers import selectors as customer_selectors
from salesflow.leads import selectors as lead_selectors
from salesflow.org.models import User
from salesflow.pipeline import selectors as pipeline_selectors

# Suggestions start at this many characters: one character matches half the company.
SUGGEST_MIN_CHARS = 2

KIND_LABELS = {
    "lead": _("线索"),
    "customer": _("客户"),
    "contact": _("联系人"),
    "opportunity": _("商机"),
}


@dataclass(frozen=True)
class SearchHit:
    """One found record as the search shows it: kind, name, company, owner and where it opens."""

    kind: str
    id: int
    name: str
    company: str
    owner: str  # the owner's name, or "" for a pooled record
    url: str

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass
class SearchResults:
    """What a search found, grouped by kind (each group at most `limit` long)."""

    q: str
    groups: dict[str, list[SearchHit]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(self.groups.values())

    @property
    def grouped(self) -> list[tuple[str, list[SearchHit]]]:
        """Non-empty groups with their Chinese label, in a fixed order."""
        return [(str(KIND_LABELS[kind]), hits) for kind, hits in self.groups.items() if hits]


def _name(user: User | None) -> str:
    return str(user) if user is not None else ""


def search_everything(user: User, q: str, *, limit: int = 5) -> SearchResults:
    """Leads, customers (pinyin and initials too), contacts and opportunities matching `q`
    that `user` may open, newest first; `q` longer than the search limit is a FieldErrors."""
    text = search_term(q)
    results = SearchResults(q=text)
    if not text:
        return results
    cs = customer_selectors
    leads = lead_selectors.search(lead_selectors.leads_visible_to(user), text).order_by("-id")[:limit]
    customers = cs.search(cs.customers_visible_to(user), text).order_by("-id")[:limit]
    contacts = cs.search_contacts(cs.contacts_visible_to(user), text).order_by("-id")[:limit]
    opportunities = pipeline_selectors.opportunities_list(
        user=user, filters=pipeline_selectors.OpportunityFilters(q=text)
    ).order_by("-id")[:limit]
    results.groups = {
        "lead": [
            SearchHit("lead", x.pk, x.name, x.company, _name(x.owner), reverse("lead-detail", args=[x.pk]))
            for x in leads
        ],
        "customer": [
            SearchHit("customer", x.pk, x.name, "", _name(x.owner), reverse("customer-detail", args=[x.pk]))
            for x in customers
        ],
        "contact": [
            SearchHit(
                "contact",
                x.pk,
                x.name,
                x.customer.name,
                _name(x.customer.owner),
                reverse("customer-detail", args=[x.customer_id]) + "#tab-contacts",
            )
            for x in contacts
        ],
        "opportunity": [
            SearchHit(
                "opportunity",
                x.pk,
                x.title,
                x.customer.name,
                _name(x.owner),
                reverse("opportunity-detail", args=[x.pk]),
            )
            for x in opportunities
        ],
    }
    return results
