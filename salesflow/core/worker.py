"""Hooks the background worker runs on every tick (the SLA sweeper registers here)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

PeriodicJob = Callable[[datetime], object]
_jobs: dict[str, PeriodicJob] = {}


def register_periodic(name: str, job: PeriodicJob) -> None:
    """Run `job(now)` on every worker tick (about once a second)."""
    _jobs[name] = job


def periodic_jobs() -> dict[str, PeriodicJob]:
    """The registered jobs by name."""
    return dict(_jobs)
