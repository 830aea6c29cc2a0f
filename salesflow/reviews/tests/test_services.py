"""Marking discussed and recording decisions: the chair only, one transaction, events on the record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from salesflow.core import events
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.reviews import services
from salesflow.reviews.models import ReviewEntry
from salesflow.reviews.tests.helpers import DECEMBER, Cast, customer, put_on_agenda

pytestmark = pytest.mark.django_db


def _names(record: Any) -> list[str]:
    return [e.name for e in events.events_for(record) if e.name.startswith("review.")]


def test_the_coo_marks_an_item_discussed_once_and_the_record_s_timeline_says_so(people: Cast) -> None:
    record = customer(people.trio.owner)
    item = put_on_agenda(record)
    at = DECEMBER + timedelta(days=20)
    entry = services.agenda_item_discuss(item=item, actor=people.coo, now=at)
    assert entry.discussed and entry.discussed_at == at and entry.discussed_by == people.coo
    assert entry.month.isoformat() == "2026-12-01"
    # Again: nothing changes, no second event.
    services.agenda_item_discuss(item=item, actor=people.coo, now=at + timedelta(hours=1))
    entry.refresh_from_db()
    assert entry.discussed_at == at
    assert _names(record) == ["review.discussed"]
    # Taken back while undecided.
    services.agenda_item_discuss(item=item, actor=people.coo, discussed=False, now=at)
    entry.refresh_from_db()
    assert entry.discussed_at is None and entry.discussed_by is None
    assert _names(record) == ["review.discussed", "review.undiscussed"]


def test_a_decision_with_its_owner_discusses_and_resolves_the_item(people: Cast) -> None:
    record = customer(people.trio.owner)
    item = put_on_agenda(record)
    at = DECEMBER + timedelta(days=25)
    entry = services.agenda_item_decide(
        item=item, decision="  交付部补齐值班表  ", owner=people.trio.manager, actor=people.coo, now=at
    )
    assert entry.decision == "交付部补齐值班表" and entry.decision_owner == people.trio.manager
    assert entry.decided_at == at and entry.decided_by == people.coo
    assert entry.discussed_at == at and entry.discussed_by == people.coo
    item.refresh_from_db()
    assert item.resolved_at == at
    (event,) = [e for e in events.events_for(record) if e.name == "review.decided"]
    assert event.payload["resolution"] == "交付部补齐值班表" and event.payload["decision_owner"] == "mgr"
    assert event.actor_id == people.coo.pk
    # Field history names who changed it.
    assert entry.history.first().history_user_id == people.coo.pk
    # A decided item stays discussed.
    with pytest.raises(FieldErrors) as refused:
        services.agenda_item_discuss(item=item, actor=people.coo, discussed=False)
    assert "discussed" in refused.value.errors


def test_a_decision_needs_its_text_and_an_active_owner_and_writes_nothing_otherwise(people: Cast) -> None:
    record = customer(people.trio.owner)
    item = put_on_agenda(record)
    with pytest.raises(FieldErrors) as missing:
        services.agenda_item_decide(item=item, decision="  ", owner=None, actor=people.coo)
    assert set(missing.value.errors) == {"decision", "owner"}
    with pytest.raises(FieldErrors) as too_long:
        services.agenda_item_decide(item=item, decision="长" * 2001, owner=people.gm, actor=people.coo)
    assert set(too_long.value.errors) == {"decision"}
    people.trio.teammate.is_active = False
    people.trio.teammate.save()
    with pytest.raises(FieldErrors) as inactive:
        services.agenda_item_decide(item=item, decision="好", owner=people.trio.teammate, actor=people.coo)
    assert set(inactive.value.errors) == {"owner"}
    assert not ReviewEntry.objects.exists()
    item.refresh_from_db()
    assert item.resolved_at is None and _names(record) == []


@pytest.mark.parametrize("who", ["gm", "director", "manager", "owner", "admin"])
def test_only_the_chair_roles_act(people: Cast, who: str) -> None:
    actor = people.gm if who == "gm" else getattr(people.trio, who)
    item = put_on_agenda(customer(people.trio.owner))
    with pytest.raises(PermissionDenied):
        services.agenda_item_discuss(item=item, actor=actor)
    with pytest.raises(PermissionDenied):
        services.agenda_item_decide(item=item, decision="越权", owner=people.gm, actor=actor)
    assert not ReviewEntry.objects.exists()


def test_a_failure_after_the_entry_is_written_leaves_nothing_behind(
    people: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = customer(people.trio.owner)
    item = put_on_agenda(record)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("event log down")

    monkeypatch.setattr(events, "record", broken)
    with pytest.raises(RuntimeError):
        services.agenda_item_decide(item=item, decision="决议", owner=people.gm, actor=people.coo)
    assert not ReviewEntry.objects.exists() and not ReviewEntry.history.exists()
    item.refresh_from_db()
    assert item.resolved_at is None
