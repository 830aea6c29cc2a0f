"""Rule simulation: replay a past period's event log against a draft pack, changing nothing.

Conditions are evaluated on each record as it was at the event's time (from its field
history when it has one), so a manager sees what a threshold would have done then.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from salesflow.core import records
from salesflow.core.models import Event
from salesflow.rules import recipients
from salesflow.rules.conditions import compile_condition, model_fields
from salesflow.rules.schema import RulePack
from salesflow.rules.selectors import calendar_for

SAMPLES_PER_RULE = 5


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


def simulate(
    pack: RulePack,
    *,
    start: datetime,
    end: datetime,
    rule_codes: set[str] | None = None,
    include_disabled: bool = True,
) -> list[dict[str, Any]]:
    """What `pack` (or just `rule_codes` of it) would have fired between `start` and `end`."""
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
    if not wanted:
        return [o.as_dict() for o in outcomes.values()]
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

    def close(subject_key: tuple[str, int], policy_code: str, stopped_at: datetime) -> None:
        started = running[subject_key].pop(policy_code, None)
        if started is None:
            return
        policy = next(p for p in policies if p.code == policy_code)
        record = cache.get(subject_key)
        for step in policy.steps:
            due = _due(policy, step, started, record, calendar)
            if due <= stopped_at and due <= end and record is not None:
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

    events = Event.objects.filter(name__in=wanted, occurred_at__gte=start, occurred_at__lt=end).order_by(
        "occurred_at", "id"
    )
    for event in events.iterator(chunk_size=2000):
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
            close(subject_key, policy_code, end)
    return [o.as_dict() for o in outcomes.values()]


def _due(policy: Any, step: Any, started: datetime, record: Any, calendar: Any) -> datetime:
    from salesflow.rules.engine import step_due

    return step_due(policy, step, started_at=started, record=record, calendar=calendar)
