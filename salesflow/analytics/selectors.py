"""The management cockpit's numbers and the records behind each of them.

Funnel, stage-to-stage conversion, dwell distribution, win rate, cycle time and deal size over
a period, for the people the caller may see (a rep: themselves; a manager: their team; a
director: their region; company-wide roles: everyone). Every number is a set-based aggregate
over opportunities and their stage history, so the page costs the same handful of queries for
fifty deals or fifty thousand; `drill` returns the rows behind any one cell.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from salesflow.analytics import rollups
from salesflow.analytics.completeness import completeness_by_owner
from salesflow.analytics.models import RollupState, SalesTarget
from salesflow.analytics.rollups import Freshness
from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.org.choices import Role
from salesflow.org.models import Team, User
from salesflow.org.selectors import visible_owner_ids
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity, StageVisit
from salesflow.pipeline.selectors import DaysBetween
from salesflow.rules.schema import StageTemplate
from salesflow.rules.selectors import active_pack

# Dates outside these years are typing mistakes, and near date.max the period's end overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2099
PERCENTILES = (25, 50, 75, 90)
# What a drill-down may list: stage metrics need `stage`, the closing ones do not.
STAGE_METRICS = ("entered", "advanced", "dwell")
CLOSE_METRICS = ("closed", "won", "lost")
DRILL_METRICS = STAGE_METRICS + CLOSE_METRICS
FILTER_FIELDS = ("start", "end", "pipeline", "team", "owner", "product_line")


def owner_ids(user: User) -> set[int] | None:
    """`visible_owner_ids(user)`, worked out once per user object: the cockpit asks for it in
    every aggregate, and it walks the reporting tree one query per level."""
    if not hasattr(user, "_cockpit_owner_ids"):
        user._cockpit_owner_ids = visible_owner_ids(user)  # type: ignore[attr-defined]
    owners: set[int] | None = user._cockpit_owner_ids  # type: ignore[attr-defined]
    return owners


def _refuse(name: str, message: str) -> FieldErrors:
    return FieldErrors({name: [message]}, location="query")


@dataclass(frozen=True)
class CockpitFilters:
    """What the cockpit is narrowed by: a period of local dates (both inclusive), a pipeline of
    the pack, and optionally a team (with every team beneath it), one owner and a product line."""

    start: date
    end: date
    pipeline: str
    team: int | None = None
    team_path: str = ""
    owner: int | None = None
    product_line: str = ""

    @property
    def since(self) -> datetime:
        """The period's first instant (local midnight of `start`)."""
        return datetime.combine(self.start, time.min, tzinfo=clock.local_zone())

    @property
    def until(self) -> datetime:
        """The instant after the period (local midnight after `end`)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=clock.local_zone())

    def params(self, **overrides: Any) -> dict[str, str]:
        """The filters as query parameters (what a drill-down link or the export carries)."""
        values: dict[str, Any] = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "pipeline": self.pipeline,
            "team": self.team,
            "owner": self.owner,
            "product_line": self.product_line,
        }
        values.update(overrides)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def month_of(day: date) -> tuple[date, date]:
    """The first and last day of `day`'s month."""
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _date(params: Mapping[str, Any], name: str, default: date) -> date:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise _refuse(name, "日期格式应为 YYYY-MM-DD / Use a date like 2026-12-01.") from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise _refuse(name, f"日期应在 {FIRST_YEAR}–{LAST_YEAR} 年之间 / Out of range.")
    return value


def _id(params: Mapping[str, Any], name: str) -> int | None:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise _refuse(name, "应为 id / Use an id.")
    return int(raw)


