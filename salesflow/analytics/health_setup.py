"""Wiring of process health, attribution and the weekly digest into the worker."""

from __future__ import annotations


def install() -> None:
    """Register the daily health check and the weekly digest with the worker."""
    from salesflow.analytics import digest, health
    from salesflow.core.worker import register_periodic

    register_periodic("analytics.health", health.health_tick)
    register_periodic("analytics.weekly_digest", digest.digest_tick)
