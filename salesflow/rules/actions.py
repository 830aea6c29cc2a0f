"""The action vocabulary rules and escalation steps use: each type has a parameter schema.

A pack names actions by type; `validate_action` checks parameters when the pack is saved,
`run_action` performs one inside the transaction of the event or timer that fired it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import models
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from salesflow.core.errors import DomainError
from salesflow.org.models import User
from salesflow.rules import messages, recipients
from salesflow.timers.durations import parse_duration


@dataclass
class ActionContext:
    """What an action knows: the record, who caused it, when, and the default recipients."""

    subject: models.Model | None
    actor: User | None
    now: datetime
    rule_code: str
    default_recipients: list[str] = field(default_factory=list)
    pack_version: int = 0
    notes: list[str] = field(default_factory=list)
    # The values of the `{…}` placeholders the action's texts may use (see rules.messages).
    placeholders: dict[str, str] = field(default_factory=dict)

    def text(self, template: str) -> str:
        """A title, body or reason of the pack with its placeholders filled in."""
        return messages.render(template, self.placeholders)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_recipients(values: list[str]) -> list[str]:
    for value in values:
        recipients.validate_recipient(value)
    return values


class NotifyParams(_Params):
    """Send an in-app notification (and channel deliveries) to `to`."""

    to: list[str] = []
    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    kind: str = "rule.notify"


class CreateTaskParams(_Params):
    """Put a to-do card on the first of `to`'s lists, due after `due`."""

    to: list[str] = []
    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    due: str | None = None


class EscalateParams(_Params):
    """Tell `to` that something is overdue and give the first of them a task."""

    to: list[str] = []
    title: str = Field(min_length=1, max_length=200)
    body: str = ""


class AssignParams(_Params):
    """Give the record an owner: `to` (a recipient), or the pack's assignment policy."""

    to: str | None = None
    policy: Literal["assignment"] | None = None


class SetFieldParams(_Params):
    """Set one field of the record."""

    field: str = Field(min_length=1)
    value: Any = None


class SetTagParams(_Params):
    """Set (or propose) a tag from a tag dictionary."""

    dictionary: str
    value: str
    propose: bool = False


class FreezeParams(_Params):
    """Freeze a scope (e.g. quoting) on the record or a related record (`target` path)."""

    scope: str = Field(min_length=1, max_length=50)
    target: str = "subject"
    reason: str = ""


class TimerParams(_Params):
    """Start or stop an SLA policy's timer on the record."""

    policy: str | None = None


class AgendaParams(_Params):
    """Put the record on a recurring meeting's agenda."""

    meeting: str = "monthly_process_review"
    reason: str = ""


ActionRunner = Callable[[ActionContext, Any], None]


@dataclass(frozen=True)
class ActionType:
    """A registered action: its name, label, parameter schema and runner."""

    name: str
    label: str
    params: type[BaseModel]
    run: ActionRunner


_types: dict[str, ActionType] = {}


def register_action(name: str, label: str, params: type[BaseModel]) -> Callable[[ActionRunner], ActionRunner]:
    """Add an action type (apps may add their own, e.g. `lead.assign`)."""

    def decorate(fn: ActionRunner) -> ActionRunner:
        _types[name] = ActionType(name, label, params, fn)
        return fn

    return decorate


def action_types() -> dict[str, ActionType]:
    """Every registered action type by name."""
    return dict(_types)


def validate_action(type_name: str, params: dict[str, Any]) -> BaseModel:
    """The parsed parameters, or ValueError with a readable reason."""
    action = _types.get(type_name)
    if action is None:
        raise ValueError(f"unknown action type “{type_name}” (use {', '.join(sorted(_types))})")
    try:
        parsed = action.params.model_validate(params)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'params'}: {err['msg']}" for err in exc.errors()
        )
        raise ValueError(f"{type_name} params: {reasons}") from None
    for name in ("to",):
        value = getattr(parsed, name, None)
        if isinstance(value, list):
            _check_recipients(value)
        elif isinstance(value, str):
            _check_recipients([value])
    due = getattr(parsed, "due", None)
    if due:
        parse_duration(due)
    return parsed


