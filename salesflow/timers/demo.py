"""Demo: make sure the statutory calendar is there (a `--reset` flush empties it)."""

from __future__ import annotations

from salesflow.core.demo import DemoContext, demo_part
from salesflow.timers import services


@demo_part(order=1, label="工作日历")
def seed_calendar(ctx: DemoContext) -> None:
    """Seed the years the library knows around the demo's period (idempotent)."""
    year = ctx.now.year
    services.calendar_seed_from_library(years=list(range(year - 2, year + 2)), now=ctx.now)
