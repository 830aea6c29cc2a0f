"""Fixed-window rate limits kept in the database, so every web process sees the same counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from salesflow.core.errors import Throttled
from salesflow.core.models import RateWindow


def hit(*, bucket: str, limit: int, window_seconds: int, now: datetime) -> None:
    """Count one request in `bucket`; raise Throttled (with Retry-After) past `limit` per window."""
    epoch = int(now.timestamp())
    start = now - timedelta(seconds=epoch % window_seconds, microseconds=now.microsecond)
    with transaction.atomic():
        updated = RateWindow.objects.filter(bucket=bucket, window_start=start).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateWindow.objects.create(bucket=bucket, window_start=start, count=1)
            except IntegrityError:  # another process created the window first
                RateWindow.objects.filter(bucket=bucket, window_start=start).update(count=F("count") + 1)
        count = RateWindow.objects.filter(bucket=bucket, window_start=start).values_list("count", flat=True)[
            0
        ]
    if count > limit:
        retry_after = max(1, int((start + timedelta(seconds=window_seconds) - now).total_seconds()))
        raise Throttled(
            "请求过于频繁，请稍后再试 / Too many requests; try again later.", retry_after=retry_after
        )
