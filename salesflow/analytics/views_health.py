"""看板 pages of process health (过程健康度), three-level attribution (三级归因看板), the ops
admin's acquisition spend (获客投入) and the indicators' improvement playbooks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesflow.analytics import attribution as attribution_mod
from salesflow.analytics import health, services
from salesflow.analytics.models import AcquisitionSpend
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.org.selectors import current_user
from salesflow.rules.messages import humanize
from salesflow.rules.permissions import can_edit_rules
from salesflow.rules.selectors import active_pack


def _fmt(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def health_chart(board: health.HealthBoard) -> dict[str, Any]:
    """What the health charts draw: per indicator one line per scope, target and alert level."""
    return {
        "empty": _("暂无数据"),
        "days": [d.strftime("%m-%d") for d in board.days],
        "indicators": [
            {
                "code": block.threshold.code,
                "unit": block.threshold.unit,
                "target": float(block.threshold.target),
                "alert": float(block.threshold.alert_value)
                if block.threshold.alert_value is not None
                else None,
                "target_label": _("目标"),
                "alert_label": _("预警线"),
                "series": [
                    {"name": row.scope.name, "values": [_fmt(v) for v in row.values]} for row in block.rows
                ],
            }
            for block in board.indicators
        ],
    }


def _alert_state(row: health.IndicatorRow) -> tuple[str, str]:
    """(badge colour, words) for a row's alert state."""
    alert = row.alert
    if alert is not None and alert.recovered_on is None:
        return "red", _("预警中（自 %(day)s 起）") % {"day": alert.breach_started_on.strftime("%m-%d")}
    if row.breach is not None:
        return "yellow", _("超标中（自 %(day)s 起，未到预警时长）") % {
            "day": row.breach.started_on.strftime("%m-%d")
        }
    if alert is not None:
        return "green", _("已恢复（%(day)s）") % {
            "day": alert.recovered_on.strftime("%m-%d") if alert.recovered_on else ""
        }
    return "green", _("正常")


