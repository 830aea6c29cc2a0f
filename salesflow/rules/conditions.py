"""Conditions: a JSON tree evaluated in Python for one record or compiled to a `Q` for sets.

A node is `{"all": [...]}`, `{"any": [...]}`, `{"not": node}` or a comparison
`{"field": "team.name", "op": "eq", "value": "上海一组"}`. Field paths follow single-valued
relations with dots. Both evaluations use the same two-valued logic as Django's ORM: a
comparison with a missing (NULL) value is false, and `not` of it is true.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.db.models import Q

Node = dict[str, Any]

# Operators per value kind. Ordering operators are left out for text on purpose: database
# collations and Python order strings differently, so the two evaluations could disagree.
OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("eq", "ne", "in", "not_in", "contains", "is_null"),
    "number": ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "is_null"),
    "bool": ("eq", "ne", "is_null"),
    "datetime": ("gt", "gte", "lt", "lte", "older_than", "newer_than", "is_null"),
    "date": ("eq", "gt", "gte", "lt", "lte", "is_null"),
}
OPERATOR_LABELS = {
    "eq": "等于",
    "ne": "不等于",
    "in": "属于",
    "not_in": "不属于",
    "contains": "包含",
    "gt": "大于",
    "gte": "大于等于",
    "lt": "小于",
    "lte": "小于等于",
    "is_null": "为空",
    "older_than": "早于（距今超过）",
    "newer_than": "晚于（距今不到）",
}


class ConditionError(ValueError):
    """A condition tree that does not fit the record type; `path` says where."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


@dataclass(frozen=True)
class FieldInfo:
    """A field reachable from a model: its ORM lookup path and value kind."""

    path: str
    lookup: str
    kind: str
    label: str
    choices: tuple[tuple[str, str], ...] = ()


def _kind_of(field: models.Field[Any, Any]) -> str | None:
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
        return "number"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, (models.CharField, models.TextField)):
        return "text"
    return None


def model_fields(model: type[models.Model], *, depth: int = 1, prefix: str = "") -> dict[str, FieldInfo]:
    """Fields a condition may use: the model's own, and one level through foreign keys."""
    found: dict[str, FieldInfo] = {}
    for field in model._meta.concrete_fields:
        if field.name in {"password"}:
            continue
        path = f"{prefix}{field.name}"
        if field.is_relation and field.related_model is not None and not isinstance(field.related_model, str):
            # The foreign key itself compares by id.
            found[path] = FieldInfo(path, path.replace(".", "__"), "number", str(field.verbose_name))
            if depth > 0:
                found.update(model_fields(field.related_model, depth=depth - 1, prefix=f"{path}."))
            continue
        kind = _kind_of(field)
        if kind is None:
            continue
        choices = tuple((str(k), str(v)) for k, v in field.flatchoices) if field.choices else ()
        found[path] = FieldInfo(path, path.replace(".", "__"), kind, str(field.verbose_name), choices)
    return found


def _parse_value(kind: str, op: str, value: Any, path: str) -> Any:
    """The value converted to the field's kind, or ConditionError."""
    if op == "is_null":
        if not isinstance(value, bool):
            raise ConditionError(path, "is_null takes true or false")
        return value
    if op in ("older_than", "newer_than"):
        from salesflow.timers.durations import parse_duration

        try:
            duration = parse_duration(str(value))
        except ValueError:
            from salesflow.rules.schema import duration_error

            raise ConditionError(path, duration_error(value)) from None
        if duration.unit in ("wd", "wh"):
            raise ConditionError(path, "use calendar time here (m, h, d)")
        return duration
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(path, f"{op} takes a non-empty list")
        return [_parse_scalar(kind, v, path) for v in value]
    return _parse_scalar(kind, value, path)


def _parse_scalar(kind: str, value: Any, path: str) -> Any:
    try:
        if kind == "text":
            if not isinstance(value, str):
                raise TypeError
            return value
        if kind == "number":
            if isinstance(value, bool):
                raise TypeError
            return Decimal(str(value))
        if kind == "bool":
            if not isinstance(value, bool):
                raise TypeError
            return value
        if kind == "datetime":
            parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            if parsed.tzinfo is None:
                raise ConditionError(path, f"“{value}” needs a time zone offset")
            return parsed
        if kind == "date":
            return value if isinstance(value, date) else date.fromisoformat(str(value))
    except (TypeError, ValueError, InvalidOperation):
        raise ConditionError(path, f"“{value}” is not a valid {kind} value") from None
    raise ConditionError(path, f"unsupported kind {kind}")


