"""The list keys a lead carries for its timers (issue #15): `next_due_at` and `sla_breached` follow
the deadlines through every action that starts, stops or fires them, so the 线索 list can sort by
the light without reading every lead's deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.test import Client

from salesflow.core import clock
from salesflow.core.pagination import light_of_rank
from salesflow.core.testing import Trio, api_client_for
from salesflow.leads import selectors, services
from salesflow.leads.models import IntakeForm, Lead
from salesflow.leads.tests.test_intake import GOOD, submit
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline


def _as_the_deadlines_say(lead: Lead) -> tuple[object, bool]:
    """The keys recomputed from the lead's deadlines, without touching the row."""
    keys = selectors.timer_key_values()
    fresh = Lead.objects.filter(pk=lead.pk).values_list(keys["next_due_at"], keys["sla_breached"]).get()
    return fresh[0], bool(fresh[1])


def _keys(lead: Lead) -> tuple[object, bool]:
    lead.refresh_from_db(fields=["next_due_at", "sla_breached"])
    return lead.next_due_at, lead.sla_breached


def _pending(lead: Lead) -> list[datetime]:
    return sorted(
        Deadline.objects.filter(subject_id=lead.pk, subject_type="leads.lead", status="pending").values_list(
            "due_at", flat=True
        )
    )


def test_the_keys_follow_intake_first_contact_and_a_missed_deadline(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    start = clock.now()
    lead = submit(client, website, GOOD)
    # Taken in: the nearest of its three timers, nothing missed; the list shows it yellow.
    assert _keys(lead) == (_pending(lead)[0], False) == _as_the_deadlines_say(lead)
    assert _light(lead) == "yellow"

    # Unread past its escalation and past the first-contact limit: both fire. The unread one is a
    # nudge to the manager; the first-contact one is a missed deadline, so the lead turns red.
    sweeper.sweep(now=start + timedelta(minutes=16))
    next_due, breached = _keys(lead)
    assert breached is True and next_due == _pending(lead)[0]
    assert (next_due, breached) == _as_the_deadlines_say(lead)
    assert _light(lead) == "red"

    # The owner calls: the remaining timers stop, the lead is no longer red.
    answer = api_client_for(trio.owner).post(
        "/api/v1/activities",
        {"lead": lead.pk, "kind": "call", "occurred_at": clock.now().isoformat(), "duration_seconds": 60},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert _keys(lead) == _as_the_deadlines_say(lead)
    assert _keys(lead)[0] == (_pending(lead)[0] if _pending(lead) else None)
    assert _light(lead) != "red"


def test_only_a_nudge_firing_leaves_the_lead_unbreached(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    start = clock.now()
    lead = submit(client, website, GOOD)
    # Past the unread escalation (a nudge), before the first-contact limit.
    sweeper.sweep(now=start + timedelta(minutes=3, seconds=5))
    assert Deadline.objects.filter(subject_id=lead.pk, status="fired").exists()
    assert _keys(lead) == (_pending(lead)[0], False) == _as_the_deadlines_say(lead)


def test_a_reassignment_starts_the_keys_over(trio: Trio, website: IntakeForm, client: Client) -> None:
    start = clock.now()
    lead = submit(client, website, GOOD)
    sweeper.sweep(now=start + timedelta(minutes=16))
    assert _keys(lead)[1] is True
    services.lead_reassign(
        lead=lead,
        to=trio.teammate,
        reason="客户在杭州",
        actor=trio.manager,
        now=start + timedelta(minutes=17),
    )
    # The old assignment's missed deadline no longer counts; the new one's timers run.
    next_due, breached = _keys(lead)
    assert breached is False and next_due is not None
    assert (next_due, breached) == _as_the_deadlines_say(lead)


def test_refresh_recomputes_keys_written_without_the_timers(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    lead = submit(client, website, GOOD)
    Lead.objects.filter(pk=lead.pk).update(next_due_at=None, sla_breached=True)
    services.refresh_timer_keys(lead_ids=[lead.pk])
    assert _keys(lead) == (_pending(lead)[0], False)


def _light(lead: Lead) -> str:
    row = selectors.with_list_keys(Lead.objects.filter(pk=lead.pk), now=clock.now()).get()
    return light_of_rank(row.light_rank)  # type: ignore[attr-defined]
