"""Forecast snapshots: live for a small history; for a large one (roll-ups built) a snapshot of
at most `forecast.snapshot_minutes`, kept ready by the worker for every default view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client, override_settings

from salesflow.analytics import forecast_cache
from salesflow.analytics import forecast_scope as fs
from salesflow.analytics.forecast import Scope
from salesflow.analytics.models import RollupState
from salesflow.analytics.rollups import STAGE_ENTRIES
from salesflow.analytics.testing import at, make_november
from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.pipeline.models import Opportunity
from salesflow.rules.selectors import active_pack

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def december(trio: Trio) -> Iterator[None]:
    make_november(trio)
    # A cache of this test's own: snapshot keys repeat across tests (same ids, same day).
    own_cache = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=own_cache), time_machine.travel(at(12, 1), tick=False):
        yield


def _large_history() -> None:
    """What the roll-ups' worker job records once the history passes the pack's threshold."""
    now = clock.now()
    RollupState.objects.create(name=STAGE_ENTRIES, refreshed_at=now, rebuilt_at=now)


def _manager_scope(trio: Trio) -> Scope:
    _number, pack = active_pack()
    filters = fs.parse_forecast_filters({}, user=trio.manager, pack=pack)
    return fs.scope_for(trio.manager, filters, today=clock.to_local(clock.now()).date())


def _grow_an_open_deal(trio: Trio) -> None:
    deal = Opportunity.objects.filter(owner=trio.owner, status="open").get()
    deal.amount += Decimal("1000000")
    deal.save(update_fields=["amount"])


def test_a_small_history_is_forecast_live_on_every_request(trio: Trio) -> None:
    scope = _manager_scope(trio)
    first = forecast_cache.forecast_view(scope, now=clock.now())
    _grow_an_open_deal(trio)
    second = forecast_cache.forecast_view(scope, now=clock.now())
    assert not first.cached and not second.cached
    assert second.result.open_amount == first.result.open_amount + Decimal("1000000")
    # Unchanged data on the same day draws the same band: a reload does not move it.
    again = forecast_cache.forecast_view(scope, now=clock.now())
    assert again.result.month.band == second.result.month.band
    assert again.result.quarter.band == second.result.quarter.band


def test_a_large_history_shows_the_periods_snapshot_then_a_new_one(trio: Trio) -> None:
    _large_history()
    scope = _manager_scope(trio)
    first = forecast_cache.forecast_view(scope, now=clock.now())
    _grow_an_open_deal(trio)
    kept = forecast_cache.forecast_view(scope, now=clock.now())
    assert kept.cached and kept.result.open_amount == first.result.open_amount
    assert kept.result.history is None and kept.live.stages  # no arrays kept, the live table is
    _number, pack = active_pack()
    with time_machine.travel(clock.now() + timedelta(minutes=pack.forecast.snapshot_minutes), tick=False):
        later = forecast_cache.forecast_view(scope, now=clock.now())
    assert not later.cached and later.result.open_amount == first.result.open_amount + Decimal("1000000")


def test_the_worker_keeps_every_default_view_ready_once_per_period(trio: Trio) -> None:
    assert forecast_cache.forecast_tick(clock.now()) is False  # small history: nothing to keep
    _large_history()
    assert forecast_cache.forecast_tick(clock.now()) is True
    assert forecast_cache.forecast_tick(clock.now() + timedelta(minutes=1)) is False
    # Managers, the director and the ops admin: four distinct default scopes.
    assert forecast_cache.warm(now=clock.now()) == 4
    client = Client()
    client.force_login(trio.manager)
    html = client.get("/dashboards/forecast/").content.decode()
    assert "数据量大，每 30 分钟更新一次" in html
    assert forecast_cache.forecast_view(_manager_scope(trio), now=clock.now()).cached
