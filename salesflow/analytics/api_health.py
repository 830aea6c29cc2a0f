"""REST endpoints of process health, three-level attribution and acquisition spend."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from salesflow.analytics import attribution as attribution_mod
from salesflow.analytics import health, services
from salesflow.analytics.models import AcquisitionSpend
from salesflow.core.errors import FieldErrors, NotFound, PermissionDenied
from salesflow.org.api import current_user

router = Router(tags=["analytics"])


class ThresholdOut(Schema):
    code: str
    name: str
    unit: str
    target: Decimal
    better: str
    alert_value: Decimal | None
    alert_after: str | None
    playbook: str


class HealthAlertOut(Schema):
    breach_started_on: date
    breach_last_on: date
    fired_at: str
    recovered_on: date | None
    open: bool


class HealthRowOut(Schema):
    scope: str
    team: int | None
    name: str
    values: list[float | None]
    latest: float | None
    on_target: bool | None
    breach_started_on: date | None
    alert: HealthAlertOut | None


class HealthIndicatorOut(Schema):
    threshold: ThresholdOut
    rows: list[HealthRowOut]


class HealthOut(Schema):
    days: list[date]
    indicators: list[HealthIndicatorOut]
    computed_at: datetime | None = Field(
        None, description="teams' series as of the daily check at this instant (null: computed live)"
    )


def _threshold(t: object) -> ThresholdOut:
    return ThresholdOut.model_validate(t, from_attributes=True)


@router.get("/analytics/health", response=HealthOut)
def health_board(request: HttpRequest) -> HealthOut:
    """Process health (过程健康度) for the caller's scope: each indicator's daily values per team
    (a rep: their own), latest value against target, current breach and alert state."""
    me = current_user(request)
    board = health.health_board(me)
    return HealthOut(
        days=board.days,
        indicators=[
            HealthIndicatorOut(
                threshold=_threshold(block.threshold),
                rows=[
                    HealthRowOut(
                        scope=row.scope.key,
                        team=row.scope.team.pk if row.scope.team is not None else None,
                        name=row.scope.name,
                        values=row.values,
                        latest=row.latest,
                        on_target=row.on_target,
                        breach_started_on=row.breach.started_on if row.breach else None,
                        alert=HealthAlertOut(
                            breach_started_on=row.alert.breach_started_on,
                            breach_last_on=row.alert.breach_last_on,
                            fired_at=row.alert.fired_at.isoformat(),
                            recovered_on=row.alert.recovered_on,
                            open=row.alert.recovered_on is None,
                        )
                        if row.alert is not None
                        else None,
                    )
                    for row in block.rows
                ],
            )
            for block in board.indicators
        ],
        computed_at=board.computed_at,
    )


class PointOut(Schema):
    label: date
    value: float | None


class LevelOut(Schema):
    level: str
    threshold: ThresholdOut
    value: float | None
    on_target: bool | None
    trend: list[PointOut]


class SourceCacOut(Schema):
    source: str
    label: str
    spend: Decimal
    customers: int
    cac: Decimal | None
    spend_before: Decimal
    customers_before: int
    cac_before: Decimal | None
    drop_pct: float | None


class AttributionOut(Schema):
    levels: list[LevelOut]
    sources: list[SourceCacOut]
    first_month: date | None
    last_month: date | None
    data_as_of: datetime | None = Field(
        None, description="rolled-up numbers are as of this instant (null: computed live)"
    )


@router.get("/analytics/attribution", response=AttributionOut)
def attribution(request: HttpRequest) -> AttributionOut:
    """Three-level attribution (三级归因看板): effective contact rate (weekly), the spread of stage
    conversion across reps (monthly) and, for managers up, acquisition cost year on year with
    its figures by lead source."""
    me = current_user(request)
    board = attribution_mod.attribution(me)
    return AttributionOut(
        data_as_of=board.freshness.as_of if board.freshness else None,
        levels=[
            LevelOut(
                level=lv.level,
                threshold=_threshold(lv.threshold),
                value=lv.value,
                on_target=lv.on_target,
                trend=[PointOut(label=p.label, value=p.value) for p in lv.trend],
            )
            for lv in board.levels
        ],
        sources=[SourceCacOut.model_validate(s, from_attributes=True) for s in board.sources],
        first_month=board.months[0] if board.months else None,
        last_month=board.months[1] if board.months else None,
    )


class SpendIn(Schema):
    source: str
    month: date
    amount: Decimal
    note: str = ""


class SpendOut(Schema):
    id: int
    source: str
    month: date
    amount: Decimal
    note: str


def _spend_out(s: AcquisitionSpend) -> SpendOut:
    return SpendOut(id=s.pk, source=s.source, month=s.month, amount=s.amount, note=s.note)


def _require_editor(request: HttpRequest) -> object:
    me = current_user(request)
    if not services.may_edit_spend(me):
        raise PermissionDenied(
            "只有运营管理员可以录入获客投入 / Only the ops admin may enter acquisition spend."
        )
    return me


@router.get("/analytics/acquisition-spend", response=list[SpendOut])
def spend_list(request: HttpRequest) -> list[SpendOut]:
    """Acquisition spend (获客投入) per lead source and month, newest first (ops admin)."""
    _require_editor(request)
    return [_spend_out(s) for s in AcquisitionSpend.objects.all()[:1000]]


@router.post("/analytics/acquisition-spend", response=SpendOut)
def spend_set(request: HttpRequest, payload: SpendIn) -> SpendOut:
    """Set one source's spend for a month (replaces what was there); ops admin only."""
    me = current_user(request)
    if not payload.amount.is_finite():
        raise FieldErrors({"amount": ["请填写金额 / Enter the amount."]})
    spend = services.spend_set(
        actor=me, source=payload.source, month=payload.month, amount=payload.amount, note=payload.note
    )
    return _spend_out(spend)


@router.delete("/analytics/acquisition-spend/{spend_id}", response={204: None})
def spend_delete(request: HttpRequest, spend_id: int) -> Status:
    """Remove one month's spend of a source; ops admin only."""
    me = current_user(request)
    _require_editor(request)
    spend = AcquisitionSpend.objects.filter(pk=spend_id).first()
    if spend is None:
        raise NotFound("没有这条获客投入 / No such spend row.")
    services.spend_delete(actor=me, spend=spend)
    return Status(204, None)