def parse_filters(params: Mapping[str, Any], *, user: User, today: date | None = None) -> CockpitFilters:
    """Cockpit filters from query parameters, checked: FieldErrors name every bad field.

    Defaults: this month (local), the pack's first pipeline. `owner` must be someone whose
    numbers `user` may see; `team`, `pipeline` and `product_line` must exist.
    """
    today = today or clock.to_local(clock.now()).date()
    first, last = month_of(today)
    errors: dict[str, list[str]] = {}

    def check(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except FieldErrors as exc:
            errors.update(exc.errors)
            return None

    start = check(_date, params, "start", first)
    end = check(_date, params, "end", last)
    if start and end and end < start:
        errors["end"] = ["结束日期不能早于开始日期 / The end is before the start."]
    _number, pack = active_pack()
    pipeline = str(params.get("pipeline") or "").strip()
    codes = [t.code for t in pack.stage_templates]
    if not pipeline:
        pipeline = codes[0] if codes else ""
    elif pipeline not in codes:
        errors["pipeline"] = [f"应为 {', '.join(codes)} 之一 / Unknown pipeline."]
    team_id = check(_id, params, "team")
    team_path = ""
    if team_id is not None:
        team_path = Team.objects.filter(pk=team_id).values_list("path", flat=True).first() or ""
        if not team_path:
            errors["team"] = ["没有这个团队 / No such team."]
    owner = check(_id, params, "owner")
    if owner is not None:
        owners = owner_ids(user)
        if (owners is not None and owner not in owners) or not User.objects.filter(pk=owner).exists():
            errors["owner"] = ["不在你可查看的人员范围内 / Not someone whose numbers you may see."]
    product_line = str(params.get("product_line") or "").strip()
    lines = pack.dictionary("product_line")
    if product_line and (lines is None or product_line not in [c.code for c in lines.choices]):
        errors["product_line"] = ["没有这个产品线 / Unknown product line."]
    if errors:
        raise FieldErrors(errors, location="query")
    return CockpitFilters(
        start=start,
        end=end,
        pipeline=pipeline,
        team=team_id,
        team_path=team_path,
        owner=owner,
        product_line=product_line,
    )


def template_of(filters: CockpitFilters) -> StageTemplate | None:
    """The pack's stage template the filters name."""
    _number, pack = active_pack()
    return next((t for t in pack.stage_templates if t.code == filters.pipeline), None)


# ---------------------------------------------------------------------------------------------
# Scope: which opportunities count


def _scope_q(user: User, filters: CockpitFilters, prefix: str = "") -> Q:
    """Opportunities of the filters' pipeline owned by people `user` may see, narrowed by the
    filters. `prefix` reaches the opportunity from another model ("opportunity__").

    Unlike a record list, pooled opportunities (no owner) count for nobody but company-wide
    roles: a rep's cockpit holds their own numbers only.
    """
    q = Q(**{f"{prefix}pipeline": filters.pipeline})
    owners = owner_ids(user)
    if owners is not None:
        q &= Q(**{f"{prefix}owner_id__in": sorted(owners)})
    if filters.owner is not None:
        q &= Q(**{f"{prefix}owner_id": filters.owner})
    if filters.team_path:
        q &= Q(**{f"{prefix}owner__team__path__startswith": filters.team_path})
    if filters.product_line:
        # product_lines is a JSON list of codes; matching the quoted code in its text works the
        # same on SQLite and PostgreSQL (JSON `contains` is not available on SQLite).
        q &= Q(**{f"{prefix}product_lines__icontains": f'"{filters.product_line}"'})
    return q


def scoped_opportunities(user: User, filters: CockpitFilters) -> QuerySet[Opportunity]:
    """The opportunities behind the cockpit of `user` with `filters`."""
    return Opportunity.objects.filter(_scope_q(user, filters))


def _stays(user: User, filters: CockpitFilters) -> QuerySet[StageVisit]:
    return StageVisit.objects.filter(_scope_q(user, filters, "opportunity__"), pipeline=filters.pipeline)


def _stage_index(template: StageTemplate) -> Case:
    """A stay's stage as its position in the template (-1 for a stage the pack has dropped)."""
    return Case(
        *[When(stage=s.code, then=Value(i)) for i, s in enumerate(template.stages)],
        default=Value(-1),
        output_field=IntegerField(),
    )


def _entries(user: User, filters: CockpitFilters, template: StageTemplate) -> QuerySet[StageVisit]:
    """Stays entered in the period, each marked `advanced` when the opportunity went on to a
    later stage of the template (at or after that entry, at any time up to now)."""
    later = (
        StageVisit.objects.filter(
            opportunity_id=OuterRef("opportunity_id"),
            pipeline=filters.pipeline,
            entered_at__gte=OuterRef("entered_at"),
        )
        .annotate(position=_stage_index(template))
        .filter(position__gt=OuterRef("position"))
    )
    return (
        _stays(user, filters)
        .filter(entered_at__gte=filters.since, entered_at__lt=filters.until)
        .annotate(position=_stage_index(template))
        .annotate(advanced=Exists(later))
    )


def _completed_stays(user: User, filters: CockpitFilters) -> QuerySet[StageVisit]:
    """Stays that ended in the period (their dwell is known)."""
    return _stays(user, filters).filter(exited_at__gte=filters.since, exited_at__lt=filters.until)


def _closed(user: User, filters: CockpitFilters) -> QuerySet[Opportunity]:
    return scoped_opportunities(user, filters).filter(
        closed_at__gte=filters.since, closed_at__lt=filters.until
    )


# ---------------------------------------------------------------------------------------------
# The numbers


@dataclass
class Numbers:
    """One row's numbers (the whole scope, a rep or a team): stage entries and advances, and
    the period's closings. Sums, so a team's numbers are its reps' added up."""

    entered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    advanced: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    won: int = 0
    lost: int = 0
    won_amount: Decimal = Decimal("0")
    # Sum of created → closed days over the won ones (the average's numerator).
    cycle_days: float = 0.0

    def add(self, other: Numbers) -> None:
        """Add `other`'s numbers to these."""
        for code, n in other.entered.items():
            self.entered[code] += n
        for code, n in other.advanced.items():
            self.advanced[code] += n
        self.won += other.won
        self.lost += other.lost
        self.won_amount += other.won_amount
        self.cycle_days += other.cycle_days

    @property
    def closed(self) -> int:
        """Won and lost in the period."""
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        """Won ÷ closed in the period, in percent (None without closings)."""
        return round(100 * self.won / self.closed, 1) if self.closed else None

    @property
    def avg_deal(self) -> Decimal | None:
        """Average amount of the deals won in the period."""
        return (self.won_amount / self.won).quantize(Decimal("0.01")) if self.won else None

    @property
    def avg_cycle_days(self) -> float | None:
        """Average days from creation to won, of the deals won in the period."""
        return round(self.cycle_days / self.won, 1) if self.won else None

    def conversion(self, code: str) -> float | None:
        """Percent of the entries into stage `code` that went on to a later stage."""
        entered = self.entered.get(code, 0)
        return round(100 * self.advanced.get(code, 0) / entered, 1) if entered else None


@dataclass(frozen=True)
class Dwell:
    """Completed stays of one stage in the period: how many, and their length's percentiles (days)."""

    count: int
    p25: float | None = None
    p50: float | None = None
    p75: float | None = None
    p90: float | None = None


@dataclass
class Row:
    """A rep or a team and their numbers."""

    id: int | None
    name: str
    numbers: Numbers
    team: str = ""
    # 资料完整率 of a rep's records in percent (reps only; None without records).
    completeness: float | None = None


@dataclass
class Cockpit:
    """Everything the cockpit page and its API show for one caller and one set of filters."""

    filters: CockpitFilters
    template: StageTemplate | None
    total: Numbers
    dwell: dict[str, Dwell]
    reps: list[Row]
    teams: list[Row]
    # Set when the funnel and conversion come from the daily roll-up: as of when (数据截至).
    freshness: Freshness | None = None


def nearest_rank(percentile: int, count: int) -> int:
    """The 1-based rank holding `percentile` of `count` sorted values: ceil(p·n / 100), in
    integers so no float rounding moves it (nearest-rank method: always an observed value)."""
    return max(1, -(-percentile * count // 100))


def dwell_distribution(
    user: User, filters: CockpitFilters, *, rolled_up: bool | None = None
) -> dict[str, Dwell]:
    """Per stage: completed stays in the period and the P25/P50/P75/P90 of their length in days.

    Portable percentiles in two queries, never loading the stays: first each stage's count;
    then the stays ranked by length within their stage (ROW_NUMBER() OVER (PARTITION BY stage
    ORDER BY days), a window both SQLite ≥ 3.25 and PostgreSQL run), keeping only the rows at
    the nearest ranks ceil(p·n/100) computed from the counts. PostgreSQL's percentile_cont
    would interpolate, SQLite has no percentile function; nearest-rank gives the same answer
    on both and is always a stay that happened.
    """
    if rolled_up is None:
        rolled_up = rollups.state() is not None
    if rolled_up and not filters.product_line and template_of(filters) is not None:
        return _rolled_up_dwell(user, filters)
    stays = _completed_stays(user, filters)
    counts = dict(stays.values_list("stage").annotate(n=Count("id")).values_list("stage", "n"))
    if not counts:
        return {}
    wanted: dict[str, dict[int, list[int]]] = {}
    for stage, n in counts.items():
        ranks: dict[int, list[int]] = defaultdict(list)
        for p in PERCENTILES:
            ranks[nearest_rank(p, n)].append(p)
        wanted[stage] = ranks
    pick = Q()
    for stage, ranks in wanted.items():
        pick |= Q(stage=stage, rank__in=sorted(ranks))
    rows = (
        stays.annotate(days=DaysBetween(F("exited_at"), F("entered_at")))
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("stage")], order_by=[F("days").asc(), F("id").asc()])
        )
        .filter(pick)
        .values_list("stage", "rank", "days")
    )
    values: dict[str, dict[int, float]] = defaultdict(dict)
    for stage, rank, days in rows:
        for p in wanted[stage][rank]:
            values[stage][p] = round(float(days), 1)
    return {
        stage: Dwell(
            count=n,
            p25=values[stage].get(25),
            p50=values[stage].get(50),
            p75=values[stage].get(75),
            p90=values[stage].get(90),
        )
        for stage, n in counts.items()
    }


