"""The shell's display filters: 万元 for large sums, days plus hours, deadlines with their date."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from salesflow.core import clock
from salesflow.core.templatetags.salesflow import duration, money_short, short_dt


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("865000"), "¥86.5 万"),
        (Decimal("1200000.00"), "¥120 万"),
        (Decimal("12345678.9"), "¥1,234.6 万"),
        (Decimal("9800"), "¥9,800"),
        (Decimal("0"), "¥0"),
        (None, ""),
    ],
)
def test_money_short_uses_wan_for_large_sums(value, expected):
    assert money_short(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(days=3, hours=22, minutes=5), "3 天 22 小时"),
        (timedelta(days=2), "2 天"),
        (timedelta(hours=5, minutes=10), "5 小时 10 分钟"),
        (timedelta(minutes=12), "12 分钟"),
        (30, "1 分钟"),
        (-7200, "2 小时"),
    ],
)
def test_duration_reads_as_days_and_hours(value, expected):
    assert duration(value) == expected


@time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), tick=False)  # 18:00 in Shanghai
def test_short_dt_shows_the_date_unless_today():
    assert short_dt(datetime(2026, 12, 1, 15, 12, tzinfo=UTC)) == "23:12"
    assert short_dt(datetime(2026, 12, 2, 15, 12, tzinfo=UTC)) == "12-02 23:12"
    assert short_dt(datetime(2025, 12, 2, 15, 12, tzinfo=UTC)) == "2025-12-02 23:12"
    assert clock.now().year == 2026
