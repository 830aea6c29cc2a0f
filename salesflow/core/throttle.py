"""Fixed-window rate limits kept in the database, so every web process sees the same counts.

Every count goes through one upsert statement that adds and reads back in a single step
(SQLite ≥ 3.35 and PostgreSQL both speak `INSERT … ON CONFLICT … DO UPDATE … RETURNING`), so
concurrent processes never lose a count and never both see the last free place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Sum

from salesflow.core.errors import Throttled
from salesflow.core.models import RateWindow


def _window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return now - timedelta(seconds=epoch % window_seconds, microseconds=now.microsecond)


def _table() -> str:
    return connection.ops.quote_name(RateWindow._meta.db_table)


def _add_one(bucket: str, start: datetime) -> int:
    """Count one more in (bucket, start) and return the new count, atomically."""
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, window_start, count) VALUES (%s, %s, 1) "  # noqa: S608
            "ON CONFLICT (bucket, window_start) DO UPDATE SET count = "
            f"{table}.count + 1 RETURNING count",
            [bucket, connection.ops.adapt_datetimefield_value(start)],
        )
        return int(cursor.fetchone()[0])


def _take_back_one(bucket: str, start: datetime) -> None:
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET count = count - 1 "  # noqa: S608
            "WHERE bucket = %s AND window_start = %s AND count > 0",
            [bucket, connection.ops.adapt_datetimefield_value(start)],
        )


def _sum(bucket: str, since: datetime, before: datetime) -> int:
    total = RateWindow.objects.filter(
        bucket=bucket, window_start__gte=since, window_start__lt=before
    ).aggregate(total=Sum("count"))["total"]
    return int(total or 0)


@dataclass(frozen=True)
class Slot:
    """One bucket an attempt counts against, with at most `limit` attempts per window."""

    bucket: str
    limit: int


def hit(*, slots: Sequence[Slot], window_seconds: int, now: datetime) -> None:
    """Count one request in every slot's bucket (distinct buckets, one statement for all of them);
    raise Throttled (with Retry-After) when a bucket is past its limit for the window."""
    start = _window_start(now, window_seconds)
    table = _table()
    rows = ", ".join("(%s, %s, 1)" for _ in slots)
    params: list[Any] = []
    for slot in slots:
        params += [slot.bucket, connection.ops.adapt_datetimefield_value(start)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, window_start, count) VALUES {rows} "  # noqa: S608
            f"ON CONFLICT (bucket, window_start) DO UPDATE SET count = {table}.count + 1 "
            "RETURNING bucket, count",
            params,
        )
        counts = dict(cursor.fetchall())
    refused = next((i for i, slot in enumerate(slots) if counts[slot.bucket] > slot.limit), None)
    if refused is not None:
        # As if checked one by one: the slots after the refusing one do not count this request
        # (an address past its own limit must not use up the form's).
        for slot in slots[refused + 1 :]:
            _take_back_one(slot.bucket, start)
        retry_after = max(1, int((start + timedelta(seconds=window_seconds) - now).total_seconds()))
        raise Throttled(
            "请求过于频繁，请稍后再试 / Too many requests; try again later.", retry_after=retry_after
        )


@dataclass
class Reservation:
    """Attempts taken by `reserve`; give them back when they turn out not to count."""

    taken: list[tuple[str, datetime]] = field(default_factory=list)

    def give_back(self) -> None:
        """Return every taken attempt (e.g. the password was right: only failures count)."""
        for bucket, start in self.taken:
            _take_back_one(bucket, start)
        self.taken = []


# `reserve` counts in steps of a fifteenth of its window: a sliding window to within one step.
STEPS_PER_WINDOW = 15


def reserve(*, slots: Sequence[Slot], window_seconds: int, now: datetime, message: str) -> Reservation:
    """Take one attempt from every slot, or none of them and raise Throttled (with Retry-After).

    An attempt is admitted while the attempts of the last `window_seconds` (counted in steps
    of a fifteenth of the window) stay within the limit — a sliding window, so no stretch of
    that length admits more than `limit`, where a plain fixed window would let twice as many
    through across its boundary. The current step's count is added and read back in one
    statement before the guarded work runs, so concurrent attempts each see the others and
    at most `limit` of them proceed. A refused attempt gives its count back at once: it did
    no work, so it should not push the lock-out further.
    """
    step = max(1, window_seconds // STEPS_PER_WINDOW)
    start = _window_start(now, step)
    since = start - timedelta(seconds=step * STEPS_PER_WINDOW)
    reservation = Reservation()
    for slot in slots:
        count = _add_one(slot.bucket, start)
        reservation.taken.append((slot.bucket, start))
        if count > slot.limit or count + _sum(slot.bucket, since, start) > slot.limit:
            reservation.give_back()
            raise Throttled(message, retry_after=_wait(slot, since, start, step, now))
    return reservation


def _wait(slot: Slot, since: datetime, start: datetime, step: int, now: datetime) -> int:
    """Seconds until the oldest counted steps have slid out far enough to admit one more."""
    counts = dict(
        RateWindow.objects.filter(bucket=slot.bucket, window_start__gte=since, window_start__lte=start)
        .filter(count__gt=0)
        .values_list("window_start", "count")
    )
    total = sum(counts.values())
    for window_start in sorted(counts):
        total -= counts[window_start]
        if total < slot.limit:
            leaves_at = window_start + timedelta(seconds=step * (STEPS_PER_WINDOW + 1))
            return max(1, int((leaves_at - now).total_seconds()))
    return step


def clear(*, bucket: str) -> None:
    """Forget every count of `bucket` (e.g. a user proved the password from this address)."""
    RateWindow.objects.filter(bucket=bucket).delete()