def _rolled_up_dwell(user: User, filters: CockpitFilters) -> dict[str, Dwell]:
    """dwell_distribution from the daily dwell roll-up: per stage, the stays counted by length
    in tenths of a day, walked in ascending order to the nearest ranks (the same ranks the live
    window picks; rounding is monotonic, so the rounded value at a rank is the same)."""
    out: dict[str, Dwell] = {}
    counted = rollups.dwell_counts(
        pipeline=filters.pipeline,
        start=filters.start,
        end=filters.end,
        owners=owner_ids(user),
        owner=filters.owner,
        team_path=filters.team_path,
    )
    for stage, lengths in counted.items():
        n = sum(stays for _tenths, stays in lengths)
        if not n:
            continue
        values: dict[int, float] = {}
        for p in PERCENTILES:
            rank, seen = nearest_rank(p, n), 0
            for tenths, stays in lengths:
                seen += stays
                if seen >= rank:
                    values[p] = tenths / 10
                    break
        out[stage] = Dwell(
            count=n, p25=values.get(25), p50=values.get(50), p75=values.get(75), p90=values.get(90)
        )
    return out


def _people(user: User, filters: CockpitFilters, ids: set[int]) -> list[User]:
    """The reps a table lists: everyone with numbers, and for a manager or director every rep
    of theirs in the filters even at zero (a row of zeros is a finding too)."""
    owners = owner_ids(user)
    q = Q(pk__in=ids)
    if owners is not None and filters.owner is None:
        extra = Q(pk__in=owners, role=Role.REP, is_active=True)
        if filters.team_path:
            extra &= Q(team__path__startswith=filters.team_path)
        q |= extra
    elif filters.owner is not None:
        q |= Q(pk=filters.owner)
    return list(User.objects.filter(q).select_related("team").order_by("team__path", "display_name", "pk"))


