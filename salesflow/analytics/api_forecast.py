"""REST endpoints of the forecast (漏斗数字孪生): the band of the caller's scope and its backtest."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from salesflow.analytics import forecast as fc
from salesflow.analytics import forecast_cache, forecast_services
from salesflow.analytics import forecast_scope as fs
from salesflow.analytics.models import ForecastSignal
from salesflow.core import clock
from salesflow.core.errors import NotFound, PermissionDenied
from salesflow.org.api import current_user
from salesflow.org.models import User
from salesflow.rules.selectors import active_pack

router = Router(tags=["analytics"])


class BandOut(Schema):
    low: Decimal
    p50: Decimal
    high: Decimal
    mean: Decimal


class OutlookOut(Schema):
    label: str
    ends_on: date
    already_won: Decimal
    band: BandOut
    target: Decimal | None
    p_miss: float | None
    expected_gap: Decimal | None


class WeekOut(Schema):
    ends_on: date
    low: Decimal
    p50: Decimal
    high: Decimal


class AppliedOut(Schema):
    kind: str
    name: str
    multiplier: float
    deals: int
    amount: Decimal


class LiveStageOut(Schema):
    pipeline: str
    pipeline_name: str
    code: str
    name: str
    entered: int
    entered_last_week: int
    finished: int
    conversion: float | None
    avg_dwell_days: float | None
    model_conversion: float | None
    model_avg_dwell_days: float | None
    model_stays: int
    borrowed: bool


class LiveOut(Schema):
    week_start: date
    qualified_leads: int
    qualified_leads_last_week: int
    stages: list[LiveStageOut]


class ForecastOut(Schema):
    as_of: datetime
    runs: int
    band_low_pct: int
    band_high_pct: int
    team: int | None
    owner: int | None
    pipeline: str
    product_line: str
    open_deals: int
    open_amount: Decimal
    month: OutlookOut
    quarter: OutlookOut
    weeks: list[WeekOut]
    applied: list[AppliedOut]
    sentence: str
    live: LiveOut


def _outlook(o: fc.Outlook) -> OutlookOut:
    return OutlookOut(
        label=o.label,
        ends_on=o.ends_on,
        already_won=o.already_won,
        band=BandOut(low=o.band.low, p50=o.band.p50, high=o.band.high, mean=o.band.mean),
        target=o.target,
        p_miss=None if o.p_miss is None else round(o.p_miss, 4),
        expected_gap=o.expected_gap,
    )


@router.get("/analytics/forecast", response=ForecastOut)
def forecast(
    request: HttpRequest,
    team: str | None = None,
    owner: str | None = None,
    pipeline: str | None = None,
    product_line: str | None = None,
) -> ForecastOut:
    """The forecast of the caller's scope (a rep: their own deals; a manager: the team; a
    director: the region; company-wide roles: the company), narrowed by `team`, `owner`,
    `pipeline` and `product_line`: P-low / P50 / P-high of the signed amount (¥) by the month's
    and the quarter's end, the probability of missing target and the expected gap, the
    week-by-week band, the milestones and signals that applied, and this week's live process."""
    me = current_user(request)
    _number, pack = active_pack()
    params = {"team": team, "owner": owner, "pipeline": pipeline, "product_line": product_line}
    filters = fs.parse_forecast_filters(params, user=me, pack=pack)
    now = clock.now()
    scope = fs.scope_for(me, filters, today=clock.to_local(now).date())
    snapshot = forecast_cache.forecast_view(scope, now=now)
    result, live = snapshot.result, snapshot.live
    return ForecastOut(
        as_of=result.as_of,
        runs=result.runs,
        band_low_pct=result.low_pct,
        band_high_pct=result.high_pct,
        team=filters.team.pk if filters.team else None,
        owner=filters.owner.pk if filters.owner else None,
        pipeline=filters.pipeline,
        product_line=filters.product_line,
        open_deals=result.open_deals,
        open_amount=result.open_amount,
        month=_outlook(result.month),
        quarter=_outlook(result.quarter),
        weeks=[WeekOut(ends_on=w.ends_on, low=w.low, p50=w.p50, high=w.high) for w in result.weeks],
        applied=[
            AppliedOut(kind=a.kind, name=a.name, multiplier=a.multiplier, deals=a.deals, amount=a.amount)
            for a in result.applied
        ],
        sentence=fc.gap_sentence(result),
        live=LiveOut(
            week_start=live.week_start,
            qualified_leads=live.qualified_leads,
            qualified_leads_last_week=live.qualified_leads_last_week,
            stages=[LiveStageOut(**s.__dict__) for s in live.stages],
        ),
    )