@dataclass(frozen=True)
class Compiled:
    """A validated condition: `matches(record, now)` and `as_q(now)` agree by construction."""

    tree: Node
    matches: Callable[[Any, datetime], bool]
    as_q: Callable[[datetime], Q]


def compile_condition(
    tree: Node | None, fields: dict[str, FieldInfo], *, path: str = "condition"
) -> Compiled:
    """Validate `tree` against `fields` and build both evaluators; ConditionError names the path."""
    if tree is None or tree == {}:
        return Compiled({}, lambda record, now: True, lambda now: Q())
    if not isinstance(tree, dict):
        raise ConditionError(path, "must be an object")
    if "all" in tree or "any" in tree:
        key = "all" if "all" in tree else "any"
        if set(tree) != {key} or not isinstance(tree[key], list) or not tree[key]:
            raise ConditionError(path, f"“{key}” takes a non-empty list and nothing else")
        parts = [
            compile_condition(child, fields, path=f"{path}.{key}[{i}]") for i, child in enumerate(tree[key])
        ]
        if key == "all":
            return Compiled(
                tree,
                lambda record, now: all(p.matches(record, now) for p in parts),
                lambda now: _combine([p.as_q(now) for p in parts], all_=True),
            )
        return Compiled(
            tree,
            lambda record, now: any(p.matches(record, now) for p in parts),
            lambda now: _combine([p.as_q(now) for p in parts], all_=False),
        )
    if "not" in tree:
        if set(tree) != {"not"}:
            raise ConditionError(path, "“not” takes one condition and nothing else")
        inner = compile_condition(tree["not"], fields, path=f"{path}.not")
        return Compiled(
            tree, lambda record, now: not inner.matches(record, now), lambda now: ~inner.as_q(now)
        )
    return _compile_comparison(tree, fields, path)


def _combine(qs: list[Q], *, all_: bool) -> Q:
    result = qs[0]
    for q in qs[1:]:
        result = (result & q) if all_ else (result | q)
    return result


def _compile_comparison(tree: Node, fields: dict[str, FieldInfo], path: str) -> Compiled:
    unknown_keys = set(tree) - {"field", "op", "value"}
    if unknown_keys or "field" not in tree or "op" not in tree:
        raise ConditionError(path, "a comparison is {field, op, value}")
    name, op = tree["field"], tree["op"]
    info = fields.get(name)
    if info is None:
        raise ConditionError(f"{path}.field", f"unknown field “{name}”")
    if op not in OPERATORS[info.kind]:
        allowed = ", ".join(OPERATORS[info.kind])
        raise ConditionError(
            f"{path}.op", f"“{op}” does not apply to {info.kind} field “{name}” (use {allowed})"
        )
    if "value" not in tree:
        raise ConditionError(f"{path}.value", "a value is required")
    value = _parse_value(info.kind, op, tree["value"], f"{path}.value")
    attrs = name.split(".")
    lookup = info.lookup

    def read(record: Any) -> Any:
        current = record
        for attr in attrs:
            if current is None:
                return None
            field_value = getattr(current, attr, None)
            current = field_value
        if isinstance(current, models.Model):
            return current.pk
        if info.kind == "number" and current is not None:
            return Decimal(str(current))
        return current

    def matches(record: Any, now: datetime) -> bool:
        actual = read(record)
        if op == "is_null":
            return (actual is None) is value
        if actual is None:
            return False
        return _compare(op, actual, value, now)

    def as_q(now: datetime) -> Q:
        if op == "is_null":
            return Q(**{f"{lookup}__isnull": value})
        return _comparison_q(op, lookup, value, now)

    return Compiled(tree, matches, as_q)


_MINUTES_PER_UNIT = {"m": 1, "h": 60, "d": 1440}


def _threshold(value: Any, now: datetime) -> datetime:
    return now - timedelta(minutes=value.amount * _MINUTES_PER_UNIT[value.unit])


def _compare(op: str, actual: Any, value: Any, now: datetime) -> bool:
    if op == "eq":
        return bool(actual == value)
    if op == "ne":
        return bool(actual != value)
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    if op == "contains":
        return _ascii_lower(value) in _ascii_lower(actual)
    if op == "gt":
        return bool(actual > value)
    if op == "gte":
        return bool(actual >= value)
    if op == "lt":
        return bool(actual < value)
    if op == "lte":
        return bool(actual <= value)
    if op == "older_than":
        return bool(actual < _threshold(value, now))
    if op == "newer_than":
        return bool(actual > _threshold(value, now))
    raise ConditionError("", f"unknown operator {op}")


