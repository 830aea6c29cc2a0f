"""`notify_many`: what `notify` writes for each message, with one delivery task for all of them."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from salesflow.core import clock
from salesflow.core.models import Event
from salesflow.core.testing import Trio, run_ready_tasks
from salesflow.notify import services
from salesflow.notify.models import Delivery, Notification
from salesflow.notify.tests.conftest import Recorder, url

pytestmark = pytest.mark.django_db


def test_each_message_gets_its_rows_and_one_task_sends_them_all(trio: Trio, http_server: Recorder) -> None:
    services.channel_create(
        actor=trio.owner, kind="wecom", name="企微群", target=url(http_server, "/w"), user=trio.owner
    )
    now = clock.now()
    messages = [
        services.Message(
            recipients=(trio.owner, trio.teammate), title="第一条", body="甲", subject=trio.manager
        ),
        services.Message(recipients=(trio.owner,), title="第二条", body="乙", subject=trio.admin),
        services.Message(recipients=(None,), title="没人收", body="", subject=trio.outsider),
    ]
    with transaction.atomic():
        notes = services.notify_many(messages=messages, kind="demo.kind", actor=None, now=now)
    assert [(n.recipient_id, n.title, n.subject_id) for n in notes] == [
        (trio.owner.pk, "第一条", trio.manager.pk),
        (trio.teammate.pk, "第一条", trio.manager.pk),
        (trio.owner.pk, "第二条", trio.admin.pk),
    ]
    assert Notification.objects.count() == 3
    sent = Event.objects.filter(name="notification.sent").order_by("id")
    assert [(e.subject_id, e.payload) for e in sent] == [
        (
            trio.manager.pk,
            {"kind": "demo.kind", "title": "第一条", "recipients": [trio.owner.pk, trio.teammate.pk]},
        ),
        (trio.admin.pk, {"kind": "demo.kind", "title": "第二条", "recipients": [trio.owner.pk]}),
    ]
    deliveries = list(Delivery.objects.order_by("id"))
    assert [d.title for d in deliveries] == ["第一条", "第二条"]  # the owner's robot: once per message
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "salesflow.notify.tasks.deliver_many"
    assert run_ready_tasks() == [{"sent": 2}]
    assert len(http_server.requests) == 2
    assert {d.status for d in Delivery.objects.all()} == {"sent"}
