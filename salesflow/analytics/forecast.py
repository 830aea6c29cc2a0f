"""漏斗数字孪生 — the forecast: a Monte Carlo of every open opportunity of a scope.

The model, learnt from the scope's finished stage stays (StageVisit rows) of the pack's
`forecast.history_days`:

- every finished stay of a stage is one sample of (dwell days, what came next): the next stage,
  won or lost. Sampling whole stays keeps dwell and outcome together (long stays end in a loss
  more often). A stage with fewer than `forecast.min_stays` stays in the scope borrows the
  whole company's stays of that pipeline stage.
- an open opportunity has already spent `elapsed` days in its stage, so its current stay is
  drawn among the stays that lasted longer, and only the rest of it is still to come. One stuck
  longer than every recorded stay starts its stay afresh.
- milestones (pack `forecast.milestones`) and external signals (`ForecastSignal`) multiply the
  odds of moving forward (a later stage or the win) out of the current stage.

Two vectorised NumPy Monte Carlo passes:

1. paths — from the entry of every stage, `runs` simulated paths give the distribution of the
   time until the win (or none); with the conditional current stay this gives every open
   opportunity's probability of being won by the end of each week up to the quarter's end;
2. outcomes — `runs` simulated futures of the whole scope: each opportunity is won in a week
   or not with those probabilities (opportunities are independent given the model), so each
   run is a signed amount per week. P10 / P50 / P90, the probability of missing the target and
   the expected gap E[max(target − outcome, 0)] are read off the runs.

Signed amount = what is already won in the month (quarter) plus what the runs win. `backtest`
replays the forecast at past weeks from the history known then.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Case, F, FloatField, Func, IntegerField, Q, Sum, Value, When

from salesflow.analytics.models import ForecastSignal
from salesflow.core import clock
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Evidence, Opportunity, StageVisit
from salesflow.rules.schema import Forecast as ForecastSettings
from salesflow.rules.schema import RulePack, StageTemplate

DAY = 86400.0
# How many of a stage's recorded stays stand for the current stay of one opportunity (evenly
# spread over the stays, sorted by dwell: a stratified sample, no randomness).
POOL = 64


def _days(instant: datetime) -> float:
    return instant.timestamp() / DAY


def quarter_of(day: date) -> tuple[date, date]:
    """The first and last day of `day`'s calendar quarter."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    last_month = first_month + 2
    return date(day.year, first_month, 1), date(
        day.year, last_month, calendar.monthrange(day.year, last_month)[1]
    )


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


# ---------------------------------------------------------------------------------------------
# History: finished stays and what came after them


@dataclass
class History:
    """Stage stays of some pipelines as arrays (times in days since the epoch), ordered by
    opportunity and entry; `status`/`closed` are the opportunity's, for the last stay."""

    opportunity: np.ndarray
    owner: np.ndarray
    pipeline: np.ndarray  # index into `pipelines`
    stage: np.ndarray  # position in the pipeline's template (-1: a stage the pack dropped)
    entered: np.ndarray
    exited: np.ndarray  # nan while open
    won: np.ndarray  # bool: the opportunity is won
    lost: np.ndarray
    closed: np.ndarray  # nan while open
    pipelines: list[str]


class EpochDays(Func):
    """A timestamp as days since the Unix epoch (a float; NULL stays NULL), computed by the
    database: the forecast reads hundreds of thousands of stays, and parsing each timestamp
    into a Python datetime costs more than the whole simulation."""

    output_field = FloatField()
    arity = 1

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s) - 2440587.5)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision) / 86400.0)",
            **extra,
        )


