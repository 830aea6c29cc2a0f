"""The 客户 page: keyset pages with the total, a sort whitelist, manager filters, scope, query count."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client

from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.core.pagination import SortKey, choose_sort, light_and_due, sorted_page
from salesflow.core.testing import Trio
from salesflow.customers import selectors
from salesflow.customers.models import Contact, Customer
from salesflow.org.models import User

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _customer(name: str, owner: User | None, *, health: int | None = None, phone: str = "") -> Customer:
    now = clock.now()
    customer = Customer.objects.create(
        name=name,
        name_key=name,
        owner=owner,
        created_at=now,
        claimed_at=now if owner else None,
        health_score=health or 0,
        health_factors=[{"factor": "purchase_frequency", "points": health}] if health is not None else [],
    )
    if phone:
        Contact.objects.create(customer=customer, name=f"{name}联系人", phone=phone, created_at=now)
    return customer


def _rows(html: str) -> list[str]:
    """The customer names of the desktop table, in order."""
    table = html.split('data-testid="customer-table"')[1].split("</table>")[0]
    return [unescape(n) for n in re.findall(r'class="fw-bold sf-name">([^<]+)</a>', table)]


def _next(html: str) -> str | None:
    found = re.search(r'href="\?([^"]+)" data-testid="page-next"', html)
    return unescape(found.group(1)) if found else None


def _walk(client: Client, query: str) -> tuple[list[str], list[str]]:
    """Every page of the list from `query` on: the names in order and each page's HTML."""
    names: list[str] = []
    pages: list[str] = []
    next_query: str | None = query
    while next_query is not None and len(pages) < 50:
        html = client.get(f"/customers/?{next_query}").content.decode()
        pages.append(html)
        names += _rows(html)
        next_query = _next(html)
    return names, pages


def test_the_list_shows_the_total_and_pages_through_every_customer_exactly_once(trio: Trio) -> None:
    # Duplicate names: the keyset's id tiebreaker keeps them apart across page boundaries.
    for i in range(7):
        _customer(f"客户{i % 3}", trio.owner, health=(i * 13) % 100)
    names, pages = _walk(_client(trio.owner), "limit=3")
    assert len(pages) == 3
    assert sorted(names) == sorted(f"客户{i % 3}" for i in range(7))
    assert "共 7 位客户" in pages[0] and "第 1–3 条，共 7 条" in pages[0]
    assert "第 7–7 条，共 7 条" in pages[2] and 'data-testid="page-next"' not in pages[2]
    assert 'data-testid="page-first"' in pages[1]
    for sort in ("name", "-name", "health", "-health", "owner", "due", "interaction", "-light"):
        every, _pages = _walk(_client(trio.owner), f"limit=2&sort={sort}")
        assert sorted(every) == sorted(names), sort


def test_more_than_a_hundred_customers_are_all_reachable(trio: Trio) -> None:
    Customer.objects.bulk_create(
        Customer(name=f"医院{i:03d}", name_key=f"医院{i:03d}", owner=trio.owner, created_at=clock.now())
        for i in range(205)
    )
    names, pages = _walk(_client(trio.owner), "sort=name")
    assert "共 205 位客户" in pages[0]
    assert names == [f"医院{i:03d}" for i in range(205)]
    assert "第 201–205 条，共 205 条" in pages[-1]


def test_red_first_by_default_and_an_unknown_sort_key_falls_back_to_it(trio: Trio) -> None:
    _customer("绿灯医院", trio.owner, health=90)
    _customer("灰医院", trio.owner)
    _customer("红灯医院", trio.owner, health=10)
    _customer("黄灯医院", trio.owner, health=50)
    client = _client(trio.owner)
    expected = ["红灯医院", "黄灯医院", "绿灯医院", "灰医院"]
    assert _rows(client.get("/customers/").content.decode()) == expected
    for bad in ("password", "-owner__password", "light;drop", "--name"):
        response = client.get("/customers/", {"sort": bad})
        assert response.status_code == 200
        assert _rows(response.content.decode()) == expected, bad
    assert _rows(client.get("/customers/?sort=-light").content.decode()) == expected[::-1]
    assert _rows(client.get("/customers/?sort=name").content.decode()) == sorted(expected)


def test_a_stale_or_forged_cursor_shows_the_first_page(trio: Trio) -> None:
    _customer("某医院", trio.owner)
    for cursor in ("garbage", "W3siZCI6IngifV0", "bnVsbA"):
        response = _client(trio.owner).get("/customers/", {"cursor": cursor})
        assert response.status_code == 200 and _rows(response.content.decode()) == ["某医院"]


def test_cursor_values_round_trip_and_a_bad_one_is_a_field_error(trio: Trio) -> None:
    for i in range(3):
        _customer(f"客户{i}", trio.owner, health=50)
    key = SortKey("x", (("created_at", True), ("health_score", False)))
    qs = Customer.objects.all()
    first = sorted_page(qs, key=key, cursor=None, limit=2)
    assert first.total == 3 and first.first == 1 and first.next
    second = sorted_page(qs, key=key, cursor=first.next, limit=2)
    assert second.first == 3 and second.next is None
    assert {c.pk for c in first.rows + second.rows} == set(qs.values_list("pk", flat=True))
    with pytest.raises(FieldErrors) as refused:
        sorted_page(qs, key=key, cursor="e30", limit=2)
    assert "cursor" in refused.value.errors
    keys = {"a": SortKey("a", (("id", False),)), "b": SortKey("b", (("id", True),))}
    assert choose_sort("-b", keys, "a") == (keys["b"], True, "-b")
    assert choose_sort("nope", keys, "a") == (keys["a"], False, "a")