def _entry_counts(
    user: User, filters: CockpitFilters, template: StageTemplate, current: RollupState | None
) -> tuple[list[tuple[str, int | None, int, int]], Freshness | None]:
    """(stage, owner, distinct opportunities entering it in the period, of which advanced): from
    the daily roll-up when it is built (`current`, and no product line narrows the deals), else live."""
    if current is not None and not filters.product_line:
        rows = rollups.entries_by_owner(
            pipeline=filters.pipeline,
            start=filters.start,
            end=filters.end,
            owners=owner_ids(user),
            owner=filters.owner,
            team_path=filters.team_path,
        )
        return rows, rollups.freshness(current)
    entries = (
        _entries(user, filters, template)
        .values("stage", "opportunity__owner_id")
        .annotate(
            n=Count("opportunity_id", distinct=True),
            on=Count("opportunity_id", distinct=True, filter=Q(advanced=True)),
        )
    )
    return [(r["stage"], r["opportunity__owner_id"], r["n"], r["on"]) for r in entries], None


def cockpit(user: User, filters: CockpitFilters) -> Cockpit:
    """The cockpit of `user`: totals, per rep and per team (their reps' current team)."""
    template = template_of(filters)
    by_owner: dict[int | None, Numbers] = defaultdict(Numbers)
    fresh: Freshness | None = None
    current = rollups.state()
    if template is not None:
        entries, fresh = _entry_counts(user, filters, template, current)
        for stage, owner, n, on in entries:
            numbers = by_owner[owner]
            numbers.entered[stage] += n
            numbers.advanced[stage] += on
    closings = (
        _closed(user, filters)
        .values("owner_id", "status")
        .annotate(
            n=Count("id"),
            amount=Sum("amount"),
            days=Sum(DaysBetween(F("closed_at"), F("created_at"))),
        )
    )
    for row in closings:
        numbers = by_owner[row["owner_id"]]
        if row["status"] == OpportunityStatus.WON:
            numbers.won += row["n"]
            numbers.won_amount += row["amount"] or Decimal("0")
            numbers.cycle_days += float(row["days"] or 0)
        elif row["status"] == OpportunityStatus.LOST:
            numbers.lost += row["n"]
    total = Numbers()
    for numbers in by_owner.values():
        total.add(numbers)
    people = _people(user, filters, {k for k in by_owner if k is not None})
    rates = (rollups.completeness_by_owner if current is not None else completeness_by_owner)(
        p.pk for p in people
    )
    reps = [
        Row(
            id=p.pk,
            name=str(p),
            numbers=by_owner.get(p.pk, Numbers()),
            team=p.team.name if p.team else "",
            completeness=rates[p.pk].pct if p.pk in rates else None,
        )
        for p in people
    ]
    teams: dict[int | None, Row] = {}
    for person in people:
        team_row = teams.setdefault(
            person.team_id,
            Row(id=person.team_id, name=person.team.name if person.team else "—", numbers=Numbers()),
        )
        team_row.numbers.add(by_owner.get(person.pk, Numbers()))
    return Cockpit(
        filters=filters,
        template=template,
        total=total,
        dwell=dwell_distribution(user, filters, rolled_up=current is not None),
        reps=reps,
        teams=list(teams.values()),
        freshness=fresh,
    )