class BacktestWeekOut(Schema):
    as_of: date
    month_end: date
    low: Decimal
    p50: Decimal
    high: Decimal
    actual: Decimal | None
    error_pct: float | None
    covered: bool | None


class BacktestOut(Schema):
    weeks: list[BacktestWeekOut]
    coverage: float | None
    mean_abs_error_pct: float | None
    band_low_pct: int
    band_high_pct: int


@router.get("/analytics/forecast/backtest", response=BacktestOut)
def backtest(
    request: HttpRequest,
    team: str | None = None,
    owner: str | None = None,
    pipeline: str | None = None,
    product_line: str | None = None,
) -> BacktestOut:
    """The forecast replayed at the start of each of the pack's `forecast.backtest_weeks` past
    weeks (history known then only) against the month's actual signed amount; `coverage` is the
    share of finished weeks whose actual fell inside the band. Scoped like the forecast."""
    me = current_user(request)
    _number, pack = active_pack()
    params = {"team": team, "owner": owner, "pipeline": pipeline, "product_line": product_line}
    filters = fs.parse_forecast_filters(params, user=me, pack=pack)
    now = clock.now()
    scope = fs.scope_for(me, filters, today=clock.to_local(now).date())
    data = fc.backtest(scope, pack, now=now)
    return BacktestOut(
        weeks=[BacktestWeekOut(**w.__dict__) for w in data.weeks],
        coverage=data.coverage,
        mean_abs_error_pct=data.mean_abs_error_pct,
        band_low_pct=data.low_pct,
        band_high_pct=data.high_pct,
    )


# ---------------------------------------------------------------------------------------------
# External signals (外部信号)


class SignalIn(Schema):
    title: str
    product_line: str
    starts_on: str
    ends_on: str
    multiplier: str
    note: str = ""


class SignalOut(Schema):
    id: int
    title: str
    product_line: str
    product_line_label: str
    starts_on: date
    ends_on: date
    multiplier: Decimal
    note: str
    created_by: int | None
    created_at: datetime


class SignalListOut(Schema):
    items: list[SignalOut]
    next: str | None = None


def _signal_out(signal: ForecastSignal, labels: dict[str, str]) -> SignalOut:
    return SignalOut(
        id=signal.pk,
        title=signal.title,
        product_line=signal.product_line,
        product_line_label=labels.get(signal.product_line, signal.product_line),
        starts_on=signal.starts_on,
        ends_on=signal.ends_on,
        multiplier=signal.multiplier,
        note=signal.note,
        created_by=signal.created_by_id,
        created_at=signal.created_at,
    )


def _labels() -> dict[str, str]:
    _number, pack = active_pack()
    lines = pack.dictionary("product_line")
    return {c.code: c.label for c in lines.choices} if lines else {}


def _editor(request: HttpRequest) -> User:
    me = current_user(request)
    if not forecast_services.may_edit_signals(me):
        raise PermissionDenied("只有运营管理员或总经理可以维护外部信号 / Only the ops admin or the GM.")
    return me


@router.get("/analytics/forecast-signals", response=SignalListOut)
def signals(request: HttpRequest) -> SignalListOut:
    """The external signals (ops admin and GM only), newest range first."""
    _editor(request)
    labels = _labels()
    return SignalListOut(items=[_signal_out(s, labels) for s in ForecastSignal.objects.all()[:500]])


@router.post("/analytics/forecast-signals", response={201: SignalOut})
def signal_create(request: HttpRequest, payload: SignalIn) -> Status:
    """Enter an external signal: `multiplier` (e.g. "1.3") multiplies the win odds of open
    opportunities of `product_line` whose expected close falls in `starts_on`..`ends_on`."""
    me = _editor(request)
    signal = forecast_services.signal_create(
        actor=me,
        title=payload.title,
        product_line=payload.product_line,
        starts_on=forecast_services.parse_date(payload.starts_on),
        ends_on=forecast_services.parse_date(payload.ends_on),
        multiplier=forecast_services.parse_decimal(payload.multiplier),
        note=payload.note,
    )
    return Status(201, _signal_out(signal, _labels()))


@router.delete("/analytics/forecast-signals/{signal_id}", response={204: None})
def signal_delete(request: HttpRequest, signal_id: int) -> Status:
    """Remove an external signal."""
    me = _editor(request)
    signal = ForecastSignal.objects.filter(pk=signal_id).first()
    if signal is None:
        raise NotFound("没有这个外部信号 / No such signal.")
    forecast_services.signal_delete(actor=me, signal=signal)
    return Status(204, None)
