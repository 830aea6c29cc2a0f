"""`forecast`: the funnel digital twin's Monte Carlo at the size issue #12 names — 10,000 runs
over 5,000 open opportunities
(`--quick`: 1,000 deals).

The simulation works on arrays, not on the database: the stage history (200,000 finished stays
of a synthetic chain with known conversion rates, `salesflow.analytics.forecast_synthetic`) is
built in memory as `forecast.History` and the open deals as `forecast.OpenDeal`. Timed, each
over several repeats (median and max): learning the model from the stays (`build_models`),
pass 1 (paths from every stage, `win_time_cdf`), the deals' probabilities
(`deal_probabilities`), pass 2 (`simulate_outcomes`: every run for the month's and
quarter's end, the pack's `curve_runs` for the week-by-week curve) and the total, as wall
time and as this process's CPU time (the machine may be shared; the load average is recorded).
The database reads in front of it (the scope's stays and open deals) are what the cockpit's
own benches measure.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import numpy as np

from benchmarks.common import Options, Scenario, progress

SEED = 12
RUNS = 10_000
DEALS = {False: 5_000, True: 1_000}
HISTORY_STAYS = {False: 200_000, True: 40_000}
REPEATS = {False: 5, True: 2}
HORIZON_WEEKS = 13


def _history(rng: np.random.Generator, stays: int) -> Any:
    from salesflow.analytics import forecast_synthetic as synthetic
    from salesflow.analytics.forecast import History

    opp, stage, entered, exited, won, lost, closed = [], [], [], [], [], [], []
    count = 0
    opp_id = 0
    while count < stays:
        w = synthetic.walk(rng, float(rng.uniform(0, 365)), 100_000.0)
        opp_id += 1
        for s, e, x in zip(w.stages, w.entered, w.exited, strict=True):
            opp.append(opp_id)
            stage.append(s)
            entered.append(e)
            exited.append(x)
            won.append(w.won)
            lost.append(not w.won)
            closed.append(w.exited[-1])
        count += len(w.stages)
    n = len(opp)
    return History(
        opportunity=np.asarray(opp, dtype=np.int64),
        owner=np.ones(n, dtype=np.int64),
        pipeline=np.zeros(n, dtype=np.int32),
        stage=np.asarray(stage, dtype=np.int32),
        entered=np.asarray(entered),
        exited=np.asarray(exited),
        won=np.asarray(won),
        lost=np.asarray(lost),
        closed=np.asarray(closed),
        pipelines=["standard"],
    )


def measure(quick: bool) -> dict[str, Any]:
    """Time the forecast's passes; returns the figures of one row."""
    from salesflow.analytics import forecast
    from salesflow.rules.packs import load_default

    pack = load_default()
    template = next(t for t in pack.stage_templates if t.code == "standard")
    rng = np.random.default_rng(SEED)
    progress(f"synthetic history of {HISTORY_STAYS[quick]:,} stays")
    history = _history(rng, HISTORY_STAYS[quick])
    as_of = float(history.exited[np.isfinite(history.exited)].max()) + 1
    n_deals = DEALS[quick]
    positions = rng.integers(0, 5, size=n_deals)
    deals = [
        forecast.OpenDeal(
            id=i,
            pipeline="standard",
            position=int(positions[i]),
            elapsed_days=float(rng.uniform(0, 20)),
            amount=float(rng.choice([50_000, 120_000, 300_000])),
            odds=1.3 if i % 4 == 0 else 1.0,
        )
        for i in range(n_deals)
    ]
    horizons = np.arange(1, HORIZON_WEEKS + 1) * 7.0
    timings: dict[str, list[float]] = {
        "models": [],
        "paths": [],
        "deals": [],
        "runs": [],
        "total": [],
        "total_cpu": [],
    }
    for repeat in range(REPEATS[quick]):
        progress(f"repeat {repeat + 1}")
        run_rng = np.random.Generator(np.random.SFC64(SEED + repeat))
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        models = forecast.build_models(history, [template], owners=None, as_of=as_of, min_stays=20)
        t1 = time.perf_counter()
        cdfs = {
            code: forecast.win_time_cdf(model, runs=RUNS, horizon_days=int(horizons[-1]) + 1, rng=run_rng)
            for code, model in models.items()
        }
        t2 = time.perf_counter()
        probabilities = forecast.deal_probabilities(deals, models, cdfs, horizons)
        t3 = time.perf_counter()
        amounts = np.array([d.amount for d in deals])
        top, _detail = forecast.simulate_outcomes(
            probabilities,
            amounts,
            runs=RUNS,
            rng=run_rng,
            headline=(4, HORIZON_WEEKS - 1),
            detail_runs=pack.forecast.curve_runs,
        )
        t4 = time.perf_counter()
        timings["total_cpu"].append((time.process_time() - cpu0) * 1000)
        for key, seconds in zip(
            ["models", "paths", "deals", "runs", "total"],
            (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0),
            strict=True,
        ):
            timings[key].append(seconds * 1000)
    figures: dict[str, Any] = {
        "runs": RUNS,
        "open_deals": n_deals,
        "history_stays": len(history.opportunity),
        "horizons": len(horizons),
    }
    for key, values in timings.items():
        figures[f"{key}_p50_ms"] = round(statistics.median(values), 1)
    figures["total_max_ms"] = round(max(timings["total"]), 1)
    figures["quarter_p50_yuan"] = round(float(np.median(top[:, 1])))
    figures["curve_runs"] = pack.forecast.curve_runs
    figures["load_average_1m"] = round(os.getloadavg()[0], 2)
    return figures


def run(options: Options) -> dict[str, dict[str, Any]]:
    """One row: the in-memory simulation (no database engine involved)."""
    return {"numpy": measure(options.quick)}


def parameters(options: Options) -> dict[str, Any]:
    """What was simulated."""
    return {
        "runs": RUNS,
        "open_deals": DEALS[options.quick],
        "history_stays": HISTORY_STAYS[options.quick],
        "repeats": REPEATS[options.quick],
        "horizon_weeks": HORIZON_WEEKS,
        "seed": SEED,
    }


FORECAST = Scenario(
    name="forecast",
    run=run,
    parameters=parameters,
    columns=(
        "runs",
        "open_deals",
        "history_stays",
        "models_p50_ms",
        "paths_p50_ms",
        "deals_p50_ms",
        "runs_p50_ms",
        "total_p50_ms",
        "total_max_ms",
        "total_cpu_p50_ms",
        "load_average_1m",
    ),
)
