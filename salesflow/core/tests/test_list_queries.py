"""Round trips of the list pages and list endpoints (issue #15): pinned, and the same for 5 rows as
for 50, so a label read per row (an N+1) or a new statement shows up here rather than in the
list-pages benchmark at a million leads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext

from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customers
from salesflow.leads import services as leads
from salesflow.org.models import User
from salesflow.pipeline import services as pipeline
from salesflow.timers.models import Deadline

pytestmark = pytest.mark.django_db

ROWS = 55

# Statements per request (owner, manager), whatever the page size, session and user included.
# A page reads its rows, its total, the pool's size, the filter choices and the rows' labels in
# batches; an endpoint one page and one batch per kind of label. A manager's scope costs one
# query per reporting level (who reports to them).
PINS = {
    "/leads/": (7, 13),
    "/leads/pool/": (5, 5),
    "/customers/": (8, 14),
    "/customers/?pool=1": (8, 14),
    "/opportunities/list/": (8, 14),
    "/opportunities/": (9, 11),
    "/api/v1/leads": (3, 5),
    "/api/v1/customers": (2, 4),
    "/api/v1/opportunities": (6, 8),
}
VIEWERS = {"owner": 0, "manager": 1}


def _page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _clone(record: Model, times: int) -> None:
    """`times` copies of `record` and of its timers (bulk-written: the services made the first)."""
    model = type(record)
    copies = []
    for _ in range(times):
        copy = model._default_manager.get(pk=record.pk)
        copy.pk = None
        copies.append(copy)
    made = model._default_manager.bulk_create(copies)
    timers = list(Deadline.objects.filter(subject_type=model._meta.label_lower, subject_id=record.pk))
    clones = []
    for row in made:
        for timer in timers:
            clone = Deadline.objects.get(pk=timer.pk)
            clone.pk, clone.subject_id = None, row.pk
            clones.append(clone)
    Deadline.objects.bulk_create(clones)


@pytest.fixture
def crowded(trio: Trio) -> Trio:
    """ROWS leads (owned, with their timers, and pooled), customers (owned and in the pool) and
    open opportunities (with their stage timers) for the owner: one of each through the services,
    the rest copies of it."""
    owned = leads.lead_create(
        name="线索", phone="13900000001", company="第一医院", owner=trio.owner, actor=None
    )
    pooled = leads.lead_create(name="池", phone="13800000001", company="池医院", actor=None)
    customer = customers.customer_create(name="第一人民医院", owner=trio.owner, actor=None)
    in_pool = customers.customer_create(name="公海医院", actor=None)
    deal = pipeline.opportunity_create(customer=customer, title="项目", owner=trio.owner, actor=trio.owner)
    for record in (owned, pooled, customer, in_pool, deal):
        _clone(record, ROWS - 1)
    return trio


def _count(get: Callable[[str], object], path: str, limit: int) -> int:
    url = f"{path}{'&' if '?' in path else '?'}limit={limit}"
    with CaptureQueriesContext(connection) as ctx:
        response = get(url)
    assert getattr(response, "status_code", None) == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", [p for p in PINS if not p.startswith("/api/")])
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_a_list_page_costs_the_same_statements_for_5_rows_as_for_50(
    crowded: Trio, path: str, viewer: str
) -> None:
    client = _page_client(getattr(crowded, viewer))
    client.get(path)  # caches warm (the pack, the session)
    few, many = _count(client.get, path, 5), _count(client.get, path, 50)
    assert few == many, f"{path}: {few} statements for 5 rows, {many} for 50"
    pinned = PINS[path][VIEWERS[viewer]]
    assert many <= pinned, f"{path}: {many} statements for the {viewer} (pinned at {pinned})"


@pytest.mark.parametrize("path", [p for p in PINS if p.startswith("/api/")])
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_a_list_endpoint_costs_the_same_statements_for_5_rows_as_for_50(
    crowded: Trio, path: str, viewer: str
) -> None:
    client = api_client_for(getattr(crowded, viewer))
    client.get(path)
    few, many = _count(client.get, path, 5), _count(client.get, path, 50)
    assert few == many, f"{path}: {few} statements for 5 rows, {many} for 50"
    pinned = PINS[path][VIEWERS[viewer]]
    assert many <= pinned, f"{path}: {many} statements for the {viewer} (pinned at {pinned})"


def test_a_list_past_the_cap_says_more_than_and_keeps_counting_positions(
    crowded: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salesflow.core import pagination

    client = _page_client(crowded.owner)
    page = client.get("/leads/?limit=20").content.decode()
    assert "共 55 条线索" in page and "第 1–20 条，共 55 条" in page
    monkeypatch.setattr(pagination, "COUNT_CAP", 30)
    page = client.get("/leads/?limit=20").content.decode()
    assert "超过 30 条线索" in page and "第 1–20 条，共超过 30 条" in page
    response = client.get("/leads/?limit=20")
    cursor = response.context["page"].next
    second = client.get(f"/leads/?limit=20&cursor={cursor}").content.decode()
    assert "第 21–40 条，共超过 30 条" in second
    customers_page = client.get("/customers/?pool=1&limit=20").content.decode()
    assert "客户池超过 30 位客户" in customers_page
    assert "超过 30 个商机" in client.get("/opportunities/list/?limit=20").content.decode()


@pytest.mark.parametrize("descending", [False, True])
def test_the_light_order_reads_open_leads_first_and_pages_as_one_sorted_list(
    crowded: Trio, descending: bool
) -> None:
    from salesflow.core import clock
    from salesflow.core.pagination import sorted_page
    from salesflow.leads import selectors
    from salesflow.leads.models import Lead

    ids = list(Lead.objects.filter(owner=crowded.owner).order_by("id").values_list("id", flat=True))
    Lead.objects.filter(id__in=ids[::3]).update(status="converted")
    Lead.objects.filter(id__in=ids[1::5]).update(status="disqualified")
    now = clock.now()
    qs = selectors.with_list_keys(
        selectors.leads_list(user=crowded.owner, filters=selectors.LeadFilters(owned=True), now=now), now=now
    )
    key = selectors.LIST_SORTS["light"]
    sign = "-" if descending else ""
    expected = [lead.pk for lead in qs.order_by(f"{sign}light_rank", f"{sign}due_key", f"{sign}id")]
    seen: list[int] = []
    cursor = None
    while True:
        page = sorted_page(qs, key=key, descending=descending, cursor=cursor, limit=7)
        assert page.first == len(seen) + 1
        seen += [lead.pk for lead in page.rows]
        cursor = page.next
        if cursor is None:
            break
    assert seen == expected and len(seen) == ROWS
