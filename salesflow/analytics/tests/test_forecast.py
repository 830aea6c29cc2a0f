"""漏斗数字孪生: transition probabilities and dwell from a hand-computed history, the Monte Carlo's
band, and the backtest on a synthetic history with known conversion rates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import time_machine

from salesflow.analytics import forecast as fc
from salesflow.analytics import forecast_synthetic as synthetic
from salesflow.analytics.testing import at, make_november
from salesflow.core.testing import make_trio
from salesflow.customers import services as customers
from salesflow.rules.selectors import active_pack

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_transition_probabilities_and_dwell_from_the_hand_computed_history() -> None:
    """November (analytics.testing): lead_registered stays A 2d→first, B 3d→first, D 1d→first,
    H 8d→first, E 6d→first, C 5d→first, I 44d→won; first_contact stays A 4d→needs, B 5d→lost,
    C 10d→needs, D 9d→won (open ones are left out)."""
    trio = make_trio()
    make_november(trio)
    _n, pack = active_pack()
    template = next(t for t in pack.stage_templates if t.code == "standard")
    now = at(12, 1)
    history = fc.load_history([template], since=at(1, 1), until=now)
    models = fc.build_models(history, [template], owners=None, as_of=now.timestamp() / 86400, min_stays=1)
    model = models["standard"]
    won = model.won
    assert model.transitions(0) == pytest.approx({1: 6 / 7, won: 1 / 7})
    assert model.transitions(1) == pytest.approx({2: 2 / 4, won: 1 / 4, won + 1: 1 / 4})
    assert sorted(np.round(model.dwell(0), 6)) == [1, 2, 3, 5, 6, 8, 44]
    assert sorted(np.round(model.dwell(1), 6)) == [4, 5, 9, 10]
    # The owner's own history: A, B, C, I only; a stage thinner than min_stays borrows the company's.
    own = fc.build_models(
        history, [template], owners={trio.owner.pk}, as_of=now.timestamp() / 86400, min_stays=1
    )
    assert own["standard"].transitions(1) == pytest.approx({2: 2 / 3, won + 1: 1 / 3})
    borrowed = fc.build_models(
        history, [template], owners={trio.owner.pk}, as_of=now.timestamp() / 86400, min_stays=4
    )
    assert borrowed["standard"].stays[1].borrowed is True
    assert borrowed["standard"].stays[0].borrowed is False


def test_history_known_at_an_instant_leaves_later_outcomes_out() -> None:
    """At Nov 9 B's first_contact stay (ends Nov 10, lost) and D's stays are not known yet."""
    trio = make_trio()
    make_november(trio)
    _n, pack = active_pack()
    template = next(t for t in pack.stage_templates if t.code == "standard")
    instant = at(11, 9)
    history = fc.load_history([template], since=at(1, 1), until=instant)
    model = fc.build_models(history, [template], owners=None, as_of=instant.timestamp() / 86400, min_stays=1)
    # lead_registered finished by Nov 9: A (2d), B (3d), C (5d), I (44d → won)
    assert sorted(np.round(model["standard"].dwell(0), 6)) == [2, 3, 5, 44]
    assert model["standard"].transitions(1) == pytest.approx({2: 1.0})  # A, C; B not yet lost


def test_a_certain_deal_is_won_in_every_run_and_a_hopeless_one_in_none() -> None:
    trio = make_trio()
    make_november(trio)
    _n, pack = active_pack()
    template = next(t for t in pack.stage_templates if t.code == "standard")
    now = at(12, 1)
    history = fc.load_history([template], since=at(1, 1), until=now)
    models = fc.build_models(history, [template], owners=None, as_of=now.timestamp() / 86400, min_stays=1)
    rng = np.random.Generator(np.random.SFC64(1))
    cdfs = {"standard": fc.win_time_cdf(models["standard"], runs=10_000, horizon_days=60, rng=rng)}
    # needs_confirmed: A's one stay (1d) went on to proposal_quote and won 10 days later — a
    # certain win after 11 days; contract_signed has no finished stay: nothing is known, no win.
    deals = [
        fc.OpenDeal(id=1, pipeline="standard", position=2, elapsed_days=0, amount=1000.0),
        fc.OpenDeal(id=2, pipeline="standard", position=1, elapsed_days=0, amount=500.0),
        fc.OpenDeal(id=3, pipeline="standard", position=4, elapsed_days=0, amount=700.0),
    ]
    p = fc.deal_probabilities(deals, models, cdfs, np.array([3.0, 60.0]))
    assert p[0].tolist() == [0.0, 1.0]
    assert p[2].tolist() == [0.0, 0.0]
    # first_contact: A (4d) and C (10d) went to needs_confirmed (then a certain win 11 days
    # later), D won after 9 days, B was lost: 3/4 within 60 days, none within 3.
    assert p[1, 0] == 0.0
    assert p[1, 1] == pytest.approx(0.75)
    # A milestone (odds × 3): forward odds 3:1 → 9:1, and every forward stay ends in a win.
    deals[1].odds = 3.0
    p = fc.deal_probabilities(deals, models, cdfs, np.array([60.0]))
    assert p[1, 0] == pytest.approx(0.9)
    top, _detail = fc.simulate_outcomes(
        p, np.array([1000.0, 500.0, 700.0]), runs=10_000, rng=rng, headline=(0,)
    )
    assert set(np.unique(top[:, 0])) == {1000.0, 1500.0}
    assert np.mean(top[:, 0] == 1500.0) == pytest.approx(0.9, abs=0.01)


def test_backtest_on_synthetic_history_covers_the_truth_in_most_weeks() -> None:
    """Known conversion rates and gamma dwell (forecast_synthetic): replaying 12 past weeks, the
    month's actual signed amount falls inside P10–P90 in at least 80% of the finished weeks."""
    now = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
    trio = make_trio()
    customer = customers.customer_create(name="模拟医院", actor=None, owner=trio.owner)
    _n, pack = active_pack()
    template = next(t for t in pack.stage_templates if t.code == "standard")
    rng = np.random.default_rng(20261207)
    end = now.timestamp() / 86400
    walks = synthetic.walks(rng, count=2400, start=end - 480, end=end)
    with time_machine.travel(now, tick=False):
        synthetic.write(
            walks,
            owner=trio.owner,
            customer=customer,
            pipeline="standard",
            stage_codes=[s.code for s in template.stages],
        )
        scope = fc.Scope(owners=frozenset({trio.owner.pk, trio.teammate.pk}), pipeline="standard")
        result = fc.backtest(scope, pack, now=now, weeks=12, seed=7)
    finished = [w for w in result.weeks if w.covered is not None]
    assert len(finished) == 12
    assert all(w.actual is not None and w.actual > 0 for w in finished)
    assert result.coverage is not None and result.coverage >= 0.8, [
        (w.as_of, w.low, w.actual, w.high) for w in result.weeks
    ]
    # The band is a band, not a point — and not a trivially wide one: on average narrower than 70%
    # of the month's amount, with the median off by less than a quarter.
    assert all(w.low < w.high for w in finished)
    widths = [float((w.high - w.low) / w.actual) for w in finished if w.actual]
    assert sum(widths) / len(widths) < 0.7, widths
    assert result.mean_abs_error_pct is not None and result.mean_abs_error_pct < 25
