"""The demo-company generator: each app plugs in its own part through its services.

An app adds a `demo.py` module with a function decorated by `@demo_part(order=…)`. Parts
run in order inside one transaction and share a `DemoContext`, so the org part's users are
there when the leads part assigns leads. Everything is derived from the seed, so the
same seed gives the same company.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.module_loading import autodiscover_modules
from faker import Faker


@dataclass
class DemoContext:
    """What the parts share: seeded randomness, the size asked for, and what earlier parts made."""

    seed: int
    reps: int
    months: int
    now: datetime
    password_hash: str
    rng: random.Random
    faker: Faker
    made: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        """Add `n` generated records of kind `what` to the summary."""
        self.counts[what] = self.counts.get(what, 0) + n


DemoPart = Callable[[DemoContext], None]
_parts: list[tuple[int, str, DemoPart]] = []


def demo_part(*, order: int) -> Callable[[DemoPart], DemoPart]:
    """Register a generator part; lower `order` runs first (org is 10)."""

    def register(fn: DemoPart) -> DemoPart:
        name = f"{fn.__module__}.{fn.__name__}"
        if all(existing != name for _, existing, _ in _parts):
            _parts.append((order, name, fn))
        return fn

    return register


def registered_parts() -> list[tuple[int, str, DemoPart]]:
    """Every part of every installed app, in running order."""
    autodiscover_modules("demo")
    return sorted(_parts, key=lambda p: (p[0], p[1]))


def build_context(*, seed: int, reps: int, months: int, now: datetime, password_hash: str) -> DemoContext:
    """A fresh context whose randomness depends only on `seed`."""
    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    return DemoContext(
        seed=seed,
        reps=reps,
        months=months,
        now=now,
        password_hash=password_hash,
        rng=random.Random(seed),
        faker=faker,
    )


def run_demo(ctx: DemoContext) -> dict[str, int]:
    """Run every part in one transaction; returns the count of records per kind."""
    with transaction.atomic():
        for _order, _name, part in registered_parts():
            part(ctx)
    return dict(ctx.counts)
