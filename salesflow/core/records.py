"""A registry of record types that can be looked up by a short public name.

Domain apps register their models here with the selector that scopes them to a user, so
generic features (timeline, field history) stay permission-correct without `core`
importing any domain app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from salesflow.core.errors import NotFound

VisibleQuerySet = Callable[[Any], models.QuerySet[Any]]
OwnerOf = Callable[[Any], Any]
HiddenFields = Callable[[Any], set[str]]


def _owner_field(record: Any) -> Any:
    return getattr(record, "owner", None)


def _nothing_hidden(user: Any) -> set[str]:
    return set()


@dataclass(frozen=True)
class RecordType:
    """A record type exposed to generic views: `name` is what URLs and the API use."""

    name: str
    model: type[models.Model]
    visible_to: VisibleQuerySet
    detail_url_name: str | None = None
    owner_of: OwnerOf = _owner_field
    label: str = ""
    # Fields `user` may not see (field-level permissions): left out of the record's history.
    hidden_fields_for: HiddenFields = _nothing_hidden


_registry: dict[str, RecordType] = {}


def register(
    name: str,
    model: type[models.Model],
    *,
    visible_to: VisibleQuerySet,
    detail_url_name: str | None = None,
    owner_of: OwnerOf = _owner_field,
    label: str = "",
    hidden_fields_for: HiddenFields = _nothing_hidden,
) -> None:
    """Make `model` reachable as `name`; `visible_to(user)` returns what the user may see.

    `owner_of(record)` answers who is responsible for a record (rules notify "the owner");
    `hidden_fields_for(user)` names fields the user may not see (kept out of its history).
    """
    _registry[name] = RecordType(
        name,
        model,
        visible_to,
        detail_url_name,
        owner_of,
        label or str(model._meta.verbose_name),
        hidden_fields_for,
    )


def hidden_fields(name: str, user: Any) -> set[str]:
    """The fields of record type `name` that `user` may not see."""
    return record_type(name).hidden_fields_for(user)


def record_type(name: str) -> RecordType:
    """The registered type called `name`, or NotFound."""
    try:
        return _registry[name]
    except KeyError:
        raise NotFound(f"Unknown record type “{name}”.", type=name) from None


def visible_record(name: str, pk: int, user: Any) -> models.Model:
    """One record of type `name` if `user` may see it; NotFound otherwise."""
    rtype = record_type(name)
    obj = rtype.visible_to(user).filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"No {name} with id {pk} is visible to you.", type=name, id=pk)
    return obj


def type_for_label(label_lower: str) -> RecordType | None:
    """The registered type of a model label such as `org.user` (events store that form)."""
    return next((t for t in _registry.values() if t.model._meta.label_lower == label_lower), None)


def load(label_lower: str, pk: int) -> models.Model | None:
    """The record an event or deadline points at, unscoped (for the engine, not for display)."""
    rtype = type_for_label(label_lower)
    if rtype is None:
        return None
    return rtype.model._default_manager.filter(pk=pk).first()


def url_for(label_lower: str, pk: int | None) -> str | None:
    """The page of a record (by model label), when its type has one."""
    from django.urls import reverse

    rtype = type_for_label(label_lower)
    if rtype is None or rtype.detail_url_name is None or pk is None:
        return None
    return reverse(rtype.detail_url_name, args=[pk])


def registered_types() -> list[RecordType]:
    """All registered record types."""
    return list(_registry.values())
