"""A synthetic sales history with known conversion rates and dwell (for the forecast's bench and
its backtest test): opportunities walk the first stages of a pipeline, advancing out of each
stage with a known probability (else lost) after a gamma-distributed stay; out of the last
walked stage they are won."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Chance to move on out of each walked stage (the last: to be won) and the mean stay (days).
ADVANCE = (0.7, 0.65, 0.6, 0.55, 0.7)
MEAN_DWELL_DAYS = (6.0, 9.0, 12.0, 14.0, 10.0)
DWELL_SHAPE = 2.0


@dataclass
class Walk:
    """One opportunity's stays: stage positions with entry and exit (days), and the outcome."""

    created: float
    stages: list[int]
    entered: list[float]
    exited: list[float]
    won: bool
    amount: float


def walk(rng: np.random.Generator, created: float, amount: float) -> Walk:
    """One opportunity's whole path from `created` (days since the epoch)."""
    t = created
    stages, entered, exited = [], [], []
    won = False
    for position, (advance, mean) in enumerate(zip(ADVANCE, MEAN_DWELL_DAYS, strict=True)):
        dwell = float(rng.gamma(DWELL_SHAPE, mean / DWELL_SHAPE))
        stages.append(position)
        entered.append(t)
        exited.append(t + dwell)
        t += dwell
        if rng.random() >= advance:
            break
        if position == len(ADVANCE) - 1:
            won = True
    return Walk(created=created, stages=stages, entered=entered, exited=exited, won=won, amount=amount)


def walks(rng: np.random.Generator, *, count: int, start: float, end: float) -> list[Walk]:
    """`count` opportunities created uniformly between `start` and `end` (days)."""
    created = rng.uniform(start, end, size=count)
    amounts = rng.choice([50_000.0, 120_000.0, 300_000.0, 800_000.0], size=count, p=[0.4, 0.3, 0.2, 0.1])
    return [walk(rng, float(c), float(a)) for c, a in zip(created, amounts, strict=True)]


def write(walks_: list[Walk], *, owner: Any, customer: Any, pipeline: str, stage_codes: list[str]) -> int:
    """Store the walks as opportunities of `owner` with their stage history (bulk inserts);
    a stay still running at the current clock is left open, as is its opportunity."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from salesflow.core import clock
    from salesflow.pipeline.models import Opportunity, StageVisit

    now_days = clock.now().timestamp() / 86400.0

    def instant(days: float) -> datetime:
        return datetime.fromtimestamp(days * 86400.0, tz=UTC)

    opportunities: list[Opportunity] = []
    for w in walks_:
        current = next((i for i, x in enumerate(w.exited) if x > now_days), len(w.exited) - 1)
        closed = w.exited[-1] <= now_days
        opportunities.append(
            Opportunity(
                customer=customer,
                title=f"模拟商机{len(opportunities) + 1}",
                amount=Decimal(str(w.amount)),
                pipeline=pipeline,
                stage=stage_codes[w.stages[current]],
                stage_entered_at=instant(w.entered[current]),
                status=("won" if w.won else "lost") if closed else "open",
                owner=owner,
                closed_at=instant(w.exited[-1]) if closed else None,
                created_at=instant(w.created),
            )
        )
    created = Opportunity.objects.bulk_create(opportunities, batch_size=500)
    visits = []
    team_id = getattr(owner, "team_id", None)
    for opportunity, w in zip(created, walks_, strict=True):
        for s, e, x in zip(w.stages, w.entered, w.exited, strict=True):
            if e > now_days:
                break
            visits.append(
                StageVisit(
                    opportunity=opportunity,
                    pipeline=pipeline,
                    stage=stage_codes[s],
                    entered_at=instant(e),
                    exited_at=instant(x) if x <= now_days else None,
                    team_id=team_id,
                )
            )
    StageVisit.objects.bulk_create(visits, batch_size=1000)
    return len(created)