# ---------------------------------------------------------------------------------------------
# Drill-down


@dataclass(frozen=True)
class DrillQuery:
    """One cell of the cockpit: a metric, for stage metrics the stage, under the filters."""

    metric: str
    stage: str = ""


def parse_drill(params: Mapping[str, Any], filters: CockpitFilters) -> DrillQuery:
    """The metric and stage a drill-down names, checked (FieldErrors naming the field)."""
    metric = str(params.get("metric") or "").strip()
    stage = str(params.get("stage") or "").strip()
    if metric not in DRILL_METRICS:
        raise _refuse("metric", f"应为 {', '.join(DRILL_METRICS)} 之一 / Unknown metric.")
    if metric in STAGE_METRICS:
        template = template_of(filters)
        codes = [s.code for s in template.stages] if template else []
        if stage not in codes:
            raise _refuse("stage", f"应为 {', '.join(codes)} 之一 / Unknown stage of this pipeline.")
    else:
        stage = ""
    return DrillQuery(metric=metric, stage=stage)


def drill(user: User, filters: CockpitFilters, query: DrillQuery) -> QuerySet[Opportunity]:
    """The opportunities behind one cockpit number, e.g. those that entered 方案报价 in the
    period for one rep (`filters.owner`), with owner and customer for display."""
    if query.metric in STAGE_METRICS:
        template = template_of(filters)
        assert template is not None  # parse_drill checked the stage against it
        if query.metric == "dwell":
            stays = _completed_stays(user, filters).filter(stage=query.stage)
        else:
            stays = _entries(user, filters, template).filter(stage=query.stage)
            if query.metric == "advanced":
                stays = stays.filter(Q(advanced=True))
        qs = Opportunity.objects.filter(pk__in=stays.values("opportunity_id"))
    else:
        qs = _closed(user, filters)
        if query.metric == "won":
            qs = qs.filter(status=OpportunityStatus.WON)
        elif query.metric == "lost":
            qs = qs.filter(status=OpportunityStatus.LOST)
    return qs.select_related("owner", "customer")


