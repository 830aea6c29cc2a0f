"""The company working calendar: Chinese statutory holidays and 调休 make-up workdays.

Only exceptions to "Monday–Friday work, weekend rest" are stored (`CalendarDay`). A year
with no rows at all has not been filled in: weekends-only applies and `years_without_data`
says so, so the ops admin is warned instead of the calendar guessing silently.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from salesflow.core import clock

# A long holiday run is at most ~10 days; this bounds the search for the next working day.
_MAX_DAYS_SEARCHED = 60


class WorkingCalendar:
    """Working days and hours in the company's time zone, read from `CalendarDay` per year."""

    def __init__(
        self,
        *,
        work_start: time = time(9, 0),
        work_end: time = time(18, 0),
        zone: ZoneInfo | None = None,
    ) -> None:
        if work_end <= work_start:
            raise ValueError("working hours must end after they start")
        self.work_start = work_start
        self.work_end = work_end
        self.zone = zone or clock.local_zone()
        self._years: dict[int, tuple[bool, dict[date, bool]]] = {}

    def _year(self, year: int) -> tuple[bool, dict[date, bool]]:
        if year not in self._years:
            from salesflow.timers.models import CalendarDay

            rows = dict(CalendarDay.objects.filter(day__year=year).values_list("day", "is_workday"))
            self._years[year] = (bool(rows), rows)
        return self._years[year]

    def is_workday(self, day: date) -> bool:
        """Whether `day` is a working day (statutory exceptions first, then the weekday)."""
        _filled, exceptions = self._year(day.year)
        if day in exceptions:
            return exceptions[day]
        return day.weekday() < 5

    def years_without_data(self, years: list[int]) -> list[int]:
        """The years among `years` nobody has filled in (weekends-only applies to them)."""
        return [y for y in years if not self._year(y)[0]]

    def _local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def _open(self, day: date) -> datetime:
        return datetime.combine(day, self.work_start, tzinfo=self.zone)

    def _close(self, day: date) -> datetime:
        return datetime.combine(day, self.work_end, tzinfo=self.zone)

    def next_workday(self, day: date) -> date:
        """The first working day after `day`."""
        for offset in range(1, _MAX_DAYS_SEARCHED):
            candidate = day + timedelta(days=offset)
            if self.is_workday(candidate):
                return candidate
        raise ValueError(f"no working day within {_MAX_DAYS_SEARCHED} days after {day}")

    def next_opening(self, instant: datetime) -> datetime:
        """`instant` if it is inside working hours, else the next moment working time starts."""
        local = self._local(instant)
        day = local.date()
        if self.is_workday(day):
            if local < self._open(day):
                return self._open(day)
            if local < self._close(day):
                return local
        return self._open(self.next_workday(day))

    def add_working_hours(self, start: datetime, hours: int) -> datetime:
        """`start` plus `hours` of working time (only working hours of working days count)."""
        current = self.next_opening(start)
        remaining = timedelta(hours=hours)
        while True:
            left_today = self._close(current.date()) - current
            if remaining <= left_today:
                return (current + remaining).astimezone(start.tzinfo)
            remaining -= left_today
            current = self._open(self.next_workday(current.date()))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same working-time moment `days` working days later.

        A start outside working hours counts from the next opening, so "5wd" from Friday
        20:00 is the fifth working day after Monday, at 09:00.
        """
        current = self.next_opening(start)
        day = current.date()
        for _ in range(days):
            day = self.next_workday(day)
        return datetime.combine(day, current.timetz()).astimezone(start.tzinfo)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in [start, end)."""
        count, day = 0, start
        while day < end:
            count += self.is_workday(day)
            day += timedelta(days=1)
        return count


_calendar_source: Callable[[], WorkingCalendar] | None = None


def register_calendar_source(source: Callable[[], WorkingCalendar]) -> None:
    """Where the company calendar comes from (the rules app registers the active pack's hours)."""
    global _calendar_source
    _calendar_source = source


def company_calendar() -> WorkingCalendar:
    """The working calendar with the company's working hours (the active rule pack's)."""
    # Without a registered source (the rules app not loaded) the 09:00–18:00 default applies.
    return _calendar_source() if _calendar_source is not None else WorkingCalendar()


def missing_year_warning(year: int) -> str:
    """The ops admin's warning for a year without statutory data."""
    return f"{year} 年的法定节假日尚未录入，按周末休息计算。请在 设置 → 工作日历 导入国务院公布的安排。"


def calendar_warnings(now: datetime) -> list[str]:
    """Warnings for the ops admin: this year or next year without statutory data."""
    year = clock.to_local(now).year
    missing = WorkingCalendar().years_without_data([year, year + 1])
    return [missing_year_warning(y) for y in missing]
