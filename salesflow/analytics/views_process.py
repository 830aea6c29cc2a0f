"""看板 pages of the process: 过程热力图 with the actions behind a cell (and their export), and
个人效率 (response times against the team, ability radar)."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from salesflow.analytics import efficiency as eff
from salesflow.analytics import heatmap as hm
from salesflow.analytics import selectors
from salesflow.analytics.views import _names, _options, _title
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, user_message
from salesflow.imports import xlsx
from salesflow.imports.api import xlsx_response
from salesflow.org.models import User
from salesflow.org.selectors import current_user

PAGE_SIZE = 100


def _base(me: User, request: HttpRequest, tab: str) -> dict[str, Any]:
    return {
        "nav": "dashboards",
        "tab": tab,
        "title": _title(me),
        "chosen": {k: request.GET.get(k, "")[:100] for k in selectors.FILTER_FIELDS},
        **_options(me),
    }


def cell_url(filters: selectors.CockpitFilters, stage: str, week: str) -> str:
    """The actions page of one heatmap cell, keeping the page's filters."""
    return f"{reverse('heatmap-actions')}?{urlencode(filters.params(stage=stage, week=week))}"


def heatmap_chart(data: hm.Heatmap) -> dict[str, Any]:
    """What the heatmap draws (json_script): weeks × stages, counts and each cell's link."""
    weeks = [w.isoformat() for w in data.weeks]
    return {
        "empty": _("期间内暂无有证据的动作 — 换一个期间或人员看看"),
        "weeks": [f"{hm.iso_week_label(w)}\n{w:%m-%d}" for w in data.weeks],
        "stages": [s.name for s in data.stages],
        "cells": [
            [x, y, data.cells.get((s.code, w), 0)]
            for y, s in enumerate(data.stages)
            for x, w in enumerate(data.weeks)
        ],
        "urls": [[cell_url(data.filters, s.code, w) for w in weeks] for s in data.stages],
        "peak": data.peak,
        "label": _("有证据的动作"),
    }


