"""过程热力图: evidence-backed actions per stage and ISO week, and the actions behind one cell.

An *evidence-backed action* is either an evidence record (a document, photo, signed PDF, GPS
check-in … uploaded for an opportunity, directly or through one of its visits), or an activity
on an opportunity that the pack counts as effective contact (`effective_contacts`: a call of a
minute or more, a visit, a meeting) — activities carry no file of their own, and the effective
flag is the pack's evidence that the contact happened. Each action is attributed to the stage
the opportunity was in at the time (the StageVisit whose interval holds the instant) and to the
opportunity's owner, like every cockpit number. Everything is counted by the database: the page
costs the same few queries for a hundred actions or a million.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncWeek
from django.utils.translation import gettext as _

from salesflow.activities.models import Activity, ActivityKind
from salesflow.analytics import rollups, selectors
from salesflow.analytics.selectors import CockpitFilters
from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.org.models import User
from salesflow.pipeline.models import Evidence, StageVisit
from salesflow.rules.schema import Stage
from salesflow.rules.selectors import active_pack

ACTION_HEADERS = ["日期", "类型", "内容", "商机", "客户", "负责人", "经办人", "阶段"]


def monday(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def iso_week_label(day: date) -> str:
    """“2026-W49” for any day of that ISO week."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def with_default_period(
    params: Mapping[str, Any], *, weeks: int, today: date | None = None
) -> dict[str, Any]:
    """The query parameters with the heatmap's default period when none is chosen: the pack's
    number of whole ISO weeks, ending with this week."""
    values = dict(params.items())
    if not str(values.get("start") or "").strip() and not str(values.get("end") or "").strip():
        today = today or clock.to_local(clock.now()).date()
        values["start"] = (monday(today) - timedelta(weeks=weeks - 1)).isoformat()
        values["end"] = (monday(today) + timedelta(days=6)).isoformat()
    return values


def parse_heatmap_filters(params: Mapping[str, Any], *, user: User) -> CockpitFilters:
    """Cockpit filters with the heatmap's default period (`process_views.heatmap_weeks`)."""
    _number, pack = active_pack()
    return selectors.parse_filters(
        with_default_period(params, weeks=pack.process_views.heatmap_weeks), user=user
    )


# ---------------------------------------------------------------------------------------------
# The actions


def _stage_at(opportunity: str, instant: str, pipeline: str) -> Subquery:
    """The stage `opportunity` (an outer column) was in at `instant` (an outer column): the stay
    entered at or before it and not yet left. None before the first stay or after a close."""
    return Subquery(
        StageVisit.objects.filter(
            opportunity_id=OuterRef(opportunity), pipeline=pipeline, entered_at__lte=OuterRef(instant)
        )
        .filter(Q(exited_at__isnull=True) | Q(exited_at__gt=OuterRef(instant)))
        .order_by("-entered_at", "-id")
        .values("stage")[:1]
    )


def activity_actions(opportunity_ids: Any, since: datetime, until: datetime) -> QuerySet[Activity]:
    """Effective activities on the given opportunities (a subquery of ids) in [since, until)."""
    return Activity.objects.filter(
        opportunity_id__in=opportunity_ids, effective=True, occurred_at__gte=since, occurred_at__lt=until
    )


def evidence_actions(opportunity_ids: Any, since: datetime, until: datetime) -> QuerySet[Evidence]:
    """Evidence uploaded in [since, until) for the given opportunities, directly or through one of
    their visits; `opp` is the opportunity either way."""
    return Evidence.objects.annotate(opp=Coalesce("opportunity_id", "visit__opportunity_id")).filter(
        opp__in=opportunity_ids, uploaded_at__gte=since, uploaded_at__lt=until
    )


def _staged(user: User, filters: CockpitFilters) -> tuple[Any, Any]:
    """Both kinds of action in the filters' scope and period, each with the `stage` it happened in
    and its local ISO `week` (the Monday)."""
    ids = selectors.scoped_opportunities(user, filters).values("pk")
    zone = clock.local_zone()
    activities = activity_actions(ids, filters.since, filters.until).annotate(
        at_stage=_stage_at("opportunity_id", "occurred_at", filters.pipeline),
        week=TruncWeek("occurred_at", tzinfo=zone),
    )
    evidence = evidence_actions(ids, filters.since, filters.until).annotate(
        at_stage=_stage_at("opp", "uploaded_at", filters.pipeline),
        week=TruncWeek("uploaded_at", tzinfo=zone),
    )
    return activities, evidence


