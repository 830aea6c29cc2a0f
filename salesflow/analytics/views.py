"""看板 pages: the cockpit of the signed-in person's scope, the records behind a number, their export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesflow.analytics import selectors
from salesflow.analytics.selectors import CockpitFilters
from salesflow.analytics.templatetags.cockpit import drill_url
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, user_message
from salesflow.core.pagination import keyset_page
from salesflow.imports import xlsx
from salesflow.imports.api import xlsx_response
from salesflow.org.choices import COMPANY_WIDE_ROLES, Role
from salesflow.org.models import Team, User
from salesflow.org.selectors import current_user
from salesflow.rules.selectors import active_pack

METRIC_LABELS = {
    "entered": gettext_lazy("进入阶段"),
    "advanced": gettext_lazy("推进到后续阶段"),
    "dwell": gettext_lazy("完成停留"),
    "closed": gettext_lazy("已关闭（赢单 + 输单）"),
    "won": gettext_lazy("赢单"),
    "lost": gettext_lazy("输单"),
}
# The people a filter may pick: those who own deals, not the integration account.
SALES_ROLES = (Role.REP, Role.MANAGER, Role.DIRECTOR)


def _title(user: User) -> str:
    if user.is_superuser or selectors.owner_ids(user) is None or user.role in COMPANY_WIDE_ROLES:
        return _("公司看板")
    if user.role == Role.DIRECTOR:
        return _("大区看板")
    if user.role == Role.MANAGER:
        return _("团队看板")
    return _("我的看板")


def _options(user: User) -> dict[str, Any]:
    """The choices of the filter form: pipelines and product lines of the pack, teams, people."""
    _number, pack = active_pack()
    lines = pack.dictionary("product_line")
    owners = selectors.owner_ids(user)
    narrow = owners != {user.pk}
    people = User.objects.filter(is_active=True, role__in=SALES_ROLES)
    if owners is not None:
        people = people.filter(pk__in=owners)
    return {
        "pipelines": [(t.code, t.name) for t in pack.stage_templates],
        "product_lines": [(c.code, c.label) for c in lines.choices] if lines else [],
        "teams": list(Team.objects.values_list("pk", "name")) if narrow else [],
        "people": list(people.order_by("team__path", "pk").values_list("pk", "display_name", "username"))
        if narrow
        else [],
    }


def _chart_data(data: selectors.Cockpit) -> dict[str, Any]:
    """What the charts draw (a json_script element; the CSP allows no inline script)."""
    stages = data.template.stages if data.template else []
    filters = data.filters
    return {
        "empty": _("期间内暂无数据 — 换一个期间看看"),
        "funnel": {
            "stages": [s.name for s in stages],
            "entered": [data.total.entered.get(s.code, 0) for s in stages],
            "conversion": [data.total.conversion(s.code) for s in stages],
            "urls": [drill_url(filters, "entered", s.code) for s in stages],
            "label": _("进入阶段的商机"),
        },
        "dwell": {
            "stages": [s.name for s in stages],
            "series": [
                {
                    "name": f"P{p}",
                    "values": [getattr(data.dwell.get(s.code), f"p{p}", None) for s in stages],
                }
                for p in selectors.PERCENTILES
            ],
            "urls": [drill_url(filters, "dwell", s.code) for s in stages],
            "unit": _("天"),
        },
    }


def _presets(filters: CockpitFilters) -> list[tuple[str, str, bool]]:
    """Quick periods (本月, 上月, 近 30 天, 本季度) as links keeping the other filters."""
    today = clock.to_local(clock.now()).date()
    this_month = selectors.month_of(today)
    last_month = selectors.month_of(this_month[0] - timedelta(days=1))
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    quarter_end = selectors.month_of(date(today.year, quarter_start.month + 2, 1))[1]
    periods = [
        (_("本月"), this_month),
        (_("上月"), last_month),
        (_("近 30 天"), (today - timedelta(days=29), today)),
        (_("本季度"), (quarter_start, quarter_end)),
    ]
    return [
        (
            label,
            "?" + urlencode(filters.params(start=start.isoformat(), end=end.isoformat())),
            (filters.start, filters.end) == (start, end),
        )
        for label, (start, end) in periods
    ]


# A GM's company has hundreds of reps: the page lists the top earners first and the rest on
# request, so the table stays readable (and the page light) at that size.
REP_ROWS = 50


def _rep_rows(rows: list[selectors.Row], *, show_all: bool) -> tuple[list[selectors.Row], int]:
    """The rep table's rows (all, or the `REP_ROWS` with the most won amount) and how many were
    left out."""
    if show_all or len(rows) <= REP_ROWS:
        return rows, 0
    top = sorted(rows, key=lambda r: (-r.numbers.won_amount, -r.numbers.won, r.name))[:REP_ROWS]
    return top, len(rows) - REP_ROWS


@login_required
def cockpit_page(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/ — the cockpit of the caller's scope (rep: own; manager: team; director:
    region; GM and ops: company), with filters; every number links to its records."""
    me = current_user(request)
    context: dict[str, Any] = {
        "nav": "dashboards",
        "title": _title(me),
        "chosen": {k: request.GET.get(k, "")[:100] for k in selectors.FILTER_FIELDS},
        **_options(me),
    }
    try:
        filters = selectors.parse_filters(request.GET, user=me)
    except FieldErrors as exc:
        context["errors"] = exc.errors
        return render(request, "analytics/cockpit.html", context, status=400)
    data = selectors.cockpit(me, filters)
    context["chosen"] = {k: str(v) for k, v in filters.params().items()}
    stages = data.template.stages if data.template else []
    first = stages[0].code if stages else ""
    rep_rows, reps_hidden = _rep_rows(data.reps, show_all=request.GET.get("reps") == "all")
    context.update(
        {
            "filters": filters,
            "data": data,
            "stages": stages,
            "stage_rows": [
                {
                    "stage": s,
                    "entered": data.total.entered.get(s.code, 0),
                    "advanced": data.total.advanced.get(s.code, 0),
                    "conversion": data.total.conversion(s.code),
                    "dwell": data.dwell.get(s.code),
                    "last": i == len(stages) - 1,
                }
                for i, s in enumerate(stages)
            ],
            "first_stage": first,
            "first_entered": data.total.entered.get(first, 0),
            "chart": _chart_data(data),
            "presets": _presets(filters),
            "show_reps": me.role != Role.REP or len(data.reps) > 1,
            "rep_rows": rep_rows,
            "reps_hidden": reps_hidden,
            "all_reps_url": "?" + urlencode({**filters.params(), "reps": "all"}),
            "show_teams": len(data.teams) > 1,
            "money": _money_now(me),
        }
    )
    return render(request, "analytics/cockpit.html", context)


