"""Three-level attribution (三级归因看板): action, process and result, each against its pack
threshold and with its trend.

- Action level — 有效接触率 `effective_contact_rate`: of the leads assigned to the viewer's
  people in a week (whose window has passed), the share with any activity logged within the
  pack's `within` window (48 h) of assignment. Weekly trend.
- Process level — 阶段转化率标准差 `stage_conversion_stddev`: per month, for each stage but
  the last, the population standard deviation (percentage points) of the reps' conversion
  (entries that went on to a later stage) across reps with at least `min_sample` entries; the
  indicator is the mean over stages. Monthly trend.
- Result level — 获客成本同比下降 `cac_yoy_drop`: customer acquisition cost (获客成本) =
  acquisition spend (entered by the ops admin per lead source and month) ÷ leads of that source
  converted into customers in the period; the indicator is how much it fell against the same
  months a year before, in percent. Company-wide (spend is a company figure); monthly trend
  and the period's figures by source.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth, TruncWeek

from salesflow.activities.models import Activity
from salesflow.analytics import rollups, selectors
from salesflow.analytics.health import threshold_of, worse
from salesflow.analytics.models import AcquisitionSpend
from salesflow.core import clock
from salesflow.leads.choices import LeadStatus
from salesflow.leads.models import Lead
from salesflow.org.choices import COMPANY_WIDE_ROLES, MANAGING_ROLES
from salesflow.org.models import User
from salesflow.rules.schema import HealthThreshold, RulePack
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration

LEVELS = (
    ("action", "effective_contact_rate"),
    ("process", "stage_conversion_stddev"),
    ("result", "cac_yoy_drop"),
)


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after `month`'s (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _as_date(value: date | datetime) -> date:
    return clock.to_local(value).date() if isinstance(value, datetime) else value


@dataclass
class Point:
    """One point of a trend: its label (a week's Monday or a month), the value, and what it
    was computed from."""

    label: date
    value: float | None
    numerator: float = 0
    denominator: float = 0


@dataclass
class Level:
    """One level of the board: the pack's threshold, the headline value and its trend."""

    level: str
    threshold: HealthThreshold
    value: float | None
    trend: list[Point]
    on_target: bool | None = None
    note: str = ""


@dataclass
class SourceCac:
    """A lead source's acquisition cost in the period and a year before."""

    source: str
    label: str
    spend: Decimal
    customers: int
    cac: Decimal | None
    spend_before: Decimal
    customers_before: int
    cac_before: Decimal | None
    drop_pct: float | None


@dataclass
class Attribution:
    """The whole board for one viewer."""

    levels: list[Level]
    sources: list[SourceCac] = field(default_factory=list)
    months: tuple[date, date] | None = None
    shows_cac: bool = False
    # Set when the process level comes from the daily roll-up: as of when (数据截至).
    freshness: rollups.Freshness | None = None


# ---------------------------------------------------------------------------------------------
# Action level


def effective_contact_trend(
    user: User, weeks: list[date], *, within: timedelta, now: datetime
) -> list[Point]:
    """Per week (by its Monday): leads assigned to the viewer's people that week whose window
    has passed, and how many of them got an activity within `within` of assignment."""
    owners = selectors.owner_ids(user)
    contacted = Activity.objects.filter(
        lead_id=OuterRef("pk"),
        occurred_at__gte=OuterRef("assigned_at"),
        occurred_at__lte=OuterRef("assigned_at") + within,
    )
    leads = Lead.objects.filter(
        owner__isnull=False,
        assigned_at__gte=clock.local_midnight(weeks[0]),
        assigned_at__lt=min(clock.local_midnight(weeks[-1] + timedelta(days=7)), now - within),
    )
    if owners is not None:
        leads = leads.filter(owner_id__in=sorted(owners))
    rows = (
        leads.annotate(ok=Exists(contacted))
        .annotate(week=TruncWeek("assigned_at", tzinfo=clock.local_zone()))
        .values("week")
        .annotate(n=Count("id"), hit=Count("id", filter=Q(ok=True)))
        .values_list("week", "n", "hit")
    )
    by_week = {_as_date(week): (n, hit) for week, n, hit in rows}
    points = []
    for week in weeks:
        n, hit = by_week.get(week, (0, 0))
        points.append(
            Point(label=week, value=round(100 * hit / n, 1) if n else None, numerator=hit, denominator=n)
        )
    return points


# ---------------------------------------------------------------------------------------------
# Process level


def conversion_spread_trend(user: User, months: list[date], *, min_sample: int) -> list[Point]:
    """Per month: the mean over stages (all but the last) of the standard deviation, in
    percentage points, of the reps' stage conversion — one query for every month."""
    _number, pack = active_pack()
    if not pack.stage_templates:
        return [Point(label=m, value=None) for m in months]
    template = pack.stage_templates[0]
    filters = selectors.CockpitFilters(
        start=months[0], end=add_months(months[-1], 1) - timedelta(days=1), pipeline=template.code
    )
    rows: Iterable[tuple[Any, str, int | None, int, int]]
    if rollups.state() is not None:
        rows = rollups.entries_by_month(
            pipeline=template.code, start=filters.start, end=filters.end, owners=selectors.owner_ids(user)
        )
    else:
        rows = (
            selectors._entries(user, filters, template)
            .annotate(month=TruncMonth("entered_at", tzinfo=clock.local_zone()))
            .values("month", "stage", "opportunity__owner_id")
            .annotate(
                n=Count("opportunity_id", distinct=True),
                on=Count("opportunity_id", distinct=True, filter=Q(advanced=True)),
            )
            .values_list("month", "stage", "opportunity__owner_id", "n", "on")
        )
    rates: dict[date, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    last = template.stages[-1].code if template.stages else ""
    for month, stage, owner, n, on in rows:
        if owner is None or stage == last or n < min_sample:
            continue
        rates[_as_date(month).replace(day=1)][stage].append(100 * on / n)
    points = []
    for month in months:
        spreads = [statistics.pstdev(v) for v in rates.get(month, {}).values() if len(v) >= 2]
        points.append(
            Point(
                label=month,
                value=round(statistics.fmean(spreads), 1) if spreads else None,
                denominator=len(spreads),
            )
        )
    return points


# ---------------------------------------------------------------------------------------------
# Result level


def spend_by_source_month(start: date, end: date) -> dict[tuple[str, date], Decimal]:
    """Acquisition spend per (source, month) for the months `start`..`end` (first days)."""
    rows = AcquisitionSpend.objects.filter(month__gte=start, month__lte=end).values_list(
        "source", "month", "amount"
    )
    return {(source, month): amount for source, month, amount in rows}


def conversions_by_source_month(start: date, end_exclusive: date) -> dict[tuple[str, date], int]:
    """Leads converted into customers per (source, local month), company-wide."""
    rows = (
        Lead.objects.filter(
            status=LeadStatus.CONVERTED,
            converted_at__gte=clock.local_midnight(start),
            converted_at__lt=clock.local_midnight(end_exclusive),
        )
        .annotate(month=TruncMonth("converted_at", tzinfo=clock.local_zone()))
        .values("source", "month")
        .annotate(n=Count("id"))
        .values_list("source", "month", "n")
    )
    return {(source or "", _as_date(month).replace(day=1)): n for source, month, n in rows}


def cac(spend: Decimal, customers: int) -> Decimal | None:
    """Spend per customer acquired (None without customers)."""
    return (spend / customers).quantize(Decimal("0.01")) if customers else None


def drop_pct(before: Decimal | None, now: Decimal | None) -> float | None:
    """How much the cost fell against a year before, in percent (negative: it rose)."""
    if before is None or now is None or before == 0:
        return None
    return round(float((before - now) / before * 100), 1)


def cac_board(months: list[date], pack: RulePack) -> tuple[list[Point], list[SourceCac], float | None]:
    """The monthly trend of the CAC drop against a year before, the period's CAC by source,
    and the period's overall drop."""
    first, last = months[0], months[-1]
    rolling = pack.settings.attribution_rolling_months
    spend = spend_by_source_month(add_months(first, -12 - rolling + 1), last)
    won = conversions_by_source_month(add_months(first, -12 - rolling + 1), add_months(last, 1))
    total_spend: dict[date, Decimal] = defaultdict(Decimal)
    total_won: dict[date, int] = defaultdict(int)
    for (_source, month), amount in spend.items():
        total_spend[month] += amount
    for (_source, month), n in won.items():
        total_won[month] += n
    trend = []
    for month in months:
        # A rolling window (this month and the ones before: a quarter by default) against the
        # same months a year before: one month holds too few new customers to compare alone.
        window = [add_months(month, -i) for i in range(rolling)]
        before = [add_months(m, -12) for m in window]
        now_cac = cac(
            sum((total_spend.get(m, Decimal(0)) for m in window), Decimal(0)),
            sum(total_won.get(m, 0) for m in window),
        )
        then_cac = cac(
            sum((total_spend.get(m, Decimal(0)) for m in before), Decimal(0)),
            sum(total_won.get(m, 0) for m in before),
        )
        trend.append(
            Point(
                label=month,
                value=drop_pct(then_cac, now_cac),
                numerator=float(now_cac) if now_cac is not None else 0,
                denominator=float(then_cac) if then_cac is not None else 0,
            )
        )
    dictionary = pack.dictionary("lead_source")
    labels = {c.code: c.label for c in dictionary.choices} if dictionary else {}
    codes = [*labels, *sorted({s for s, _m in spend} - set(labels))]
    period = set(months)
    year_before = {add_months(m, -12) for m in months}
    rows = []
    for code in codes:
        s_now = sum((a for (s, m), a in spend.items() if s == code and m in period), Decimal(0))
        s_then = sum((a for (s, m), a in spend.items() if s == code and m in year_before), Decimal(0))
        c_now = sum(n for (s, m), n in won.items() if s == code and m in period)
        c_then = sum(n for (s, m), n in won.items() if s == code and m in year_before)
        if not (s_now or s_then or c_now or c_then):
            continue
        rows.append(
            SourceCac(
                source=code,
                label=labels.get(code, code),
                spend=s_now,
                customers=c_now,
                cac=cac(s_now, c_now),
                spend_before=s_then,
                customers_before=c_then,
                cac_before=cac(s_then, c_then),
                drop_pct=drop_pct(cac(s_then, c_then), cac(s_now, c_now)),
            )
        )
    # Overall: only sources with spend in both periods compare like with like.
    spend_now = sum((a for (_s, m), a in spend.items() if m in period), Decimal(0))
    spend_then = sum((a for (_s, m), a in spend.items() if m in year_before), Decimal(0))
    won_now = sum(n for (_s, m), n in won.items() if m in period)
    won_then = sum(n for (_s, m), n in won.items() if m in year_before)
    overall = drop_pct(cac(spend_then, won_then), cac(spend_now, won_now))
    return trend, rows, overall


def may_see_cac(user: User) -> bool:
    """Acquisition spend is a company figure: managers up and the company-wide roles see it."""
    return bool(user.is_superuser or user.role in COMPANY_WIDE_ROLES or user.role in MANAGING_ROLES)


# ---------------------------------------------------------------------------------------------
# The board


def attribution(user: User, *, now: datetime | None = None) -> Attribution:
    """The three levels for `user`: the action and process levels over their people, the
    result level company-wide for those who may see spend."""
    now = now or clock.now()
    _number, pack = active_pack()
    today = clock.to_local(now).date()
    week0 = today - timedelta(days=today.weekday())
    weeks = [
        week0 - timedelta(weeks=i) for i in reversed(range(max(1, pack.settings.health_trend_days // 7)))
    ]
    this_month = today.replace(day=1)
    # Whole months only: the month under way would read as a drop in spend or conversions.
    months = [add_months(this_month, -i) for i in reversed(range(1, pack.settings.attribution_months + 1))]
    levels: list[Level] = []
    board = Attribution(
        levels=levels,
        shows_cac=may_see_cac(user),
        months=(months[0], months[-1]),
        freshness=rollups.freshness(rollups.state()),
    )
    for level, code in LEVELS:
        threshold = threshold_of(pack, code)
        if threshold is None:
            continue
        if code == "effective_contact_rate":
            within = parse_duration(threshold.within or pack.lights.lead_red_without_follow_up).as_timedelta()
            trend = effective_contact_trend(user, weeks, within=within, now=now)
            hits = sum(p.numerator for p in trend)
            total = sum(p.denominator for p in trend)
            value = round(100 * hits / total, 1) if total else None
        elif code == "stage_conversion_stddev":
            # The spread is no sum, so the month under way counts as it stands.
            trend = conversion_spread_trend(user, [*months[1:], this_month], min_sample=threshold.min_sample)
            measured = [p.value for p in trend if p.value is not None]
            value = measured[-1] if measured else None
        else:
            if not board.shows_cac:
                continue
            trend, board.sources, value = cac_board(months, pack)
        on_target = None if value is None else not worse(value, threshold.target, threshold.better)
        levels.append(Level(level=level, threshold=threshold, value=value, trend=trend, on_target=on_target))
    return board


def spend_table(months: list[date]) -> dict[str, dict[date, Decimal]]:
    """Spend per source and month (what the spend page shows)."""
    table: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for (source, month), amount in spend_by_source_month(months[0], months[-1]).items():
        table[source][month] = amount
    return table
