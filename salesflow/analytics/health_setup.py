"""Wiring of process health, attribution, the weekly digest and the forecast's pace alert into
the worker."""

from __future__ import annotations


def install() -> None:
    """Register the daily health check, the weekly digest and the weekly pace alert."""
    from salesflow.analytics import digest, forecast_pace, health
    from salesflow.core.worker import register_periodic

    register_periodic("analytics.health", health.health_tick)
    register_periodic("analytics.weekly_digest", digest.digest_tick)
    register_periodic("analytics.forecast_pace", forecast_pace.pace_tick)
    digest.register_digest_section("forecast", forecast_pace.digest_section)
