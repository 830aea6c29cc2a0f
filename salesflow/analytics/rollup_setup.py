"""Wiring of the cockpit's daily roll-ups into the worker."""

from __future__ import annotations


def install() -> None:
    """Register the roll-up refresh (every `settings.rollup_refresh_minutes`) and the forecast
    snapshots (every `forecast.snapshot_minutes`) with the worker."""
    from salesflow.analytics import forecast_cache, rollups
    from salesflow.core.worker import register_periodic

    register_periodic("analytics.rollups", rollups.rollup_tick)
    # With the roll-ups on, the forecast shows snapshots the worker keeps ready.
    register_periodic("analytics.forecast_snapshots", forecast_cache.forecast_tick)
