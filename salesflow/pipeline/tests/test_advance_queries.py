"""Round trips of advancing an opportunity one stage (issue #15): pinned, like the intake's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for
from salesflow.pipeline.models import StageVisit
from salesflow.pipeline.tests.test_stages_and_evidence import _advance, _opportunity

pytestmark = pytest.mark.django_db

# The write: token, the opportunity (visibility), locked with its owner and customer, evidence on
# hand, the open stage visit closed, evidence locked, stage_left + left_<stage> in one INSERT,
# the opportunity and its history row, the new visit, stage_entered + entered_<stage> in one
# INSERT, the restarted timers cancelled, their deadlines and timer.started.
# The answer: deadlines, stage durations, evidence and freezes.
ADVANCE_ONE_STAGE = 18


def test_advancing_one_stage_costs_a_fixed_number_of_statements(trio: Trio) -> None:
    opportunity = _opportunity(trio)
    client = api_client_for(trio.owner)
    client.get("/api/v1/me")  # caches warm
    with CaptureQueriesContext(connection) as ctx:
        response = _advance(client, opportunity, "first_contact")
    assert response.status_code == 200 and response.json()["stage"] == "first_contact"
    # The same outcome as ever: the visit closed and a new one opened, the four stage events.
    visits = StageVisit.objects.filter(opportunity=opportunity).order_by("id")
    assert [(v.stage, v.exited_at is None) for v in visits] == [
        ("lead_registered", False),
        ("first_contact", True),
    ]
    names = set(Event.objects.filter(subject_id=opportunity.pk).values_list("name", flat=True))
    assert {
        "opportunity.stage_left",
        "opportunity.left_lead_registered",
        "opportunity.stage_entered",
        "opportunity.entered_first_contact",
    } <= names
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == ADVANCE_ONE_STAGE, "\n".join(s[:120] for s in statements)
