"""The demo's agenda: last month discussed and mostly decided, this month partly open."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from salesflow.core.demo import build_context
from salesflow.reviews import selectors
from salesflow.reviews.demo import demo_reviews
from salesflow.reviews.tests.helpers import MEETING, Cast, customer, opportunity

pytestmark = pytest.mark.django_db


def test_the_demo_fills_last_month_and_this_month(people: Cast) -> None:
    for n in range(21):
        customer(people.trio.owner if n % 2 else people.trio.outsider, f"演示医院{n}")
        opportunity(people.trio.teammate, f"演示商机{n}")
    now = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
    ctx = build_context(seed=1, reps=3, months=1, now=now, password_hash="")
    demo_reviews(ctx)
    this_month = selectors.agenda_for(people.coo, meeting_code=MEETING, month=selectors.current_month(now))
    last_month = selectors.agenda_for(
        people.coo, meeting_code=MEETING, month=selectors.previous_month(selectors.current_month(now))
    )
    assert ctx.counts["agenda_items"] == len(this_month) + len(last_month) == 6
    assert all(r.discussed for r in last_month) and any(r.decided for r in last_month)
    assert all(r.entry.decision_owner is not None for r in last_month if r.decided and r.entry)
    assert any(not r.discussed for r in this_month) and any(r.decided for r in this_month)
    assert all(r.item.created_at < now for r in this_month + last_month)
