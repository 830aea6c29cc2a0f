"""The weekly digest carries the month's forecast band of the manager's team."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from salesflow.analytics import digest
from salesflow.analytics.services import target_set
from salesflow.analytics.testing import at, make_november
from salesflow.core.testing import Trio
from salesflow.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_the_digest_shows_the_months_band_of_the_managers_team(trio: Trio) -> None:
    make_november(trio)
    target_set(actor=trio.admin, team=trio.team, month=date(2026, 12, 1), amount=Decimal("1000000"))
    assert "forecast" in digest.digest_sections()
    digest.send_weekly_digests(now=at(12, 7, 9))
    body = Notification.objects.get(kind=digest.DIGEST_KIND, recipient=trio.manager).body
    assert "三、预测区间（漏斗数字孪生）" in body
    found = re.search(
        r"12月签约额预测：P10 ([\d.]+) 万元 · P50 ([\d.]+) 万元 · P90 ([\d.]+) 万元（已签 0 万元）", body
    )
    assert found, body
    low, p50, high = (float(x) for x in found.groups())
    # The team's open deals are C (¥70,000) and H (¥80,000): nothing above 15 万元 can be signed.
    assert 0 <= low <= p50 <= high <= 15.0
    assert "本月目标 100 万元，未达成概率 100%" in body
    assert "若维持当前推进速度，Q4 签约额预计" in body
    # The other manager's team holds only E (¥30,000).
    other = Notification.objects.get(kind=digest.DIGEST_KIND, recipient=trio.other_manager).body
    high_other = float(re.search(r"P90 ([\d.]+) 万元", other).group(1))  # type: ignore[union-attr]
    assert high_other <= 3.0
