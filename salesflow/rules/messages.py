"""Message templates of the pack: `{after}`, `{name}`, `{owner}` … filled in when a rule fires.

A manager who changes a step from 15m to 20m must not have to remember the text too, so the
text says `{after}` and the number is read from the step at firing time. Substitution is a
closed vocabulary of plain strings (a regular expression, never `str.format` on objects), so a
template can neither reach attributes of a record nor break on stray braces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from salesflow.timers.durations import parse_duration

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

# What every rule or step may say about its record.
RECORD_PLACEHOLDERS = {
    "name": _("记录名称（客户、线索、商机……）"),
    "owner": _("负责人"),
}
# What a ladder step may say about its own timing.
STEP_PLACEHOLDERS = {
    **RECORD_PLACEHOLDERS,
    "after": _("本级时限（如 15 分钟、5 个工作日）"),
    "before": _("到期日前多久（如 3 天）"),
    "past_anchor": _("逾期多久（如 30 天）"),
    "step": _("本级名称"),
    "policy": _("时限名称"),
    "last_after": _("最后一级的时限（如 7 天）"),
    "remaining": _("距最后一级还有多久（如 2 天）"),
}
RULE_PLACEHOLDERS = {**RECORD_PLACEHOLDERS, "rule": _("规则名称")}

# The action parameters that are text shown to people (and so may be templates).
TEXT_PARAMS = ("title", "body", "reason")

_UNITS = {"m": "分钟", "h": "小时", "d": "天", "wd": "个工作日", "wh": "个工作小时"}


def humanize(duration_text: str | None) -> str:
    """`15m` → "15 分钟", `5wd` → "5 个工作日" (empty for no duration)."""
    if not duration_text:
        return ""
    duration = parse_duration(duration_text)
    return f"{duration.amount} {_UNITS[duration.unit]}"


def unknown_placeholders(text: str, allowed: Iterable[str]) -> list[str]:
    """The `{…}` names in `text` that are not in `allowed`, in order of appearance."""
    known = set(allowed)
    found = [m.group(1) for m in PLACEHOLDER.finditer(text or "")]
    return [name for name in dict.fromkeys(found) if name not in known]


def render(text: str, values: Mapping[str, str]) -> str:
    """`text` with each `{name}` of `values` replaced by its string; anything else is left as is."""
    if not text or "{" not in text:
        return text

    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return match.group(0) if value is None else str(value)

    return PLACEHOLDER.sub(substitute, text)


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(getattr(user, "display_name", "") or getattr(user, "username", "") or "")


def record_values(record: Any) -> dict[str, str]:
    """`{name}` and `{owner}` of a record (empty strings when it has none)."""
    if record is None:
        return {"name": "", "owner": ""}
    return {"name": str(record), "owner": _person(getattr(record, "owner", None))}


def _remaining(step_text: str | None, last_text: str | None) -> str:
    """How long from this step to the last one, when both count the same kind of time."""
    if not step_text or not last_text:
        return ""
    step, last = parse_duration(step_text), parse_duration(last_text)
    if step.is_working_time or last.is_working_time:
        same = step.unit == last.unit and last.amount >= step.amount
        return f"{last.amount - step.amount} {_UNITS[step.unit]}" if same else ""
    minutes = int((last.as_timedelta() - step.as_timedelta()).total_seconds() // 60)
    if minutes < 0:
        return ""
    for unit, size in (("d", 1440), ("h", 60), ("m", 1)):
        if minutes % size == 0:
            return f"{minutes // size} {_UNITS[unit]}"
    return ""  # unreachable: every minute count divides by 1


def step_values(policy: Any, step: Any, record: Any) -> dict[str, str]:
    """Everything a ladder step's texts may use, as plain strings."""
    last = policy.steps[-1]
    return {
        **record_values(record),
        "after": humanize(step.after),
        "before": humanize(step.before),
        "past_anchor": humanize(step.past_anchor),
        "step": str(step.name),
        "policy": str(policy.name),
        "last_after": humanize(last.after),
        "remaining": _remaining(step.after, last.after),
    }


def rule_values(rule: Any, record: Any) -> dict[str, str]:
    """Everything a rule's texts (and a gate's message) may use, as plain strings."""
    return {**record_values(record), "rule": str(rule.name)}


def check_texts(actions: Any, path: str, allowed: Mapping[str, Any]) -> list[str]:
    """`path.actions[j].params.title: unknown placeholder {x} …` for every bad template."""
    errors: list[str] = []
    for j, action in enumerate(actions if isinstance(actions, list) else []):
        params = action.get("params") if isinstance(action, dict) else None
        if not isinstance(params, dict):
            continue
        for key in TEXT_PARAMS:
            value = params.get(key)
            if isinstance(value, str):
                errors += check_text(value, f"{path}.actions[{j}].params.{key}", allowed)
    return errors


def check_text(text: str, path: str, allowed: Mapping[str, Any]) -> list[str]:
    """One error per unknown placeholder in `text`, naming `path` and the allowed ones."""
    choices = ", ".join(f"{{{name}}}" for name in allowed)
    return [
        f"{path}: unknown placeholder {{{name}}} (use {choices})"
        for name in unknown_placeholders(text, allowed)
    ]
