"""看板 pages of the forecast (漏斗数字孪生): this week's live process beside the Monte Carlo band,
and the backtest that shows how far to trust it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesflow.analytics import forecast as fc
from salesflow.analytics import forecast_cache, forecast_services
from salesflow.analytics import forecast_scope as fs
from salesflow.analytics.models import ForecastSignal
from salesflow.analytics.views import _title
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.org.models import User
from salesflow.org.selectors import current_user
from salesflow.rules.selectors import active_pack

FILTERS = ("team", "owner", "pipeline", "product_line")


def _base(me: User, request: HttpRequest, tab: str) -> dict[str, Any]:
    _number, pack = active_pack()
    lines = pack.dictionary("product_line")
    return {
        "nav": "dashboards",
        "tab": tab,
        "title": _title(me),
        "chosen": {k: request.GET.get(k, "")[:100] for k in FILTERS},
        "pipelines": [(t.code, t.name) for t in pack.stage_templates],
        "product_lines": [(c.code, c.label) for c in lines.choices] if lines else [],
        "teams": [(t.pk, t.name) for t in fs.teams_for(me)],
        "people": [(p.pk, p.display_name or p.username) for p in fs.people_for(me)],
    }


def _wan(value: Any) -> float:
    return round(float(value) / 10000, 1)


def band_chart(result: fc.Result) -> dict[str, Any]:
    """What the band chart draws (json_script): the quarter's cumulative signed amount by week
    (万元), P-low / P50 / P-high, and the target line."""
    low, high = f"P{result.low_pct}", f"P{result.high_pct}"
    return {
        "weeks": [f"{w.ends_on:%m-%d}" for w in result.weeks],
        "low": [_wan(w.low) for w in result.weeks],
        "p50": [_wan(w.p50) for w in result.weeks],
        "high": [_wan(w.high) for w in result.weeks],
        "target": _wan(result.quarter.target) if result.quarter.target is not None else None,
        "names": {"low": low, "p50": "P50", "high": high, "target": _("季度目标")},
        "unit": _("万元"),
        "title": _("本季度累计签约额预测（按周）"),
        "empty": _("范围内没有进行中的商机"),
        "any": result.open_deals > 0 or result.quarter.already_won > 0,
    }


@login_required
def forecast_page(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/forecast/ — left: this week's live process; right: the Monte Carlo band of
    the month and quarter, the risk of missing target, the expected gap and what adjusted it."""
    me = current_user(request)
    context = _base(me, request, "forecast")
    _number, pack = active_pack()
    try:
        filters = fs.parse_forecast_filters(request.GET, user=me, pack=pack)
    except FieldErrors as exc:
        context["errors"] = exc.errors
        return render(request, "analytics/forecast.html", context, status=400)
    now = clock.now()
    scope = fs.scope_for(me, filters, today=clock.to_local(now).date())
    snapshot = forecast_cache.forecast_view(scope, now=now)
    result, live = snapshot.result, snapshot.live
    context.update(
        {
            "snapshot_minutes": pack.forecast.snapshot_minutes if forecast_cache.snapshots_on() else None,
            "filters": filters,
            "chosen": filters.params(),
            "query": urlencode(filters.params()),
            "result": result,
            "live": live,
            "chart": band_chart(result),
            "sentence": fc.gap_sentence(result),
            "holder": fs.target_holder(me, filters),
        }
    )
    return render(request, "analytics/forecast.html", context)


def backtest_chart(data: fc.Backtest) -> dict[str, Any]:
    """What the backtest chart draws: each week's band and P50 against the actual (万元)."""
    return {
        "weeks": [f"{w.as_of:%m-%d}" for w in data.weeks],
        "low": [_wan(w.low) for w in data.weeks],
        "p50": [_wan(w.p50) for w in data.weeks],
        "high": [_wan(w.high) for w in data.weeks],
        "actual": [_wan(w.actual) if w.actual is not None else None for w in data.weeks],
        "names": {
            "low": f"P{data.low_pct}",
            "p50": "P50",
            "high": f"P{data.high_pct}",
            "actual": _("实际签约"),
        },
        "unit": _("万元"),
        "title": _("各周对当月签约额的预测与实际"),
    }


