"""Wiring of the cockpit's daily roll-ups into the worker."""

from __future__ import annotations


def install() -> None:
    """Register the roll-up refresh (every `settings.rollup_refresh_minutes`) with the worker."""
    from salesflow.analytics import rollups
    from salesflow.core.worker import register_periodic

    register_periodic("analytics.rollups", rollups.rollup_tick)