def _scene(trio: Trio) -> None:
    _customer("负责人的医院", trio.owner, health=10)
    _customer("同事的医院", trio.teammate, health=90)
    _customer("外队的医院", trio.outsider, health=10)
    _customer("池中医院", None)


def test_each_rep_sees_their_own_scope_and_no_owner_or_team_filter(trio: Trio) -> None:
    _scene(trio)
    owner = _client(trio.owner).get("/customers/").content.decode()
    assert set(_rows(owner)) == {"负责人的医院", "池中医院"} and "共 2 位客户" in owner
    assert 'data-testid="filter-owner"' not in owner and 'data-testid="filter-team"' not in owner
    assert 'data-testid="filter-light"' in owner
    assert set(_rows(_client(trio.teammate).get("/customers/").content.decode())) == {
        "同事的医院",
        "池中医院",
    }
    outsider = _client(trio.outsider).get(f"/customers/?owner={trio.owner.pk}").content.decode()
    assert _rows(outsider) == [] and "负责人的医院" not in outsider


def test_a_manager_narrows_by_owner_team_and_light_within_their_scope(trio: Trio) -> None:
    _scene(trio)
    manager = _client(trio.manager)
    everything = manager.get("/customers/").content.decode()
    assert set(_rows(everything)) == {"负责人的医院", "同事的医院", "池中医院"}
    assert 'data-testid="filter-owner"' in everything and 'data-testid="filter-team"' in everything
    assert _rows(manager.get(f"/customers/?owner={trio.teammate.pk}").content.decode()) == ["同事的医院"]
    assert _rows(manager.get(f"/customers/?owner={trio.outsider.pk}").content.decode()) == []
    narrowed = manager.get(f"/customers/?team={trio.team.pk}").content.decode()
    assert set(_rows(narrowed)) == {"负责人的医院", "同事的医院"}
    assert f'<option value="{trio.team.pk}" selected>' in narrowed  # the sheet shows the chosen team
    assert _rows(manager.get("/customers/?light=red").content.decode()) == ["负责人的医院"]
    assert _rows(manager.get("/customers/?light=grey").content.decode()) == ["池中医院"]
    # The director sees both teams and narrows to the other one.
    director = _client(trio.director)
    assert _rows(director.get(f"/customers/?team={trio.other_team.pk}").content.decode()) == ["外队的医院"]
    assert set(_rows(director.get("/customers/?light=red").content.decode())) == {
        "负责人的医院",
        "外队的医院",
    }
    # A team that does not exist is ignored rather than failing the page.
    assert manager.get("/customers/?team=999999").status_code == 200


def test_phone_cards_carry_the_light_a_call_link_and_the_follow_up_link(trio: Trio) -> None:
    customer = _customer("有电话的医院", trio.owner, health=10, phone="138-1234 5678")
    html = _client(trio.owner).get("/customers/").content.decode()
    cards = html.split('data-testid="customer-cards"')[1]
    assert 'href="tel:13812345678"' in cards
    assert f'href="/customers/{customer.pk}/#log-activity" data-testid="follow-up"' in cards
    assert 'data-light="red"' in cards and 'data-testid="filter-button"' in html


def test_export_link_carries_the_current_filters(trio: Trio) -> None:
    _scene(trio)
    html = _client(trio.manager).get(f"/customers/?q=医院&light=red&team={trio.team.pk}&sort=name").content
    link = re.search(r'href="(/customers/export\.xlsx\?[^"]*)"', html.decode())
    assert link is not None
    query = unescape(link.group(1))
    assert "light=red" in query and f"team={trio.team.pk}" in query and "sort=" not in query


def _pinned(client: Client, django_assert_max_num_queries: Any, limit: int) -> str:
    # Session, user, two reporting levels (scope), the pool badge, the total, the page, the
    # contacts' phones, the filter choices (people, teams), the bell, the approvals count: the
    # same for 5 or 40 rows.
    with django_assert_max_num_queries(14):
        response = client.get(f"/customers/?limit={limit}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_costs_the_same_queries_for_five_rows_or_forty(
    trio: Trio, django_assert_max_num_queries: Any
) -> None:
    for i in range(40):
        _customer(f"医院{i}", trio.owner if i % 2 else trio.teammate, health=i * 2, phone=f"1380000{i:04d}")
    manager = _client(trio.manager)
    assert len(_rows(_pinned(manager, django_assert_max_num_queries, 5))) == 5
    assert len(_rows(_pinned(manager, django_assert_max_num_queries, 40))) == 40


def test_the_sorting_light_is_the_health_light_the_customer_page_shows(trio: Trio) -> None:
    for score in range(0, 101, 5):
        _customer(f"健康度{score}", trio.owner, health=score)
    _customer("未计算", trio.owner)
    for c in selectors.with_list_keys(Customer.objects.all()):
        expected = selectors.health_light(c.health_score) if c.health_factors else "grey"
        assert light_and_due(c, clock.now())["light"] == expected, c.name
