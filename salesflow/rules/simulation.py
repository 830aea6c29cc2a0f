"""Rule simulation: replay a past period's event log against a draft pack, changing nothing.

Conditions are evaluated on each record as it was at the event's time (from its field
history when it has one), so a manager sees what a threshold would have done then.

A person simulating sees only records inside their data scope: events about other records are
never replayed, so neither their names nor their counts (nor a draft condition used as a query)
reach the viewer. Cost is bounded by `Limits`: the replay stops at a number of events or a time
budget and says so, rather than holding a server thread for as long as the history is long.
"""

from __future__ import annotations

import operator
import threading
import time as monotonic_time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.timezone import localtime

from salesflow.core import records
from salesflow.core.errors import Throttled
from salesflow.core.models import Event
from salesflow.org.selectors import visible_owner_ids
from salesflow.rules import recipients
from salesflow.rules.conditions import compile_condition, model_fields
from salesflow.rules.schema import RulePack
from salesflow.rules.selectors import calendar_for

SAMPLES_PER_RULE = 5


@dataclass(frozen=True)
class Limits:
    """How much one simulation may examine: events replayed and wall-clock seconds (0 = no limit)."""

    max_events: int = 0
    max_seconds: float = 0.0

    @classmethod
    def from_settings(cls) -> Limits:
        """The limits for requests from the web and the API (`SALESFLOW_SIMULATION_*`)."""
        return cls(
            max_events=int(settings.SALESFLOW_SIMULATION_MAX_EVENTS),
            max_seconds=float(settings.SALESFLOW_SIMULATION_MAX_SECONDS),
        )


