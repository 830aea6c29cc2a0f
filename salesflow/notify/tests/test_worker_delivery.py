"""The real `salesflow worker` tick sends committed deliveries and honours the retry schedule."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.notify import services
from salesflow.notify.models import Delivery
from salesflow.notify.tests.conftest import Recorder, url


def _tick() -> None:
    call_command("worker", "--once", stdout=StringIO())


# The worker recycles connections each tick like the long-running process it is, so this test
# commits for real instead of running inside one wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_worker_sends_committed_deliveries_and_retries_on_schedule(trio: Trio, http_server: Recorder) -> None:
    http_server.reply = (200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    services.channel_create(
        actor=trio.owner, kind="wecom", name="企微群", target=url(http_server, "/w"), user=trio.owner
    )
    start = clock.now()
    services.task_create(assignee=trio.owner, title="回访客户", now=start)  # notifies: task.created
    _tick()
    delivery = Delivery.objects.get()
    assert (len(http_server.requests), delivery.status, delivery.attempts) == (1, "pending", 1)
    assert "errcode=45009" in delivery.last_error
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        _tick()
    assert len(http_server.requests) == 1  # the retry waits its minute
    http_server.reply = (200, {"errcode": 0, "errmsg": "ok"})
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        _tick()
    delivery.refresh_from_db()
    assert (len(http_server.requests), delivery.status, delivery.attempts, delivery.last_error) == (
        2,
        "sent",
        2,
        "",
    )
    content = json.loads(http_server.requests[1]["body"])["markdown"]["content"]
    assert content == "**新待办：回访客户**"
