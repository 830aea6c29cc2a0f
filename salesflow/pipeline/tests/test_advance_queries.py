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

# The write: token, the opportunity (visibility), locked with its owner and customer, the open
# stage visit closed, evidence locked, the opportunity and its history row, the new visit, the
# restarted timers cancelled, their deadlines, and every event of the action (stage_left +
# left_<stage>, stage_entered + entered_<stage>, timer.started) in one INSERT.
# The answer: deadlines, stage durations, freezes. Neither stage asks for evidence, so none is
# read (and the answer's checklist is the one the service worked out).
ADVANCE_ONE_STAGE = 14
# Out of a stage that asks for evidence: one read of the opportunity's evidence serves the check
# and the answer's checklist of the stage entered.
ADVANCE_WITH_EVIDENCE = 15


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


def test_advancing_out_of_an_evidence_stage_reads_the_evidence_once(trio: Trio) -> None:
    from salesflow.pipeline.models import Evidence

    opportunity = _opportunity(trio)
    client = api_client_for(trio.owner)
    for stage in ("first_contact", "needs_confirmed"):
        assert _advance(client, opportunity, stage).status_code == 200
    Evidence.objects.create(
        opportunity=opportunity,
        stage="needs_confirmed",
        requirement="requirements_doc",
        kind="document",
        uploaded_by=trio.owner,
        uploaded_at=opportunity.created_at,
    )
    with CaptureQueriesContext(connection) as ctx:
        response = _advance(client, opportunity, "proposal_quote")
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert response.status_code == 200
    # The checklist of the stage entered, as a fresh read gives it.
    fresh = client.get(f"/api/v1/opportunities/{opportunity.pk}").json()
    assert (
        response.json()["missing"]
        == fresh["missing"]
        == [{"kind": "document", "code": "technical_doc", "label": "技术方案文件"}]
    )
    assert len(statements) == ADVANCE_WITH_EVIDENCE, "\n".join(s[:120] for s in statements)
    assert sum('FROM "pipeline_evidence"' in s for s in statements) == 1
