"""Explainable lead scores from the rule pack: profile, decaying behaviour, combinations."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from salesflow.rules.schema import Scoring
from salesflow.timers.durations import parse_duration


@dataclass(frozen=True)
class Factor:
    """One reason for points: what, how many, and when it happened (None for profile facts)."""

    factor: str
    points: float
    at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """The stored / API form."""
        return {
            "factor": self.factor,
            "points": round(self.points, 1),
            "at": self.at.isoformat() if self.at else None,
        }


def score(
    lead: Any, behaviours: Iterable[Any], scoring: Scoring, *, now: datetime
) -> tuple[int, list[Factor]]:
    """The lead's score and its factors, largest first."""
    factors: list[Factor] = []
    for rule in scoring.profile:
        if str(getattr(lead, rule.field, "") or "") == rule.value:
            factors.append(Factor(f"{rule.field} = {rule.value}", rule.points, None))
    by_kind = {b.kind: b for b in scoring.behaviour}
    events = list(behaviours)
    for event in events:
        behaviour = by_kind.get(event.kind)
        if behaviour is None:
            continue
        half_life = parse_duration(behaviour.half_life).as_timedelta().total_seconds()
        age = max(0.0, (now - event.at).total_seconds())
        # Interest fades: a pricing-page visit counts half after one half-life.
        points = behaviour.points * 0.5 ** (age / half_life)
        if points >= 0.05:
            factors.append(Factor(f"behaviour: {event.kind}", points, event.at))
    for combo in scoring.combinations:
        window_start = now - parse_duration(combo.within).as_timedelta()
        recent = [e for e in events if e.at >= window_start]
        if all(sum(1 for e in recent if e.kind == kind) >= need for kind, need in combo.require.items()):
            latest = max((e.at for e in recent if e.kind in combo.require), default=None)
            factors.append(Factor(f"combination: {combo.name}", combo.points, latest))
    factors.sort(key=lambda f: -f.points)
    return round(sum(f.points for f in factors)), factors
