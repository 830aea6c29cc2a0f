"""REST endpoints of 日历: the entries of a window, and resetting the caller's feed URL.

`GET /api/v1/calendar` is the working calendar (timers: workdays and holidays), so the entries
live at `GET /api/v1/calendar/entries`.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema

from salesflow.calendars import selectors, services
from salesflow.core import clock
from salesflow.org.selectors import current_user

router = Router(tags=["calendar"])


class CalendarEntryOut(Schema):
    uid: str
    kind: str
    kind_label: str
    title: str
    detail: str
    all_day: bool
    # An ISO instant with offset (Asia/Shanghai) for timed entries, a date for all-day ones.
    start: datetime | date
    end: datetime | date | None
    late: bool
    url: str
    owner_id: int
    owner_name: str


class CalendarEntriesOut(Schema):
    start: date
    end: date
    owners: list[int]
    items: list[CalendarEntryOut]


class CalendarFeedOut(Schema):
    url: str
    created_at: datetime
    days_before: int
    days_after: int


@router.get("/calendar/entries", response=CalendarEntriesOut)
def calendar_entries(
    request: HttpRequest,
    start: str | None = None,
    end: str | None = None,
    user: str | None = None,
    team: str | None = None,
    kinds: str | None = None,
) -> CalendarEntriesOut:
    """Calendar entries from `start` to `end` (local dates, both inclusive; default: 7 days from
    today; at most 92 days), of the caller or, for managers, of `user` ("me" or an id) or `team`
    (an id, with the teams beneath it). `kinds`: comma-separated (visit, meeting, quote, task …),
    default all. 422 names a bad field."""
    me = current_user(request)
    params = {"start": start, "end": end, "user": user, "team": team, "kinds": kinds}
    query = selectors.parse_calendar_query(params, user=me)
    labels = selectors.kind_labels()
    entries = selectors.calendar_entries(me, query)
    return CalendarEntriesOut(
        start=query.first_day,
        end=query.last_day,
        owners=sorted(query.owners),
        items=[
            CalendarEntryOut(
                uid=e.uid,
                kind=e.kind,
                kind_label=labels.get(e.kind, e.kind),
                title=e.title,
                detail=e.detail,
                all_day=e.all_day,
                start=clock.to_local(e.start) if isinstance(e.start, datetime) else e.start,
                end=clock.to_local(e.end) if isinstance(e.end, datetime) else e.end,
                late=e.late,
                url=e.url,
                owner_id=e.owner_id,
                owner_name=e.owner_name,
            )
            for e in entries
        ],
    )


@router.post("/calendar/feed/reset", response=CalendarFeedOut)
def calendar_feed_reset(request: HttpRequest) -> CalendarFeedOut:
    """A new secret iCalendar feed URL for the caller (returned only here, once); every earlier
    URL answers 404 from now on. The feed covers the caller's own calendar."""
    me = current_user(request)
    link, token = services.calendar_feed_reset(user=me)
    return CalendarFeedOut(
        url=request.build_absolute_uri(reverse("calendar-feed", args=[token])),
        created_at=link.created_at,
        days_before=selectors.FEED_DAYS_BEFORE,
        days_after=selectors.FEED_DAYS_AFTER,
    )
