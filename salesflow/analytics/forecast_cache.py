"""Forecast snapshots for a large history (漏斗数字孪生 at scale).

A forecast reads a year of stage history and simulates every open deal: instant for a
company of demo size, tens of seconds at millions of stage rows. Once the company is large —
the cockpit's roll-ups are built (`rollups.state()`, at `settings.rollup_min_stage_visits`
rows) — the forecast page and API show a snapshot instead: computed at most
`forecast.snapshot_minutes` ago (the page says when), kept in the cache shared by the web
processes and the worker. The worker recomputes the default forecast of every manager,
director and company-wide viewer each period, reading the history once for all of them; any
other filter is computed on first request and kept for the same period. A weekly forecast
moves little in minutes, and a smaller company keeps computing live on every request.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache

from salesflow.analytics import forecast as fc
from salesflow.analytics import forecast_scope as fs
from salesflow.analytics import rollups
from salesflow.core import clock
from salesflow.org.choices import COMPANY_WIDE_ROLES, Role
from salesflow.org.models import User
from salesflow.rules.schema import RulePack
from salesflow.rules.selectors import active_pack

PREFIX = "forecast-snapshot"
WARMED_KEY = f"{PREFIX}:warmed-at"


@dataclass(frozen=True)
class Snapshot:
    """A forecast as the page and API show it; `cached` when it was computed earlier."""

    result: fc.Result
    live: fs.Live
    computed_at: datetime
    cached: bool = False


def snapshots_on() -> bool:
    """Whether the history is large enough to show snapshots (the roll-ups decide when)."""
    return rollups.state() is not None


def _key(scope: fc.Scope, pack_number: int, now: datetime) -> str:
    owners = "all" if scope.owners is None else ",".join(str(o) for o in sorted(scope.owners))
    parts = [
        str(pack_number),
        clock.to_local(now).date().isoformat(),
        owners,
        scope.pipeline,
        scope.product_line,
        str(scope.month_target),
        str(scope.quarter_target),
    ]
    return f"{PREFIX}:{hashlib.sha256('|'.join(parts).encode()).hexdigest()}"


def _seed(key: str) -> int:
    """The runs' seed: the same scope on the same day draws the same futures, so reloading the
    page does not move the band by Monte Carlo noise alone (changed data still moves it)."""
    return int(key.rsplit(":", 1)[-1][:15], 16)


def compute(
    scope: fc.Scope, pack: RulePack, *, now: datetime, seed: int, history: fc.History | None = None
) -> Snapshot:
    """The forecast and this week's live process of `scope`, without the arrays behind them."""
    result = fc.forecast(scope, pack, now=now, seed=seed, history=history)
    assert result.history is not None  # a fresh forecast carries the history it read
    live = fs.live_process(scope, result, result.history, now=now)
    return Snapshot(result=dataclasses.replace(result, history=None, models={}), live=live, computed_at=now)


def forecast_view(scope: fc.Scope, *, now: datetime) -> Snapshot:
    """What the forecast page and API show for `scope`: live for a small history, otherwise the
    snapshot of this period (computed now when there is none yet)."""
    number, pack = active_pack()
    key = _key(scope, number, now)
    if not snapshots_on():
        return compute(scope, pack, now=now, seed=_seed(key))
    period = timedelta(minutes=pack.forecast.snapshot_minutes)
    kept = cache.get(key)
    if isinstance(kept, Snapshot) and now - kept.computed_at < period:
        return dataclasses.replace(kept, cached=True)
    fresh = compute(scope, pack, now=now, seed=_seed(key))
    cache.set(key, fresh, timeout=int(period.total_seconds() * 2))
    return fresh


def default_viewers() -> list[User]:
    """Whose default forecast the worker keeps ready: every active manager and director, and one
    company-wide viewer (they all see the company)."""
    viewers = list(User.objects.filter(is_active=True, role__in=[Role.MANAGER, Role.DIRECTOR]).order_by("pk"))
    company = User.objects.filter(is_active=True, role__in=COMPANY_WIDE_ROLES).order_by("pk").first()
    return viewers + ([company] if company is not None else [])


def warm(*, now: datetime) -> int:
    """Compute and keep the default forecast of every `default_viewers()` scope, reading the
    history once for all of them. Returns how many distinct scopes were computed."""
    number, pack = active_pack()
    period = timedelta(minutes=pack.forecast.snapshot_minutes)
    today = clock.to_local(now).date()
    history = fc.load_history(
        list(pack.stage_templates), since=now - timedelta(days=pack.forecast.history_days), until=now
    )
    done: set[str] = set()
    for viewer in default_viewers():
        filters = fs.parse_forecast_filters({}, user=viewer, pack=pack)
        scope = fs.scope_for(viewer, filters, today=today)
        key = _key(scope, number, now)
        if key in done:
            continue
        done.add(key)
        snapshot = compute(scope, pack, now=now, seed=_seed(key), history=history)
        cache.set(key, snapshot, timeout=int(period.total_seconds() * 2))
    return len(done)


def forecast_tick(now: datetime) -> bool:
    """The worker's job: once per `forecast.snapshot_minutes`, while snapshots are on, refresh the
    default forecasts. True when it worked."""
    if not snapshots_on():
        return False
    _number, pack = active_pack()
    last = cache.get(WARMED_KEY)
    if isinstance(last, datetime) and now - last < timedelta(minutes=pack.forecast.snapshot_minutes):
        return False
    cache.set(WARMED_KEY, now, timeout=None)
    warm(now=now)
    return True
