"""The 商机 list: the SQL light agrees with `light()`, totals in 万元, sorting, filters, scope, queries."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.test import Client

from salesflow.core import clock
from salesflow.core.pagination import light_and_due
from salesflow.core.testing import Trio
from salesflow.customers.models import Contact, Customer
from salesflow.org.models import User
from salesflow.pipeline import selectors
from salesflow.pipeline.models import Opportunity
from salesflow.rules.selectors import active_pack
from salesflow.timers.models import Deadline

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(html: str) -> list[str]:
    table = html.split('data-testid="opportunity-table"')[1].split("</table>")[0]
    return [unescape(n) for n in re.findall(r'class="fw-bold sf-name">([^<]+)</a>', table)]


def _opportunity(title: str, owner: User | None, *, amount: str = "1000", **fields: Any) -> Opportunity:
    now = clock.now()
    customer = Customer.objects.create(
        name=f"{title}医院", name_key=f"{title}医院", owner=owner, created_at=now
    )
    values: dict[str, Any] = {"stage": "first_contact", "stage_entered_at": now, "last_update_at": now}
    return Opportunity.objects.create(
        customer=customer,
        title=title,
        amount=Decimal(amount),
        pipeline="standard",
        owner=owner,
        created_at=now,
        **{**values, **fields},
    )


def _timer(o: Opportunity, *, status: str, created_at: Any, policy: str, due_at: Any = None) -> None:
    Deadline.objects.create(
        subject_type="pipeline.opportunity",
        subject_id=o.pk,
        policy=policy,
        step=0,
        due_at=due_at or clock.now(),
        status=status,
        created_at=created_at,
    )


def test_the_sorting_light_agrees_with_the_light_of_the_board_and_the_page(trio: Trio) -> None:
    now = clock.now()
    breaker = (active_pack()[1].policy_codes_for("stage_breaker") or ["stage_breaker"])[0]
    long_ago, recently = now - timedelta(days=30), now - timedelta(hours=1)
    combos = itertools.product(
        ("open", "won"),
        (long_ago, recently),  # entered the stage
        (None, long_ago, recently),  # last update
        ("none", "pending", "fired", "fired_breaker", "fired_before", "fired_before_rerun"),
    )
    for i, (status, entered, updated, timer) in enumerate(combos):
        o = _opportunity(
            f"商机{i}", trio.owner, status=status, stage_entered_at=entered, last_update_at=updated
        )
        policy = breaker if timer == "fired_breaker" else "opportunity_stall"
        if timer in ("fired", "fired_breaker"):
            _timer(o, status="fired", created_at=entered, policy=policy)
        elif timer == "pending":
            _timer(o, status="pending", created_at=entered, policy=policy, due_at=now + timedelta(hours=i))
        elif timer.startswith("fired_before"):
            _timer(o, status="fired", created_at=entered - timedelta(days=1), policy=policy)
            if timer == "fired_before_rerun":
                _timer(o, status="pending", created_at=entered, policy=policy, due_at=now + timedelta(days=1))
    rows = list(selectors.with_list_keys(Opportunity.objects.all(), now=now))
    deadlines = {
        o.pk: list(Deadline.objects.filter(subject_id=o.pk, subject_type="pipeline.opportunity"))
        for o in rows
    }
    seen = set()
    for o in rows:
        expected = selectors.light(o, deadlines[o.pk], now=now)
        assert light_and_due(o, now)["light"] == expected, (o.title, o.status, deadlines[o.pk])
        seen.add(expected)
    assert seen == {"red", "yellow", "green", "grey"}


def test_the_list_shows_total_sum_in_wan_and_exact_amounts_and_sorts_by_amount(trio: Trio) -> None:
    _opportunity("小单", trio.owner, amount="9800")
    _opportunity("大单", trio.owner, amount="480000")
    _opportunity("中单", trio.owner, amount="86500", last_update_at=clock.now() - timedelta(days=30))
    contact = Contact.objects.create(
        customer=Customer.objects.get(name="大单医院"),
        name="王主任",
        phone="13700001111",
        created_at=clock.now(),
    )
    html = _client(trio.owner).get("/opportunities/list/").content.decode()
    assert "共 3 个商机" in html and "¥57.6 万" in html  # 576,300 yuan
    assert "¥480,000.00" in html and "¥48 万" in html.split('data-testid="opportunity-cards"')[1]
    assert _rows(html)[0] == "中单"  # red first: no update for 30 days
    assert f'href="tel:{contact.phone}"' in html
    by_amount = _client(trio.owner).get("/opportunities/list/?sort=amount").content.decode()
    assert _rows(by_amount) == ["大单", "中单", "小单"]
    assert _rows(_client(trio.owner).get("/opportunities/list/?sort=-amount").content.decode()) == [
        "小单",
        "中单",
        "大单",
    ]
    assert _rows(_client(trio.owner).get("/opportunities/list/?sort=drop").content.decode())[0] == "中单"


def test_closed_deals_show_with_the_all_status_and_the_default_is_open(trio: Trio) -> None:
    _opportunity("进行中", trio.owner)
    _opportunity("已赢单", trio.owner, status="won")
    client = _client(trio.owner)
    assert _rows(client.get("/opportunities/list/").content.decode()) == ["进行中"]
    assert _rows(client.get("/opportunities/list/?status=all").content.decode()) == ["进行中", "已赢单"]
    assert _rows(client.get("/opportunities/list/?status=won").content.decode()) == ["已赢单"]


def test_scope_and_manager_filters(trio: Trio) -> None:
    _opportunity("负责人商机", trio.owner, last_update_at=clock.now() - timedelta(days=30))
    _opportunity("同事商机", trio.teammate)
    _opportunity("外队商机", trio.outsider)
    assert _rows(_client(trio.owner).get("/opportunities/list/").content.decode()) == ["负责人商机"]
    outsider = _client(trio.outsider).get(f"/opportunities/list/?owner={trio.owner.pk}").content.decode()
    assert _rows(outsider) == [] and 'data-testid="filter-owner"' not in outsider
    manager = _client(trio.manager)
    assert set(_rows(manager.get("/opportunities/list/").content.decode())) == {"负责人商机", "同事商机"}
    assert _rows(manager.get(f"/opportunities/list/?owner={trio.teammate.pk}").content.decode()) == [
        "同事商机"
    ]
    assert _rows(manager.get("/opportunities/list/?light=red").content.decode()) == ["负责人商机"]
    director = _client(trio.director)
    assert _rows(director.get(f"/opportunities/list/?team={trio.other_team.pk}").content.decode()) == [
        "外队商机"
    ]
    assert director.get("/opportunities/list/?team=99999").status_code == 200


def test_the_board_links_to_the_list_and_shows_column_totals_in_wan(trio: Trio) -> None:
    _opportunity("大单", trio.owner, amount="480000")
    html = _client(trio.owner).get("/opportunities/?pipeline=standard").content.decode()
    assert 'href="/opportunities/list/?pipeline=standard"' in html
    assert re.search(r'data-testid="column-sum">¥48 万<', html)


def test_the_list_costs_the_same_queries_for_five_rows_or_forty(
    trio: Trio, django_assert_max_num_queries: Any
) -> None:
    now = clock.now()
    for i in range(40):
        o = _opportunity(f"商机{i}", trio.owner if i % 2 else trio.teammate)
        _timer(
            o, status="pending", created_at=now, policy="opportunity_stall", due_at=now + timedelta(hours=i)
        )
        Contact.objects.create(customer=o.customer, name="联系人", phone=f"1370000{i:04d}", created_at=now)
    manager = _client(trio.manager)
    for limit in (5, 40):
        # Session, user, scope, the total, the sum, the page, phones, filter choices, the bell,
        # the approvals count.
        with django_assert_max_num_queries(14):
            html = manager.get(f"/opportunities/list/?limit={limit}").content.decode()
        assert len(_rows(html)) == limit
