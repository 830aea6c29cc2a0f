"""Fixed-window rate limits kept in the database, so every web process sees the same counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection

from salesflow.core.errors import Throttled
from salesflow.core.models import RateWindow


def hit(*, bucket: str, limit: int, window_seconds: int, now: datetime) -> None:
    """Count one request in `bucket`; raise Throttled (with Retry-After) past `limit` per window.

    One upsert statement counts and reads back (SQLite ≥ 3.35 and PostgreSQL both speak it),
    so concurrent processes never lose a count and a request costs a single round trip.
    """
    epoch = int(now.timestamp())
    start = now - timedelta(seconds=epoch % window_seconds, microseconds=now.microsecond)
    table = connection.ops.quote_name(RateWindow._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, window_start, count) VALUES (%s, %s, 1) "  # noqa: S608
            "ON CONFLICT (bucket, window_start) DO UPDATE SET count = "
            f"{table}.count + 1 RETURNING count",
            [bucket, connection.ops.adapt_datetimefield_value(start)],
        )
        count = cursor.fetchone()[0]
    if count > limit:
        retry_after = max(1, int((start + timedelta(seconds=window_seconds) - now).total_seconds()))
        raise Throttled(
            "请求过于频繁，请稍后再试 / Too many requests; try again later.", retry_after=retry_after
        )
