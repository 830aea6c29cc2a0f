"""The only way business code reads the time, so tests and `--now` can move it."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

# A phone's clock may run a little ahead of the server's: times this far in the future pass.
SKEW_TOLERANCE = timedelta(minutes=5)


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return timezone.now()


def local_zone() -> ZoneInfo:
    """The company's display time zone (Asia/Shanghai unless configured otherwise)."""
    return ZoneInfo(settings.TIME_ZONE)


def to_local(instant: datetime) -> datetime:
    """An instant shown in the company's time zone."""
    return instant.astimezone(local_zone())


def local_midnight(day: date) -> datetime:
    """The instant `day` begins in the company's time zone (the start of a local calendar day)."""
    return datetime.combine(day, time.min, tzinfo=local_zone())
