"""Appending to and reading the domain event log."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from salesflow.core import clock
from salesflow.core.models import Event

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

EventListener = Callable[[Event], None]
_listeners: list[EventListener] = []


def subject_type_of(subject: models.Model) -> str:
    """The stable type key of a record, e.g. `org.user`."""
    return subject._meta.label_lower


def subscribe(listener: EventListener) -> None:
    """Call `listener` for every recorded event, inside the recording transaction."""
    if listener not in _listeners:
        _listeners.append(listener)


def record(
    *,
    name: str,
    subject: models.Model,
    actor: AbstractBaseUser | None,
    payload: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """Append one event about `subject`; must run inside the service's transaction."""
    return record_many(
        subject=subject, actor=actor, entries=[(name, payload or {})], occurred_at=occurred_at
    )[0]


def record_many(
    *,
    subject: models.Model,
    actor: AbstractBaseUser | None,
    entries: list[tuple[str, dict[str, Any]]],
    occurred_at: datetime | None = None,
) -> list[Event]:
    """Append several events about one `subject` with one INSERT, then call the listeners for
    each in order; must run inside the service's transaction.

    Listeners get the caller's `subject` instance on `event.subject_instance`, so the rules
    engine does not read back the row the service has just written.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events.record() must be called inside a service transaction")
    when = occurred_at or clock.now()
    made = Event.objects.bulk_create(
        [
            Event(
                name=name,
                subject_type=subject_type_of(subject),
                subject_id=subject.pk,
                actor_id=getattr(actor, "pk", None),
                payload=payload,
                occurred_at=when,
            )
            for name, payload in entries
        ]
    )
    for event in made:
        event.subject_instance = subject
        for listener in _listeners:
            listener(event)
    return made


def bulk_record(events: Iterable[Event]) -> list[Event]:
    """Append many prepared events at once (demo generator, imports); listeners are not called."""
    return Event.objects.bulk_create(list(events), batch_size=1000)


def events_for(subject: models.Model) -> models.QuerySet[Event]:
    """The timeline of one record, oldest first."""
    return Event.objects.filter(subject_type=subject_type_of(subject), subject_id=subject.pk).select_related(
        "actor"
    )


# Bookkeeping the audit keeps but a person reading a record's story does not need.
BOOKKEEPING_EVENTS = ("timer.started", "timer.stopped", "notification.sent")


def story_of(subject: models.Model) -> models.QuerySet[Event]:
    """The timeline pages show: every event but timer and notification bookkeeping (the API keeps all)."""
    return events_for(subject).exclude(name__in=BOOKKEEPING_EVENTS)
