"""The demo-company generator: each app plugs in its own part through its services.

An app adds a `demo.py` module with a function decorated by `@demo_part(order=…)`. Parts
run in order inside one transaction and share a `DemoContext`, so the org part's users are
there when the leads part assigns leads. Everything is derived from the seed, so the
same seed gives the same company.
"""

from __future__ import annotations

import random
import time
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
_labels: dict[str, str] = {}

# How the progress lines name each kind of generated record ("线索 258").
COUNT_LABELS = {
    "users": "人员",
    "teams": "团队",
    "profile_changes": "资料变更",
    "leave_periods": "请假",
    "intake_forms": "网站表单",
    "leads": "线索",
    "lead_conversions": "线索转化",
    "customers": "客户",
    "contacts": "联系人",
    "orders": "订单",
    "claims": "认领",
    "activities": "跟进记录",
    "tags_set": "标签",
    "tags_confirmed": "标签确认",
    "customer_notes": "客户备注",
    "manual_releases": "主动释放",
    "opportunities": "商机",
    "opportunities_won": "赢单",
    "opportunities_lost": "输单",
    "stage_moves": "阶段推进",
    "evidence": "证据",
    "visits": "拜访",
    "visits_completed": "完成拜访",
    "calendar_todos": "日历待办",
    "acquisition_spend": "获客投入",
    "history_conversions": "往年转化",
    "health_alerts": "健康度预警",
    "sales_targets": "销售目标",
    "agenda_items": "复盘议程",
}

Progress = Callable[[str], None]


def demo_part(*, order: int, label: str = "") -> Callable[[DemoPart], DemoPart]:
    """Register a generator part; lower `order` runs first (org is 10).

    `label` names the part in the progress lines (e.g. "组织架构").
    """

    def register(fn: DemoPart) -> DemoPart:
        name = f"{fn.__module__}.{fn.__name__}"
        if all(existing != name for _, existing, _ in _parts):
            _parts.append((order, name, fn))
        _labels[name] = label or fn.__module__.split(".")[-2]
        return fn

    return register


def registered_parts() -> list[tuple[int, str, DemoPart]]:
    """Every part of every installed app, in running order."""
    autodiscover_modules("demo")
    return sorted(_parts, key=lambda p: (p[0], p[1]))


def part_label(name: str) -> str:
    """The progress-line name of a registered part."""
    return _labels.get(name, name)


def describe_counts(counts: dict[str, int]) -> str:
    """ "人员 66、团队 14" for the kinds a step generated, in the labels' order."""
    known = [(COUNT_LABELS[k], counts[k]) for k in COUNT_LABELS if counts.get(k)]
    other = sorted((k, n) for k, n in counts.items() if n and k not in COUNT_LABELS)
    return "、".join(f"{label} {n}" for label, n in [*known, *other])


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


def run_demo(ctx: DemoContext, *, progress: Progress | None = None) -> dict[str, int]:
    """Run every part in one transaction; returns the count of records per kind.

    `progress` receives a line as each part starts ("客户 …") and one when it ends with
    what it generated and how long it took, so a newcomer watching `make run` sees it move.
    """
    with transaction.atomic():
        for _order, name, part in registered_parts():
            label = part_label(name)
            if progress is not None:
                progress(f"{label} …")
            before = dict(ctx.counts)
            started = time.perf_counter()
            part(ctx)
            if progress is not None:
                made = {k: n - before.get(k, 0) for k, n in ctx.counts.items()}
                summary = describe_counts(made)
                elapsed = time.perf_counter() - started
                progress(f"{label}{'：' + summary if summary else ''} … {elapsed:.1f} s")
    return dict(ctx.counts)
