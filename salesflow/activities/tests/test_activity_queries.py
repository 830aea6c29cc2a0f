"""Round trips of logging an activity (issue #15), the rep's most frequent write: pinned, like the
intake's, so a change that adds statements shows up here."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesflow.activities.tests.test_activities import _lead
from salesflow.core import clock
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for
from salesflow.timers.models import Deadline

# The token, the lead (visibility), its owner afresh, the activity, the lead locked, updated and
# its history row, activity.logged + lead.contacted in one INSERT, and per event the deadlines
# its stop policies name cancelled by one UPDATE … RETURNING plus one timer.stopped, and the
# lead's list keys (next due time, missed deadline) recomputed from its deadlines by one UPDATE.
EFFECTIVE_CALL_ON_A_LEAD = 13


def test_an_effective_call_on_a_new_lead_costs_a_fixed_number_of_statements(trio: Trio) -> None:
    lead = _lead(trio)
    client = api_client_for(trio.owner)
    client.get("/api/v1/me")  # caches warm
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(
            "/api/v1/activities",
            {
                "lead": lead.pk,
                "kind": "call",
                "occurred_at": clock.now().isoformat(),
                "duration_seconds": 120,
            },
            content_type="application/json",
        )
    assert response.status_code == 201 and response.json()["effective"] is True
    # The same outcome as ever: every response timer of the lead stopped, each named once.
    pending = Deadline.objects.filter(subject_id=lead.pk, subject_type="leads.lead", status="pending")
    assert not pending.filter(policy__in=["lead_unread", "lead_first_contact", "lead_follow_up"]).exists()
    stopped = [
        policy
        for payload in Event.objects.filter(name="timer.stopped", subject_id=lead.pk).values_list(
            "payload", flat=True
        )
        for policy in payload["policies"]
    ]
    assert sorted(stopped) == ["lead_first_contact", "lead_follow_up", "lead_unread"]
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == EFFECTIVE_CALL_ON_A_LEAD, "\n".join(s[:120] for s in statements)
