"""月度流程复盘 pages: a month's agenda grouped by type and team, discuss / decide forms, minutes.

Thin: writes through reviews.services, reads through reviews.selectors; the xlsx minutes come from
the export machinery (imports, ExportKind.REVIEW_MINUTES), the PDF from reviews.documents.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.core.htmx import htmx_partial
from salesflow.imports import selectors as exports
from salesflow.imports.api import xlsx_response
from salesflow.imports.choices import ExportKind
from salesflow.org.models import User
from salesflow.org.selectors import current_user
from salesflow.reviews import documents, selectors, services
from salesflow.rules.models import AgendaItem


def shell_values(request: HttpRequest) -> dict[str, Any]:
    """The user menu's links to the meetings the signed-in user may open."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    return {"review_meetings": selectors.meetings_for(user)}


@login_required
@require_GET
def review_home(request: HttpRequest) -> HttpResponse:
    """/reviews/: the first meeting the user may open (403 when none)."""
    meetings = selectors.meetings_for(current_user(request))
    if not meetings:
        raise PermissionDenied(_("你不是任何复盘会议的参会人"))
    return redirect("review-meeting", meetings[0][0])


def _month_or_error(request: HttpRequest) -> tuple[date, list[str]]:
    try:
        return selectors.parse_month(request.GET.get("month")), []
    except FieldErrors as exc:
        return selectors.current_month(), exc.errors["month"]


def _context(me: User, code: str, month: date, **extra: Any) -> dict[str, Any]:
    meeting = selectors.require_viewer(me, code)
    rows = selectors.agenda_for(me, meeting_code=code, month=month)
    return {
        "nav": "reviews",
        "code": code,
        "meeting": meeting,
        "month": month,
        "previous": selectors.previous_month(month),
        "next": selectors.next_month(month),
        "groups": selectors.grouped(rows),
        "total": len(rows),
        "discussed": sum(1 for r in rows if r.discussed),
        "decided": sum(1 for r in rows if r.decided),
        "can_chair": selectors.may_chair(me, code),
        "people": list(selectors.owner_choices()) if selectors.may_chair(me, code) else [],
        "errors": {},
        "chosen": {},
        "error_item": None,
        **extra,
    }


@login_required
@require_GET
def review_meeting(request: HttpRequest, meeting: str) -> HttpResponse:
    """A meeting's month: its agenda items grouped by type and team, each with its forms."""
    me = current_user(request)
    month, month_errors = _month_or_error(request)
    context = _context(me, meeting, month, month_errors=month_errors)
    return render(request, "reviews/meeting.html", context)


def _row_response(request: HttpRequest, me: User, item: AgendaItem, toast: str, **extra: Any) -> HttpResponse:
    month = selectors.month_of(item)
    (row,) = selectors.describe([selectors.item_for(me, item.pk)], me)
    context = {
        "row": row,
        "code": item.meeting,
        "can_chair": selectors.may_chair(me, item.meeting),
        "people": list(selectors.owner_choices()),
        "errors": {},
        "chosen": {},
        **extra,
    }
    if htmx_partial(request):
        response = render(request, "reviews/partials/item.html", context)
        if toast:
            response["X-Toast"] = quote(toast)
        return response
    if extra.get("errors"):
        page = _context(
            me, item.meeting, month, errors=extra["errors"], chosen=extra["chosen"], error_item=item.pk
        )
        return render(request, "reviews/meeting.html", page, status=422)
    messages.success(request, toast)
    return redirect(selectors.meeting_url(item.meeting, month) + f"#item-{item.pk}")


@login_required
@require_POST
def review_discuss(request: HttpRequest, item_id: int) -> HttpResponse:
    """Mark an item discussed (`discussed=1`, the default) or not (`discussed=0`)."""
    me = current_user(request)
    item = selectors.item_for(me, item_id)
    discussed = request.POST.get("discussed", "1") != "0"
    try:
        services.agenda_item_discuss(item=item, actor=me, discussed=discussed)
    except FieldErrors as exc:
        return _row_response(request, me, item, "", errors=exc.errors, chosen={})
    return _row_response(request, me, item, _("已标记为已讨论") if discussed else _("已取消“已讨论”"))


@login_required
@require_POST
def review_decide(request: HttpRequest, item_id: int) -> HttpResponse:
    """Record the decision and its owner (errors shown at the form)."""
    me = current_user(request)
    item = selectors.item_for(me, item_id)
    chosen = {"decision": request.POST.get("decision", ""), "owner": request.POST.get("owner", "").strip()}
    owner = None
    if chosen["owner"].isdigit():
        owner = selectors.owner_choices().filter(pk=int(chosen["owner"])).first()
    try:
        services.agenda_item_decide(item=item, decision=chosen["decision"], owner=owner, actor=me)
    except FieldErrors as exc:
        return _row_response(request, me, item, "", errors=exc.errors, chosen=chosen)
    return _row_response(request, me, item, _("决议已记录"))


@login_required
@require_GET
def minutes_xlsx(request: HttpRequest, meeting: str) -> HttpResponse:
    """The month's minutes as xlsx (the export machinery's REVIEW_MINUTES kind)."""
    filters = {"meeting": meeting, "month": request.GET.get("month", "")[:20]}
    try:
        data = exports.export_workbook(ExportKind.REVIEW_MINUTES, current_user(request), filters)
    except FieldErrors as exc:
        text = "\n".join(f"{name}: {line}" for name, lines in exc.errors.items() for line in lines)
        return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
    month = selectors.parse_month(filters["month"])
    return xlsx_response(data, f"{meeting}-{month:%Y-%m}.xlsx")


@login_required
@require_GET
def minutes_pdf(request: HttpRequest, meeting: str) -> HttpResponse:
    """The month's minutes as PDF (WeasyPrint, Noto CJK embedded)."""
    try:
        month = selectors.parse_month(request.GET.get("month"))
    except FieldErrors as exc:
        text = "\n".join(f"{name}: {line}" for name, lines in exc.errors.items() for line in lines)
        return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
    return documents.minutes_response(user=current_user(request), meeting_code=meeting, month=month)
