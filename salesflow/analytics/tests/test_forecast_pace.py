"""The pace alert (推进速度预警): entries into the pace stage fall by the pack's percentage week on
week → the region's director and the GM get one message with the simulation's gap, once a week."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from salesflow.analytics import forecast as fc
from salesflow.analytics import forecast_pace
from salesflow.analytics.models import PaceAlert, SalesTarget
from salesflow.analytics.testing import at, deal
from salesflow.core.testing import Trio, make_user
from salesflow.notify.models import Notification
from salesflow.org.choices import Role

pytestmark = pytest.mark.django_db
# Monday Dec 7, 2026, 09:00 local: last week is Nov 30 – Dec 6, the week before Nov 23 – 29.
MONDAY = at(12, 7, 9)


def _entries(trio: Trio, *, week_before: int, last_week: int) -> None:
    """Deals of the owner that entered 合同签订 (contract_signed) on the given weeks' Tuesdays."""
    for i in range(week_before + last_week):
        entered = at(11, 24) if i < week_before else at(12, 1)
        deal(
            trio.owner,
            f"P{i}",
            created=entered - timedelta(days=30),
            stays=[
                ("proposal_quote", entered - timedelta(days=30), entered),
                ("contract_signed", entered, None),
            ],
            amount="500000",
        )


def _targets(trio: Trio) -> None:
    region = trio.team.parent
    assert region is not None
    for month in (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)):
        SalesTarget.objects.create(team=region, month=month, amount=Decimal(5_000_000), updated_at=at(10, 1))


def test_a_drop_of_the_packs_percentage_alerts_director_and_gm_once(trio: Trio) -> None:
    gm = make_user("gm", Role.GM, None, None)
    _targets(trio)
    _entries(trio, week_before=4, last_week=3)  # −25% ≥ 15%
    first = forecast_pace.check_pace(now=MONDAY)
    again = forecast_pace.check_pace(now=MONDAY + timedelta(hours=3))
    region = trio.team.parent
    assert region is not None
    assert first["fired"] == [region.pk] and again["fired"] == []
    alert = PaceAlert.objects.get()
    assert (alert.entries_this_week, alert.entries_last_week, alert.week) == (3, 4, date(2026, 12, 7))
    messages = Notification.objects.filter(kind=forecast_pace.PACE_KIND)
    assert sorted(m.recipient.username for m in messages) == ["dir", "gm"]
    body = messages[0].body
    assert "上周进入合同签订的商机 3 个，前一周 4 个，下降 25%" in body
    # The number is the simulation's: Q4 target ¥15,000,000 against at most 7 × ¥500,000.
    assert alert.gap is not None and alert.gap > Decimal(10_000_000)
    assert f"若维持当前推进速度，Q4 签约额预计缺口 {fc.wan(alert.gap)}" in body
    assert gm.pk in {m.recipient_id for m in messages}


def test_a_smaller_drop_or_a_rise_does_not_alert(trio: Trio) -> None:
    make_user("gm", Role.GM, None, None)
    _entries(trio, week_before=10, last_week=9)  # −10% < 15%
    assert forecast_pace.check_pace(now=MONDAY)["fired"] == []
    assert not PaceAlert.objects.exists()
    assert not Notification.objects.filter(kind=forecast_pace.PACE_KIND).exists()


def test_the_tick_runs_on_the_packs_weekday_after_its_time(trio: Trio) -> None:
    make_user("gm", Role.GM, None, None)
    _entries(trio, week_before=2, last_week=0)
    assert forecast_pace.pace_tick(at(12, 7, 7, 59)) is False  # before 08:00
    assert forecast_pace.pace_tick(at(12, 8, 9)) is False  # Tuesday
    assert forecast_pace.pace_tick(MONDAY) is True
    assert forecast_pace.pace_tick(MONDAY + timedelta(minutes=5)) is False  # once that day
    assert PaceAlert.objects.count() == 1
