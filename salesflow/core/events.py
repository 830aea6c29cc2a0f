"""Appending to and reading the domain event log."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from salesflow.core import clock
from salesflow.core.models import Event

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

EventListener = Callable[[Event], None]
_listeners: list[EventListener] = []
# The events of the action inside `one_insert()`, not yet written; None outside it.
_pending: ContextVar[list[Event] | None] = ContextVar("salesflow_pending_events", default=None)


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
    """Append several events (name, payload) about one `subject` with one INSERT, then call the
    listeners for each in order; must run inside the service's transaction."""
    when = occurred_at or clock.now()
    return record_prepared(
        [
            prepare(name=name, subject=subject, actor=actor, payload=payload, occurred_at=when)
            for name, payload in entries
        ]
    )


def prepare(
    *,
    name: str,
    subject: models.Model,
    actor: AbstractBaseUser | None,
    payload: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """An unsaved event as `record` would write it, for `record_prepared`.

    It carries the caller's `subject` instance (`event.subject_instance`) to the listeners, so
    the rules engine does not read back the row the service has just written.
    """
    event = Event(
        name=name,
        subject_type=subject_type_of(subject),
        subject_id=subject.pk,
        actor_id=getattr(actor, "pk", None),
        payload=payload or {},
        occurred_at=occurred_at or clock.now(),
    )
    event.subject_instance = subject
    if getattr(actor, "pk", None) is not None:
        # The listeners read the caller's user, not a fresh copy of its row (the project's user
        # model; core does not import org, so the type is the abstract one).
        event.actor = actor  # type: ignore[assignment]
    return event


def record_prepared(prepared: Sequence[Event]) -> list[Event]:
    """Append many prepared events (`prepare`) in one INSERT, then feed each to the listeners.

    The set-based form of `record` for passes that write thousands of events (the nightly
    customer pass): the rows go in with one bulk_create, then every listener (the rules engine,
    contracts) sees every event in order, inside the same transaction, just as `record` calls
    them; a gate rule refusing one still rolls the whole transaction back. The one difference:
    a listener sees later events of the same call already in the table, which nothing reading
    the log for a decision depends on. Inside `one_insert()` the INSERT waits for the block's end.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events.record() must be called inside a service transaction")
    pending = _pending.get()
    if pending is None:
        saved = Event.objects.bulk_create(list(prepared), batch_size=1000)
    else:
        saved = list(prepared)
        pending.extend(saved)
    for event in saved:
        for listener in _listeners:
            listener(event)
    return saved


@contextmanager
def one_insert() -> Iterator[None]:
    """Write every event the block records with one INSERT, at its end.

    For the hottest actions (the website intake records its lead's events, the timers' and the
    notification's in three calls): the rows go in together just before the service's
    transaction commits. Listeners still see each event as it is recorded, unsaved (no `pk`;
    `saved_id` writes the pending ones when a listener needs an id), and a reader of the table
    inside the block does not see them yet, so only actions whose listeners decide nothing from
    the log use it. Nested blocks write with the outermost; an exception writes nothing (the
    transaction is rolled back anyway).
    """
    if _pending.get() is not None:
        yield
        return
    token = _pending.set([])
    try:
        yield
        _flush()
    finally:
        _pending.reset(token)


def saved_id(event: Event) -> int:
    """The event's id, writing the pending events of `one_insert()` first if it has none yet."""
    if event.pk is None:
        _flush()
    return event.pk


def _flush() -> None:
    pending = _pending.get()
    if pending:
        Event.objects.bulk_create(pending, batch_size=1000)
        pending.clear()


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