def _ascii_lower(text: str) -> str:
    # SQLite's LIKE folds case for ASCII only; Python must fold exactly the same.
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _comparison_q(op: str, lookup: str, value: Any, now: datetime) -> Q:
    # Every comparison is made total: "and the value is present". Without it a NULL reached
    # through a LEFT JOIN makes the comparison unknown, and Django does not always add the
    # guard when it negates inside an OR; with it, `not` means exactly what Python does.
    present = Q(**{f"{lookup}__isnull": False})
    return _raw_comparison_q(op, lookup, value, now) & present


def _raw_comparison_q(op: str, lookup: str, value: Any, now: datetime) -> Q:
    if op == "eq":
        return Q(**{lookup: value})
    if op == "ne":
        return ~Q(**{lookup: value})
    if op == "in":
        return Q(**{f"{lookup}__in": value})
    if op == "not_in":
        return ~Q(**{f"{lookup}__in": value})
    if op == "contains":
        return Q(**{f"{lookup}__icontains": value})
    if op in ("gt", "gte", "lt", "lte"):
        return Q(**{f"{lookup}__{op}": value})
    if op == "older_than":
        return Q(**{f"{lookup}__lt": _threshold(value, now)})
    if op == "newer_than":
        return Q(**{f"{lookup}__gt": _threshold(value, now)})
    raise ConditionError("", f"unknown operator {op}")


def check_shape(tree: Node, *, path: str = "condition") -> None:
    """Validate the structure and operators of a tree whose record type is not installed."""
    all_ops = {op for ops in OPERATORS.values() for op in ops}
    if not isinstance(tree, dict):
        raise ConditionError(path, "must be an object")
    for key in ("all", "any"):
        if key in tree:
            if set(tree) != {key} or not isinstance(tree[key], list) or not tree[key]:
                raise ConditionError(path, f"“{key}” takes a non-empty list and nothing else")
            for i, child in enumerate(tree[key]):
                check_shape(child, path=f"{path}.{key}[{i}]")
            return
    if "not" in tree:
        if set(tree) != {"not"}:
            raise ConditionError(path, "“not” takes one condition and nothing else")
        check_shape(tree["not"], path=f"{path}.not")
        return
    if set(tree) - {"field", "op", "value"} or "field" not in tree or "op" not in tree:
        raise ConditionError(path, "a comparison is {field, op, value}")
    if tree["op"] not in all_ops:
        raise ConditionError(f"{path}.op", f"unknown operator “{tree['op']}”")


FACTS_PREFIX = "facts."


def _fact_kind(value: Any) -> str:
    sample = value[0] if isinstance(value, list) and value else value
    if isinstance(sample, bool):
        return "bool"
    if isinstance(sample, (int, float, Decimal)):
        return "number"
    return "text"


def fact_fields(tree: Node | None, known: dict[str, str] | None = None) -> dict[str, FieldInfo]:
    """Fields for a condition over a mapping of facts (`facts.<name>`, e.g. an approval's).

    Facts have no model to say their kinds: a fact is a number where the condition compares
    it with a number (`{field: facts.discount_pct, op: gt, value: 20}`), text with text. With
    `known` (name → label) only those facts exist, so a misspelt name is an unknown field.
    """
    found: dict[str, FieldInfo] = {}

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for key in ("all", "any"):
            for child in node.get(key) or [] if isinstance(node.get(key), list) else []:
                walk(child)
        if "not" in node:
            walk(node["not"])
        name = node.get("field")
        if isinstance(name, str) and name.startswith(FACTS_PREFIX):
            fact = name.removeprefix(FACTS_PREFIX)
            if known is not None and fact not in known:
                return
            label = (known or {}).get(fact, fact)
            found.setdefault(
                name, FieldInfo(name, name.replace(".", "__"), _fact_kind(node.get("value")), label)
            )

    walk(tree)
    return found


def describe(tree: Node | None, fields: dict[str, FieldInfo]) -> str:
    """A condition in words for people (“申请折扣（%） 大于 20 或 金额（元） 大于 500000”)."""
    if not tree:
        return ""
    if "all" in tree or "any" in tree:
        key = "all" if "all" in tree else "any"
        joiner = " 且 " if key == "all" else " 或 "
        return joiner.join(describe(child, fields) for child in tree[key])
    if "not" in tree:
        return f"非（{describe(tree['not'], fields)}）"
    info = fields.get(tree.get("field", ""))
    label = info.label if info else str(tree.get("field", ""))
    value = tree.get("value")
    shown = "、".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return f"{label} {OPERATOR_LABELS.get(tree.get('op', ''), tree.get('op', ''))} {shown}"
