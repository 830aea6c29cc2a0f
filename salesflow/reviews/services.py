"""Writes of the review: mark an agenda item discussed, record its decision and owner.

Only the meeting's chair roles (pack `meetings.<code>.chair_roles`) act; each action is one
transaction that writes the entry, resolves the item when decided, and records an event on the
record behind the item, so its own timeline says what the meeting made of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from salesflow.core import clock, events, records
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.org.models import User
from salesflow.reviews import selectors
from salesflow.reviews.models import ReviewEntry
from salesflow.rules.models import AgendaItem

DECISION_MAX = 2000


def _require_chair(actor: User, item: AgendaItem) -> None:
    meeting = selectors.meeting(item.meeting)
    if not selectors.may_chair(actor, item.meeting):
        raise PermissionDenied(
            f"只有{meeting.label}的主持人可以操作 / Only the meeting's chair may do this.",
            meeting=item.meeting,
        )


def _locked_entry(item: AgendaItem) -> tuple[AgendaItem, ReviewEntry]:
    locked = AgendaItem.objects.select_for_update().get(pk=item.pk)
    entry = ReviewEntry.objects.select_for_update().filter(item=locked).first()
    if entry is None:
        entry = ReviewEntry(item=locked, month=selectors.current_month(locked.created_at))
    return locked, entry


def _record_event(
    item: AgendaItem, *, name: str, actor: User, now: datetime, payload: dict[str, Any]
) -> None:
    """On the record behind the item (its timeline), or nowhere when that record is gone."""
    subject = records.load(item.subject_type, item.subject_id)
    if subject is not None:
        events.record(
            name=name,
            subject=subject,
            actor=actor,
            occurred_at=now,
            payload={"meeting": item.meeting, "agenda_item": item.pk, **payload},
        )


def agenda_item_discuss(
    *, item: AgendaItem, actor: User, discussed: bool = True, now: datetime | None = None
) -> ReviewEntry:
    """Mark `item` discussed at its meeting (or not discussed after all, while undecided)."""
    now = now or clock.now()
    _require_chair(actor, item)
    with transaction.atomic():
        locked, entry = _locked_entry(item)
        if not discussed and entry.decision:
            raise FieldErrors(
                {"discussed": ["已有决议的议程不能改回未讨论 / A decided item stays discussed."]}
            )
        if discussed == entry.discussed:
            return entry
        entry.discussed_at = now if discussed else None
        entry.discussed_by = actor if discussed else None
        attach_actor(entry, actor, now)
        entry.save()
        _record_event(
            locked,
            name="review.discussed" if discussed else "review.undiscussed",
            actor=actor,
            now=now,
            payload={},
        )
    return entry


def agenda_item_decide(
    *,
    item: AgendaItem,
    decision: str,
    owner: User | None,
    actor: User,
    now: datetime | None = None,
) -> ReviewEntry:
    """Record the meeting's decision on `item` and who carries it out; the item is discussed and resolved."""
    now = now or clock.now()
    _require_chair(actor, item)
    text = (decision or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["decision"] = ["请填写决议 / Enter the decision."]
    elif len(text) > DECISION_MAX:
        errors["decision"] = [f"决议最多 {DECISION_MAX} 字 / At most {DECISION_MAX} characters."]
    if owner is None:
        errors["owner"] = ["请选择责任人 / Choose who carries the decision out."]
    elif not owner.is_active:
        errors["owner"] = ["责任人已停用 / That person's account is deactivated."]
    if errors:
        raise FieldErrors(errors)
    assert owner is not None
    with transaction.atomic():
        locked, entry = _locked_entry(item)
        if entry.discussed_at is None:
            entry.discussed_at, entry.discussed_by = now, actor
        entry.decision = text
        entry.decision_owner = owner
        entry.decided_at, entry.decided_by = now, actor
        attach_actor(entry, actor, now)
        entry.save()
        if locked.resolved_at is None:
            locked.resolved_at = now
            locked.save(update_fields=["resolved_at"])
        _record_event(
            locked,
            name="review.decided",
            actor=actor,
            now=now,
            payload={"resolution": text, "decision_owner": str(owner)},
        )
    return entry