def run_action(spec: dict[str, Any], ctx: ActionContext) -> None:
    """Perform one action described by `{type, params}`."""
    params = validate_action(spec["type"], spec.get("params", {}))
    _types[spec["type"]].run(ctx, params)


def _people(to: list[str], ctx: ActionContext) -> list[User]:
    return recipients.resolve(to or ctx.default_recipients, subject=ctx.subject, actor=ctx.actor)


@register_action("notify", "发送通知", NotifyParams)
def _notify(ctx: ActionContext, params: NotifyParams) -> None:
    from salesflow.notify import services as notify

    people = _people(params.to, ctx)
    notify.notify(
        recipients=people,
        kind=params.kind,
        title=ctx.text(params.title),
        body=ctx.text(params.body),
        subject=ctx.subject,
        actor=ctx.actor,
        now=ctx.now,
    )
    ctx.notes.append(f"notified {', '.join(u.username for u in people) or 'nobody'}")


@register_action("create_task", "创建待办", CreateTaskParams)
def _create_task(ctx: ActionContext, params: CreateTaskParams) -> None:
    from salesflow.notify import services as notify
    from salesflow.rules.selectors import company_calendar
    from salesflow.timers.durations import add_duration

    people = _people(params.to, ctx)
    if not people:
        ctx.notes.append("task not created: nobody to assign")
        return
    due_at = (
        add_duration(ctx.now, parse_duration(params.due), calendar=company_calendar()) if params.due else None
    )
    notify.task_create(
        assignee=people[0],
        title=ctx.text(params.title),
        body=ctx.text(params.body),
        subject=ctx.subject,
        due_at=due_at,
        created_by_rule=ctx.rule_code,
        actor=ctx.actor,
        now=ctx.now,
    )
    ctx.notes.append(f"task for {people[0].username}")


@register_action("escalate", "逐级升级", EscalateParams)
def _escalate(ctx: ActionContext, params: EscalateParams) -> None:
    """The first recipient gets the to-do (announced once); the others are told in their inbox."""
    from salesflow.notify import services as notify

    people = _people(params.to, ctx)
    title, body = ctx.text(params.title), ctx.text(params.body)
    if people:
        notify.task_create(
            assignee=people[0],
            title=title,
            body=body,
            subject=ctx.subject,
            due_at=None,
            created_by_rule=ctx.rule_code,
            kind="sla.escalated",
            actor=ctx.actor,
            now=ctx.now,
        )
    notify.notify(
        recipients=people[1:],
        kind="sla.escalated",
        title=title,
        body=body,
        subject=ctx.subject,
        actor=ctx.actor,
        now=ctx.now,
    )
    ctx.notes.append(f"escalated to {', '.join(u.username for u in people) or 'nobody'}")


Assigner = Callable[[models.Model, ActionContext], User | None]
_assigners: dict[str, Assigner] = {}


def register_assigner(label_lower: str, fn: Assigner) -> None:
    """The assignment policy for a record type (the leads app registers its 智能分单)."""
    _assigners[label_lower] = fn


@register_action("assign", "分配负责人", AssignParams)
def _assign(ctx: ActionContext, params: AssignParams) -> None:
    from salesflow.rules import services

    subject = _require_subject(ctx, "assign")
    if params.to:
        people = recipients.resolve([params.to], subject=subject, actor=ctx.actor)
        if not people:
            ctx.notes.append(f"not assigned: nobody is {params.to}")
            return
        services.record_set_field(
            record=subject,
            field="owner",
            value=people[0],
            actor=ctx.actor,
            now=ctx.now,
            reason=ctx.rule_code,
        )
        ctx.notes.append(f"assigned to {people[0].username}")
        return
    assigner = _assigners.get(subject._meta.label_lower)
    if assigner is None:
        raise DomainError(f"“{subject._meta.verbose_name}” 没有分配策略 / has no assignment policy.")
    owner = assigner(subject, ctx)
    ctx.notes.append(f"assigned to {owner.username}" if owner else "sent to the pool")


@register_action("set_field", "设置字段", SetFieldParams)
def _set_field(ctx: ActionContext, params: SetFieldParams) -> None:
    from salesflow.rules import services

    subject = _require_subject(ctx, "set_field")
    services.record_set_field(
        record=subject,
        field=params.field,
        value=params.value,
        actor=ctx.actor,
        now=ctx.now,
        reason=ctx.rule_code,
    )
    ctx.notes.append(f"{params.field} = {params.value}")


