"""Generic record endpoints: field history and timeline of any registered record type."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from salesflow.core import events, history, records

router = Router(tags=["records"])


class OwnerRef(Schema):
    """A record's owner as lists and records carry it (one schema for every app)."""

    id: int
    username: str


class FieldChangeOut(Schema):
    at: datetime
    actor: int | None
    actor_name: str | None
    field: str
    label: str
    old: Any
    new: Any


@router.get("/history/{record_type}/{record_id}", response=list[FieldChangeOut])
def record_history(request: HttpRequest, record_type: str, record_id: int) -> list[FieldChangeOut]:
    """Who changed which field of the record, when, from what to what (oldest first)."""
    obj = records.visible_record(record_type, record_id, request.user)
    return [
        FieldChangeOut(
            at=c.at,
            actor=c.actor_id,
            actor_name=c.actor_name,
            field=c.field,
            label=c.label,
            old=c.old,
            new=c.new,
        )
        for c in history.field_changes(obj, hidden=records.hidden_fields(record_type, request.user))
    ]


class EventOut(Schema):
    id: int
    name: str
    actor: int | None
    payload: dict[str, Any]
    occurred_at: datetime


@router.get("/timeline/{record_type}/{record_id}", response=list[EventOut])
def record_timeline(request: HttpRequest, record_type: str, record_id: int) -> list[EventOut]:
    """The record's domain events, oldest first."""
    obj = records.visible_record(record_type, record_id, request.user)
    return [
        EventOut(id=e.pk, name=e.name, actor=e.actor_id, payload=e.payload, occurred_at=e.occurred_at)
        for e in events.events_for(obj)
    ]