def load_history(templates: list[StageTemplate], *, since: datetime, until: datetime) -> History:
    """Every stay of the templates' pipelines entered in [since, until) — whoever owns it; the
    scope is applied later by owner, so a thin team can borrow the company's numbers. Every
    column comes back as a number (stage positions and outcomes mapped in SQL), so the rows
    turn into arrays without a Python loop over them."""
    codes = [t.code for t in templates]
    if not codes:
        return _empty_history(codes)
    pipeline_index = Case(
        *[When(pipeline=c, then=Value(i)) for i, c in enumerate(codes)],
        default=Value(-1),
        output_field=IntegerField(),
    )
    stage_index = Case(
        *[
            When(pipeline=t.code, stage=st.code, then=Value(i))
            for t in templates
            for i, st in enumerate(t.stages)
        ],
        default=Value(-1),
        output_field=IntegerField(),
    )
    outcome = Case(
        When(opportunity__status=OpportunityStatus.WON, then=Value(1)),
        When(opportunity__status=OpportunityStatus.LOST, then=Value(2)),
        default=Value(0),
        output_field=IntegerField(),
    )
    columns = {
        "h_opportunity": F("opportunity_id"),
        "h_owner": F("opportunity__owner_id"),
        "h_pipeline": pipeline_index,
        "h_stage": stage_index,
        "h_entered": EpochDays("entered_at"),
        "h_exited": EpochDays("exited_at"),
        "h_outcome": outcome,
        "h_closed": EpochDays("opportunity__closed_at"),
    }
    query = (
        StageVisit.objects.filter(pipeline__in=codes, entered_at__gte=since, entered_at__lt=until)
        .annotate(**columns)
        .order_by("opportunity_id", "entered_at", "id")
        .values_list(*columns)
    )
    # Straight from the cursor: Django's per-row value converters cost more than the rest.
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        raw = cursor.fetchall()
    order = [names.index(name) for name in columns]
    rows = [tuple(row[i] for i in order) for row in raw] if order != list(range(len(order))) else raw
    if not rows:
        return _empty_history(codes)
    # None (open stays, pooled deals) becomes NaN; ids and codes are exact in float64.
    table = np.array(rows, dtype=np.float64)
    status = table[:, 6]
    return History(
        opportunity=table[:, 0].astype(np.int64),
        owner=np.nan_to_num(table[:, 1], nan=0.0).astype(np.int64),
        pipeline=table[:, 2].astype(np.int32),
        stage=table[:, 3].astype(np.int32),
        entered=table[:, 4],
        exited=table[:, 5],
        won=status == 1,
        lost=status == 2,
        closed=table[:, 7],
        pipelines=codes,
    )


def _empty_history(codes: list[str]) -> History:
    empty = np.zeros(0)
    return History(
        opportunity=empty.astype(np.int64),
        owner=empty.astype(np.int64),
        pipeline=empty.astype(np.int32),
        stage=empty.astype(np.int32),
        entered=empty,
        exited=empty,
        won=empty.astype(bool),
        lost=empty.astype(bool),
        closed=empty,
        pipelines=codes,
    )


@dataclass
class StageStays:
    """The finished stays of one stage: dwell days and next state, split into those that moved
    forward (a later stage or the win) and the others (lost or back), each sorted by dwell."""

    forward_dwell: np.ndarray
    forward_next: np.ndarray
    back_dwell: np.ndarray
    back_next: np.ndarray
    borrowed: bool = False

    @property
    def count(self) -> int:
        return len(self.forward_dwell) + len(self.back_dwell)


@dataclass
class PipelineModel:
    """Transition probabilities and dwell samples of one pipeline; states are the template's
    stages by position, then WON (= len(stages)) and LOST (= len(stages) + 1)."""

    template: StageTemplate
    stays: list[StageStays]

    @property
    def won(self) -> int:
        return len(self.template.stages)

    @property
    def lost(self) -> int:
        return len(self.template.stages) + 1

    def transitions(self, position: int) -> dict[int, float]:
        """Next state → probability out of the stage at `position` (empty without history)."""
        stays = self.stays[position]
        nexts = np.concatenate([stays.forward_next, stays.back_next])
        if not len(nexts):
            return {}
        states, counts = np.unique(nexts, return_counts=True)
        return {int(s): float(c) / len(nexts) for s, c in zip(states, counts, strict=True)}

    def dwell(self, position: int) -> np.ndarray:
        """All recorded dwell days of the stage at `position`."""
        stays = self.stays[position]
        return np.concatenate([stays.forward_dwell, stays.back_dwell])


