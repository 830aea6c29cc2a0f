"""The 记录跟进 form on a lead's page (phone-friendly: kind, duration, note)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from salesflow.activities import services
from salesflow.activities.forms import ActivityForm
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, user_message
from salesflow.core.lookups import visible_or_404
from salesflow.leads.selectors import leads_visible_to
from salesflow.org.selectors import current_user


@login_required
@require_POST
def log_on_lead(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Log a call / visit / meeting on a lead from its page."""
    me = current_user(request)
    lead = visible_or_404(leads_visible_to(me), lead_id)
    try:
        data = ActivityForm(request.POST).parsed()
        activity = services.activity_log(
            lead=lead,
            kind=data["kind"],
            occurred_at=clock.now(),
            actor=me,
            duration_seconds=ActivityForm.seconds(data["duration_minutes"]),
            note=data["note"],
        )
    except FieldErrors as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(request, "已记录跟进" + ("（有效接触，计时已停止）" if activity.effective else ""))
    return redirect("lead-detail", lead_id=lead_id)