Tagger = Callable[[models.Model, str, str, bool, ActionContext], None]
_taggers: dict[str, Tagger] = {}


def register_tagger(label_lower: str, fn: Tagger) -> None:
    """How a record type stores tags (the customers app registers its own)."""
    _taggers[label_lower] = fn


@register_action("set_tag", "设置标签", SetTagParams)
def _set_tag(ctx: ActionContext, params: SetTagParams) -> None:
    subject = _require_subject(ctx, "set_tag")
    tagger = _taggers.get(subject._meta.label_lower)
    if tagger is None:
        raise DomainError(f"“{subject._meta.verbose_name}” 不支持标签 / cannot carry tags.")
    tagger(subject, params.dictionary, params.value, params.propose, ctx)
    ctx.notes.append(f"{'proposed' if params.propose else 'set'} {params.dictionary}={params.value}")


def _target(ctx: ActionContext, path: str) -> models.Model:
    subject = _require_subject(ctx, "freeze")
    target: Any = subject
    if path != "subject":
        for attr in path.split("."):
            target = getattr(target, attr, None)
    if not isinstance(target, models.Model):
        raise DomainError(f"freeze target “{path}” does not lead to a record")
    return target


@register_action("freeze", "冻结", FreezeParams)
def _freeze(ctx: ActionContext, params: FreezeParams) -> None:
    from salesflow.rules import services

    target = _target(ctx, params.target)
    services.freeze_set(
        record=target,
        scope=params.scope,
        reason=ctx.text(params.reason) or ctx.rule_code,
        rule_code=ctx.rule_code,
        actor=ctx.actor,
        now=ctx.now,
    )
    ctx.notes.append(f"froze {params.scope}")


@register_action("unfreeze", "解除冻结", FreezeParams)
def _unfreeze(ctx: ActionContext, params: FreezeParams) -> None:
    from salesflow.rules import services

    target = _target(ctx, params.target)
    services.freeze_lift(record=target, scope=params.scope, actor=ctx.actor, now=ctx.now)
    ctx.notes.append(f"unfroze {params.scope}")


@register_action("start_timer", "启动计时", TimerParams)
def _start_timer(ctx: ActionContext, params: TimerParams) -> None:
    from salesflow.rules import engine

    subject = _require_subject(ctx, "start_timer")
    if not params.policy:
        raise DomainError("start_timer needs a policy")
    engine.start_policy(subject=subject, policy_code=params.policy, started_at=ctx.now, actor=ctx.actor)
    ctx.notes.append(f"started {params.policy}")


@register_action("stop_timer", "停止计时", TimerParams)
def _stop_timer(ctx: ActionContext, params: TimerParams) -> None:
    from salesflow.timers import services as timers

    subject = _require_subject(ctx, "stop_timer")
    timers.timer_stop(subject=subject, policy_code=params.policy, reason=ctx.rule_code, now=ctx.now)
    ctx.notes.append(f"stopped {params.policy or 'all timers'}")


@register_action("add_to_agenda", "列入会议议程", AgendaParams)
def _add_to_agenda(ctx: ActionContext, params: AgendaParams) -> None:
    from salesflow.rules import services

    subject = _require_subject(ctx, "add_to_agenda")
    services.agenda_add(
        record=subject,
        meeting=params.meeting,
        reason=ctx.text(params.reason) or ctx.rule_code,
        rule_code=ctx.rule_code,
        now=ctx.now,
    )
    ctx.notes.append(f"on the {params.meeting} agenda")


def _require_subject(ctx: ActionContext, action: str) -> models.Model:
    if ctx.subject is None:
        raise DomainError(f"{action} needs a record")
    return ctx.subject


def duration_after(now: datetime, text: str) -> datetime:
    """`now` plus a calendar duration (m, h, d)."""
    d = parse_duration(text)
    minutes = {"m": 1, "h": 60, "d": 1440}.get(d.unit)
    if minutes is None:
        raise ValueError(f"“{text}”: use calendar time here (m, h, d)")
    return now + timedelta(minutes=d.amount * minutes)
