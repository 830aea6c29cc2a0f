"""REST endpoints of the process views: the heatmap (过程热力图) and individual efficiency (个人效率)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from salesflow.analytics import efficiency as eff
from salesflow.analytics import heatmap as hm
from salesflow.analytics.api import CockpitQuery
from salesflow.core.errors import FieldErrors
from salesflow.org.api import current_user

router = Router(tags=["analytics"])


class HeatmapStageOut(Schema):
    code: str
    name: str


class HeatmapCellOut(Schema):
    stage: str
    week: date
    count: int


class HeatmapOwnerOut(Schema):
    owner: int
    count: int


class HeatmapOut(Schema):
    start: date
    end: date
    pipeline: str
    team: int | None
    owner: int | None
    stages: list[HeatmapStageOut]
    weeks: list[date]
    cells: list[HeatmapCellOut]
    by_owner: list[HeatmapOwnerOut]
    total: int
    data_as_of: datetime | None = Field(
        None, description="rolled-up numbers are as of this instant (null: computed live)"
    )


@router.get("/analytics/heatmap", response=HeatmapOut)
def heatmap(
    request: HttpRequest,
    filters_in: Query[CockpitQuery],
) -> HeatmapOut:
    """Evidence-backed actions per stage (of `pipeline`) and ISO week (`weeks` are Mondays) in the
    caller's scope: a team with `team`, one rep with `owner` (someone the caller may see). Only
    non-empty cells are listed. Default period: the pack's `process_views.heatmap_weeks`."""
    me = current_user(request)
    filters = hm.parse_heatmap_filters(filters_in.dict(), user=me)
    data = hm.heatmap(me, filters)
    return HeatmapOut(
        data_as_of=data.freshness.as_of if data.freshness else None,
        start=filters.start,
        end=filters.end,
        pipeline=filters.pipeline,
        team=filters.team,
        owner=filters.owner,
        stages=[HeatmapStageOut(code=s.code, name=s.name) for s in data.stages],
        weeks=data.weeks,
        cells=[
            HeatmapCellOut(stage=s.code, week=w, count=data.cells[(s.code, w)])
            for s in data.stages
            for w in data.weeks
            if (s.code, w) in data.cells
        ],
        by_owner=[HeatmapOwnerOut(owner=k, count=v) for k, v in sorted(data.by_owner.items())],
        total=data.total,
    )


class ResponseOut(Schema):
    assigned: int
    answered: int
    pending: int
    p25: float | None
    p50: float | None
    p75: float | None
    p90: float | None
    bars: list[int]


class RadarOut(Schema):
    code: str
    name: str
    metric: str
    target: Decimal
    rep_value: float | None
    team_value: float | None
    rep_score: float | None
    team_score: float | None


class EfficiencyOut(Schema):
    start: date
    end: date
    owner: int
    owner_name: str
    team_name: str
    team_size: int
    bucket_edges_minutes: list[int]
    rep: ResponseOut
    team: ResponseOut
    radar: list[RadarOut]


def _response(d: eff.Distribution) -> ResponseOut:
    return ResponseOut(
        assigned=d.assigned,
        answered=d.answered,
        pending=d.pending,
        p25=d.percentiles.get(25),
        p50=d.percentiles.get(50),
        p75=d.percentiles.get(75),
        p90=d.percentiles.get(90),
        bars=d.bars,
    )


@router.get("/analytics/efficiency", response=EfficiencyOut)
def efficiency(
    request: HttpRequest,
    start: str | None = None,
    end: str | None = None,
    team: str | None = None,
    owner: str | None = None,
) -> EfficiencyOut:
    """One rep's lead response times (minutes from assignment to first effective contact) against
    their team's, and the pack's ability radar (scores 0–100 against each axis' target). `owner`
    must be someone the caller may see; without it a rep gets themselves, a manager their first
    rep. `bars` count answered leads per bucket: ≤ edge[0], …, > edge[-1]."""
    me = current_user(request)
    filters = eff.parse_efficiency_filters(
        {"start": start, "end": end, "team": team, "owner": owner}, user=me
    )
    person = eff.default_rep(me, filters)
    if person is None:
        raise FieldErrors({"owner": ["范围内没有可查看的销售 / Nobody in your scope."]}, location="query")
    data = eff.efficiency(me, filters, person)
    return EfficiencyOut(
        start=filters.start,
        end=filters.end,
        owner=person.pk,
        owner_name=str(person),
        team_name=data.team_name,
        team_size=data.team_size,
        bucket_edges_minutes=data.buckets,
        rep=_response(data.rep),
        team=_response(data.team),
        radar=[RadarOut(**vars(p)) for p in data.radar],
    )