@dataclass
class SimulationResult:
    """What a replay found, how far it got, and whether it was limited to the viewer's scope."""

    outcomes: list[dict[str, Any]]
    events_examined: int = 0
    truncated: bool = False
    # "events" or "time" when truncated: which limit stopped the replay.
    truncated_by: str = ""
    # The replay covers [start, replayed_until); earlier than `end` when truncated.
    replayed_until: datetime | None = None
    scoped: bool = False

    @property
    def message(self) -> str:
        """A sentence for the page and the API saying what the figures cover."""
        parts = []
        if self.truncated:
            limit = "事件数量上限" if self.truncated_by == "events" else "时间上限"
            until = localtime(self.replayed_until).strftime("%Y-%m-%d %H:%M") if self.replayed_until else ""
            parts.append(
                f"模拟已在检查 {self.events_examined} 个事件后因达到{limit}而停止，结果只覆盖到 {until}；"
                "请缩短时间段后重试。"
            )
        if self.scoped:
            parts.append("只统计你的数据范围内的记录。")
        return "".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (the API's answer)."""
        return {
            "outcomes": self.outcomes,
            "events_examined": self.events_examined,
            "truncated": self.truncated,
            "truncated_by": self.truncated_by,
            "replayed_until": self.replayed_until,
            "scoped": self.scoped,
            "message": self.message,
        }


_slots_lock = threading.Lock()
_running = 0


@contextmanager
def slot() -> Iterator[None]:
    """Hold one of the process's `SALESFLOW_SIMULATION_MAX_CONCURRENT` simulation slots.

    Replays are the heaviest reads there are; a few at once must not take every server thread.
    """
    global _running
    with _slots_lock:
        if _running >= int(settings.SALESFLOW_SIMULATION_MAX_CONCURRENT):
            raise Throttled("其他模拟正在运行，请稍后再试 / Another simulation is running.", retry_after=10)
        _running += 1
    try:
        yield
    finally:
        with _slots_lock:
            _running -= 1


@dataclass
class RuleOutcome:
    """What one rule or SLA step would have done over the period."""

    code: str
    name: str
    kind: str  # rule | sla
    count: int = 0
    by_person: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, *, person: str, sample: dict[str, Any]) -> None:
        """Count one firing for `person`, keeping a few samples."""
        self.count += 1
        self.by_person[person] += 1
        if len(self.samples) < SAMPLES_PER_RULE:
            self.samples.append(sample)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary."""
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "count": self.count,
            "by_person": dict(self.by_person.most_common()),
            "samples": self.samples,
        }


def _snapshot(record: models.Model, at: datetime) -> Any:
    """The record as it was at `at` (from its field history), or as it is now."""
    history = getattr(record, "history", None)
    if history is None:
        return record
    try:
        return history.as_of(at)
    except ObjectDoesNotExist:  # created after `at` by a later backfill: use it as it is
        return record


def _person(record: models.Model) -> str:
    owner = recipients.owner_of(record)
    return owner.username if owner else "（无负责人）"


def _scope_q(subjects: set[str], viewer: Any | None) -> Q | None:
    """The events about records of `subjects` that `viewer` may see (None: there are none)."""
    types = [t for t in records.registered_types() if t.name in subjects]
    if not types:
        return None
    if viewer is None or visible_owner_ids(viewer) is None:
        return Q(subject_type__in=[t.model._meta.label_lower for t in types])
    return reduce(
        operator.or_,
        [
            Q(subject_type=t.model._meta.label_lower, subject_id__in=t.visible_to(viewer).values("pk"))
            for t in types
        ],
    )


def simulate(
    pack: RulePack,
    *,
    start: datetime,
    end: datetime,
    rule_codes: set[str] | None = None,
    include_disabled: bool = True,
    viewer: Any | None = None,
    limits: Limits | None = None,
) -> SimulationResult:
    """What `pack` (or just `rule_codes` of it) would have fired between `start` and `end`.

    With a `viewer`, only records they may see are replayed; with `limits`, the replay stops
    early (marked `truncated`) rather than running on.
    """
    limits = limits or Limits()
    deadline = monotonic_time.monotonic() + limits.max_seconds if limits.max_seconds else None
    scoped = viewer is not None and visible_owner_ids(viewer) is not None
    rules = [r for r in pack.rules if not r.gate and (rule_codes is None or r.code in rule_codes)]
    rules = [r for r in rules if include_disabled or r.enabled]
    policies = [p for p in pack.sla_policies if rule_codes is None or p.code in rule_codes]
    # The simulated pack's own working hours, as the engine would use once it is active.
    calendar = calendar_for(pack)
    outcomes: dict[str, RuleOutcome] = {}
    for r in rules:
        outcomes[r.code] = RuleOutcome(r.code, r.name, "rule")
    for p in policies:
        for s in p.steps:
            key = f"{p.code}/{s.name}"
            outcomes[key] = RuleOutcome(key, f"{p.name} · {s.name}", "sla")

    wanted = {r.trigger for r in rules} | {e for p in policies for e in [*p.start_events, *p.stop_events]}
    scope = _scope_q({r.subject for r in rules} | {p.subject for p in policies}, viewer)
    if not wanted or scope is None:
        return SimulationResult([o.as_dict() for o in outcomes.values()], replayed_until=end, scoped=scoped)
    compiled: dict[str, Any] = {}
    cache: dict[tuple[str, int], models.Model | None] = {}
    # subject -> policy -> start time of the running timer
    running: dict[tuple[str, int], dict[str, datetime]] = defaultdict(dict)

    def load(event: Event) -> models.Model | None:
        key = (event.subject_type, event.subject_id)
        if key not in cache:
            cache[key] = records.load(event.subject_type, event.subject_id)
        return cache[key]

    def matches(
        subject_name: str, tree: dict[str, Any] | None, snapshot: Any, at: datetime, key: str
    ) -> bool:
        if not tree:
            return True
        if key not in compiled:
            compiled[key] = compile_condition(tree, model_fields(records.record_type(subject_name).model))
        return bool(compiled[key].matches(snapshot, at))

    horizon = end

    def close(subject_key: tuple[str, int], policy_code: str, stopped_at: datetime) -> None:
        started = running[subject_key].pop(policy_code, None)
        if started is None:
            return
        policy = next(p for p in policies if p.code == policy_code)
        record = cache.get(subject_key)
        for step in policy.steps:
            due = _due(policy, step, started, record, calendar)
            if due <= stopped_at and due <= horizon and record is not None:
                snapshot = _snapshot(record, due)
                if matches(policy.subject, step.condition, snapshot, due, f"{policy.code}/{step.name}"):
                    outcomes[f"{policy.code}/{step.name}"].add(
                        person=_person(record),
                        sample={
                            "subject": f"{subject_key[0]}:{subject_key[1]}",
                            "record": str(record),
                            "at": due.isoformat(),
                        },
                    )

    events = (
        Event.objects.filter(scope, name__in=wanted, occurred_at__gte=start, occurred_at__lt=end)
        .only("id", "name", "subject_type", "subject_id", "occurred_at")
        .order_by("occurred_at", "id")
    )
    examined, truncated_by = 0, ""
    for event in events.iterator(chunk_size=2000):
        if limits.max_events and examined >= limits.max_events:
            truncated_by = "events"
        elif deadline is not None and monotonic_time.monotonic() >= deadline:
            truncated_by = "time"
        if truncated_by:
            # Timers still running were not seen to stop: close them where the replay stopped.
            horizon = event.occurred_at
            break
        examined += 1
        rtype = records.type_for_label(event.subject_type)
        if rtype is None:
            continue
        record = load(event)
        if record is None:
            continue
        snapshot = _snapshot(record, event.occurred_at)
        for rule in rules:
            if (
                rule.trigger == event.name
                and rule.subject == rtype.name
                and matches(rtype.name, rule.condition, snapshot, event.occurred_at, rule.code)
            ):
                outcomes[rule.code].add(
                    person=_person(record),
                    sample={
                        "subject": f"{rtype.name}:{record.pk}",
                        "record": str(record),
                        "at": event.occurred_at.isoformat(),
                        "event": event.name,
                    },
                )
        subject_key = (event.subject_type, event.subject_id)
        for policy in policies:
            if policy.subject != rtype.name:
                continue
            if event.name in policy.stop_events:
                close(subject_key, policy.code, event.occurred_at)
            if event.name in policy.start_events:
                close(subject_key, policy.code, event.occurred_at)  # a restart ends the previous run
                running[subject_key][policy.code] = event.occurred_at
    for subject_key, timers in list(running.items()):
        for policy_code in list(timers):
            close(subject_key, policy_code, horizon)
    return SimulationResult(
        [o.as_dict() for o in outcomes.values()],
        events_examined=examined,
        truncated=bool(truncated_by),
        truncated_by=truncated_by,
        replayed_until=horizon,
        scoped=scoped,
    )


def _due(policy: Any, step: Any, started: datetime, record: Any, calendar: Any) -> datetime:
    from salesflow.rules.engine import step_due

    return step_due(policy, step, started_at=started, record=record, calendar=calendar)
