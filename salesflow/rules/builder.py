"""The form-based rule builder: posted rows ↔ a rule document (no raw JSON for a manager)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from salesflow.core import records
from salesflow.core.errors import NotFound
from salesflow.org.choices import Role
from salesflow.rules import recipients
from salesflow.rules.actions import action_types
from salesflow.rules.conditions import OPERATOR_LABELS, OPERATORS, FieldInfo, model_fields

ACTION_PARAM_FIELDS = {
    "notify": ["to", "title", "body"],
    "create_task": ["to", "title", "body", "due"],
    "escalate": ["to", "title", "body"],
    "assign": ["assignee"],
    "set_field": ["field", "value"],
    "set_tag": ["dictionary", "value", "propose"],
    "freeze": ["scope", "target", "reason"],
    "unfreeze": ["scope", "target"],
    "start_timer": ["policy"],
    "stop_timer": ["policy"],
    "add_to_agenda": ["meeting", "reason"],
}


@dataclass
class ConditionRow:
    """One comparison row of the builder."""

    field: str = ""
    op: str = "eq"
    value: str = ""


@dataclass
class ActionRow:
    """One action row of the builder; only the parameters of its type are used."""

    type: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuilderState:
    """Everything the builder page shows and posts."""

    code: str = ""
    name: str = ""
    description: str = ""
    trigger: str = ""
    subject: str = ""
    combinator: str = "all"
    conditions: list[ConditionRow] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    gate: bool = False
    message: str = ""
    enabled: bool = False


def recipient_choices() -> list[tuple[str, str]]:
    """Recipient options for the action rows."""
    options = [(spec, label) for spec, label in recipients.LABELS.items()]
    options += [(f"role:{value}", f"角色：{label}") for value, label in Role.choices]
    return options


def subject_fields(subject: str) -> dict[str, FieldInfo]:
    """Fields a condition on `subject` may use (empty when its app is not installed)."""
    try:
        rtype = records.record_type(subject)
    except NotFound:  # the record type's app is not installed yet: no field list
        return {}
    return model_fields(rtype.model)


def operator_choices() -> list[tuple[str, str]]:
    """Every operator with its label; the page filters them by field kind."""
    ordered = []
    for ops in OPERATORS.values():
        for op in ops:
            if op not in ordered:
                ordered.append(op)
    return [(op, OPERATOR_LABELS[op]) for op in ordered]


def from_rule(rule: dict[str, Any]) -> BuilderState:
    """Builder rows for an existing rule (nested trees beyond one level are kept as they are)."""
    state = BuilderState(
        code=rule["code"],
        name=rule["name"],
        description=rule.get("description", ""),
        trigger=rule["trigger"],
        subject=rule["subject"],
        gate=rule.get("gate", False),
        message=rule.get("message", ""),
        enabled=rule.get("enabled", True),
    )
    tree = rule.get("condition") or {}
    if "all" in tree or "any" in tree:
        state.combinator = "all" if "all" in tree else "any"
        leaves = tree[state.combinator]
    else:
        leaves = [tree] if tree else []
    for leaf in leaves:
        if "field" in leaf:
            value = leaf.get("value")
            text = (
                ", ".join(str(v) for v in value)
                if isinstance(value, list)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
            state.conditions.append(ConditionRow(leaf["field"], leaf["op"], text))
    for action in rule.get("actions", []):
        state.actions.append(ActionRow(action["type"], dict(action.get("params", {}))))
    return state


def from_post(data: QueryDict) -> BuilderState:
    """The builder state from a submitted form (rows with an empty field/type are dropped)."""
    state = BuilderState(
        code=data.get("code", "").strip(),
        name=data.get("name", "").strip(),
        description=data.get("description", "").strip(),
        trigger=data.get("trigger", "").strip(),
        subject=data.get("subject", "").strip(),
        combinator=data.get("combinator", "all"),
        gate=data.get("gate") == "on",
        message=data.get("message", "").strip(),
        enabled=data.get("enabled") == "on",
    )
    for i in range(int(data.get("condition_rows", "0") or 0)):
        row = ConditionRow(
            data.get(f"c{i}-field", "").strip(),
            data.get(f"c{i}-op", "eq"),
            data.get(f"c{i}-value", "").strip(),
        )
        if row.field:
            state.conditions.append(row)
    for i in range(int(data.get("action_rows", "0") or 0)):
        kind = data.get(f"a{i}-type", "").strip()
        if not kind:
            continue
        params: dict[str, Any] = {}
        for name in ACTION_PARAM_FIELDS.get(kind, []):
            if name == "to":
                params["to"] = data.getlist(f"a{i}-to")
            elif name == "propose":
                params["propose"] = data.get(f"a{i}-propose") == "on"
            elif name == "assignee":
                params["to"] = data.get(f"a{i}-assignee") or None
            else:
                value = data.get(f"a{i}-{name}", "").strip()
                if value:
                    params[name] = value
        state.actions.append(ActionRow(kind, params))
    return state


def _typed(value: str, op: str, info: FieldInfo | None) -> Any:
    """A row's text value as the JSON value the condition language expects."""
    if op == "is_null":
        return value.lower() in ("true", "1", "是", "yes", "")
    if op in ("in", "not_in"):
        parts = [p.strip() for p in value.replace("，", ",").split(",") if p.strip()]
        return [_scalar(p, info) for p in parts]
    return _scalar(value, info)


def _scalar(value: str, info: FieldInfo | None) -> Any:
    kind = info.kind if info else "text"
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            return value  # validation will name the field
        return int(number) if number.is_integer() else number
    if kind == "bool":
        return value.lower() in ("true", "1", "是", "yes")
    return value


def to_rule(state: BuilderState) -> dict[str, Any]:
    """The rule document the pack stores."""
    fields = subject_fields(state.subject)
    leaves = [
        {
            "field": row.field,
            "op": row.op,
            "value": _typed(row.value, row.op, fields.get(row.field)),
        }
        for row in state.conditions
    ]
    condition: dict[str, Any] | None
    if not leaves:
        condition = None
    elif len(leaves) == 1:
        condition = leaves[0]
    else:
        condition = {state.combinator: leaves}
    rule: dict[str, Any] = {
        "code": state.code,
        "name": state.name,
        "description": state.description,
        "trigger": state.trigger,
        "subject": state.subject,
        "condition": condition,
        "actions": [{"type": a.type, "params": a.params} for a in state.actions],
        "gate": state.gate,
        "message": state.message,
        "enabled": state.enabled,
    }
    return rule


def action_choices() -> list[tuple[str, str]]:
    """Action types with their labels."""
    return [(name, a.label) for name, a in sorted(action_types().items())]
