"""Hooks the background worker runs on every tick (the SLA sweeper registers here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

PeriodicJob = Callable[[datetime], object]
_jobs: dict[str, PeriodicJob] = {}


def register_periodic(name: str, job: PeriodicJob) -> None:
    """Run `job(now)` on every worker tick (about once a second)."""
    _jobs[name] = job


def periodic_jobs() -> dict[str, PeriodicJob]:
    """The registered jobs by name."""
    return dict(_jobs)


def run_once_per_day(name: str, now: datetime, job: Callable[[], Mapping[str, object]]) -> bool:
    """Run `job` unless it already ran for today's local date; True when it ran.

    The claim is a unique row inserted in the job's transaction, so however many workers
    tick at once, one runs it and a crash mid-job leaves the day unclaimed for a retry.
    """
    from django.db import IntegrityError, transaction

    from salesflow.core import clock
    from salesflow.core.models import DailyRun

    day = clock.to_local(now).date()
    if DailyRun.objects.filter(name=name, day=day).exists():
        return False
    try:
        with transaction.atomic():
            run = DailyRun.objects.create(name=name, day=day, started_at=now)
            run.result = dict(job())
            run.save(update_fields=["result"])
    except IntegrityError:
        return False
    return True


def run_weekly(
    name: str, now: datetime, *, weekday: int, at: str, job: Callable[[], Mapping[str, object]]
) -> bool:
    """Run `job` once on the local ISO `weekday` (1 = Monday) after the local time `at` ("HH:MM");
    True when it ran (see `run_once_per_day` for why it runs once however many workers tick)."""
    from datetime import time

    from salesflow.core import clock

    local = clock.to_local(now)
    if local.isoweekday() != weekday or local.time() < time.fromisoformat(at):
        return False
    return run_once_per_day(name, now, job)
