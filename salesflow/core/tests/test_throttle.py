"""Fixed-window counts (core.throttle.hit): several buckets in one statement, and a request refused
by one bucket does not use up the buckets after it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesflow.core import throttle
from salesflow.core.errors import Throttled
from salesflow.core.models import RateWindow

NOW = datetime(2026, 12, 7, 10, 0, 30, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return dict(RateWindow.objects.values_list("bucket", "count"))


def test_every_bucket_is_counted_in_one_statement() -> None:
    slots = [throttle.Slot("ip:a", 5), throttle.Slot("form:1", 5)]
    with CaptureQueriesContext(connection) as ctx:
        throttle.hit(slots=slots, window_seconds=60, now=NOW)
    assert len(ctx.captured_queries) == 1
    throttle.hit(slots=slots, window_seconds=60, now=NOW)
    assert _counts() == {"ip:a": 2, "form:1": 2}


def test_an_address_past_its_limit_does_not_use_up_the_form() -> None:
    for _ in range(2):
        throttle.hit(
            slots=[throttle.Slot("ip:a", 2), throttle.Slot("form:1", 10)], window_seconds=60, now=NOW
        )
    with pytest.raises(Throttled) as refused:
        throttle.hit(
            slots=[throttle.Slot("ip:a", 2), throttle.Slot("form:1", 10)], window_seconds=60, now=NOW
        )
    assert refused.value.retry_after == 30
    assert _counts() == {"ip:a": 3, "form:1": 2}
    # Another address still gets through on the form's remaining places.
    throttle.hit(slots=[throttle.Slot("ip:b", 2), throttle.Slot("form:1", 10)], window_seconds=60, now=NOW)
    assert _counts()["form:1"] == 3


def test_a_full_form_refuses_every_address_and_the_next_window_starts_again() -> None:
    throttle.hit(slots=[throttle.Slot("ip:a", 9), throttle.Slot("form:1", 1)], window_seconds=60, now=NOW)
    with pytest.raises(Throttled):
        throttle.hit(slots=[throttle.Slot("ip:b", 9), throttle.Slot("form:1", 1)], window_seconds=60, now=NOW)
    later = NOW.replace(minute=1)
    throttle.hit(slots=[throttle.Slot("ip:b", 9), throttle.Slot("form:1", 1)], window_seconds=60, now=later)
