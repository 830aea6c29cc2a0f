"""REST endpoints of the cockpit: its numbers and the records behind one of them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from salesflow.analytics import selectors
from salesflow.core import clock
from salesflow.core.pagination import keyset_page
from salesflow.org.api import current_user
from salesflow.pipeline.choices import OpportunityStatus

router = Router(tags=["analytics"])


class CockpitQuery(Schema):
    """The cockpit's filters as query parameters, shared by every cockpit endpoint; parsed (and
    refused field by field) by `selectors.parse_filters` and its relatives, as on the pages."""

    start: str | None = None
    end: str | None = None
    pipeline: str | None = None
    team: str | None = None
    owner: str | None = None
    product_line: str | None = None


class CockpitDwellOut(Schema):
    count: int
    p25: float | None
    p50: float | None
    p75: float | None
    p90: float | None


class CockpitStageOut(Schema):
    code: str
    name: str
    entered: int
    advanced: int
    conversion: float | None
    dwell: CockpitDwellOut


class CockpitNumbersOut(Schema):
    entered: dict[str, int]
    advanced: dict[str, int]
    conversion: dict[str, float | None]
    won: int
    lost: int
    closed: int
    win_rate: float | None
    won_amount: Decimal
    avg_deal: Decimal | None
    avg_cycle_days: float | None


class CockpitRowOut(Schema):
    id: int | None
    name: str
    team: str
    numbers: CockpitNumbersOut
    # 资料完整率 (%) of a rep's records; None for teams and reps without records.
    completeness_pct: float | None = None


class CockpitOut(Schema):
    start: date
    end: date
    pipeline: str
    pipeline_name: str
    team: int | None
    owner: int | None
    product_line: str
    stages: list[CockpitStageOut]
    total: CockpitNumbersOut
    reps: list[CockpitRowOut]
    teams: list[CockpitRowOut]
    data_as_of: datetime | None = Field(
        None, description="rolled-up numbers are as of this instant (null: computed live)"
    )


def _numbers(n: selectors.Numbers, codes: list[str]) -> CockpitNumbersOut:
    return CockpitNumbersOut(
        entered={c: n.entered.get(c, 0) for c in codes},
        advanced={c: n.advanced.get(c, 0) for c in codes},
        conversion={c: n.conversion(c) for c in codes},
        won=n.won,
        lost=n.lost,
        closed=n.closed,
        win_rate=n.win_rate,
        won_amount=n.won_amount.quantize(Decimal("0.01")),
        avg_deal=n.avg_deal,
        avg_cycle_days=n.avg_cycle_days,
    )


@router.get("/analytics/cockpit", response=CockpitOut)
def cockpit(
    request: HttpRequest,
    filters_in: Query[CockpitQuery],
) -> CockpitOut:
    """The cockpit's numbers for the caller's scope: per stage entries, conversion and dwell
    percentiles (days, nearest rank), and results, in total, per rep and per team.

    `start`/`end` are local dates (default: this month); `team` includes the teams beneath it.
    """
    me = current_user(request)
    filters = selectors.parse_filters(filters_in.dict(), user=me)
    data = selectors.cockpit(me, filters)
    stages = data.template.stages if data.template else []
    codes = [s.code for s in stages]
    empty = selectors.Dwell(count=0)
    return CockpitOut(
        data_as_of=data.freshness.as_of if data.freshness else None,
        start=filters.start,
        end=filters.end,
        pipeline=filters.pipeline,
        pipeline_name=data.template.name if data.template else "",
        team=filters.team,
        owner=filters.owner,
        product_line=filters.product_line,
        stages=[
            CockpitStageOut(
                code=s.code,
                name=s.name,
                entered=data.total.entered.get(s.code, 0),
                advanced=data.total.advanced.get(s.code, 0),
                conversion=data.total.conversion(s.code),
                dwell=CockpitDwellOut(**vars(data.dwell.get(s.code, empty))),
            )
            for s in stages
        ],
        total=_numbers(data.total, codes),
        reps=[
            CockpitRowOut(
                id=r.id,
                name=r.name,
                team=r.team,
                numbers=_numbers(r.numbers, codes),
                completeness_pct=r.completeness,
            )
            for r in data.reps
        ],
        teams=[
            CockpitRowOut(id=r.id, name=r.name, team="", numbers=_numbers(r.numbers, codes))
            for r in data.teams
        ],
    )


class CockpitDrillItem(Schema):
    id: int
    title: str
    customer: int
    customer_name: str
    owner: int | None
    owner_name: str
    stage: str
    stage_name: str
    status: str
    status_label: str
    amount: Decimal
    created_on: date
    closed_on: date | None


class CockpitDrillPage(Schema):
    items: list[CockpitDrillItem]
    next: str | None
    count: int


@router.get("/analytics/drill", response=CockpitDrillPage)
def drill(
    request: HttpRequest,
    filters_in: Query[CockpitQuery],
    metric: str | None = None,
    stage: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> CockpitDrillPage:
    """The opportunities behind one cockpit number: `metric` is entered, advanced or dwell (with
    `stage`), or closed, won or lost; the same filters as the cockpit. Newest first, by cursor."""
    me = current_user(request)
    filters = selectors.parse_filters(filters_in.dict(), user=me)
    query = selectors.parse_drill({"metric": metric, "stage": stage}, filters)
    qs = selectors.drill(me, filters, query)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, newest_first=True)
    names = selectors.stage_names(filters)
    return CockpitDrillPage(
        items=[
            CockpitDrillItem(
                id=o.pk,
                title=o.title,
                customer=o.customer_id,
                customer_name=o.customer.name,
                owner=o.owner_id,
                owner_name=str(o.owner) if o.owner else "",
                stage=o.stage,
                stage_name=names.get(o.stage, o.stage),
                status=o.status,
                status_label=str(OpportunityStatus(o.status).label),
                amount=o.amount,
                created_on=clock.to_local(o.created_at).date(),
                closed_on=clock.to_local(o.closed_at).date() if o.closed_at else None,
            )
            for o in rows
        ],
        next=next_cursor,
        count=qs.count(),
    )
