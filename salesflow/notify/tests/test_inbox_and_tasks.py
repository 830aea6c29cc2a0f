"""Inbox and to-dos: through services, API and pages, with the owner / teammate / outsider trio."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django_tasks_db.models import DBTaskResult

from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for
from salesflow.notify import services
from salesflow.notify.models import Delivery, Notification, Task
from salesflow.org import services as org

JSON = "application/json"


def _note(trio: Trio, title: str = "t", **extra: Any) -> Notification:
    [note] = services.notify(
        recipients=[trio.owner],
        kind=extra.pop("kind", "k"),
        title=title,
        body="",
        subject=extra.pop("subject", None),
        actor=None,
        **extra,
    )
    return note


# ---- notify() -------------------------------------------------------------------------------


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
    assert [n["title"] for n in page["items"]] == ["线索 48 小时无跟进"] and page["next"] is None
    item = page["items"][0]
    assert (item["kind"], item["subject_type"], item["subject_id"]) == (
        "sla.escalated",
        "org.user",
        trio.owner.pk,
    )
    assert item["read"] is False and item["body"] == "请跟进"
    client.force_login(trio.owner)
    html = client.get("/today/").content.decode()
    assert 'data-testid="unread-badge">1<' in html and "线索 48 小时无跟进" in html
    assert api.post(f"/api/v1/notifications/{item['id']}/read").json()["read"] is True
    assert api.get("/api/v1/notifications", {"unread": "true"}).json()["items"] == []
    assert "unread-badge" not in client.get("/today/").content.decode()


def test_notify_records_one_event_on_the_subject(trio: Trio) -> None:
    services.notify(
        recipients=[trio.owner, trio.teammate],
        kind="k",
        title="t",
        body="",
        subject=trio.owner,
        actor=trio.manager,
    )
    event = Event.objects.get(name="notification.sent")
    assert (event.subject_type, event.subject_id, event.actor_id) == (
        "org.user",
        trio.owner.pk,
        trio.manager.pk,
    )
    assert event.payload == {"kind": "k", "title": "t", "recipients": [trio.owner.pk, trio.teammate.pk]}


def test_notify_skips_inactive_and_repeated_recipients_and_clips_long_titles(trio: Trio) -> None:
    org.user_update(user=trio.teammate, actor=trio.admin, is_active=False)
    trio.teammate.refresh_from_db()
    notes = services.notify(
        recipients=[trio.owner, trio.teammate, None, trio.owner],
        kind="k",
        title="长" * 300,
        body="",
        subject=None,
        actor=None,
    )
    assert [n.recipient_id for n in notes] == [trio.owner.pk]
    assert len(notes[0].title) == 200 and notes[0].title.endswith("…")
    assert services.notify(recipients=[], kind="k", title="t", body="", subject=None, actor=None) == []


def test_rolled_back_notification_leaves_no_row_and_no_queued_delivery(trio: Trio) -> None:
    services.channel_create(
        actor=trio.owner, kind="wecom", name="我的群", target="http://127.0.0.1:9/hook", user=trio.owner
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify(recipients=[trio.owner], kind="k", title="t", body="", subject=trio.owner, actor=None)
        assert DBTaskResult.objects.count() == 1  # enqueued inside the transaction …
        raise RuntimeError("the business action failed")
    assert Notification.objects.count() == 0 and Delivery.objects.count() == 0
    assert DBTaskResult.objects.count() == 0  # … and gone with it
    assert not Event.objects.filter(name="notification.sent").exists()


def test_committed_notification_queues_exactly_one_task_per_delivery(trio: Trio) -> None:
    services.channel_create(
        actor=trio.owner, kind="wecom", name="我的群", target="http://127.0.0.1:9/hook", user=trio.owner
    )
    with transaction.atomic():
        _note(trio)
    delivery = Delivery.objects.get()
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "salesflow.notify.tasks.deliver"
    assert queued.args_kwargs == {"args": [delivery.pk], "kwargs": {}}


# ---- inbox API ------------------------------------------------------------------------------


@pytest.mark.parametrize("intruder", ["teammate", "outsider", "manager", "admin"])
def test_others_cannot_see_or_read_my_notifications(trio: Trio, intruder: str) -> None:
    note = _note(trio)
    api = api_client_for(getattr(trio, intruder))
    assert api.post(f"/api/v1/notifications/{note.pk}/read").status_code == 404
    assert api.get("/api/v1/notifications").json()["items"] == []
    assert api.post("/api/v1/notifications/read-all").json() == {"marked": 0}
    note.refresh_from_db()
    assert note.read_at is None


def test_read_all_and_filters_and_pages(trio: Trio) -> None:
    for i in range(5):
        _note(trio, f"t{i}", kind="sla.escalated" if i % 2 else "lead.assigned")
    api = api_client_for(trio.owner)
    first = api.get("/api/v1/notifications", {"limit": 2}).json()
    assert [n["title"] for n in first["items"]] == ["t4", "t3"]
    second = api.get("/api/v1/notifications", {"limit": 2, "cursor": first["next"]}).json()
    assert [n["title"] for n in second["items"]] == ["t2", "t1"]
    escalations = api.get("/api/v1/notifications", {"kind": "sla.escalated"}).json()["items"]
    assert [n["title"] for n in escalations] == ["t3", "t1"]
    assert api.get("/api/v1/notifications", {"cursor": "garbage!"}).status_code == 422
    assert api.post("/api/v1/notifications/read-all").json() == {"marked": 5}
    assert api.post("/api/v1/notifications/read-all").json() == {"marked": 0}


def test_reading_twice_keeps_the_first_time(trio: Trio) -> None:
    note = _note(trio)
    first = clock.now()
    services.notification_mark_read(notification=note, actor=trio.owner, now=first)
    services.notification_mark_read(notification=note, actor=trio.owner, now=first + timedelta(hours=1))
    note.refresh_from_db()
    assert note.read_at == first


# ---- tasks ----------------------------------------------------------------------------------


def test_task_created_notifies_and_lists_for_its_assignee_only(trio: Trio) -> None:
    task = services.task_create(
        assignee=trio.owner, title="回访客户", subject=trio.owner, created_by_rule="r1"
    )
    assert Notification.objects.filter(
        recipient=trio.owner, kind="task.created", title="新待办：回访客户"
    ).exists()
    assert Event.objects.filter(name="task.created", subject_id=task.pk).exists()
    items = api_client_for(trio.owner).get("/api/v1/tasks").json()["items"]
    assert [(t["title"], t["created_by_rule"], t["status"]) for t in items] == [("回访客户", "r1", "open")]
    for other in ("teammate", "outsider", "manager"):
        assert api_client_for(getattr(trio, other)).get("/api/v1/tasks").json()["items"] == []


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("teammate", 404),  # not visible
        ("outsider", 404),
        ("other_manager", 404),
        ("admin", 403),  # sees every task (company-wide) but is not in the owner's line
        ("manager", 200),
        ("director", 200),  # the manager's manager
        ("owner", 200),
    ],
)
def test_complete_task_trio(trio: Trio, who: str, expected: int) -> None:
    task = services.task_create(assignee=trio.owner, title="回访客户")
    response = api_client_for(getattr(trio, who)).post(f"/api/v1/tasks/{task.pk}/done", {}, content_type=JSON)
    assert response.status_code == expected
    task.refresh_from_db()
    assert task.status == ("done" if expected == 200 else "open")
    if expected == 200:
        assert task.done_by == getattr(trio, who) and response.json()["done_by"] == task.done_by_id
        assert Event.objects.filter(name="task.completed", subject_id=task.pk).exists()


def test_completing_twice_is_a_conflict(trio: Trio) -> None:
    task = services.task_create(assignee=trio.owner, title="回访客户")
    assert (
        api_client_for(trio.manager).post(f"/api/v1/tasks/{task.pk}/done", {}, content_type=JSON).status_code
        == 200
    )
    again = api_client_for(trio.owner).post(f"/api/v1/tasks/{task.pk}/done", {}, content_type=JSON)
    assert again.status_code == 409 and again.json()["status"] == "done"


def test_task_list_status_filter_and_pages(trio: Trio) -> None:
    tasks = [services.task_create(assignee=trio.owner, title=f"任务{i}") for i in range(3)]
    services.task_complete(task=tasks[0], actor=trio.owner)
    api = api_client_for(trio.owner)
    assert [t["title"] for t in api.get("/api/v1/tasks").json()["items"]] == ["任务1", "任务2"]
    assert [t["title"] for t in api.get("/api/v1/tasks", {"status": "done"}).json()["items"]] == ["任务0"]
    page = api.get("/api/v1/tasks", {"status": "all", "limit": "2"}).json()
    assert len(page["items"]) == 2 and page["next"]
    assert len(api.get("/api/v1/tasks", {"status": "all", "cursor": page["next"]}).json()["items"]) == 1
    bad = api.get("/api/v1/tasks", {"status": "finished"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "status"]


def test_task_needs_a_title(trio: Trio) -> None:
    with pytest.raises(FieldErrors) as err:
        services.task_create(assignee=trio.owner, title=" ")
    assert "title" in err.value.errors


# ---- pages ----------------------------------------------------------------------------------


def test_today_shows_both_empty_states(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    html = client.get("/today/").content.decode()
    for text in (
        "暂无待办",
        "规则触发的跟进任务、审批和升级会出现在这里。",
        "暂无通知",
        "分单、超时提醒和审批结果会通知到这里。",
    ):
        assert text in html
    assert 'id="todos"' in html and 'id="notifications"' in html
    assert html.count('id="notifications"') == 1  # our section replaces the built-in cards


def test_today_lists_tasks_and_completes_them_with_htmx(
    trio: Trio, client: Client, django_assert_max_num_queries: Any
) -> None:
    task = services.task_create(assignee=trio.owner, title="提交方案", subject=trio.owner)
    for i in range(5):
        _note(trio, f"通知{i}")
    client.force_login(trio.owner)
    with django_assert_max_num_queries(12):
        html = client.get("/today/").content.decode()
    assert "提交方案" in html and "通知4" in html and 'id="read-all"' in html
    assert f'action="/tasks/{task.pk}/done/"' in html
    response = client.post(f"/tasks/{task.pk}/done/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and f'id="task-{task.pk}"' in response.content.decode()
    assert "已完成" in response.content.decode() and response["X-Toast"]
    again = client.post(f"/tasks/{task.pk}/done/", headers={"HX-Request": "true"})
    assert again.status_code == 409 and again["X-Toast"]
    other = services.task_create(assignee=trio.owner, title="另一个")
    client.force_login(trio.teammate)
    assert client.post(f"/tasks/{other.pk}/done/").status_code == 404
    client.force_login(trio.admin)
    assert client.post(f"/tasks/{other.pk}/done/").status_code == 302  # refused: message, back to 今日
    other.refresh_from_db()
    assert other.status == "open"


def test_cards_link_to_their_record(trio: Trio, client: Client) -> None:
    services.task_create(assignee=trio.owner, title="回访", subject=trio.owner)
    client.force_login(trio.owner)
    html = client.get("/today/").content.decode()
    assert f'href="/settings/users/{trio.owner.pk}/"' in html


def test_inbox_page_filters_in_the_url_and_pages(
    trio: Trio, client: Client, django_assert_max_num_queries: Any
) -> None:
    notes = [
        _note(trio, f"消息{i:02d}", kind="sla.escalated" if i % 2 else "lead.assigned") for i in range(35)
    ]
    services.notification_mark_read(notification=notes[34], actor=trio.owner)
    client.force_login(trio.owner)
    with django_assert_max_num_queries(10):
        html = client.get("/notifications/").content.decode()
    assert "消息33" in html and "消息04" not in html and 'data-testid="inbox-more"' in html
    more = html.split('data-testid="inbox-more"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "消息04" in client.get("/notifications/" + more.replace("&amp;", "&")).content.decode()
    unread = client.get("/notifications/", {"unread": "1", "kind": "lead.assigned"}).content.decode()
    assert "消息32" in unread and "消息34" not in unread and "消息33" not in unread
    client.force_login(trio.teammate)
    assert "消息" not in client.get("/notifications/").content.decode()
    assert client.post(f"/notifications/{notes[0].pk}/read/").status_code == 404


def test_read_buttons_on_pages(trio: Trio, client: Client) -> None:
    note = _note(trio, "读我")
    _note(trio, "还有")
    client.force_login(trio.owner)
    row = client.post(f"/notifications/{note.pk}/read/", headers={"HX-Request": "true"})
    assert row.status_code == 200 and f'id="note-{note.pk}"' in row.content.decode()
    assert "fw-bold" not in row.content.decode()
    # `next` may only point inside the site.
    away = client.post("/notifications/read-all/", {"next": "https://evil.example/"})
    assert away.status_code == 302 and away["Location"] == "/notifications/"
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    back = client.post("/notifications/read-all/", {"next": "/today/"})
    assert back["Location"] == "/today/"


def test_shell_badge_is_one_count_query(trio: Trio, rf: Any, django_assert_num_queries: Any) -> None:
    from salesflow.notify.views import shell_values

    _note(trio)
    request = rf.get("/")
    request.user = trio.owner
    with django_assert_num_queries(1):
        assert shell_values(request) == {"unread_notifications": 1}
        assert shell_values(request) == {"unread_notifications": 1}  # counted once per request


def test_tasks_are_history_tracked(trio: Trio) -> None:
    task = services.task_create(assignee=trio.owner, title="回访", actor=trio.manager)
    services.task_complete(task=task, actor=trio.owner)
    assert list(task.history.order_by("history_id").values_list("status", "history_user_id")) == [
        ("open", trio.manager.pk),
        ("done", trio.owner.pk),
    ]
    assert Task.objects.get().done_by == trio.owner
