"""日历 pages: the calendar of a person or a team, the feed reset, and the public .ics feed."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from salesflow.calendars import ical, selectors, services
from salesflow.calendars.registry import registered_sources
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, NotFound, user_message
from salesflow.org.models import User
from salesflow.org.selectors import current_user


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _context(request: HttpRequest, me: User, now: datetime) -> tuple[dict[str, Any], int]:
    """The page's context for the query in the URL, and its status (422 with the errors shown)."""
    today = clock.to_local(now).date()
    params = request.GET.copy()
    raw_start = str(params.get("start") or "").strip()
    # The page shows a week from Monday; `start` picks the week (any day of it).
    with contextlib.suppress(ValueError):  # a bad date is left for the parser to name
        params["start"] = _monday(date.fromisoformat(raw_start) if raw_start else today).isoformat()
    params.pop("end", None)
    people, teams = selectors.scope_choices(me)
    chosen_kinds = selectors.requested_kinds(params)
    context: dict[str, Any] = {
        "nav": "calendar",
        "today": today,
        "people": people,
        "teams": teams,
        "sources": registered_sources(),
        "chosen_user": str(params.get("user") or ""),
        "chosen_team": str(params.get("team") or ""),
        "chosen_kinds": chosen_kinds,
        "feed_links": selectors.live_feed_links(me, now=now),
        "feed_days_before": selectors.FEED_DAYS_BEFORE,
        "feed_days_after": selectors.FEED_DAYS_AFTER,
    }
    try:
        query = selectors.parse_calendar_query(params, user=me, today=today)
    except FieldErrors as exc:
        context["errors"] = [m for messages in exc.errors.values() for m in messages]
        return context, 422
    entries = selectors.calendar_entries(me, query, now=now)
    keep = {k: v for k, v in request.GET.items() if k in ("user", "team") and v}
    kinds = ",".join(chosen_kinds)
    if kinds:
        keep["kinds"] = kinds

    def week_url(start: date) -> str:
        from urllib.parse import urlencode

        return reverse("calendar") + "?" + urlencode({**keep, "start": start.isoformat()})

    whose = _("我的日历")
    if query.person is not None and query.person != me.pk:
        whose = str(next((p for p in people if p.pk == query.person), ""))
    elif query.team is not None:
        whose = str(next((t for t in teams if t.pk == query.team), ""))
    context.update(
        {
            "query": query,
            "days": selectors.entries_by_day(query, entries),
            "total": len(entries),
            "labels": selectors.kind_labels(),
            "icons": {s.code: s.icon for s in registered_sources()},
            "show_owner": len(query.owners) > 1,
            "whose": whose,
            "prev_url": week_url(query.first_day - timedelta(days=7)),
            "next_url": week_url(query.first_day + timedelta(days=7)),
            "this_week_url": week_url(_monday(today)),
        }
    )
    return context, 200


@login_required
@require_GET
def calendar_page(request: HttpRequest) -> HttpResponse:
    """GET /calendar/?start=&user=&team=&kinds= — a week of the caller's (or, for a manager, a
    person's or a team's) visits, meetings, quote deadlines and to-dos; the feed card."""
    me = current_user(request)
    context, status = _context(request, me, clock.now())
    return render(request, "calendars/calendar.html", context, status=status)


@login_required
@require_POST
def feed_reset(request: HttpRequest) -> HttpResponse:
    """POST /calendar/feed/reset/ — a new secret feed URL for the caller, shown once on the page;
    the old URL stops working."""
    me = current_user(request)
    now = clock.now()
    _link, token = services.calendar_feed_reset(user=me, now=now)
    context, status = _context(request, me, now)
    context["new_url"] = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
    response = render(request, "calendars/calendar.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """GET /cal/<token>.ics — the token owner's calendar as iCalendar, without a login
    (phones and 企业微信 subscribe to it); 404 for an unknown or reset token."""
    now = clock.now()
    try:
        owner = services.calendar_feed_open(
            token=token,
            ip=str(request.META.get("REMOTE_ADDR", "")),
            user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
            now=now,
        )
    except NotFound as exc:
        response = HttpResponse(user_message(exc), status=404, content_type="text/plain; charset=utf-8")
    else:
        query = selectors.feed_query(owner, now=now)
        body = ical.ical_document(
            selectors.calendar_entries(owner, query, now=now),
            # No person's name: the subscriber knows whose it is, a leaked URL should tell less.
            name=_("Salesflow 日历"),
            labels=selectors.kind_labels(),
            base_url=request.build_absolute_uri("/"),
            now=now,
        )
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="salesflow.ics"'
    # The token is in the URL: never send it onwards, never cache or index it.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