@login_required
def heatmap_page(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/heatmap/ — evidence-backed actions per stage and week in the caller's scope
    (team, one rep through the filters); a cell opens its actions."""
    me = current_user(request)
    context = _base(me, request, "heatmap")
    try:
        filters = hm.parse_heatmap_filters(request.GET, user=me)
    except FieldErrors as exc:
        context["errors"] = exc.errors
        return render(request, "analytics/heatmap.html", context, status=400)
    data = hm.heatmap(me, filters)
    context["chosen"] = {k: str(v) for k, v in filters.params().items()}
    people = {u.pk: str(u) for u in User.objects.filter(pk__in=list(data.by_owner))}
    context.update(
        {
            "filters": filters,
            "data": data,
            "chart": heatmap_chart(data),
            "names": _names(filters),
            "reps": sorted(
                (
                    (pk, people.get(pk) or "", n, "?" + urlencode(filters.params(owner=pk)))
                    for pk, n in data.by_owner.items()
                ),
                key=lambda r: (-r[2], r[1]),
            )
            if filters.owner is None
            else [],
        }
    )
    return render(request, "analytics/heatmap.html", context)


def _cell_args(request: HttpRequest) -> tuple[User, selectors.CockpitFilters, hm.Cell]:
    me = current_user(request)
    filters = hm.parse_heatmap_filters(request.GET, user=me)
    return me, filters, hm.parse_cell(request.GET, filters)


@login_required
def heatmap_actions(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/heatmap/actions/?stage=…&week=…&<filters> — the actions of one cell."""
    try:
        me, filters, cell = _cell_args(request)
        raw_page = request.GET.get("page", "1")[:6]
        if not raw_page.isdigit() or int(raw_page) < 1:
            raise FieldErrors({"page": ["应为正整数 / Use a page number."]}, location="query")
        page = int(raw_page)
    except FieldErrors as exc:
        return render(
            request,
            "analytics/heatmap_actions.html",
            {"nav": "dashboards", "message": user_message(exc)},
            status=400,
        )
    stage_name = selectors.stage_names(filters).get(cell.stage, "")
    count = hm.cell_count(me, filters, cell)
    actions = hm.cell_actions(me, filters, cell, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    params = {**filters.params(), "stage": cell.stage, "week": cell.week.isoformat()}
    return render(
        request,
        "analytics/heatmap_actions.html",
        {
            "nav": "dashboards",
            "stage_label": stage_name,
            "week_label": f"{hm.iso_week_label(cell.week)}（{cell.week:%m-%d} ~ "
            f"{cell.week + timedelta(days=6):%m-%d}）",
            "names": _names(filters),
            "rows": [(a, clock.to_local(a.at)) for a in actions],
            "count": count,
            "next_url": f"?{urlencode({**params, 'page': page + 1})}" if page * PAGE_SIZE < count else "",
            "export_url": f"{reverse('heatmap-actions-export')}?{urlencode(params)}",
            "back_url": f"{reverse('heatmap')}?{urlencode(filters.params())}",
        },
    )


@login_required
def heatmap_actions_export(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/heatmap/actions/export.xlsx — one cell's actions as a workbook."""
    try:
        me, filters, cell = _cell_args(request)
    except FieldErrors as exc:
        return HttpResponse(user_message(exc), status=422, content_type="text/plain; charset=utf-8")
    stage_name = selectors.stage_names(filters).get(cell.stage, "")
    rows = (hm.action_row(a, stage_name) for a in hm.cell_actions(me, filters, cell, limit=None))
    data = xlsx.write(hm.ACTION_HEADERS, rows, title=str(_("有证据的动作")))
    return xlsx_response(data, f"heatmap-{cell.stage}-{cell.week.isoformat()}.xlsx")


def efficiency_chart(data: eff.Efficiency) -> dict[str, Any]:
    """What the efficiency charts draw (json_script)."""
    edges = data.buckets
    labels = [f"≤{edges[0]}"] + [f"{a}–{b}" for a, b in pairwise(edges)] + [f">{edges[-1]}"]

    def shares(bars: list[int], total: int) -> list[float]:
        return [round(100 * b / total, 1) if total else 0 for b in bars]

    return {
        "empty": _("期间内暂无分配的线索"),
        "minutes": _("分钟"),
        "no_data": _("无数据"),
        "share": _("占比（%）"),
        "buckets": labels,
        "rep_name": str(data.person),
        "team_name": data.team_name or _("团队"),
        "rep_bars": shares(data.rep.bars, data.rep.answered),
        "team_bars": shares(data.team.bars, data.team.answered),
        "rep_counts": data.rep.bars,
        "team_counts": data.team.bars,
        "percentiles": [f"P{p}" for p in eff.PERCENTILES],
        "rep_percentiles": [data.rep.percentiles.get(p) for p in eff.PERCENTILES],
        "team_percentiles": [data.team.percentiles.get(p) for p in eff.PERCENTILES],
        "radar": {
            "axes": [p.name for p in data.radar],
            "rep": [p.rep_score if p.rep_score is not None else 0 for p in data.radar],
            "team": [p.team_score if p.team_score is not None else 0 for p in data.radar],
        },
    }


@login_required
def efficiency_page(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/efficiency/ — one rep's response times against their team's and the
    ability radar; a manager picks a rep of their scope, a rep sees themselves."""
    me = current_user(request)
    context = _base(me, request, "efficiency")
    try:
        filters = eff.parse_efficiency_filters(request.GET, user=me)
    except FieldErrors as exc:
        context["errors"] = exc.errors
        return render(request, "analytics/efficiency.html", context, status=400)
    person = eff.default_rep(me, filters)
    context["filters"] = filters
    context["chosen"] = {k: str(v) for k, v in filters.params().items()}
    if person is not None:
        data = eff.efficiency(me, filters, person)
        context["chosen"]["owner"] = str(person.pk)
        context.update({"data": data, "chart": efficiency_chart(data)})
    return render(request, "analytics/efficiency.html", context)
