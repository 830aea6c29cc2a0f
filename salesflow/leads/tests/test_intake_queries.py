"""Round trips of the website intake (issue #15): pinned, so a change that adds statements to the
hottest write path shows up here rather than in a benchmark weeks later."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from salesflow.core import events
from salesflow.core.testing import Trio
from salesflow.leads.models import IntakeForm, Lead, RepWorkload
from salesflow.leads.tests.test_intake import GOOD, post
from salesflow.notify.selectors import enabled_channels
from salesflow.timers.models import Deadline

# What one new, assigned lead costs, by statement (the test transaction adds a savepoint pair):
# form, rate windows (address and form in one upsert), duplicate check, customer match,
# candidates with their skills and teams (the chosen rep is built from that row), counter, lead,
# history, deadlines (no restart UPDATE: the lead is new), the lead's list keys from them,
# notification, and every event of the action (created, assigned, timer.started,
# notification.sent) in one INSERT. The enabled channels are kept by the process (read once).
NEW_ASSIGNED_LEAD = 12
# No assignment decision (the customer's owner, read with the customer); customer.lead_attached
# joins the one event INSERT.
OWNED_CUSTOMER_LEAD = 11


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_a_new_assigned_lead_costs_a_fixed_number_of_statements(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    post(client, website, dict(GOOD, phone="13900000001", company="热身医院"))  # caches warm
    with CaptureQueriesContext(connection) as ctx:
        response = post(client, website, dict(GOOD, phone="13900000002", company="另一家医院"))
    assert response.status_code == 201
    lead = Lead.objects.latest("id")
    # The same outcome as ever: assigned, three SLA timers, one history row for the insert, the
    # action's events in the order they happened.
    assert lead.owner == trio.owner and lead.status == "assigned"
    assert (
        Deadline.objects.filter(subject_id=lead.pk, status="pending").values("policy").distinct().count() == 3
    )
    assert lead.history.count() == 1
    assert list(events.events_for(lead).values_list("name", flat=True)) == [
        "lead.created",
        "lead.assigned",
        "timer.started",
        "timer.started",
        "timer.started",
        "notification.sent",
    ]
    statements = _statements(ctx)
    assert len(statements) == NEW_ASSIGNED_LEAD, "\n".join(s[:120] for s in statements)
    # Nothing the service has just written is read back.
    inserted = next(i for i, s in enumerate(statements) if s.startswith('INSERT INTO "leads_lead"'))
    reads = [s for s in statements[inserted:] if s.startswith("SELECT")]
    assert not any('FROM "leads_lead"' in s or 'FROM "timers_deadline"' in s for s in reads), reads


def test_a_lead_of_an_owned_customer_goes_to_its_owner_in_one_insert(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    from salesflow.customers import services as customers

    hospital = "温州医科大学附属第一医院"
    customer = customers.customer_create(name=hospital, owner=trio.teammate, actor=trio.admin)
    # A rep's first lead ever also inserts their counter row (two statements, once).
    RepWorkload.objects.get_or_create(user=trio.teammate)
    enabled_channels()  # read once per process, not per lead
    with CaptureQueriesContext(connection) as ctx:
        response = post(client, website, dict(GOOD, phone="13900000003", company=hospital))
    assert response.status_code == 201
    lead = Lead.objects.latest("id")
    assert lead.customer == customer and lead.owner == trio.teammate
    assert lead.history.count() == 1
    statements = _statements(ctx)
    assert len(statements) == OWNED_CUSTOMER_LEAD, "\n".join(s[:120] for s in statements)
