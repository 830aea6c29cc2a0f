"""Every cockpit number against the hand-computed November history (salesflow.analytics.testing)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesflow.analytics import selectors
from salesflow.analytics.selectors import Dwell, nearest_rank
from salesflow.analytics.testing import NOVEMBER, at, deal, make_november
from salesflow.core.errors import FieldErrors
from salesflow.core.testing import Trio
from salesflow.org.models import User

pytestmark = pytest.mark.django_db


def _cockpit(user: User, **params: str) -> selectors.Cockpit:
    filters = selectors.parse_filters({**NOVEMBER, **params}, user=user)
    return selectors.cockpit(user, filters)


def _drill(user: User, metric: str, stage: str = "", **params: str) -> list[str]:
    filters = selectors.parse_filters({**NOVEMBER, **params}, user=user)
    query = selectors.parse_drill({"metric": metric, "stage": stage}, filters)
    return sorted(o.title for o in selectors.drill(user, filters, query))


def test_company_funnel_conversion_and_results(trio: Trio) -> None:
    make_november(trio)
    c = _cockpit(trio.admin)
    t = c.total
    # J (pooled) counts for the company; C entered lead/first in October.
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
    assert t.conversion("lead_registered") == 83.3
    assert t.conversion("first_contact") == 20.0
    assert t.conversion("needs_confirmed") == 50.0
    assert t.conversion("proposal_quote") == 0.0
    assert t.conversion("contract_signed") is None
    # Closed in November: A won (17 days), D won (10 days), B lost; I was won in October.
    assert (t.won, t.lost, t.closed) == (2, 1, 3)
    assert t.win_rate == 66.7
    assert t.won_amount == Decimal("300000")
    assert t.avg_deal == Decimal("150000.00")
    assert t.avg_cycle_days == 13.5


def test_dwell_distribution_is_nearest_rank_percentiles_of_stays_ended_in_the_period(trio: Trio) -> None:
    make_november(trio)
    dwell = _cockpit(trio.admin).dwell
    # lead_registered ended in November: D 1, A 2, B 3, E 6, H 8 days (C's and I's ended earlier).
    assert dwell["lead_registered"] == Dwell(count=5, p25=2.0, p50=3.0, p75=6.0, p90=8.0)
    # first_contact: A 4, B 5, D 9, C 10 days (E and H still there).
    assert dwell["first_contact"] == Dwell(count=4, p25=4.0, p50=5.0, p75=9.0, p90=10.0)
    assert dwell["needs_confirmed"] == Dwell(count=1, p25=1.0, p50=1.0, p75=1.0, p90=1.0)
    assert dwell["proposal_quote"] == Dwell(count=1, p25=10.0, p50=10.0, p75=10.0, p90=10.0)
    assert "contract_signed" not in dwell
    # The manager's team only: lead stays 1, 2, 3, 8.
    team = _cockpit(trio.manager).dwell
    assert team["lead_registered"] == Dwell(count=4, p25=1.0, p50=2.0, p75=3.0, p90=8.0)


def test_nearest_rank_is_the_ceiling_of_p_times_n() -> None:
    assert [nearest_rank(p, 5) for p in (25, 50, 75, 90)] == [2, 3, 4, 5]
    assert [nearest_rank(p, 4) for p in (25, 50, 75, 90)] == [1, 2, 3, 4]
    assert [nearest_rank(p, 1) for p in (25, 50, 75, 90)] == [1, 1, 1, 1]
    assert nearest_rank(50, 10) == 5 and nearest_rank(90, 10) == 9 and nearest_rank(90, 11) == 10


def test_per_rep_and_per_team_rows_add_up(trio: Trio) -> None:
    make_november(trio)
    c = _cockpit(trio.manager)
    reps = {r.name: r.numbers for r in c.reps}
    assert set(reps) == {"owner", "teammate"}  # the manager's reps, nobody else's
    owner, teammate = reps["owner"], reps["teammate"]
    assert dict(owner.entered) == {
        "lead_registered": 2,
        "first_contact": 2,
        "needs_confirmed": 2,
        "proposal_quote": 1,
    }
    assert owner.conversion("first_contact") == 50.0
    assert (owner.won, owner.lost, owner.win_rate, owner.avg_deal, owner.avg_cycle_days) == (
        1,
        1,
        50.0,
        Decimal("100000.00"),
        17.0,
    )
    assert dict(teammate.entered) == {"lead_registered": 2, "first_contact": 2}
    assert (teammate.won, teammate.win_rate, teammate.avg_deal, teammate.avg_cycle_days) == (
        1,
        100.0,
        Decimal("200000.00"),
        10.0,
    )
    assert c.total.conversion("first_contact") == 25.0
    assert [(t.name, t.numbers.entered["lead_registered"]) for t in c.teams] == [("上海一组", 4)]
    company = _cockpit(trio.admin)
    teams = {t.name: t.numbers for t in company.teams}
    assert teams["上海一组"].entered["lead_registered"] == 4
    assert teams["杭州组"].entered["lead_registered"] == 1
    assert teams["上海一组"].win_rate == 66.7


def test_scope_rep_sees_own_numbers_director_the_region(trio: Trio) -> None:
    make_november(trio)
    mine = _cockpit(trio.owner)
    assert mine.total.entered["lead_registered"] == 2
    assert [r.name for r in mine.reps] == ["owner"]
    assert _cockpit(trio.teammate).total.entered["lead_registered"] == 2
    assert _cockpit(trio.outsider).total.entered["lead_registered"] == 1
    assert _cockpit(trio.director).total.entered["lead_registered"] == 5  # everyone but the pool


def test_filters_narrow_by_owner_team_and_product_line(trio: Trio) -> None:
    make_november(trio)
    assert _cockpit(trio.manager, owner=str(trio.teammate.pk)).total.entered["lead_registered"] == 2
    assert _cockpit(trio.admin, team=str(trio.other_team.pk)).total.entered["lead_registered"] == 1
    joint = _cockpit(trio.admin, product_line="joint").total
    assert dict(joint.entered) == {
        "lead_registered": 1,
        "first_contact": 1,
        "needs_confirmed": 1,
        "proposal_quote": 1,
    }
    assert joint.won_amount == Decimal("100000")


def test_period_bounds_are_local_midnights(trio: Trio) -> None:
    # 00:05 on Nov 1 in Shanghai is still October in UTC; 00:05 on Dec 1 is November in UTC.
    deal(trio.owner, "early", created=at(11, 1, 0, 5), stays=[("lead_registered", at(11, 1, 0, 5), None)])
    deal(trio.owner, "late", created=at(12, 1, 0, 5), stays=[("lead_registered", at(12, 1, 0, 5), None)])
    assert _drill(trio.owner, "entered", "lead_registered") == ["early"]


def test_drill_lists_the_records_behind_each_number(trio: Trio) -> None:
    make_november(trio)
    m = trio.manager
    assert _drill(m, "entered", "first_contact") == ["A", "B", "D", "H"]
    assert _drill(m, "advanced", "first_contact") == ["A"]
    assert _drill(m, "dwell", "lead_registered") == ["A", "B", "D", "H"]
    assert _drill(m, "won") == ["A", "D"]
    assert _drill(m, "lost") == ["B"]
    assert _drill(m, "closed") == ["A", "B", "D"]
    assert _drill(m, "entered", "lead_registered", owner=str(trio.owner.pk)) == ["A", "B"]
    assert _drill(trio.admin, "entered", "lead_registered", team=str(trio.other_team.pk)) == ["E"]
    assert _drill(trio.outsider, "entered", "lead_registered") == ["E"]


def test_a_drill_row_shows_names_and_local_dates(trio: Trio) -> None:
    november = make_november(trio)
    filters = selectors.parse_filters(NOVEMBER, user=trio.manager)
    row = selectors.drill_row(november.a, selectors.stage_names(filters))
    assert row == [
        "A",
        "A医院",
        "owner",
        "方案报价",
        "赢单",
        Decimal("100000.00"),
        "2026-11-01",
        "2026-11-18",
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "2026-11-30", "end": "2026-11-01"}, "end"),
        ({"start": "9999-12-31"}, "start"),
        ({"pipeline": "nope"}, "pipeline"),
        ({"team": "abc"}, "team"),
        ({"team": "999999"}, "team"),
        ({"product_line": "nope"}, "product_line"),
    ],
)
def test_bad_filters_name_the_field(trio: Trio, params: dict[str, str], field: str) -> None:
    with pytest.raises(FieldErrors) as caught:
        selectors.parse_filters(params, user=trio.manager)
    assert field in caught.value.errors


def test_owner_filter_outside_the_callers_scope_is_refused(trio: Trio) -> None:
    with pytest.raises(FieldErrors) as caught:
        selectors.parse_filters({"owner": str(trio.outsider.pk)}, user=trio.manager)
    assert "owner" in caught.value.errors
    with pytest.raises(FieldErrors):
        selectors.parse_filters({"owner": str(trio.teammate.pk)}, user=trio.owner)


def test_drill_needs_a_known_metric_and_stage(trio: Trio) -> None:
    filters = selectors.parse_filters(NOVEMBER, user=trio.manager)
    with pytest.raises(FieldErrors) as caught:
        selectors.parse_drill({"metric": "revenue"}, filters)
    assert "metric" in caught.value.errors
    with pytest.raises(FieldErrors) as caught:
        selectors.parse_drill({"metric": "entered", "stage": "trial"}, filters)  # not in `standard`
    assert "stage" in caught.value.errors


def test_default_period_is_this_local_month(trio: Trio) -> None:
    from datetime import date

    filters = selectors.parse_filters({}, user=trio.owner, today=date(2026, 2, 14))
    assert (filters.start, filters.end, filters.pipeline) == (date(2026, 2, 1), date(2026, 2, 28), "standard")