def _week_date(value: Any) -> date:
    """A TruncWeek result as the local Monday's date (a datetime on both databases)."""
    if isinstance(value, datetime):
        return clock.to_local(value).date() if value.tzinfo else value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass
class Heatmap:
    """Actions per (stage code, week Monday) for one scope and period, and per owner in total."""

    filters: CockpitFilters
    stages: list[Stage]
    weeks: list[date]
    cells: dict[tuple[str, date], int]
    by_owner: dict[int, int]
    # Set when the counts come from the daily roll-up: as of when (数据截至).
    freshness: rollups.Freshness | None = None

    @property
    def total(self) -> int:
        """Actions in all cells."""
        return sum(self.cells.values())

    @property
    def peak(self) -> int:
        """The fullest cell (the colour scale's top)."""
        return max(self.cells.values(), default=0)


def heatmap(user: User, filters: CockpitFilters) -> Heatmap:
    """The heatmap of `user`'s scope under `filters`: four grouped queries whatever the data."""
    template = selectors.template_of(filters)
    stages = list(template.stages) if template else []
    codes = {s.code for s in stages}
    weeks: list[date] = []
    cursor = monday(filters.start)
    while cursor <= filters.end:
        weeks.append(cursor)
        cursor += timedelta(weeks=1)
    cells: dict[tuple[str, date], int] = defaultdict(int)
    by_owner: dict[int, int] = defaultdict(int)
    current = rollups.state()
    if current is not None and not filters.product_line:
        for stage, day, owner, n in rollups.actions_by_day(
            pipeline=filters.pipeline,
            start=filters.start,
            end=filters.end,
            owners=selectors.owner_ids(user),
            owner=filters.owner,
            team_path=filters.team_path,
        ):
            if stage in codes:
                cells[(stage, monday(day))] += n
            if owner is not None:
                by_owner[owner] += n
        return Heatmap(
            filters=filters,
            stages=stages,
            weeks=weeks,
            cells=dict(cells),
            by_owner=dict(by_owner),
            freshness=rollups.freshness(current),
        )
    activities, evidence = _staged(user, filters)
    # One grouped query per kind: cells and the per-owner totals come from the same rows, so the
    # stage-at-the-time subquery runs once per action. Annotated querysets are typed Any, as the
    # stubs cannot follow annotations across functions.
    grouped: list[Any] = [
        activities.annotate(person=F("opportunity__owner_id")),
        evidence.annotate(person=Coalesce("opportunity__owner_id", "visit__opportunity__owner_id")),
    ]
    for qs in grouped:
        for stage, week, owner, n in (
            qs.values_list("at_stage", "week", "person").annotate(n=Count("id")).order_by()
        ):
            if stage in codes:
                cells[(stage, _week_date(week))] += n
            if stage is not None and owner is not None:
                by_owner[owner] += n
    return Heatmap(filters=filters, stages=stages, weeks=weeks, cells=dict(cells), by_owner=dict(by_owner))


# ---------------------------------------------------------------------------------------------
# One cell's actions


@dataclass(frozen=True)
class Cell:
    """One heatmap cell: a stage of the filters' pipeline and a week (its Monday)."""

    stage: str
    week: date

    def window(self, filters: CockpitFilters) -> tuple[datetime, datetime]:
        """The cell's instants: its local week, clipped to the filters' period."""
        zone = clock.local_zone()
        since = max(datetime.combine(self.week, time.min, tzinfo=zone), filters.since)
        until = min(datetime.combine(self.week + timedelta(weeks=1), time.min, tzinfo=zone), filters.until)
        return since, until


def parse_cell(params: Mapping[str, Any], filters: CockpitFilters) -> Cell:
    """The stage and week a cell link names, checked (FieldErrors naming the field)."""
    errors: dict[str, list[str]] = {}
    stage = str(params.get("stage") or "").strip()
    codes = list(selectors.stage_names(filters))
    if stage not in codes:
        errors["stage"] = [f"应为 {', '.join(codes)} 之一 / Unknown stage of this pipeline."]
    raw = str(params.get("week") or "").strip()
    week: date | None = None
    try:
        week = date.fromisoformat(raw)
    except ValueError:
        errors["week"] = ["应为周一的日期 YYYY-MM-DD / Use the Monday of the week, e.g. 2026-11-30."]
    if week is not None and (week.weekday() != 0 or not monday(filters.start) <= week <= filters.end):
        errors["week"] = ["应为期间内某周的周一 / Use the Monday of a week in the period."]
    if errors:
        raise FieldErrors(errors, location="query")
    assert week is not None
    return Cell(stage=stage, week=week)


