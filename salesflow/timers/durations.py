"""Durations as a sales manager writes them: 15m, 48h, 7d (calendar) and 5wd, 4wh (working time)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salesflow.timers.calendar import WorkingCalendar

# ASCII digits only: "１５m" (full-width) would parse but could not be written back as typed.
_PATTERN = re.compile(r"^\s*(\d{1,6})\s*(m|h|d|wd|wh)\s*$", re.ASCII)
_CALENDAR_MINUTES = {"m": 1, "h": 60, "d": 1440}


@dataclass(frozen=True)
class Duration:
    """An amount of minutes, hours or days of calendar time, or working days or hours."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def is_working_time(self) -> bool:
        """Whether it counts only the company's working time."""
        return self.unit in ("wd", "wh")

    def as_timedelta(self) -> timedelta:
        """The calendar length; working-time durations have none without a calendar."""
        if self.is_working_time:
            raise ValueError(f"{self} is working time; add it with a working calendar")
        return timedelta(minutes=self.amount * _CALENDAR_MINUTES[self.unit])


def parse_duration(text: str) -> Duration:
    """Parse `15m`, `48h`, `7d`, `5wd` or `4wh`; ValueError quotes the bad input."""
    match = _PATTERN.match(str(text))
    if not match:
        raise ValueError(f'"{text}" is not a duration (use 15m, 48h, 5wd)')
    return Duration(int(match.group(1)), match.group(2))


def add_duration(start: datetime, duration: Duration, *, calendar: WorkingCalendar) -> datetime:
    """`start` plus `duration`: calendar time as is, working time on the company calendar.

    - `m`, `h`, `d` are calendar time: "48h" is 48 hours later, nights and holidays included.
    - `wh` counts only working hours of working days (09:00–18:00 by default), starting at
      the next opening when `start` is outside them: Friday 16:00 + "4wh" = Monday 11:00.
    - `wd` is *not* 9 working hours times N: "5wd" is the same local time on the 5th
      following working day, because a manager who says "within 5 working days" means
      "by this time next week", not "after 45 office hours". A start outside working
      hours counts from the next opening: Friday 20:00 + "1wd" = Tuesday 09:00 (Monday
      09:00 is the opening, one working day after it is Tuesday 09:00).
    """
    if duration.unit == "wd":
        return calendar.add_working_days(start, duration.amount)
    if duration.unit == "wh":
        return calendar.add_working_hours(start, duration.amount)
    return start + duration.as_timedelta()
