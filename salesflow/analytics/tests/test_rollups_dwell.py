"""The dwell and completeness roll-ups give the live dwell distribution and 资料完整率."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F

from salesflow.analytics import rollups, selectors
from salesflow.analytics.models import CompletenessSnapshot, DwellDay, RollupState
from salesflow.analytics.testing import NOVEMBER, at, deal, make_november
from salesflow.analytics.tests.test_rollups import _scopes, _with_reentries
from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.org.models import User
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import StageVisit
from salesflow.pipeline.selectors import DaysBetween

pytestmark = pytest.mark.django_db


def _with_lengths(trio: Trio) -> None:
    """Stays whose lengths sit on and around a rounding tie (6 h is exactly 0.25 day, which
    Python's round takes to 0.2), so percentiles of the rounded lengths are put to the test."""
    hours = [6, 6, 7, 30, 30, 54, 3, 1, 150, 6, 18, 42, 2]
    for i, h in enumerate(hours):
        start = at(11, 2 + i % 9, 9)
        deal(
            (trio.owner, trio.teammate, trio.outsider)[i % 3],
            f"D{i}",
            created=start,
            stays=[
                ("lead_registered", start, start + timedelta(hours=h)),
                ("first_contact", start + timedelta(hours=h), start + timedelta(hours=2 * h + 1)),
                ("needs_confirmed", start + timedelta(hours=2 * h + 1), None),
            ],
        )


def _dwell_and_quality(user: User, params: dict[str, str]) -> dict[str, Any]:
    """What the dwell distribution and the reps' 资料完整率 show."""
    c = selectors.cockpit(user, selectors.parse_filters(params, user=user))
    return {"dwell": c.dwell, "quality": {r.id: r.completeness for r in c.reps}}


def _all(trio: Trio) -> dict[int, dict[str, Any]]:
    return {i: _dwell_and_quality(user, params) for i, (user, params) in enumerate(_scopes(trio))}


def test_the_rollup_gives_the_live_dwell_distribution_and_completeness(trio: Trio) -> None:
    make_november(trio)
    _with_reentries(trio)
    _with_lengths(trio)
    live = _all(trio)
    assert rollups.state() is None
    rollups.rebuild()
    assert DwellDay.objects.exists() and CompletenessSnapshot.objects.exists()
    assert _all(trio) == live
    # The data is not trivial: a tie is rounded the way the live path rounds it, and the
    # company's November has several stages with distinct percentiles.
    november = live[0]["dwell"]
    assert november["lead_registered"].count >= 13
    assert november["lead_registered"].p25 == 0.2
    assert len({november["lead_registered"].p25, november["lead_registered"].p90}) == 2
    assert any(q is not None for q in live[0]["quality"].values())


def test_a_refresh_takes_in_stage_moves_and_hand_overs_for_dwell_and_completeness(trio: Trio) -> None:
    november = make_november(trio)
    _with_lengths(trio)
    rollups.rebuild(now=at(11, 20, 9))
    before = _all(trio)
    pipeline_services.opportunity_advance(
        opportunity=november.c,
        to_stage="first_contact",
        actor=trio.owner,
        reason="客户需求变化",
        now=at(11, 20),
    )
    pipeline_services.opportunities_hand_over(
        user=trio.teammate, to=trio.owner, actor=trio.manager, now=at(11, 20)
    )
    assert _all(trio) == before  # until the refresh
    rollups.refresh(now=at(11, 20, 10))
    refreshed = _all(trio)
    RollupState.objects.all().delete()  # read live again
    live = _all(trio)
    assert refreshed == live
    assert live != before


def test_refreshed_dwell_rows_equal_a_rebuild(trio: Trio) -> None:
    november = make_november(trio)
    _with_lengths(trio)
    rollups.rebuild(now=at(11, 20, 9))
    pipeline_services.opportunity_advance(
        opportunity=november.c,
        to_stage="lead_registered",
        actor=trio.owner,
        reason="重新登记",
        now=at(11, 21),
    )
    rollups.refresh(now=at(11, 21, 10))
    dwell = ("pipeline", "day", "stage", "owner_id", "tenths", "stays")
    quality = ("owner_id", "subject", "total", "complete")
    refreshed = sorted(DwellDay.objects.values_list(*dwell), key=repr)
    refreshed_quality = sorted(CompletenessSnapshot.objects.values_list(*quality), key=repr)
    rollups.rebuild(now=at(11, 21, 11))
    assert refreshed == sorted(DwellDay.objects.values_list(*dwell), key=repr)
    assert refreshed_quality == sorted(CompletenessSnapshot.objects.values_list(*quality), key=repr)
    assert refreshed and refreshed_quality


def test_a_product_line_filter_reads_the_dwell_live(trio: Trio) -> None:
    make_november(trio)
    _with_lengths(trio)
    params = {**NOVEMBER, "product_line": "joint"}
    live = _dwell_and_quality(trio.admin, params)
    assert live["dwell"]
    rollups.rebuild()
    DwellDay.objects.all().delete()  # would show nothing if it were read
    assert _dwell_and_quality(trio.admin, params) == live


def test_dwell_rows_hold_every_stay_rounded_as_the_page_rounds_it(trio: Trio) -> None:
    """Whatever groups the stays (the database on PostgreSQL), each lands in the tenth the live
    page shows for it — ties included (6 h is exactly 0.25 day)."""
    make_november(trio)
    _with_lengths(trio)
    rollups.rebuild()
    expected: dict[tuple[Any, ...], int] = defaultdict(int)
    stays = StageVisit.objects.filter(exited_at__isnull=False).annotate(
        days=DaysBetween(F("exited_at"), F("entered_at"))
    )
    for stay in stays.select_related("opportunity"):
        key = (
            stay.pipeline,
            clock.to_local(stay.exited_at).date(),  # type: ignore[arg-type]
            stay.stage,
            stay.opportunity.owner_id,
            round(round(float(stay.days), 1) * 10),
        )
        expected[key] += 1
    rows: dict[tuple[Any, ...], int] = defaultdict(int)
    for p, day, stage, owner, tenths, n in DwellDay.objects.values_list(
        "pipeline", "day", "stage", "owner_id", "tenths", "stays"
    ):
        rows[(p, day, stage, owner, tenths)] += n
    assert dict(rows) == dict(expected)
    assert any(tenths == 2 for *_rest, tenths in rows)  # a 6-hour stay, rounded half to even