@dataclass(frozen=True)
class Action:
    """One evidence-backed action as the drill list and the workbook show it."""

    source: str  # "activity" or "evidence"
    id: int
    at: datetime
    kind: str
    text: str
    opportunity_id: int
    opportunity: str
    customer: str
    owner: str
    actor: str


def _cell_sets(
    user: User, filters: CockpitFilters, cell: Cell
) -> tuple[QuerySet[Activity], QuerySet[Evidence]]:
    since, until = cell.window(filters)
    ids = selectors.scoped_opportunities(user, filters).values("pk")
    activities = (
        activity_actions(ids, since, until)
        .annotate(at_stage=_stage_at("opportunity_id", "occurred_at", filters.pipeline))
        .filter(at_stage=cell.stage)
    )
    evidence = (
        evidence_actions(ids, since, until)
        .annotate(at_stage=_stage_at("opp", "uploaded_at", filters.pipeline))
        .filter(at_stage=cell.stage)
    )
    return activities, evidence


def cell_count(user: User, filters: CockpitFilters, cell: Cell) -> int:
    """How many actions the cell holds (two counts)."""
    activities, evidence = _cell_sets(user, filters, cell)
    return activities.count() + evidence.count()


def cell_actions(
    user: User, filters: CockpitFilters, cell: Cell, *, offset: int = 0, limit: int | None = 100
) -> list[Action]:
    """The cell's actions, newest first: one UNION query for the page, then one query per kind
    for the names (no query per row)."""
    activities, evidence = _cell_sets(user, filters, cell)
    columns = ("a_source", "a_id", "a_at")
    # The parts must not carry the models' default ordering (no ORDER BY inside a UNION).
    first = activities.annotate(a_source=Value("activity"), a_id=F("id"), a_at=F("occurred_at"))
    second = evidence.annotate(a_source=Value("evidence"), a_id=F("id"), a_at=F("uploaded_at"))
    union = (
        first.order_by()
        .values_list(*columns)
        .union(second.order_by().values_list(*columns), all=True)
        .order_by("-a_at", "-a_id")
    )
    picked = list(union[offset : offset + limit] if limit is not None else union)
    wanted: dict[str, list[int]] = defaultdict(list)
    for source, pk, _at in picked:
        wanted[source].append(pk)
    found: dict[tuple[str, int], Action] = {}
    _number, pack = active_pack()
    requirement_names = {
        r.code: r.name for t in pack.stage_templates for s in t.stages for r in s.exit_evidence
    } | {r.code: r.name for p in pack.visit_packages for r in p.items}
    if wanted["activity"]:
        for a in Activity.objects.filter(pk__in=wanted["activity"]).select_related(
            "actor", "opportunity__owner", "opportunity__customer"
        ):
            o = a.opportunity
            assert o is not None
            found[("activity", a.pk)] = Action(
                source="activity",
                id=a.pk,
                at=a.occurred_at,
                kind=str(ActivityKind(a.kind).label) if a.kind in ActivityKind.values else a.kind,
                text=a.note[:200],
                opportunity_id=o.pk,
                opportunity=o.title,
                customer=o.customer.name,
                owner=str(o.owner) if o.owner else "",
                actor=str(a.actor),
            )
    if wanted["evidence"]:
        for e in Evidence.objects.filter(pk__in=wanted["evidence"]).select_related(
            "uploaded_by",
            "opportunity__owner",
            "opportunity__customer",
            "visit__opportunity__owner",
            "visit__opportunity__customer",
        ):
            o = e.opportunity or (e.visit.opportunity if e.visit else None)
            assert o is not None
            found[("evidence", e.pk)] = Action(
                source="evidence",
                id=e.pk,
                at=e.uploaded_at,
                kind=str(_("证据")),
                text=requirement_names.get(e.requirement, e.original_name or e.requirement),
                opportunity_id=o.pk,
                opportunity=o.title,
                customer=o.customer.name,
                owner=str(o.owner) if o.owner else "",
                actor=str(e.uploaded_by),
            )
    return [found[(source, pk)] for source, pk, _at in picked if (source, pk) in found]


def action_row(action: Action, stage_name: str) -> list[Any]:
    """One action as the workbook shows it: local time and names."""
    return [
        clock.to_local(action.at).strftime("%Y-%m-%d %H:%M"),
        action.kind,
        action.text,
        action.opportunity,
        action.customer,
        action.owner,
        action.actor,
        stage_name,
    ]