def _money_now(user: User) -> dict[str, Any]:
    """The quote and payment lights of the caller's scope as of now (not the period's): yellow
    quotes, contracts at the green share, receivables overdue and due within a week."""
    from salesflow.contracts import selectors as contracts
    from salesflow.quotes import selectors as quotes
    from salesflow.quotes.choices import QuoteState

    yellow = quotes.yellow_light()
    today = clock.to_local(clock.now()).date()
    return {
        "yellow": yellow,
        "yellow_quotes": quotes.quotes_visible_to(user)
        .filter(state=QuoteState.SENT, sent_at__lt=yellow.since)
        .count(),
        "green_contracts": contracts.green_contracts(user).count(),
        "green_pct": active_pack()[1].lights.payment_green_progress_pct,
        **contracts.due_soon_and_overdue(user, today=today),
    }


def _drill_args(request: HttpRequest) -> tuple[User, CockpitFilters, selectors.DrillQuery]:
    me = current_user(request)
    filters = selectors.parse_filters(request.GET, user=me)
    return me, filters, selectors.parse_drill(request.GET, filters)


def _names(filters: CockpitFilters) -> dict[str, str]:
    """The filters as a person reads them (names, not ids or codes)."""
    _number, pack = active_pack()
    names = {"period": f"{filters.start.isoformat()} ~ {filters.end.isoformat()}"}
    template = selectors.template_of(filters)
    names["pipeline"] = template.name if template else ""
    if filters.owner is not None:
        owner = User.objects.filter(pk=filters.owner).first()
        names["owner"] = str(owner) if owner else ""
    if filters.team is not None:
        names["team"] = Team.objects.filter(pk=filters.team).values_list("name", flat=True).first() or ""
    lines = pack.dictionary("product_line")
    if filters.product_line and lines:
        names["product_line"] = next((c.label for c in lines.choices if c.code == filters.product_line), "")
    return names


@login_required
def drill_page(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/drill/?metric=…&stage=…&<filters> — the records behind one number."""
    try:
        me, filters, query = _drill_args(request)
    except FieldErrors as exc:
        return render(
            request,
            "analytics/drill.html",
            {"nav": "dashboards", "errors": exc.errors, "message": user_message(exc)},
            status=400,
        )
    qs = selectors.drill(me, filters, query)
    cursor = request.GET.get("cursor", "")[:100] or None
    try:
        rows, next_cursor = keyset_page(qs, cursor=cursor, limit=100, newest_first=True)
    except FieldErrors as exc:
        return render(
            request, "analytics/drill.html", {"nav": "dashboards", "message": user_message(exc)}, status=400
        )
    names = selectors.stage_names(filters)
    params = {**filters.params(), "metric": query.metric, "stage": query.stage}
    params = {k: v for k, v in params.items() if v}
    return render(
        request,
        "analytics/drill.html",
        {
            "nav": "dashboards",
            "metric_label": METRIC_LABELS[query.metric],
            "stage_label": names.get(query.stage, ""),
            "names": _names(filters),
            "rows": [(o, selectors.drill_row(o, names)) for o in rows],
            "count": qs.count(),
            "next_url": f"?{urlencode({**params, 'cursor': next_cursor})}" if next_cursor else "",
            "export_url": f"{reverse('cockpit-drill-export')}?{urlencode(params)}",
            "back_url": f"{reverse('cockpit')}?{urlencode(filters.params())}",
        },
    )


def _all_rows(qs: Any, names: dict[str, str]) -> Iterator[list[Any]]:
    for o in qs.order_by("-id").iterator(chunk_size=2000):
        yield selectors.drill_row(o, names)


@login_required
def drill_export(request: HttpRequest) -> HttpResponse:
    """GET /dashboards/drill/export.xlsx — the same records as the drill-down, as a workbook."""
    try:
        me, filters, query = _drill_args(request)
    except FieldErrors as exc:
        return HttpResponse(user_message(exc), status=422, content_type="text/plain; charset=utf-8")
    names = selectors.stage_names(filters)
    data = xlsx.write(
        selectors.DRILL_HEADERS,
        _all_rows(selectors.drill(me, filters, query), names),
        title=str(METRIC_LABELS[query.metric]),
    )
    return xlsx_response(data, f"cockpit-{query.metric}.xlsx")