DRILL_HEADERS = ["商机", "客户", "负责人", "当前阶段", "状态", "金额（元）", "创建日期", "关闭日期"]


def drill_row(opportunity: Opportunity, stage_names: Mapping[str, str]) -> list[Any]:
    """One drill-down record as the list and the workbook show it: names and local dates."""
    o = opportunity
    return [
        o.title,
        o.customer.name,
        str(o.owner) if o.owner else "",
        stage_names.get(o.stage, o.stage),
        str(OpportunityStatus(o.status).label) if o.status in OpportunityStatus.values else o.status,
        o.amount,
        clock.to_local(o.created_at).date().isoformat(),
        clock.to_local(o.closed_at).date().isoformat() if o.closed_at else "",
    ]


def stage_names(filters: CockpitFilters) -> dict[str, str]:
    """Stage code → name in the filters' pipeline."""
    template = template_of(filters)
    return {s.code: s.name for s in template.stages} if template else {}


# ---------------------------------------------------------------------------------------------
# Sales targets (销售目标): a node without its own target adds up the nodes beneath it


def months_between(start: date, end: date) -> list[date]:
    """First days of the calendar months that `start`..`end` (inclusive) touch."""
    months, cursor = [], start.replace(day=1)
    while cursor <= end:
        months.append(cursor)
        cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def team_target(team: Team, start: date, end: date) -> Decimal | None:
    """The target of `team` over the months `start`..`end` touch: its own where set, else the sum
    of its sub-teams' (recursively). None when nobody set a target anywhere beneath it."""
    rows = SalesTarget.objects.filter(
        team__path__startswith=team.path, month__in=months_between(start, end)
    ).values_list("team_id", "team__path", "month", "amount")
    by_month: dict[date, dict[str, Decimal]] = {}
    for _team_id, path, month, amount in rows:
        by_month.setdefault(month, {})[path] = amount
    if not by_month:
        return None
    total = Decimal(0)
    for paths in by_month.values():
        # A set node covers its subtree: count only nodes no set ancestor already covers.
        for path, amount in paths.items():
            if not any(path != other and path.startswith(other) for other in paths):
                total += amount
    return total


def person_target(person: User, start: date, end: date) -> Decimal | None:
    """A person's own target over the months `start`..`end` touch (None when none is set)."""
    amounts = list(
        SalesTarget.objects.filter(person=person, month__in=months_between(start, end)).values_list(
            "amount", flat=True
        )
    )
    return sum(amounts, Decimal(0)) if amounts else None