@login_required
def backtest_page(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/forecast/backtest/ — the forecast replayed at each of the past weeks from
    the history known then, against the month's actual signed amount: error and coverage."""
    me = current_user(request)
    context = _base(me, request, "forecast")
    _number, pack = active_pack()
    try:
        filters = fs.parse_forecast_filters(request.GET, user=me, pack=pack)
    except FieldErrors as exc:
        context["errors"] = exc.errors
        return render(request, "analytics/forecast_backtest.html", context, status=400)
    now = clock.now()
    scope = fs.scope_for(me, filters, today=clock.to_local(now).date())
    data = fc.backtest(scope, pack, now=now)
    context.update(
        {
            "filters": filters,
            "chosen": filters.params(),
            "query": urlencode(filters.params()),
            "data": data,
            "chart": backtest_chart(data),
            "coverage_pct": round(data.coverage * 100) if data.coverage is not None else None,
        }
    )
    return render(request, "analytics/forecast_backtest.html", context)


# ---------------------------------------------------------------------------------------------
# 设置 · 外部信号


def _require_signal_editor(request: HttpRequest) -> User:
    me = current_user(request)
    if not forecast_services.may_edit_signals(me):
        raise PermissionDenied(_("只有运营管理员或总经理可以维护外部信号"))
    return me


SIGNAL_FIELDS = ("title", "product_line", "starts_on", "ends_on", "multiplier", "note")


@login_required
def signals_page(request: HttpRequest) -> HttpResponse:
    """GET/POST /settings/forecast-signals/ — external signals (外部信号) that multiply the win
    odds of a product line's opportunities expected to close in a date range."""
    me = _require_signal_editor(request)
    _number, pack = active_pack()
    lines = pack.dictionary("product_line")
    choices = [(c.code, c.label) for c in lines.choices] if lines else []
    errors: dict[str, list[str]] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {k: request.POST.get(k, "")[:300] for k in SIGNAL_FIELDS}
        try:
            signal = forecast_services.signal_create(
                actor=me,
                title=posted["title"],
                product_line=posted["product_line"],
                starts_on=forecast_services.parse_date(posted["starts_on"]),
                ends_on=forecast_services.parse_date(posted["ends_on"]),
                multiplier=forecast_services.parse_decimal(posted["multiplier"]),
                note=posted["note"],
            )
        except FieldErrors as exc:
            errors = exc.errors
        else:
            messages.success(request, _("已添加外部信号“%(title)s”") % {"title": signal.title})
            return redirect("forecast-signals")
    labels = dict(choices)
    rows = [
        (s, labels.get(s.product_line, s.product_line))
        for s in ForecastSignal.objects.select_related("created_by")[:300]
    ]
    top = pack.forecast.signal_multiplier_max
    return render(
        request,
        "analytics/forecast_signals.html",
        {
            "nav": "settings",
            "choices": choices,
            "rows": rows,
            "errors": errors,
            "posted": posted,
            "low": f"{1 / top:.2f}",
            "top": top,
        },
        status=422 if errors else 200,
    )


@login_required
@require_POST
def signal_delete(request: HttpRequest, signal_id: int) -> HttpResponse:
    """POST /settings/forecast-signals/<id>/delete/ — remove an external signal."""
    me = _require_signal_editor(request)
    signal = get_object_or_404(ForecastSignal, pk=signal_id)
    title = signal.title
    forecast_services.signal_delete(actor=me, signal=signal)
    messages.success(request, _("已删除外部信号“%(title)s”") % {"title": title})
    return redirect("forecast-signals")
