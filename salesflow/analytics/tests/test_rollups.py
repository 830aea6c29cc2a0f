"""The daily roll-up gives the live numbers, is kept current from the events, and says how fresh it is."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from salesflow.activities import services as activity_services
from salesflow.analytics import attribution, health, rollups, selectors
from salesflow.analytics import heatmap as hm
from salesflow.analytics.models import (
    ActionDay,
    CompletenessSnapshot,
    CustomerPeople,
    DwellDay,
    RollupState,
    StageEntryDay,
    StageEntryMonth,
)
from salesflow.analytics.testing import NOVEMBER, November, at, deal, make_november
from salesflow.analytics.tests import test_process as process
from salesflow.core.testing import Trio, api_client_for
from salesflow.org.models import User
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import Evidence

pytestmark = pytest.mark.django_db

PERIODS = [
    NOVEMBER,
    {**NOVEMBER, "start": "2026-11-03"},
    {**NOVEMBER, "start": "2026-10-25", "end": "2026-11-10"},
    {**NOVEMBER, "start": "2026-10-01", "end": "2026-12-31"},
    {**NOVEMBER, "start": "2026-11-05", "end": "2026-11-05"},
]


def _with_reentries(trio: Trio) -> None:
    """Deals sent back to an earlier stage: the same stage entered twice in a period, and once
    before and once inside it — where counting stays instead of deals would go wrong."""
    deal(
        trio.owner,
        "K",
        created=at(11, 1),
        stays=[
            ("lead_registered", at(11, 1), at(11, 2)),
            ("first_contact", at(11, 2), at(11, 5)),
            ("lead_registered", at(11, 5), at(11, 9)),
            ("first_contact", at(11, 9), at(11, 15)),
            ("needs_confirmed", at(11, 15), None),
        ],
    )
    deal(
        trio.teammate,
        "L",
        created=at(10, 30),
        stays=[
            ("lead_registered", at(10, 30), at(11, 1)),
            ("first_contact", at(11, 1), at(11, 3)),
            ("lead_registered", at(11, 3), None),
        ],
    )
    # Two entries into one stage at the same instant count once.
    deal(
        trio.outsider,
        "M",
        created=at(11, 6),
        stays=[("lead_registered", at(11, 6), at(11, 6)), ("lead_registered", at(11, 6), None)],
    )


def _numbers(user: User, params: dict[str, str]) -> dict[str, Any]:
    """What the funnel and conversion show: totals, per rep and per team."""
    c = selectors.cockpit(user, selectors.parse_filters(params, user=user))
    return {
        "total": (dict(c.total.entered), dict(c.total.advanced)),
        "reps": {r.id: (dict(r.numbers.entered), dict(r.numbers.advanced)) for r in c.reps},
        "teams": {r.id: (dict(r.numbers.entered), dict(r.numbers.advanced)) for r in c.teams},
    }


def _scopes(trio: Trio) -> list[tuple[User, dict[str, str]]]:
    out = []
    for user in (trio.admin, trio.director, trio.manager, trio.owner, trio.outsider):
        for period in PERIODS:
            out.append((user, period))
    out.append((trio.admin, {**NOVEMBER, "team": str(trio.team.pk)}))
    out.append((trio.manager, {**NOVEMBER, "owner": str(trio.teammate.pk)}))
    return out


def test_the_rollup_gives_the_live_funnel_and_conversion_for_every_scope_and_period(trio: Trio) -> None:
    make_november(trio)
    _with_reentries(trio)
    live = {i: _numbers(user, params) for i, (user, params) in enumerate(_scopes(trio))}
    assert rollups.state() is None
    result = rollups.rebuild()
    made = sum(
        m.objects.count() for m in (StageEntryDay, ActionDay, DwellDay, CompletenessSnapshot, CustomerPeople)
    )
    assert result.rows == made and StageEntryDay.objects.count() > 0
    for i, (user, params) in enumerate(_scopes(trio)):
        assert _numbers(user, params) == live[i], (user.username, params)
    # The rolled-up cockpit says so; the live one does not.
    filters = selectors.parse_filters(NOVEMBER, user=trio.admin)
    assert selectors.cockpit(trio.admin, filters).freshness is not None


def test_the_hand_computed_november_numbers_hold_on_the_rollup(trio: Trio) -> None:
    make_november(trio)
    rollups.rebuild()
    t = selectors.cockpit(trio.admin, selectors.parse_filters(NOVEMBER, user=trio.admin)).total
    assert dict(t.entered) == {
        "lead_registered": 6,
        "first_contact": 5,
        "needs_confirmed": 2,
        "proposal_quote": 1,
    }
    assert dict(t.advanced) == {
        "lead_registered": 5,
        "first_contact": 1,
        "needs_confirmed": 1,
        "proposal_quote": 0,
    }


def test_a_product_line_filter_reads_live(trio: Trio) -> None:
    make_november(trio)
    rollups.rebuild()
    params = {**NOVEMBER, "product_line": "joint"}
    c = selectors.cockpit(trio.admin, selectors.parse_filters(params, user=trio.admin))
    assert c.freshness is None
    assert dict(c.total.entered) == {
        "lead_registered": 1,
        "first_contact": 1,
        "needs_confirmed": 1,
        "proposal_quote": 1,
    }


def test_the_rollup_gives_the_live_conversion_spread(trio: Trio) -> None:
    make_november(trio)
    _with_reentries(trio)
    months = [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    users = (trio.admin, trio.director, trio.manager)
    live = [attribution.conversion_spread_trend(u, months, min_sample=1) for u in users]
    rollups.rebuild()
    assert [attribution.conversion_spread_trend(u, months, min_sample=1) for u in users] == live
    assert any(p.value is not None for p in live[0])


def test_a_refresh_takes_in_stage_moves_and_hand_overs_from_the_events(trio: Trio) -> None:
    november = make_november(trio)
    _with_reentries(trio)
    rollups.rebuild(now=at(11, 20, 9))
    before_change = _numbers(trio.admin, NOVEMBER)
    # C goes back to 初步接触 (a second entry, its first was in October); the teammate leaves
    # and hands their open deals to the owner.
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
    # Until the refresh the roll-up still shows the numbers as of its last refresh.
    assert _numbers(trio.admin, NOVEMBER) == before_change
    result = rollups.refresh(now=at(11, 20, 10))
    assert result is not None and result.events >= 3 and result.days > 0
    refreshed = {i: _numbers(user, params) for i, (user, params) in enumerate(_scopes(trio))}
    RollupState.objects.all().delete()  # read live again
    live = {i: _numbers(user, params) for i, (user, params) in enumerate(_scopes(trio))}
    assert refreshed == live
    assert live[0] != before_change  # the moves changed what the period shows


def test_refreshed_rows_equal_a_rebuild(trio: Trio) -> None:
    november = make_november(trio)
    rollups.rebuild(now=at(11, 20, 9))
    pipeline_services.opportunity_advance(
        opportunity=november.c,
        to_stage="lead_registered",
        actor=trio.owner,
        reason="重新登记",
        now=at(11, 21),
    )
    rollups.refresh(now=at(11, 21, 10))
    days = ("pipeline", "day", "stage", "owner_id", "previous_day", "advanced", "stays")
    months = ("pipeline", "month", "stage", "owner_id", "entered", "advanced")
    refreshed = sorted(StageEntryDay.objects.values_list(*days), key=repr)
    refreshed_months = sorted(StageEntryMonth.objects.values_list(*months), key=repr)
    rollups.rebuild(now=at(11, 21, 11))
    assert refreshed == sorted(StageEntryDay.objects.values_list(*days), key=repr)
    assert refreshed_months == sorted(StageEntryMonth.objects.values_list(*months), key=repr)
    assert refreshed_months


def test_the_worker_builds_only_for_a_large_history_and_refreshes_on_its_interval(trio: Trio) -> None:
    make_november(trio)
    rollups._last_size_check = None
    # A few stays, far below the pack's rollup_min_stage_visits: the cockpit stays live.
    assert rollups.rollup_tick(at(11, 20, 9)) is False
    assert rollups.state() is None
    rollups.rebuild(now=at(11, 20, 9))
    assert rollups.rollup_tick(at(11, 20, 9) + timedelta(minutes=1)) is False
    assert rollups.rollup_tick(at(11, 20, 9) + timedelta(minutes=5)) is True
    current = rollups.state()
    assert current is not None and current.refreshed_at == at(11, 20, 9) + timedelta(minutes=5)


def test_the_pages_show_how_fresh_the_rolled_up_numbers_are(trio: Trio, client: Client) -> None:
    make_november(trio)
    client.force_login(trio.manager)
    live_page = client.get("/dashboards/", NOVEMBER).content.decode()
    assert "data-freshness" not in live_page
    rollups.rebuild(now=at(11, 20, 14, 5))
    page = client.get("/dashboards/", NOVEMBER).content.decode()
    assert 'data-testid="data-freshness"' in page and "数据截至 11-20 14:05" in page and "5 分钟" in page
    board = client.get("/dashboards/attribution/").content.decode()
    assert "数据截至 11-20 14:05" in board


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        # The cockpit's quote and payment tiles, and the battle report's money panels, read the
        # caller's quotes and contracts with their own scope (a few queries each, not per row).
        ("/dashboards/", 29),
        ("/dashboards/drill/?metric=won&start=2026-11-01&end=2026-11-30", 12),
        ("/dashboards/heatmap/", 16),
        ("/dashboards/efficiency/", 22),
        ("/dashboards/health/", 23),
        ("/dashboards/attribution/", 14),
        ("/battle/", 26),
        ("/battle/panels/", 25),
        ("/api/v1/analytics/cockpit", 18),
        ("/api/v1/analytics/health", 23),
        ("/api/v1/analytics/attribution", 12),
    ],
)
@pytest.mark.parametrize("rolled_up", [False, True])
def test_cockpit_pages_cost_a_fixed_number_of_queries(
    trio: Trio, client: Client, django_assert_max_num_queries: Any, path: str, limit: int, rolled_up: bool
) -> None:
    make_november(trio)
    _with_reentries(trio)
    if rolled_up:
        rollups.rebuild()
    client.force_login(trio.director)
    client.get(path)  # warm the pack cache
    with django_assert_max_num_queries(limit):
        assert client.get(path).status_code == 200


def _heatmap(user: User, params: dict[str, str]) -> tuple[dict[Any, int], dict[int, int], bool]:
    data = hm.heatmap(user, hm.parse_heatmap_filters(params, user=user))
    return dict(data.cells), dict(data.by_owner), data.freshness is not None


def _actions(trio: Trio) -> November:
    nov = make_november(trio)
    process.activity(nov.a, at(11, 2))
    process.activity(nov.a, at(11, 4), kind="call")
    process.activity(nov.a, at(11, 4, 12), kind="message", effective=False)
    process.evidence(nov.a, at(11, 9))
    process.evidence(nov.c, at(11, 5), via_visit=True)
    process.activity(nov.a, at(11, 19))
    process.activity(nov.b, at(10, 30), kind="call")
    process.activity(nov.d, at(11, 12), kind="meeting")
    process.activity(nov.e, at(11, 12))
    return nov


HEATMAP_PERIODS = [
    NOVEMBER,
    {**NOVEMBER, "start": "2026-10-26", "end": "2026-11-15"},
    {**NOVEMBER, "start": "2026-11-04", "end": "2026-11-04"},
]


def test_the_rollup_gives_the_live_heatmap(trio: Trio) -> None:
    _actions(trio)
    scopes = [
        (u, p)
        for u in (trio.admin, trio.director, trio.manager, trio.owner)
        for p in [*HEATMAP_PERIODS, {**NOVEMBER, "team": str(trio.team.pk)}]
    ]
    live = [_heatmap(u, p) for u, p in scopes]
    assert any(cells for cells, _owners, _fresh in live)
    rollups.rebuild()
    rolled = [_heatmap(u, p) for u, p in scopes]
    assert [(c, o) for c, o, _f in rolled] == [(c, o) for c, o, _f in live]
    assert all(fresh for _c, _o, fresh in rolled) and not any(fresh for _c, _o, fresh in live)


def test_a_refresh_takes_in_new_and_deleted_actions(trio: Trio) -> None:
    nov = _actions(trio)
    rollups.rebuild(now=at(11, 20, 9))
    # A visit of the 13th logged on the 20th, through the service (an effective visit: the pack's
    # contact rule for visits needs no duration).
    assert nov.d.owner is not None
    logged = activity_services.activity_log(
        kind="visit", occurred_at=at(11, 13), actor=nov.d.owner, opportunity=nov.d, now=at(11, 20)
    )
    assert logged.effective
    piece = Evidence.objects.filter(opportunity=nov.a).first()
    assert piece is not None
    pipeline_services.evidence_delete(evidence=piece, actor=piece.uploaded_by, now=at(11, 20))
    stale = _heatmap(trio.admin, NOVEMBER)
    rollups.refresh(now=at(11, 20, 10))
    refreshed = _heatmap(trio.admin, NOVEMBER)
    RollupState.objects.all().delete()
    live = _heatmap(trio.admin, NOVEMBER)
    assert refreshed[:2] == live[:2] != stale[:2]


def test_the_apis_say_how_fresh_rolled_up_numbers_are(trio: Trio) -> None:
    make_november(trio)
    api = api_client_for(trio.manager)
    urls = [
        f"/api/v1/analytics/cockpit?{process.Q}",
        f"/api/v1/analytics/heatmap?{process.Q}",
        "/api/v1/analytics/attribution",
    ]
    assert [api.get(u).json()["data_as_of"] for u in urls] == [None, None, None]  # live
    rollups.rebuild(now=at(11, 20, 9))
    as_of = RollupState.objects.get().refreshed_at
    for url in urls:
        assert datetime.fromisoformat(api.get(url).json()["data_as_of"]) == as_of, url


@pytest.mark.parametrize("path", ["/dashboards/health/", "/api/v1/analytics/health"])
def test_the_health_board_from_the_daily_check_reads_no_history(
    trio: Trio, client: Client, django_assert_max_num_queries: Any, path: str
) -> None:
    make_november(trio)
    health.health_check()
    client.force_login(trio.director)
    client.get(path)  # warm the pack cache
    with django_assert_max_num_queries(13):
        response = client.get(path)
    assert response.status_code == 200
    if path.startswith("/api/"):
        assert response.json()["computed_at"] is not None
    else:
        assert 'data-testid="health-computed-at"' in response.content.decode()
