"""Wiring of process health, attribution and the weekly digest into the worker and the demo."""

from __future__ import annotations


def install() -> None:
    """Register the daily health check and the weekly digest with the worker, and the demo part."""
    from salesflow.analytics import digest, health, health_demo  # noqa: F401  (health_demo registers its part)
    from salesflow.core.worker import register_periodic

    register_periodic("analytics.health", health.health_tick)
    register_periodic("analytics.weekly_digest", digest.digest_tick)
