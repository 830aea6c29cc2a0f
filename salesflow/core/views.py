"""Shell pages (今日, module landing pages), health check, and the generic record partials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from salesflow.core import events, history, records
from salesflow.core.errors import NotFound

TodaySection = Callable[[HttpRequest], dict[str, Any]]
_today_sections: list[TodaySection] = []


def register_today_section(fn: TodaySection) -> None:
    """Let an app add a card to 今日 (its to-dos, notifications …)."""
    if fn not in _today_sections:
        _today_sections.append(fn)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def today(request: HttpRequest) -> HttpResponse:
    """今日: the signed-in user's to-dos and notifications."""
    sections = [section(request) for section in _today_sections]
    return render(request, "core/today.html", {"sections": sections, "nav": "today"})


# Modules whose pages arrive with their own issues: an old link lands here, the navigation
# leaves them out until they exist (context_processors.navigation).
MODULES = {
    "dashboards": (_("看板"), _("漏斗、热力图、过程健康度与今日战报。"), "ti-chart-bar"),
}


@login_required
def module_home(request: HttpRequest, module: str) -> HttpResponse:
    """The landing page of a module that has no records to show yet."""
    if module not in MODULES:
        raise Http404(module)
    title, purpose, icon = MODULES[module]
    return render(
        request,
        "core/module_home.html",
        {"nav": module, "title": title, "purpose": purpose, "icon": icon},
    )


def _visible_or_404(request: HttpRequest, record_type: str, record_id: int) -> Any:
    try:
        return records.visible_record(record_type, record_id, request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def record_timeline(request: HttpRequest, record_type: str, record_id: int) -> HttpResponse:
    """The timeline partial of any visible record (rendered from the event log)."""
    obj = _visible_or_404(request, record_type, record_id)
    return render(request, "core/partials/timeline.html", {"events": events.story_of(obj)})


@login_required
def record_history(request: HttpRequest, record_type: str, record_id: int) -> HttpResponse:
    """The field-history partial of any visible record."""
    obj = _visible_or_404(request, record_type, record_id)
    changes = history.field_changes(obj, hidden=records.hidden_fields(record_type, request.user))
    return render(request, "core/partials/history.html", {"changes": changes})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico: browsers ask for it before reading <link rel=icon>; send them to our SVG."""
    return redirect(static("salesflow/favicon.svg"), permanent=True)
