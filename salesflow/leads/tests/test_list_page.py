"""The 线索 page: the SQL light agrees with `light()`, red first, pages with the total, filters, scope."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.test import Client

from salesflow.core import clock
from salesflow.core.pagination import light_and_due
from salesflow.core.testing import Trio
from salesflow.leads import selectors, services
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.rules.selectors import active_pack
from salesflow.timers.models import Deadline

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(html: str) -> list[str]:
    table = html.split('data-testid="lead-table"')[1].split("</table>")[0]
    return [unescape(n) for n in re.findall(r'class="fw-bold sf-name">([^<]+)</a>', table)]


def _lead(name: str, owner: User | None, **fields: Any) -> Lead:
    now = clock.now()
    defaults: dict[str, Any] = {
        "status": "assigned" if owner else "pooled",
        "assigned_at": now if owner else None,
        "created_at": now,
    }
    return Lead.objects.create(name=name, owner=owner, **{**defaults, **fields})


def _timer(
    lead: Lead, *, status: str, created_at: Any, due_at: Any, policy: str = "lead_first_contact"
) -> None:
    Deadline.objects.create(
        subject_type="leads.lead",
        subject_id=lead.pk,
        policy=policy,
        step=0,
        due_at=due_at,
        status=status,
        created_at=created_at,
    )
    # Written here without the timers, so the list keys are brought up to date as the timers do.
    services.refresh_timer_keys(lead_ids=[lead.pk])


def test_the_sorting_light_agrees_with_the_light_every_lead_page_shows(trio: Trio) -> None:
    now = clock.now()
    nudge = (active_pack()[1].policy_codes_for("lead_unread") or ["lead_unread"])[0]
    long_ago, recently = now - timedelta(days=5), now - timedelta(hours=1)
    timers = ("none", "pending", "fired", "fired_nudge", "fired_before", "failed")
    combos = itertools.product(
        ("assigned", "acknowledged", "contacted", "converted"),
        (long_ago, recently, None),
        (None, recently),  # last activity
        (None, recently),  # first contact
        (None, recently),  # acknowledged
        timers,
    )
    for i, (status, assigned, last, first, ack, timer) in enumerate(combos):
        lead = _lead(
            f"线索{i}",
            trio.owner,
            status=status,
            assigned_at=assigned,
            last_activity_at=last,
            first_contact_at=first,
            acknowledged_at=ack,
        )
        started = (assigned or long_ago) - timedelta(days=1) if timer == "fired_before" else assigned or now
        if timer != "none":
            _timer(
                lead,
                status={"pending": "pending", "failed": "failed"}.get(timer, "fired"),
                created_at=started,
                due_at=now + timedelta(minutes=i),
                policy=nudge if timer == "fired_nudge" else "lead_first_contact",
            )
    _lead("池中线索", None)
    leads = list(selectors.with_list_keys(Lead.objects.all(), now=now))
    timers_by_lead = selectors.timers_of(leads)
    seen = set()
    for lead in leads:
        expected = selectors.light(lead, timers_by_lead[lead.pk], now=now)
        shown = light_and_due(lead, now)
        assert shown["light"] == expected, (lead.name, lead.status, lead.assigned_at, timers_by_lead[lead.pk])
        pending = [d.due_at for d in timers_by_lead[lead.pk] if d.status == "pending"]
        assert shown["due"] == (min(pending) if pending else None)
        seen.add(expected)
    assert seen == {"red", "yellow", "green", "grey"}


def test_red_first_then_the_nearest_countdown_and_a_bad_sort_is_the_default(trio: Trio) -> None:
    now = clock.now()
    green = _lead("绿灯线索", trio.owner, acknowledged_at=now, first_contact_at=now, last_activity_at=now)
    soon = _lead("快到期线索", trio.owner, acknowledged_at=now, assigned_at=now)
    _timer(soon, status="pending", created_at=now, due_at=now + timedelta(minutes=5))
    later = _lead("晚到期线索", trio.owner, acknowledged_at=now, assigned_at=now)
    _timer(later, status="pending", created_at=now, due_at=now + timedelta(hours=5))
    _lead("红灯线索", trio.owner, assigned_at=now - timedelta(days=3))
    expected = ["红灯线索", "快到期线索", "晚到期线索", "绿灯线索"]
    client = _client(trio.owner)
    assert _rows(client.get("/leads/").content.decode()) == expected
    assert _rows(client.get("/leads/?sort=owner__password").content.decode()) == expected
    assert _rows(client.get("/leads/?sort=-light").content.decode()) == expected[::-1]
    assert green.pk


def test_pages_carry_the_total_and_reach_the_last_lead(trio: Trio) -> None:
    for i in range(5):
        _lead(f"线索{i}", trio.owner, phone=f"1390000{i:04d}")
    client = _client(trio.owner)
    first = client.get("/leads/?limit=2&sort=name").content.decode()
    assert "共 5 条线索" in first and _rows(first) == ["线索0", "线索1"]
    names, html = [], first
    while True:
        names += _rows(html)
        found = re.search(r'href="\?([^"]+)" data-testid="page-next"', html)
        if not found:
            break
        html = client.get(f"/leads/?{unescape(found.group(1))}").content.decode()
    assert names == [f"线索{i}" for i in range(5)] and "第 5–5 条，共 5 条" in html
    cards = first.split('data-testid="lead-cards"')[1]
    assert 'href="tel:13900000000"' in cards and "#log-activity" in cards


def test_scope_and_manager_filters(trio: Trio) -> None:
    now = clock.now()
    _lead("负责人线索", trio.owner, assigned_at=now - timedelta(days=3))
    _lead("同事线索", trio.teammate, acknowledged_at=now, first_contact_at=now, last_activity_at=now)
    _lead("外队线索", trio.outsider)
    assert _rows(_client(trio.owner).get("/leads/").content.decode()) == ["负责人线索"]
    assert _rows(_client(trio.outsider).get(f"/leads/?owner={trio.owner.pk}").content.decode()) == []
    rep = _client(trio.teammate).get("/leads/").content.decode()
    assert _rows(rep) == ["同事线索"] and 'data-testid="filter-owner"' not in rep
    manager = _client(trio.manager)
    assert set(_rows(manager.get("/leads/").content.decode())) == {"负责人线索", "同事线索"}
    assert _rows(manager.get(f"/leads/?owner={trio.teammate.pk}").content.decode()) == ["同事线索"]
    assert _rows(manager.get("/leads/?light=red").content.decode()) == ["负责人线索"]
    assert _rows(manager.get("/leads/?light=green").content.decode()) == ["同事线索"]
    director = _client(trio.director)
    assert _rows(director.get(f"/leads/?team={trio.other_team.pk}").content.decode()) == ["外队线索"]
    assert director.get("/leads/?team=424242&light=purple&cursor=x").status_code == 200


def test_the_page_costs_the_same_queries_for_five_rows_or_forty(
    trio: Trio, django_assert_max_num_queries: Any
) -> None:
    now = clock.now()
    for i in range(40):
        lead = _lead(f"线索{i}", trio.owner if i % 2 else trio.teammate, assigned_at=now)
        _timer(lead, status="pending" if i % 3 else "fired", created_at=now, due_at=now + timedelta(hours=i))
    manager = _client(trio.manager)
    for limit in (5, 40):
        # Session, user, scope (two levels), the total, the page, filter choices (scope again,
        # people, teams), the pool badge, the bell; the rule pack when its cache is re-read.
        with django_assert_max_num_queries(13):
            html = manager.get(f"/leads/?limit={limit}").content.decode()
        assert len(_rows(html)) == limit
