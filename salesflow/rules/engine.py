"""The rules engine: reacts to every recorded event inside its transaction, and fires SLA steps.

On an event it (1) runs gate rules, which may refuse the whole business action, (2) runs the
matching rules' actions, (3) starts and stops SLA timers. When the sweeper fires a timer
step, `fire_step` runs that step's actions and any rule triggered by it.
"""

from __future__ import annotations

import copy
import logging
import threading
from datetime import datetime
from typing import Any

from django.db import models

from salesflow.core import events, records
from salesflow.core.errors import DomainError
from salesflow.core.models import Event
from salesflow.org.models import User
from salesflow.rules import actions, messages, recipients
from salesflow.rules.conditions import compile_condition, model_fields
from salesflow.rules.models import RuleFiring
from salesflow.rules.schema import Rule, RulePack, SlaPolicy
from salesflow.rules.selectors import active_pack, calendar_for

logger = logging.getLogger("salesflow.rules")

# Actions record events of their own; this bounds a chain of rules triggering each other.
_MAX_DEPTH = 4
_depth = threading.local()


class GateRefused(DomainError):
    """A gate rule refused the action; the message says what is missing."""

    status_code = 409


def subject_name(label_lower: str) -> str | None:
    """The short record-type name (`user`) of a model label (`org.user`)."""
    rtype = records.type_for_label(label_lower)
    return rtype.name if rtype else None


def condition_matches(
    subject_type: str, tree: dict[str, Any] | None, record: models.Model, now: datetime
) -> bool:
    """Evaluate a pack condition for one record."""
    if not tree:
        return True
    rtype = records.record_type(subject_type)
    return compile_condition(tree, model_fields(rtype.model)).matches(record, now)


def on_event(event: Event) -> None:
    """The event-log listener: gates, rule actions and timers for one event."""
    depth = getattr(_depth, "value", 0)
    if depth >= _MAX_DEPTH:
        logger.warning("rule chain too deep at %s; not evaluating further", event.name)
        return
    _depth.value = depth + 1
    try:
        _handle(event)
    finally:
        _depth.value = depth


def _handle(event: Event) -> None:
    name = subject_name(event.subject_type)
    if name is None:
        return
    version, pack = active_pack()
    matching = [r for r in pack.rules if r.enabled and r.trigger == event.name and r.subject == name]
    starts = [
        p for p in pack.sla_policies if p.enabled and p.subject == name and event.name in p.start_events
    ]
    stops = [p for p in pack.sla_policies if p.enabled and p.subject == name and event.name in p.stop_events]
    if not (matching or starts or stops):
        return
    subject = _subject_of(event)
    if subject is None:
        return
    # The caller's user when the service handed it over (events.prepare), else read once.
    actor = event.actor if event.actor_id else None
    now = event.occurred_at
    for rule in [r for r in matching if r.gate]:
        if condition_matches(name, rule.condition, subject, now):
            raise GateRefused(
                messages.render(rule.message, messages.rule_values(rule, subject)), rule=rule.code
            )
    for rule in [r for r in matching if not r.gate]:
        run_rule(
            rule, subject=subject, actor=actor, now=now, version=version, event_id=events.saved_id(event)
        )
    from salesflow.timers import services as timers

    if stops:
        timers.timers_stop(subject=subject, policy_codes=[p.code for p in stops], reason=event.name, now=now)
    if starts:
        event.started_deadlines = start_policies(
            subject=subject,
            policy_codes=[policy.code for policy in starts],
            started_at=now,
            actor=actor,
            pack=pack,
            version=version,
        )


def _subject_of(event: Event) -> models.Model | None:
    """The event's record: the recording service's instance when it is the registered model's
    (no read-back of a row just written), else loaded."""
    held = event.subject_instance
    rtype = records.type_for_label(event.subject_type)
    if held is None or rtype is None or type(held) is not rtype.model or held.pk != event.subject_id:
        return records.load(event.subject_type, event.subject_id)
    # A copy without the related rows the service had cached: those may be stale (a manager
    # deactivated since), so rules read them afresh, as they would from a loaded record.
    subject = copy.copy(held)
    subject._state.fields_cache = {}
    subject.__dict__.pop("_prefetched_objects_cache", None)
    return subject


def run_rule(
    rule: Rule,
    *,
    subject: models.Model,
    actor: User | None,
    now: datetime,
    version: int,
    event_id: int | None = None,
    deadline_id: int | None = None,
    trigger: str | None = None,
) -> RuleFiring:
    """Run one rule's actions when its condition holds; logs the firing either way."""
    matched = condition_matches(rule.subject, rule.condition, subject, now)
    ctx = actions.ActionContext(
        subject=subject,
        actor=actor,
        now=now,
        rule_code=rule.code,
        pack_version=version,
        placeholders=messages.rule_values(rule, subject),
    )
    if matched:
        for spec in rule.actions:
            actions.run_action(spec.model_dump(), ctx)
    return RuleFiring.objects.create(
        pack_version=version,
        rule_code=rule.code,
        trigger=trigger or rule.trigger,
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        event_id=event_id,
        deadline_id=deadline_id,
        fired_at=now,
        outcome="acted" if matched else "skipped",
        detail={"notes": ctx.notes},
    )


