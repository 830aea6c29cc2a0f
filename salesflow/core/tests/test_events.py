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


def test_one_insert_writes_the_blocks_events_together_at_its_end(trio: Trio) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seen: list[tuple[str, object]] = []

    def listener(event: Event) -> None:
        seen.append((event.name, event.pk))

    events.subscribe(listener)
    try:
        with CaptureQueriesContext(connection) as ctx, transaction.atomic(), events.one_insert():
            events.record(name="demo.one", subject=trio.owner, actor=None)
            with events.one_insert():  # nested: written with the outer block
                events.record_many(
                    subject=trio.owner, actor=None, entries=[("demo.two", {}), ("demo.three", {})]
                )
            assert not events.events_for(trio.owner).filter(name__startswith="demo.").exists()
    finally:
        events._listeners.remove(listener)
    # Listeners saw each event as it was recorded, before it had a row.
    assert seen == [("demo.one", None), ("demo.two", None), ("demo.three", None)]
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "core_event"')]
    assert len(inserts) == 1
    names = list(
        events.events_for(trio.owner).filter(name__startswith="demo.").values_list("name", flat=True)
    )
    assert names == ["demo.one", "demo.two", "demo.three"]


def test_one_insert_writes_nothing_when_the_block_fails_and_ids_on_demand(trio: Trio) -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic(), events.one_insert():
        events.record(name="demo.lost", subject=trio.owner, actor=None)
        _ = 1 / 0
    assert not Event.objects.filter(name="demo.lost").exists()
    with transaction.atomic(), events.one_insert():
        first = events.record(name="demo.first", subject=trio.owner, actor=None)
        # A listener that needs an id (a rule firing names its event) gets the row written now.
        first_id = events.saved_id(first)
        assert Event.objects.filter(pk=first_id, name="demo.first").exists()
        events.record(name="demo.second", subject=trio.owner, actor=None)
    assert Event.objects.filter(name__in=["demo.first", "demo.second"]).count() == 2
