"""The 记录跟进 form on a lead's page (phone-friendly: kind, duration, note)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from salesflow.activities import services
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, user_message
from salesflow.leads.selectors import leads_visible_to
from salesflow.org.models import User


@login_required
@require_POST
def log_on_lead(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Log a call / visit / meeting on a lead from its page."""
    me = request.user
    assert isinstance(me, User)
    lead = leads_visible_to(me).filter(pk=lead_id).first()
    if lead is None:
        raise Http404(lead_id)
    minutes = request.POST.get("duration_minutes", "0") or "0"
    try:
        duration = round(float(minutes) * 60)
    except ValueError:
        messages.error(request, "时长应为分钟数 / Duration must be minutes.")
        return redirect("lead-detail", lead_id=lead_id)
    try:
        activity = services.activity_log(
            lead=lead,
            kind=request.POST.get("kind", ""),
            occurred_at=clock.now(),
            actor=me,
            duration_seconds=duration,
            note=request.POST.get("note", ""),
        )
    except FieldErrors as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(request, "已记录跟进" + ("（有效接触，计时已停止）" if activity.effective else ""))
    return redirect("lead-detail", lead_id=lead_id)
