"""GET /api/v1/search: the top bar's search for API clients, scoped like the pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from salesflow.org.selectors import current_user
from salesflow.workflows import selectors

router = Router(tags=["search"])


class SearchHitOut(Schema):
    kind: str
    kind_label: str
    id: int
    name: str
    company: str
    owner: str | None
    url: str


class SearchOut(Schema):
    q: str
    leads: list[SearchHitOut]
    customers: list[SearchHitOut]
    contacts: list[SearchHitOut]
    opportunities: list[SearchHitOut]


class SearchQuery(Schema):
    q: str = Field(min_length=1, max_length=100, description="名称、公司、拼音首字母、电话或邮箱")
    limit: int = Field(default=5, ge=1, le=20, description="每类最多返回几条")


def _out(hit: selectors.SearchHit) -> SearchHitOut:
    return SearchHitOut(
        kind=hit.kind,
        kind_label=hit.kind_label,
        id=hit.id,
        name=hit.name,
        company=hit.company,
        owner=hit.owner or None,
        url=hit.url,
    )


@router.get("/search", response=SearchOut)
def search(request: HttpRequest, params: Query[SearchQuery]) -> SearchOut:
    """Leads, customers (pinyin and initials too), contacts and opportunities the caller may open."""
    results = selectors.search_everything(current_user(request), params.q, limit=params.limit)
    groups = {kind: [_out(h) for h in hits] for kind, hits in results.groups.items()}
    return SearchOut(
        q=results.q,
        leads=groups.get("lead", []),
        customers=groups.get("customer", []),
        contacts=groups.get("contact", []),
        opportunities=groups.get("opportunity", []),
    )