def _stays_of(
    history: History, mask: np.ndarray, as_of: float, pipeline: int, n_stages: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(dwell, next state) of the finished stays selected by `mask`, per stage position."""
    h = history
    n = len(h.opportunity)
    same_next = np.zeros(n, dtype=bool)
    if n > 1:
        same_next[:-1] = h.opportunity[1:] == h.opportunity[:-1]
    next_stage = np.full(n, -2, dtype=np.int32)
    next_entered = np.full(n, np.inf)
    next_stage[:-1] = np.where(same_next[:-1], h.stage[1:], -2)
    next_entered[:-1] = np.where(same_next[:-1], h.entered[1:], np.inf)
    finished = np.nan_to_num(h.exited, nan=np.inf) <= as_of
    moved_on = same_next & (next_entered <= as_of) & (next_stage >= 0)
    closed_by = np.nan_to_num(h.closed, nan=np.inf) <= as_of
    won_then = ~moved_on & closed_by & h.won & ~same_next
    lost_then = ~moved_on & closed_by & h.lost & ~same_next
    # A later stay entered after `as_of` (or none, or one in a dropped stage): the outcome was
    # not known then — the stay is left out rather than guessed.
    usable = mask & finished & (h.pipeline == pipeline) & (h.stage >= 0) & (moved_on | won_then | lost_then)
    outcome = np.where(moved_on, next_stage, np.where(won_then, n_stages, n_stages + 1))
    dwell = np.maximum(h.exited - h.entered, 0.0)
    result = []
    for position in range(n_stages):
        pick = usable & (h.stage == position)
        result.append((dwell[pick], outcome[pick].astype(np.int32)))
    return result


def _split(dwell: np.ndarray, nexts: np.ndarray, position: int, won: int, borrowed: bool) -> StageStays:
    forward = ((nexts > position) & (nexts < won + 1)) | (nexts == won)
    fd, fn = dwell[forward], nexts[forward]
    bd, bn = dwell[~forward], nexts[~forward]
    fo, bo = np.argsort(fd, kind="stable"), np.argsort(bd, kind="stable")
    return StageStays(fd[fo], fn[fo], bd[bo], bn[bo], borrowed=borrowed)


def build_models(
    history: History,
    templates: list[StageTemplate],
    *,
    owners: set[int] | None,
    as_of: float,
    min_stays: int,
) -> dict[str, PipelineModel]:
    """Each pipeline's model from the stays of `owners` (None: everyone) finished by `as_of`;
    a stage with fewer than `min_stays` of them uses everyone's."""
    everyone = np.ones(len(history.opportunity), dtype=bool)
    scoped = everyone if owners is None else np.isin(history.owner, np.fromiter(owners, dtype=np.int64))
    models: dict[str, PipelineModel] = {}
    for t in templates:
        p = history.pipelines.index(t.code)
        n = len(t.stages)
        own = _stays_of(history, scoped, as_of, p, n)
        company = _stays_of(history, everyone, as_of, p, n) if owners is not None else own
        stays = []
        for position in range(n):
            dwell, nexts = own[position]
            borrowed = False
            if len(dwell) < min_stays and len(company[position][0]) > len(dwell):
                dwell, nexts = company[position]
                borrowed = True
            stays.append(_split(dwell, nexts, position, n, borrowed))
        models[t.code] = PipelineModel(template=t, stays=stays)
    return models


# ---------------------------------------------------------------------------------------------
# Pass 1: time to win from the entry of each stage


def win_time_cdf(
    model: PipelineModel, *, runs: int, horizon_days: int, rng: np.random.Generator
) -> np.ndarray:
    """F[state, d] = P(won within d days of entering `state`), d = 0 … horizon_days, from `runs`
    simulated paths per stage (WON: 1 everywhere, LOST: 0)."""
    n = len(model.template.stages)
    dwell = [model.dwell(s) for s in range(n)]
    nexts = [np.concatenate([model.stays[s].forward_next, model.stays[s].back_next]) for s in range(n)]
    counts = np.array([len(d) for d in dwell], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    all_dwell = np.concatenate([*dwell, [0.0]])
    all_next = np.concatenate([*nexts, [n + 1]]).astype(np.int32)
    cdf = np.zeros((n + 2, horizon_days + 1))
    cdf[n, :] = 1.0
    state = np.repeat(np.arange(n, dtype=np.int32), runs)
    start = state.copy()
    clock_days = np.zeros(len(state))
    win_at = np.full(len(state), np.inf)
    active = np.ones(len(state), dtype=bool)
    for _step in range(8 * n + 8):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        s = state[idx]
        has = counts[s] > 0
        # A stage without any recorded stay: nothing is known, the path wins nothing.
        active[idx[~has]] = False
        idx, s = idx[has], s[has]
        pick = offsets[s] + (rng.random(len(idx)) * counts[s]).astype(np.int64)
        clock_days[idx] += all_dwell[pick]
        state[idx] = all_next[pick]
        just_won = state[idx] == n
        win_at[idx[just_won]] = clock_days[idx[just_won]]
        active[idx] = (state[idx] < n) & (clock_days[idx] <= horizon_days)
    grid = np.arange(horizon_days + 1)
    for position in range(n):
        times = np.sort(win_at[start == position])
        cdf[position] = np.searchsorted(times, grid, side="right") / runs
    return cdf


# ---------------------------------------------------------------------------------------------
# Open opportunities at an instant


@dataclass
class OpenDeal:
    """An open opportunity as the simulation sees it."""

    id: int
    pipeline: str
    position: int
    elapsed_days: float
    amount: float
    odds: float = 1.0
    reasons: list[str] = field(default_factory=list)


def _expected_win(
    dwell_of: list[np.ndarray],
    next_of: list[np.ndarray],
    *,
    positions: np.ndarray,
    start: np.ndarray,
    elapsed: np.ndarray,
    cdf: np.ndarray,
    won: int,
    horizons: np.ndarray,
) -> np.ndarray:
    """For each deal, the mean over its current stay's candidates (the stays of its stage from
    index `start` on, sorted by dwell; a stratified sample of POOL of them) of P(won within each
    horizon | that stay): a direct win counts when the rest of the stay fits, a next stage adds
    that stage's win-time distribution after it. Shape (deals, horizons)."""
    out = np.zeros((len(positions), len(horizons)))
    top = cdf.shape[1] - 1
    grid = (np.arange(POOL) + 0.5) / POOL
    for position in np.unique(positions):
        sel = np.flatnonzero(positions == position)
        dwell, nexts = dwell_of[position], next_of[position]
        lo = start[sel]
        n_valid = len(dwell) - lo
        ok = n_valid > 0
        if not ok.any():
            continue
        sel, lo, n_valid = sel[ok], lo[ok], n_valid[ok]
        pick = lo[:, None] + (grid[None, :] * n_valid[:, None]).astype(np.int64)
        remaining = dwell[pick] - elapsed[sel][:, None]
        nxt = nexts[pick]
        for h, days in enumerate(horizons):
            left = np.floor(days - remaining).astype(np.int64)
            after = cdf[nxt, np.clip(left, 0, top)]
            value = np.where(left >= 0, np.where(nxt == won, 1.0, after), 0.0)
            out[sel, h] = value.mean(axis=1)
    return out


def deal_probabilities(
    deals: list[OpenDeal],
    models: dict[str, PipelineModel],
    cdfs: dict[str, np.ndarray],
    horizons: np.ndarray,
) -> np.ndarray:
    """P[d, h] = probability that deal d is won within horizons[h] days (non-decreasing in h)."""
    result = np.zeros((len(deals), len(horizons)))
    by_pipeline: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(deals):
        if d.pipeline in models and 0 <= d.position < len(models[d.pipeline].stays):
            by_pipeline[d.pipeline].append(i)
    for code, rows in by_pipeline.items():
        model = models[code]
        positions = np.array([deals[i].position for i in rows])
        elapsed = np.array([deals[i].elapsed_days for i in rows])
        odds = np.array([deals[i].odds for i in rows])
        fwd_dwell = [st.forward_dwell for st in model.stays]
        back_dwell = [st.back_dwell for st in model.stays]
        lo_f = np.zeros(len(rows), dtype=np.int64)
        lo_b = np.zeros(len(rows), dtype=np.int64)
        for position in range(len(model.stays)):
            sel = positions == position
            lo_f[sel] = np.searchsorted(fwd_dwell[position], elapsed[sel], side="right")
            lo_b[sel] = np.searchsorted(back_dwell[position], elapsed[sel], side="right")
        size_f = np.array([len(fwd_dwell[p]) for p in positions], dtype=np.int64)
        size_b = np.array([len(back_dwell[p]) for p in positions], dtype=np.int64)
        # Stuck longer than every recorded stay: the stay starts afresh.
        fresh = (size_f - lo_f + size_b - lo_b) == 0
        lo_f[fresh] = 0
        lo_b[fresh] = 0
        elapsed = np.where(fresh, 0.0, elapsed)
        n_f, n_b = size_f - lo_f, size_b - lo_b
        p_forward = n_f / np.maximum(n_f + n_b, 1)
        # Milestones and signals multiply the odds of moving forward.
        boosted = odds * p_forward / np.maximum(1 - p_forward + odds * p_forward, 1e-12)
        boosted = np.where(n_f == 0, 0.0, np.where(n_b == 0, 1.0, boosted))
        cdf = cdfs[code]
        forward = _expected_win(
            fwd_dwell,
            [st.forward_next for st in model.stays],
            positions=positions,
            start=lo_f,
            elapsed=elapsed,
            cdf=cdf,
            won=model.won,
            horizons=horizons,
        )
        back = _expected_win(
            back_dwell,
            [st.back_next for st in model.stays],
            positions=positions,
            start=lo_b,
            elapsed=elapsed,
            cdf=cdf,
            won=model.won,
            horizons=horizons,
        )
        probs = boosted[:, None] * forward + (1 - boosted)[:, None] * back
        result[rows] = np.maximum.accumulate(np.clip(probs, 0.0, 1.0), axis=1)
    return result


# ---------------------------------------------------------------------------------------------
# Pass 2: the outcomes of the whole scope


def simulate_outcomes(
    probabilities: np.ndarray,
    amounts: np.ndarray,
    *,
    runs: int,
    rng: np.random.Generator,
    headline: tuple[int, ...],
    detail_runs: int | None = None,
    chunk: int = 1000,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated outcomes of the whole scope: in every run each deal draws one uniform number
    and is won by horizon h when it falls below P[d, h] (the same draw for every horizon, so a
    run's amount never falls from one week to the next).

    Returns (headline[r, k]: the amount won by horizon `headline[k]` in each of `runs` runs,
    detail[r, h]: the amount won by every horizon in the first `detail_runs` runs). The headline
    horizons (month's and quarter's end) get every run; the week-by-week curve, which only draws
    the band, is read from the first `detail_runs` of the same runs to keep 10,000 runs over
    thousands of deals within a second.
    """
    deals, horizons = probabilities.shape
    detail_runs = runs if detail_runs is None else min(runs, detail_runs)
    top = np.zeros((runs, len(headline)))
    detail = np.zeros((detail_runs, horizons))
    if deals == 0:
        return top, detail
    # Thresholds on a 16-bit grid: uniform 16-bit draws come four to a raw 64-bit number.
    thresholds = np.ascontiguousarray((probabilities.T * 65536.0).astype(np.float32))
    weights = amounts.astype(np.float32)
    bits = rng.bit_generator
    draws = np.empty((chunk, deals), dtype=np.float32)
    hits = np.empty((chunk, deals), dtype=np.float32)
    words = (chunk * deals + 3) // 4
    for start in range(0, runs, chunk):
        stop = min(runs, start + chunk)
        n = stop - start
        draws[:n] = bits.random_raw(words).view(np.uint16)[: n * deals].reshape(n, deals)
        for k, h in enumerate(headline):
            np.less(draws[:n], thresholds[h], out=hits[:n], casting="unsafe")
            top[start:stop, k] = hits[:n] @ weights
        if start < detail_runs:
            m = min(stop, detail_runs) - start
            for h in range(horizons):
                np.less(draws[:m], thresholds[h], out=hits[:m], casting="unsafe")
                detail[start : start + m, h] = hits[:m] @ weights
    return top, detail


# ---------------------------------------------------------------------------------------------
# The forecast of a scope


@dataclass(frozen=True)
class Band:
    """Percentiles of the signed amount (¥) by a date."""

    low: Decimal
    p50: Decimal
    high: Decimal
    mean: Decimal


@dataclass(frozen=True)
class Outlook:
    """The signed amount by the end of a month or quarter: the band, target and risk."""

    label: str
    ends_on: date
    already_won: Decimal
    band: Band
    target: Decimal | None
    p_miss: float | None
    expected_gap: Decimal | None


@dataclass(frozen=True)
class WeekPoint:
    """The band of the cumulative signed amount of the quarter by the end of one week."""

    ends_on: date
    low: Decimal
    p50: Decimal
    high: Decimal


@dataclass(frozen=True)
class Applied:
    """A milestone or signal that changed odds: which, by how much, on how many deals."""

    kind: str  # milestone | signal
    name: str
    multiplier: float
    deals: int
    amount: Decimal


@dataclass
class Result:
    """What the forecast page, its API, the pace alert and the digest read."""

    as_of: datetime
    runs: int
    open_deals: int
    open_amount: Decimal
    month: Outlook
    quarter: Outlook
    weeks: list[WeekPoint]
    applied: list[Applied]
    models: dict[str, PipelineModel]
    low_pct: int
    high_pct: int
    history: History | None  # None once kept as a snapshot (forecast_cache)


def _money(value: float) -> Decimal:
    return Decimal(str(round(float(value)))).quantize(Decimal("1"))


def _band(values: np.ndarray, low: int, high: int) -> Band:
    lo, mid, hi = np.percentile(values, [low, 50, high])
    return Band(low=_money(lo), p50=_money(mid), high=_money(hi), mean=_money(float(values.mean())))


def _outlook(
    label: str, ends_on: date, already: float, runs: np.ndarray, target: Decimal | None, low: int, high: int
) -> Outlook:
    outcome = runs + already
    p_miss = gap = None
    if target is not None:
        t = float(target)
        p_miss = float(np.mean(outcome < t))
        gap = _money(float(np.mean(np.maximum(t - outcome, 0.0))))
    return Outlook(
        label=label,
        ends_on=ends_on,
        already_won=_money(already),
        band=_band(outcome, low, high),
        target=target,
        p_miss=p_miss,
        expected_gap=gap,
    )


@dataclass(frozen=True)
class Scope:
    """Whose opportunities are forecast: owners (None: everyone), one pipeline or all, one
    product line or all; the targets the outcome is compared with."""

    owners: frozenset[int] | None
    pipeline: str = ""
    product_line: str = ""
    month_target: Decimal | None = None
    quarter_target: Decimal | None = None


def _scope_q(scope: Scope, prefix: str = "") -> Q:
    q = Q()
    if scope.owners is not None:
        q &= Q(**{f"{prefix}owner_id__in": sorted(scope.owners)})
    if scope.pipeline:
        q &= Q(**{f"{prefix}pipeline": scope.pipeline})
    if scope.product_line:
        q &= Q(**{f"{prefix}product_lines__icontains": f'"{scope.product_line}"'})
    return q


def open_deals_at(scope: Scope, pack: RulePack, instant: datetime) -> tuple[list[OpenDeal], list[Any]]:
    """The opportunities of `scope` open at `instant`, in the stage they were in then, with
    what they looked like then (from the stage history) — and their rows, for the uplifts."""
    templates = {t.code: t for t in pack.stage_templates}
    opportunities = list(
        Opportunity.objects.filter(_scope_q(scope), created_at__lte=instant)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=instant))
        .values(
            "id",
            "pipeline",
            "stage",
            "stage_entered_at",
            "amount",
            "product_lines",
            "expected_close",
            "status",
        )
    )
    by_id = {o["id"]: o for o in opportunities}
    now_days = _days(instant)
    # The stage each was in at `instant`: its last stay entered by then.
    stays = (
        StageVisit.objects.filter(opportunity_id__in=list(by_id), entered_at__lte=instant)
        .order_by("opportunity_id", "entered_at", "id")
        .values_list("opportunity_id", "stage", "entered_at")
    )
    where: dict[int, tuple[str, datetime]] = {}
    for opp_id, stage, entered in stays.iterator(chunk_size=20_000):
        where[opp_id] = (stage, entered)
    deals = []
    rows = []
    for o in opportunities:
        template = templates.get(o["pipeline"])
        if template is None:
            continue
        stage, entered = where.get(o["id"], (o["stage"], o["stage_entered_at"]))
        position = next((i for i, s in enumerate(template.stages) if s.code == stage), -1)
        if position < 0:
            continue
        deals.append(
            OpenDeal(
                id=o["id"],
                pipeline=o["pipeline"],
                position=position,
                elapsed_days=max(0.0, now_days - _days(entered)),
                amount=float(o["amount"] or 0),
            )
        )
        rows.append(o)
    return deals, rows


def apply_uplifts(deals: list[OpenDeal], rows: list[Any], pack: RulePack, instant: datetime) -> list[Applied]:
    """Multiply each deal's odds by the pack's milestones it reached and the external signals of
    its product line and expected close; say what applied (for the page)."""
    if not deals:
        return []
    from salesflow.core.models import Event

    templates = {t.code: t for t in pack.stage_templates}
    ids = [d.id for d in deals]
    applied: dict[tuple[str, str, float], list[OpenDeal]] = defaultdict(list)
    milestones = pack.forecast.milestones
    stage_of = {d.id: templates[d.pipeline].stages[d.position] for d in deals}
    entered_at = {d.id: _days(instant) - d.elapsed_days for d in deals}
    evidence_counts: dict[tuple[int, str, str], int] = defaultdict(int)
    if any(m.kind == "stage_evidence" for m in milestones):
        for opp_id, stage, requirement in Evidence.objects.filter(
            opportunity_id__in=ids, uploaded_at__lte=instant
        ).values_list("opportunity_id", "stage", "requirement"):
            evidence_counts[(opp_id, stage, requirement)] += 1
    events: dict[str, dict[int, float]] = {}
    event_names = [m.event for m in milestones if m.kind == "event" and m.event]
    if event_names:
        from salesflow.contracts.models import Contract
        from salesflow.quotes.models import Quote

        # A milestone is recorded on the deal or on one of its quotes or contracts (an approval of
        # a special quote is an event of the quote; a legal review starts on the contract).
        deal_of: dict[str, dict[int, int]] = {
            Opportunity._meta.label_lower: {i: i for i in ids},
            **{
                model._meta.label_lower: dict(
                    model.objects.filter(opportunity_id__in=ids).values_list("id", "opportunity_id")
                )
                for model in (Quote, Contract)
            },
        }
        subjects = Q()
        for subject_type, deal_ids in deal_of.items():
            subjects |= Q(subject_type=subject_type, subject_id__in=list(deal_ids))
        reached = Event.objects.filter(subjects, name__in=event_names, occurred_at__lte=instant).values_list(
            "name", "subject_type", "subject_id", "occurred_at"
        )
        for name, subject_type, subject_id, at in reached:
            deal_id = deal_of[subject_type][subject_id]
            latest = events.setdefault(name, {})
            latest[deal_id] = max(latest.get(deal_id, 0.0), _days(at))
    for m in milestones:
        multiplier = float(m.odds_multiplier)
        for d in deals:
            if m.kind == "stage_evidence":
                current = stage_of[d.id]
                hit = bool(current.exit_evidence) and all(
                    evidence_counts[(d.id, current.code, r.code)] >= r.min_count
                    for r in current.exit_evidence
                )
            else:
                # Reached since the opportunity entered its current stage.
                hit = events.get(m.event or "", {}).get(d.id, -1.0) >= entered_at[d.id]
            if hit:
                d.odds *= multiplier
                d.reasons.append(m.name)
                applied[("milestone", m.name, multiplier)].append(d)
    local_day = clock.to_local(instant).date()
    signals = ForecastSignal.objects.filter(ends_on__gte=local_day - timedelta(days=366))
    for signal in signals:
        multiplier = float(signal.multiplier)
        for d, row in zip(deals, rows, strict=True):
            close = row["expected_close"]
            if (
                close is not None
                and signal.starts_on <= close <= signal.ends_on
                and signal.product_line in (row["product_lines"] or [])
            ):
                d.odds *= multiplier
                d.reasons.append(signal.title)
                applied[("signal", signal.title, multiplier)].append(d)
    return [
        Applied(
            kind=kind,
            name=name,
            multiplier=multiplier,
            deals=len(hit),
            amount=_money(sum(d.amount for d in hit)),
        )
        for (kind, name, multiplier), hit in applied.items()
    ]


def _won_between(scope: Scope, since: datetime, until: datetime) -> float:
    total = Opportunity.objects.filter(
        _scope_q(scope), status=OpportunityStatus.WON, closed_at__gte=since, closed_at__lt=until
    ).aggregate(t=Sum("amount"))["t"]
    return float(total or 0)


def _templates(pack: RulePack, scope: Scope) -> list[StageTemplate]:
    return [t for t in pack.stage_templates if not scope.pipeline or t.code == scope.pipeline]


def forecast(
    scope: Scope,
    pack: RulePack,
    *,
    now: datetime | None = None,
    seed: int | None = None,
    history: History | None = None,
) -> Result:
    """The forecast of `scope` at `now`: the month's and the quarter's band, the risk of missing
    their targets, the week-by-week band of the quarter and what milestones and signals did.
    `seed` makes the runs repeatable (tests); `history` reuses loaded stays (the backtest)."""
    now = now or clock.now()
    settings: ForecastSettings = pack.forecast
    rng = np.random.Generator(np.random.SFC64(seed))
    today = clock.to_local(now).date()
    month_last = month_end(today)
    quarter_first, quarter_last = quarter_of(today)
    templates = _templates(pack, scope)
    if history is None:
        history = load_history(templates, since=now - timedelta(days=settings.history_days), until=now)
    as_of = _days(now)
    models = build_models(
        history,
        templates,
        owners=set(scope.owners) if scope.owners is not None else None,
        as_of=as_of,
        min_stays=settings.min_stays,
    )
    # Week ends (local Sundays) up to the quarter's end, and the month's end.
    ends = []
    cursor = today + timedelta(days=6 - today.weekday())
    while cursor < quarter_last:
        ends.append(cursor)
        cursor += timedelta(days=7)
    ends.append(quarter_last)
    if month_last not in ends:
        ends.append(month_last)
    ends = sorted(set(ends))
    horizons = np.array([_days(clock.local_midnight(e + timedelta(days=1))) - as_of for e in ends])
    horizon_days = int(np.ceil(horizons.max())) + 1
    cdfs = {
        code: win_time_cdf(model, runs=settings.runs, horizon_days=horizon_days, rng=rng)
        for code, model in models.items()
    }
    deals, rows = open_deals_at(scope, pack, now)
    applied = apply_uplifts(deals, rows, pack, now)
    probabilities = deal_probabilities(deals, models, cdfs, horizons)
    amounts = np.array([d.amount for d in deals], dtype=np.float64)
    month_index = ends.index(month_last)
    top, detail = simulate_outcomes(
        probabilities,
        amounts,
        runs=settings.runs,
        rng=rng,
        headline=(month_index, len(ends) - 1),
        detail_runs=settings.curve_runs,
    )
    won_month = _won_between(scope, clock.local_midnight(today.replace(day=1)), now)
    won_quarter = _won_between(scope, clock.local_midnight(quarter_first), now)
    low, high = settings.band_low_pct, settings.band_high_pct
    quarter_label = f"Q{(quarter_first.month - 1) // 3 + 1}"
    month = _outlook(f"{today.month}月", month_last, won_month, top[:, 0], scope.month_target, low, high)
    quarter = _outlook(quarter_label, quarter_last, won_quarter, top[:, 1], scope.quarter_target, low, high)
    weeks = []
    for i, end in enumerate(ends):
        band = _band(detail[:, i] + won_quarter, low, high)
        weeks.append(WeekPoint(ends_on=end, low=band.low, p50=band.p50, high=band.high))
    return Result(
        as_of=now,
        runs=settings.runs,
        open_deals=len(deals),
        open_amount=_money(amounts.sum()),
        month=month,
        quarter=quarter,
        weeks=weeks,
        applied=applied,
        models=models,
        low_pct=low,
        high_pct=high,
        history=history,
    )


# ---------------------------------------------------------------------------------------------
# Backtest: the forecast replayed at past weeks


@dataclass(frozen=True)
class BacktestWeek:
    """The month forecast made at the start of one past week against what was signed."""

    as_of: date
    month_end: date
    low: Decimal
    p50: Decimal
    high: Decimal
    actual: Decimal | None  # None while the month has not ended
    error_pct: float | None  # (P50 − actual) / actual
    covered: bool | None  # actual inside the band


@dataclass(frozen=True)
class Backtest:
    """Past weeks' forecasts and how often the band held the truth."""

    weeks: list[BacktestWeek]
    coverage: float | None  # share of finished weeks with the actual inside the band
    mean_abs_error_pct: float | None
    low_pct: int
    high_pct: int


def backtest(
    scope: Scope,
    pack: RulePack,
    *,
    now: datetime | None = None,
    weeks: int | None = None,
    seed: int | None = None,
) -> Backtest:
    """Replay the forecast at the start (local Monday 00:00) of each of the past `weeks` weeks
    (pack `forecast.backtest_weeks`), knowing only the history before that instant, and compare
    the month's band with the amount actually signed in that month."""
    now = now or clock.now()
    settings = pack.forecast
    weeks = weeks or settings.backtest_weeks
    today = clock.to_local(now).date()
    this_monday = today - timedelta(days=today.weekday())
    instants = [clock.local_midnight(this_monday - timedelta(weeks=k)) for k in range(weeks, 0, -1)]
    templates = _templates(pack, scope)
    history = load_history(templates, since=instants[0] - timedelta(days=settings.history_days), until=now)
    rows = []
    base = seed if seed is not None else None
    for i, instant in enumerate(instants):
        day = clock.to_local(instant).date()
        # History known at the instant only (stays entered before it; outcomes by it).
        result = forecast(
            scope,
            pack,
            now=instant,
            seed=None if base is None else base + i,
            history=_before(history, _days(instant), settings.history_days),
        )
        last = month_end(day)
        actual = None
        if clock.local_midnight(last + timedelta(days=1)) <= now:
            actual = _money(
                _won_between(
                    scope,
                    clock.local_midnight(day.replace(day=1)),
                    clock.local_midnight(last + timedelta(days=1)),
                )
            )
        band = result.month.band
        error = covered = None
        if actual is not None:
            covered = band.low <= actual <= band.high
            error = float((band.p50 - actual) / actual * 100) if actual else None
        rows.append(
            BacktestWeek(
                as_of=day,
                month_end=last,
                low=band.low,
                p50=band.p50,
                high=band.high,
                actual=actual,
                error_pct=None if error is None else round(error, 1),
                covered=covered,
            )
        )
    finished = [r for r in rows if r.covered is not None]
    errors = [abs(r.error_pct) for r in rows if r.error_pct is not None]
    return Backtest(
        weeks=rows,
        coverage=sum(1 for r in finished if r.covered) / len(finished) if finished else None,
        mean_abs_error_pct=round(sum(errors) / len(errors), 1) if errors else None,
        low_pct=settings.band_low_pct,
        high_pct=settings.band_high_pct,
    )


def _before(history: History, as_of: float, history_days: int) -> History:
    """The stays entered in the `history_days` before `as_of` (their outcomes are judged at
    `as_of` by `build_models`, so nothing later leaks in)."""
    keep = (history.entered < as_of) & (history.entered >= as_of - history_days)
    return History(
        opportunity=history.opportunity[keep],
        owner=history.owner[keep],
        pipeline=history.pipeline[keep],
        stage=history.stage[keep],
        entered=history.entered[keep],
        exited=history.exited[keep],
        won=history.won[keep],
        lost=history.lost[keep],
        closed=history.closed[keep],
        pipelines=history.pipelines,
    )


def wan(amount: Decimal) -> str:
    """An amount in 万元 as alerts and headlines write it (“820 万元”, “12.5 万元”)."""
    value = (amount / Decimal(10000)).quantize(Decimal("0.1"))
    return f"{value:,.1f}".removesuffix(".0") + " 万元"


def gap_sentence(result: Result) -> str:
    """The quarter in one sentence with the simulation's number, e.g. “若维持当前推进速度，Q2
    签约额预计缺口 820 万元” (or the expected signed amount when there is no target)."""
    quarter = result.quarter
    if quarter.target is None or quarter.expected_gap is None:
        return f"若维持当前推进速度，{quarter.label} 签约额预计 {wan(quarter.band.p50)}（未设置目标）"
    if quarter.expected_gap > 0:
        return f"若维持当前推进速度，{quarter.label} 签约额预计缺口 {wan(quarter.expected_gap)}"
    return f"若维持当前推进速度，{quarter.label} 签约额预计达成目标 {wan(quarter.target)}"
