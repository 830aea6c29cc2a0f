from __future__ import annotations

import pytest
from django.db import transaction

from salesflow.core import events
from salesflow.core.models import Event
from salesflow.core.testing import Trio


def test_service_writes_event_in_its_transaction(trio: Trio) -> None:
    names = list(events.events_for(trio.owner).values_list("name", flat=True))
    assert names == ["user.created"]
    event = events.events_for(trio.owner).get()
    assert event.payload["username"] == "owner"
    assert event.payload["manager"] == trio.manager.pk


def test_events_are_append_only(trio: Trio) -> None:
    event = events.events_for(trio.owner).get()
    event.name = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert Event.objects.filter(name="tampered").count() == 0


def test_recording_outside_a_transaction_is_refused(trio: Trio, django_db_blocker: object) -> None:
    # pytest-django wraps each test in a transaction; step outside it to check the guard.
    connection = transaction.get_connection()
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="inside a service transaction"):
            events.record(name="x.y", subject=trio.owner, actor=None)
    finally:
        connection.in_atomic_block = saved


def test_failed_service_leaves_no_event(trio: Trio) -> None:
    before = Event.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        events.record(name="user.updated", subject=trio.owner, actor=trio.manager)
        _ = 1 / 0
    assert Event.objects.count() == before


def test_listeners_see_each_event_in_the_same_transaction(trio: Trio) -> None:
    seen: list[str] = []

    def listener(event: Event) -> None:
        seen.append(event.name)

    events.subscribe(listener)
    try:
        with transaction.atomic():
            events.record(name="demo.ping", subject=trio.owner, actor=trio.owner)
    finally:
        events._listeners.remove(listener)
    assert seen == ["demo.ping"]