def start_policy(
    *,
    subject: models.Model,
    policy_code: str,
    started_at: datetime,
    actor: User | None,
    pack: RulePack | None = None,
    version: int | None = None,
) -> None:
    """Start (or restart) an SLA policy's timer on `subject`, one deadline per ladder step."""
    start_policies(
        subject=subject,
        policy_codes=[policy_code],
        started_at=started_at,
        actor=actor,
        pack=pack,
        version=version,
    )


def start_policies(
    *,
    subject: models.Model,
    policy_codes: list[str],
    started_at: datetime,
    actor: User | None,
    pack: RulePack | None = None,
    version: int | None = None,
) -> list[Any]:
    """Start (or restart) several SLA policies on `subject` at once; the deadlines made."""
    from salesflow.timers import services as timers
    from salesflow.timers.durations import parse_duration

    if pack is None or version is None:
        version, pack = active_pack()
    calendar = calendar_for(pack)
    ladders = []
    for policy_code in policy_codes:
        policy = pack.policy(policy_code)
        if policy is None:
            raise DomainError(f"No SLA policy “{policy_code}” in the active rule pack.")
        steps = [
            timers.StepSpec(
                name=step.name,
                after=parse_duration(step.offset),
                payload={"pack_version": version, "policy": policy.code, "step": index},
                due_at=step_due(policy, step, started_at=started_at, record=subject, calendar=calendar),
            )
            for index, step in enumerate(policy.steps)
        ]
        working = any(s.after.is_working_time for s in steps)
        ladders.append(timers.Ladder(policy.code, policy.name, steps, "working" if working else "calendar"))
    return timers.timers_start(
        subject=subject, ladders=ladders, started_at=started_at, calendar=calendar, actor=actor
    )


def step_due(policy: SlaPolicy, step: Any, *, started_at: datetime, record: Any, calendar: Any) -> datetime:
    """When a step falls due: `after` the start, or `before` / `past_anchor` the record's anchor date."""
    from datetime import date as date_type
    from datetime import datetime as datetime_type

    from salesflow.timers.durations import add_duration, parse_duration

    if step.after:
        return add_duration(started_at, parse_duration(step.after), calendar=calendar)
    anchor = getattr(record, policy.anchor_field or "", None)
    if isinstance(anchor, date_type) and not isinstance(anchor, datetime_type):
        # A due date means the start of that working day in the company's time zone.
        anchor = datetime_type.combine(anchor, calendar.work_start, tzinfo=calendar.zone)
    if not isinstance(anchor, datetime_type):
        raise DomainError(f"“{policy.anchor_field}” of the record is empty; cannot schedule “{step.name}”.")
    if step.past_anchor:
        return anchor + parse_duration(step.past_anchor).as_timedelta()
    return anchor - parse_duration(step.before).as_timedelta()


def fire_step(deadline: Any, now: datetime) -> None:
    """The sweeper's step handler: run the step's actions for its record, exactly once."""
    subject = records.load(deadline.subject_type, deadline.subject_id)
    if subject is None:
        return
    version, pack = active_pack()
    policy: SlaPolicy | None = pack.policy(deadline.policy)
    # The ladder as it is now: a manager who changed recipients expects the change to apply.
    if policy is None or deadline.step >= len(policy.steps):
        RuleFiring.objects.create(
            pack_version=version,
            rule_code=f"sla:{deadline.policy}",
            trigger=f"timer:{deadline.policy}",
            subject_type=deadline.subject_type,
            subject_id=deadline.subject_id,
            deadline_id=deadline.pk,
            fired_at=now,
            outcome="skipped",
            detail={"notes": ["policy or step no longer in the pack"]},
        )
        return
    step = policy.steps[deadline.step]
    name = subject_name(deadline.subject_type) or policy.subject
    trigger = f"timer:{policy.code}/{step.name}"
    matched = condition_matches(name, step.condition, subject, now)
    ctx = actions.ActionContext(
        subject=subject,
        actor=None,
        now=now,
        rule_code=f"sla:{policy.code}/{step.name}",
        default_recipients=step.recipients,
        pack_version=version,
        # The ladder as it is now: "{after}" says the step's current duration, not the old one.
        placeholders=messages.step_values(policy, step, subject),
    )
    if matched:
        for spec in step.actions:
            actions.run_action(spec.model_dump(), ctx)
    RuleFiring.objects.create(
        pack_version=version,
        rule_code=ctx.rule_code,
        trigger=trigger,
        subject_type=deadline.subject_type,
        subject_id=deadline.subject_id,
        deadline_id=deadline.pk,
        fired_at=now,
        outcome="acted" if matched else "skipped",
        detail={
            "notes": ctx.notes,
            "recipients": [
                u.username for u in recipients.resolve(step.recipients, subject=subject, actor=None)
            ],
        },
    )
    for rule in pack.rules:
        if rule.enabled and rule.trigger == trigger and not rule.gate:
            run_rule(
                rule,
                subject=subject,
                actor=None,
                now=now,
                version=version,
                deadline_id=deadline.pk,
                trigger=trigger,
            )
