"""The iCalendar (RFC 5545) document of a calendar, written with the `icalendar` package.

Times are written in UTC (`…Z`), so no VTIMEZONE is needed and every client places them right;
the calendar names Asia/Shanghai as its display zone (X-WR-TIMEZONE). All-day entries are DATE
values with the exclusive next day as DTEND, as RFC 5545 §3.6.1 asks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

from salesflow.calendars.registry import CalendarEntry
from salesflow.core import clock

PRODID = "-//Salesflow//Calendar//ZH"


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def ical_document(
    entries: list[CalendarEntry], *, name: str, labels: dict[str, str], base_url: str, now: datetime
) -> bytes:
    """The entries as one VCALENDAR; `base_url` (ending in "/") makes the records' links absolute."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", str(clock.local_zone()))
    stamp = _utc(now)
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("summary", entry.title)
        if entry.all_day:
            assert isinstance(entry.start, date)
            last = entry.end if isinstance(entry.end, date) else entry.start
            event.add("dtstart", entry.start)
            event.add("dtend", last + timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        else:
            assert isinstance(entry.start, datetime)
            event.add("dtstart", _utc(entry.start))
            if isinstance(entry.end, datetime) and entry.end > entry.start:
                event.add("dtend", _utc(entry.end))
        label = labels.get(entry.kind, entry.kind)
        event.add("categories", [label])
        description = "\n".join(part for part in (label, entry.detail) if part)
        event.add("description", description)
        event.add("url", base_url.rstrip("/") + entry.url)
        cal.add_component(event)
    return cal.to_ical()
