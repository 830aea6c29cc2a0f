"""Inbox and to-dos: through services, API and pages, with the owner / teammate / outsider trio."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django_tasks_db.models import DBTaskResult

from salesflow.core.testing import Trio, api_client_for
from salesflow.notify import services
from salesflow.notify.models import Notification, Task


def test_notification_reaches_inbox_api_and_bell(trio: Trio, client: Client) -> None:
    services.notify(
        recipients=[trio.owner],
        kind="sla.escalated",
        title="线索 48 小时无跟进",
        body="请跟进",
        subject=trio.owner,
        actor=None,
    )
    api = api_client_for(trio.owner)
    page = api.get("/api/v1/notifications", {"unread": "true"}).json()
    assert [n["title"] for n in page["items"]] == ["线索 48 小时无跟进"]
    item = page["items"][0]
    assert (
        item["subject_type"] == "org.user" and item["subject_id"] == trio.owner.pk and item["read"] is False
    )
    client.force_login(trio.owner)
    html = client.get("/today/").content.decode()
    assert 'data-testid="unread-badge">1<' in html and "线索 48 小时无跟进" in html
    assert api.post(f"/api/v1/notifications/{item['id']}/read").json()["read"] is True
    assert api.get("/api/v1/notifications", {"unread": "true"}).json()["items"] == []
    assert "unread-badge" not in client.get("/today/").content.decode()


def test_others_cannot_see_or_read_my_notifications(trio: Trio) -> None:
    [note] = services.notify(recipients=[trio.owner], kind="k", title="t", body="", subject=None, actor=None)
    for intruder in (trio.teammate, trio.outsider, trio.manager):
        api = api_client_for(intruder)
        assert api.post(f"/api/v1/notifications/{note.pk}/read").status_code == 404
        assert api.get("/api/v1/notifications").json()["items"] == []
    note.refresh_from_db()
    assert note.read_at is None


def test_read_all(trio: Trio) -> None:
    for i in range(3):
        services.notify(recipients=[trio.owner], kind="k", title=f"t{i}", body="", subject=None, actor=None)
    assert api_client_for(trio.owner).post("/api/v1/notifications/read-all").json() == {"marked": 3}


def test_rolled_back_notification_leaves_no_row_and_no_queued_delivery(trio: Trio) -> None:
    services.channel_create(
        actor=trio.owner,
        kind="wecom",
        name="我的群",
        target="http://127.0.0.1:9/hook",
        user=trio.owner,
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify(recipients=[trio.owner], kind="k", title="t", body="", subject=None, actor=None)
        assert DBTaskResult.objects.count() == 1  # enqueued inside the transaction …
        raise RuntimeError("the business action failed")
    assert Notification.objects.count() == 0
    assert DBTaskResult.objects.count() == 0  # … and gone with it


def test_task_trio_and_manager(trio: Trio) -> None:
    task = services.task_create(assignee=trio.owner, title="回访客户", subject=trio.owner)
    assert Notification.objects.filter(recipient=trio.owner, kind="task.created").exists()
    assert [t["title"] for t in api_client_for(trio.owner).get("/api/v1/tasks").json()] == ["回访客户"]
    assert api_client_for(trio.teammate).post(f"/api/v1/tasks/{task.pk}/done").status_code == 404
    assert api_client_for(trio.outsider).post(f"/api/v1/tasks/{task.pk}/done").status_code == 404
    done = api_client_for(trio.manager).post(f"/api/v1/tasks/{task.pk}/done")
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = api_client_for(trio.owner).post(f"/api/v1/tasks/{task.pk}/done")
    assert again.status_code == 409
    assert Task.objects.get().done_by == trio.manager


def test_today_lists_tasks_and_completes_them_with_htmx(trio: Trio, client: Client) -> None:
    task = services.task_create(assignee=trio.owner, title="提交方案", due_at=None)
    client.force_login(trio.owner)
    assert "提交方案" in client.get("/today/").content.decode()
    response = client.post(f"/tasks/{task.pk}/done/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "已完成" in response.content.decode()
    assert response["X-Toast"]
    client.force_login(trio.teammate)
    assert client.post(f"/tasks/{task.pk}/done/").status_code == 404


def test_task_needs_a_title(trio: Trio) -> None:
    from salesflow.core.errors import FieldErrors

    with pytest.raises(FieldErrors) as err:
        services.task_create(assignee=trio.owner, title=" ")
    assert "title" in err.value.errors


def test_cards_link_to_their_record(trio: Trio, client: Client) -> None:
    services.task_create(assignee=trio.owner, title="回访", subject=trio.owner)
    client.force_login(trio.owner)
    html = client.get("/today/").content.decode()
    assert f'href="/settings/users/{trio.owner.pk}/"' in html
