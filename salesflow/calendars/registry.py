"""The calendar's entry sources: a registry, so a new kind of date joins with one function.

Each source answers "which entries of these people fall in this window, as this viewer may see
them". The calendar page, the API and the iCalendar feed ask every registered source and merge
the answers; nothing else in the app knows the kinds. To add one (e.g. payment due dates from
the contracts app), write a function taking a `SourceRequest` and returning `CalendarEntry`s
in `calendars/sources.py` and register it there (calendars sits in the top tier and imports the
apps whose dates it shows; a lower app must not import calendars):

    register_source(EntrySource(code="payment", label=_("回款到期"), fetch=payment_entries, order=50))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from salesflow.core import clock


@dataclass(frozen=True)
class SourceRequest:
    """What a source is asked: whose entries (`owners`, never empty, already inside `viewer`'s
    scope), in which window (`since` ≤ instant < `until`, aware; `first_day` … `last_day`, local
    dates both inclusive, for date-only fields), who is asking (each source still reads through
    its app's permission-scoped selector for `viewer`) and when (`now`, to mark late entries)."""

    viewer: Any
    owners: frozenset[int]
    since: datetime
    until: datetime
    first_day: date
    last_day: date
    now: datetime


@dataclass(frozen=True)
class CalendarEntry:
    """One dated thing on someone's calendar.

    `uid` is stable for the record and kind (the iCalendar UID); `start` is an aware datetime, or
    a date when `all_day`; `end` is None for a point in time (a due time) or an all-day entry of
    one day; `url` is the record's page (a path); `detail` is a short second line (customer,
    state); `late` marks something already past its date and not done.
    """

    uid: str
    kind: str
    title: str
    start: datetime | date
    all_day: bool
    url: str
    owner_id: int
    owner_name: str
    end: datetime | date | None = None
    detail: str = ""
    late: bool = False

    @property
    def day(self) -> date:
        """The local day the entry starts on."""
        if isinstance(self.start, datetime):
            return clock.to_local(self.start).date()
        return self.start

    @property
    def sort_key(self) -> tuple[date, int, str, str]:
        """All-day entries first in their day, then by time, then by title."""
        if isinstance(self.start, datetime):
            return (self.day, 1, clock.to_local(self.start).strftime("%H:%M"), self.title)
        return (self.day, 0, "", self.title)


Fetch = Callable[[SourceRequest], list[CalendarEntry]]


@dataclass(frozen=True)
class EntrySource:
    """A kind of calendar entry: its code (the `kinds` filter), its label, and how to fetch it."""

    code: str
    label: Any
    fetch: Fetch
    order: int = 100
    icon: str = "ti-calendar-event"


_sources: dict[str, EntrySource] = {}


def register_source(source: EntrySource) -> None:
    """Add (or replace, by code) an entry source."""
    _sources[source.code] = source


def registered_sources() -> list[EntrySource]:
    """Every entry source, in display order."""
    return sorted(_sources.values(), key=lambda s: (s.order, s.code))


def source(code: str) -> EntrySource | None:
    """The source called `code`, if registered."""
    return _sources.get(code)
