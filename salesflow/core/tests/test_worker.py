"""`salesflow worker` runs the SLA sweeper and the task queue on each tick."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.notify import services as notify
from salesflow.notify.models import Delivery, Notification
from salesflow.org import services as org
from salesflow.rules import packs, services
from salesflow.timers.models import Deadline


# The worker recycles old connections each tick, as a long-running process must; so the test
# runs with real commits instead of inside one wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_one_tick_fires_due_steps_and_runs_queued_deliveries(trio: Trio, settings: Any) -> None:
    document = packs.to_document(packs.load_default())
    document["sla_policies"].append(
        {
            "code": "leave_handover",
            "name": "休假交接",
            "subject": "user",
            "start_events": ["user.leave_added"],
            "steps": [
                {
                    "name": "提醒主管",
                    "after": "3m",
                    "recipients": ["owner_manager"],
                    "actions": [{"type": "notify", "params": {"title": "休假交接", "kind": "sla.escalated"}}],
                }
            ],
        }
    )
    services.pack_version_create(pack=packs.validate(document), actor=None)
    # The manager's own robot points at a closed loopback port (allow-listed as on-premise): the
    # delivery fails and is retried.
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = ["127.0.0.1"]
    notify.channel_create(
        actor=trio.manager, kind="wecom", name="群", target="http://127.0.0.1:9/x", user=trio.manager
    )
    start = clock.now()
    org.leave_add(
        user=trio.owner,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 1),
        reason="",
        actor=trio.owner,
        now=start,
    )
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        call_command("worker", "--once", stdout=StringIO())
    assert Deadline.objects.get(policy="leave_handover").status == "fired"
    assert Notification.objects.filter(recipient=trio.manager, kind="sla.escalated").count() == 1
    delivery = Delivery.objects.get(channel__user=trio.manager, title="休假交接")
    assert delivery.attempts == 1 and "cannot reach" in delivery.last_error