@login_required
def health_page(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/health/ — each process-health indicator per team: trend, target, alert
    state and improvement playbook (a rep sees their own numbers)."""
    me = current_user(request)
    board = health.health_board(me)
    blocks = []
    for block in board.indicators:
        rows = []
        for row in block.rows:
            colour, words = _alert_state(row)
            rows.append({"row": row, "colour": colour, "state": words})
        after = humanize(block.threshold.alert_after) if block.threshold.alert_after else ""
        blocks.append({"block": block, "rows": rows, "t": block.threshold, "after": after})
    return render(
        request,
        "analytics/health/health.html",
        {
            "nav": "dashboards",
            "board": board,
            "blocks": blocks,
            "chart": health_chart(board),
            "may_edit_playbook": can_edit_rules(me),
            "until": board.days[-1] if board.days else None,
        },
    )


def attribution_chart(board: attribution_mod.Attribution) -> dict[str, Any]:
    """What the attribution charts draw: one trend per level with its target."""
    return {
        "empty": _("暂无数据"),
        "target_label": _("目标"),
        "levels": [
            {
                "code": level.threshold.code,
                "unit": level.threshold.unit,
                "target": float(level.threshold.target),
                "name": level.threshold.name,
                "labels": [
                    p.label.strftime("%m-%d") if level.level == "action" else p.label.strftime("%Y-%m")
                    for p in level.trend
                ],
                "values": [p.value for p in level.trend],
            }
            for level in board.levels
        ],
    }


@login_required
def attribution_page(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/attribution/ — action, process and result level against their targets,
    with trends; acquisition cost by source for managers and company-wide roles."""
    me = current_user(request)
    board = attribution_mod.attribution(me)
    return render(
        request,
        "analytics/health/attribution.html",
        {
            "nav": "dashboards",
            "board": board,
            "chart": attribution_chart(board),
            "may_edit_spend": services.may_edit_spend(me),
        },
    )


# How many months the spend grid shows.
SPEND_GRID_MONTHS = 12


def _require_spend_editor(request: HttpRequest) -> Any:
    me = current_user(request)
    if not services.may_edit_spend(me):
        raise PermissionDenied(_("只有运营管理员可以录入获客投入"))
    return me


def _month(raw: str) -> date | None:
    raw = raw.strip()
    try:
        return date.fromisoformat(raw + "-01" if len(raw) == 7 else raw)
    except ValueError:
        return None


def _amount(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.strip().replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@login_required
def spend_page(request: HttpRequest) -> HttpResponse:
    """GET/POST /dashboards/attribution/spend/ — the ops admin enters acquisition spend per lead
    source and month (re-entering a month replaces it)."""
    me = _require_spend_editor(request)
    _number, pack = active_pack()
    sources = pack.dictionary("lead_source")
    labels = {c.code: c.label for c in sources.choices} if sources else {}
    errors: dict[str, list[str]] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {k: request.POST.get(k, "")[:100] for k in ("source", "month", "amount", "note")}
        try:
            spend = services.spend_set(
                actor=me,
                source=posted["source"],
                month=_month(posted["month"]),
                amount=_amount(posted["amount"]),
                note=posted["note"],
            )
        except FieldErrors as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                _("已保存 %(source)s %(month)s 的获客投入")
                % {"source": labels.get(spend.source, spend.source), "month": spend.month.strftime("%Y-%m")},
            )
            return redirect("attribution-spend")
    return _spend_render(request, errors=errors, posted=posted)


def _spend_grid(today: date, choices: list[tuple[str, str]]) -> dict[str, Any]:
    """The last twelve months (newest first) × the pack's lead sources, with the totals."""
    first = today.replace(day=1)
    months = [first]
    while len(months) < SPEND_GRID_MONTHS:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    amounts = {(s.month, s.source): s.amount for s in AcquisitionSpend.objects.filter(month__gte=months[-1])}
    codes = [code for code, _label in choices]
    return {
        "sources": choices,
        "rows": [
            {
                "month": month,
                "cells": [(code, amounts.get((month, code))) for code in codes],
                "total": sum((amounts.get((month, c)) or Decimal(0) for c in codes), Decimal(0)),
            }
            for month in months
        ],
        "totals": [sum((amounts.get((m, c)) or Decimal(0) for m in months), Decimal(0)) for c in codes],
        "total": sum((amounts.get((m, c)) or Decimal(0) for m in months for c in codes), Decimal(0)),
    }


def _spend_render(
    request: HttpRequest,
    *,
    errors: dict[str, list[str]],
    posted: dict[str, str],
    import_errors: list[str] | None = None,
) -> HttpResponse:
    _number, pack = active_pack()
    sources = pack.dictionary("lead_source")
    choices = [(c.code, c.label) for c in sources.choices] if sources else []
    labels = dict(choices)
    today = clock.to_local(clock.now()).date()
    rows = list(AcquisitionSpend.objects.all()[:300])
    if not posted:
        # A grid cell links here with its month and source: the form opens filled in.
        posted = {k: request.GET.get(k, "")[:20] for k in ("source", "month")}
    return render(
        request,
        "analytics/health/spend.html",
        {
            "nav": "dashboards",
            "choices": choices,
            "rows": [(r, labels.get(r.source, r.source)) for r in rows],
            "grid": _spend_grid(today, choices),
            "errors": errors,
            "posted": posted,
            "import_errors": import_errors or [],
            "default_month": today.strftime("%Y-%m"),
        },
        status=422 if errors else 200,
    )


@login_required
@require_POST
def spend_delete(request: HttpRequest, spend_id: int) -> HttpResponse:
    """POST /dashboards/attribution/spend/<id>/delete/ — remove a row entered by mistake."""
    me = _require_spend_editor(request)
    spend = get_object_or_404(AcquisitionSpend, pk=spend_id)
    services.spend_delete(actor=me, spend=spend)
    messages.success(request, _("已删除"))
    return redirect("attribution-spend")


@login_required
def playbook_edit(request: HttpRequest, code: str) -> HttpResponse:
    """GET/POST /dashboards/health/playbook/<code>/ — a rule editor rewrites an indicator's
    improvement playbook (a new rule-pack version, like every other pack change)."""
    me = current_user(request)
    if not can_edit_rules(me):
        raise PermissionDenied(_("只有销售管理者和运营管理员可以修改改进手册"))
    _number, pack = active_pack()
    threshold = health.threshold_of(pack, code)
    if threshold is None:
        from django.http import Http404

        raise Http404(code)
    errors: dict[str, list[str]] = {}
    text = threshold.playbook
    if request.method == "POST":
        text = request.POST.get("playbook", "")[:5000]
        try:
            services.playbook_save(actor=me, code=code, playbook=text)
        except FieldErrors as exc:
            errors = exc.errors
        else:
            messages.success(request, _("已保存「%(name)s」的改进手册") % {"name": threshold.name})
            return redirect("health-dashboard")
    return render(
        request,
        "analytics/health/playbook.html",
        {"nav": "dashboards", "t": threshold, "text": text, "errors": errors},
        status=422 if errors else 200,
    )


@login_required
@require_POST
def spend_import(request: HttpRequest) -> HttpResponse:
    """POST /dashboards/attribution/spend/import/ — set the spend rows of an uploaded workbook
    (the columns the export writes); nothing is saved when a row is wrong."""
    me = _require_spend_editor(request)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise FieldErrors({"file": [_("请选择 .xlsx 文件")]})
        count = services.spend_import(actor=me, data=upload.read())
    except FieldErrors as exc:
        return render_again(request, exc)
    messages.success(request, _("已导入 %(count)s 行获客投入") % {"count": count})
    return redirect("attribution-spend")


def render_again(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
    """The spend page with the import's errors listed above the form (status 422)."""
    response = _spend_render(
        request, errors={}, posted={}, import_errors=[m for ms in exc.errors.values() for m in ms]
    )
    response.status_code = 422
    return response


@login_required
def spend_export(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/attribution/spend/export.xlsx — every spend row, in the columns the
    import reads back."""
    _require_spend_editor(request)
    from salesflow.imports import xlsx
    from salesflow.imports.api import xlsx_response

    _number, pack = active_pack()
    sources = pack.dictionary("lead_source")
    labels = {c.code: c.label for c in sources.choices} if sources else {}
    rows = (
        [labels.get(s.source, s.source), s.month.strftime("%Y-%m"), s.amount, s.note]
        for s in AcquisitionSpend.objects.order_by("month", "source")
    )
    data = xlsx.write(services.SPEND_HEADERS, rows, title="获客投入", formats=["", "", "money", ""])
    return xlsx_response(data, "acquisition-spend.xlsx")
