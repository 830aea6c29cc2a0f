"""The demo company has work orders of every type in every state, and unacknowledged ones whose
ladders fired once, twice and three times (those are on this month's process-review agenda)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.hashers import make_password

from salesflow.core import clock
from salesflow.core.demo import build_context, run_demo
from salesflow.rules.models import AgendaItem, RuleFiring
from salesflow.rules.selectors import active_pack
from salesflow.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_demo_orders_cover_every_type_state_and_ladder_step() -> None:
    counts = run_demo(build_context(seed=7, reps=12, months=1, now=NOW, password_hash=make_password("x")))
    assert counts["workorders"] >= 20
    _number, pack = active_pack()
    for wo_type in pack.workorder_types:
        states = set(WorkOrder.objects.filter(type_code=wo_type.code).values_list("state", flat=True))
        assert states == {s.code for s in wo_type.states}, wo_type.code
    assert WorkOrder.objects.filter(closed_at__isnull=False).count() >= len(pack.workorder_types)
    fired: dict[int, int] = {}
    for subject_id in RuleFiring.objects.filter(
        subject_type="workorders.workorder", trigger__startswith="timer:"
    ).values_list("subject_id", flat=True):
        fired[subject_id] = fired.get(subject_id, 0) + 1
    assert {1, 2, 3} <= set(fired.values())
    items = AgendaItem.objects.filter(meeting="monthly_process_review", subject_type="workorders.workorder")
    assert items.count() >= 2
    month = clock.to_local(NOW).strftime("%Y-%m")
    assert all(clock.to_local(i.created_at).strftime("%Y-%m") == month for i in items)
