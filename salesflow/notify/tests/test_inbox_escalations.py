"""An escalation is one inbox item naming the person and the record; completing it says what was done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from salesflow.core import clock
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for
from salesflow.leads import services as leads
from salesflow.leads.models import Lead
from salesflow.notify import selectors, services
from salesflow.notify.models import Delivery, Notification, Task
from salesflow.org.models import User
from salesflow.timers import sweeper

JSON = "application/json"
UNREAD_RULE = "sla:lead_unread/未读升级主管"


def _demo_lead(trio: Trio) -> tuple[Lead, Any]:
    """A lead as the demo has them (a person at a hospital, with a phone), given to the owner rep."""
    User.objects.filter(pk=trio.owner.pk).update(display_name="李倩")
    trio.owner.refresh_from_db()
    start = clock.now()
    lead = leads.lead_create(
        name="方秀云",
        phone="13800001111",
        company="海口第二中医院",
        industry_segment="hospital_public",
        actor=trio.manager,
        owner=trio.owner,
        now=start,
    )
    return lead, start


def _escalated(trio: Trio) -> tuple[Lead, Task]:
    lead, start = _demo_lead(trio)
    sweeper.sweep(now=start + timedelta(minutes=3, seconds=5))
    return lead, Task.objects.get(assignee=trio.manager)


def test_a_3_minute_unread_escalation_is_one_to_do_announced_once(trio: Trio, client: Client) -> None:
    services.channel_create(
        actor=trio.manager, kind="email", name="邮箱", target="mgr@example.com", user=trio.manager
    )
    lead, start = _demo_lead(trio)
    sweeper.sweep(now=start + timedelta(minutes=2, seconds=50))
    assert not Task.objects.filter(assignee=trio.manager).exists()
    sweeper.sweep(now=start + timedelta(minutes=3, seconds=5))
    sweeper.sweep(now=start + timedelta(minutes=3, seconds=30))  # a second sweep fires nothing again

    [task] = Task.objects.filter(assignee=trio.manager)
    assert (task.subject_id, task.created_by_rule, task.status) == (lead.pk, UNREAD_RULE, "open")
    # The bell rings once, for the to-do; there is no second "新待办" or escalation message.
    [note] = Notification.objects.filter(recipient=trio.manager)
    assert (note.kind, note.task_id) == ("sla.escalated", task.pk)
    assert Delivery.objects.filter(channel__user=trio.manager).count() == 1
    inbox = api_client_for(trio.manager).get("/api/v1/notifications").json()["items"]
    assert [(n["kind"], n["task"]) for n in inbox] == [("sla.escalated", task.pk)]

    client.force_login(trio.manager)
    html = client.get("/notifications/").content.decode()
    assert html.count('data-testid="task-row"') == 1 and 'data-testid="note-row"' not in html
    assert 'data-testid="unread-badge">1<' in html
    today = client.get("/today/").content.decode()
    assert today.count('data-testid="task-row"') == 1 and 'data-testid="note-row"' not in today


def test_the_row_names_the_rep_the_record_and_the_rule_in_business_language(
    trio: Trio, client: Client
) -> None:
    lead, task = _escalated(trio)
    client.force_login(trio.manager)
    html = client.get("/notifications/").content.decode()
    assert '<span class="fw-bold" data-testid="inbox-person">李倩</span> · ' in html
    assert f'<a href="/leads/{lead.pk}/" data-testid="inbox-record">方秀云（海口第二中医院）</a>' in html
    assert "新线索分配 3 分钟未读" in html
    assert "规则：分单未读升级 · 未读升级主管" in html and "sla:" not in html
    assert 'href="tel:13800001111"' in html and 'data-testid="inbox-open"' in html
    assert f'action="/leads/{lead.pk}/reassign/"' in html  # the manager over the owner may 改派
    assert f'action="/tasks/{task.pk}/done/"' in html and "必填" in html
    api = api_client_for(trio.manager).get("/api/v1/tasks").json()["items"]
    assert [(t["rule_name"], t["needs_note"]) for t in api] == [("分单未读升级 · 未读升级主管", True)]


def test_the_rep_sees_no_reassign_on_their_own_to_do(trio: Trio, client: Client) -> None:
    lead, _start = _demo_lead(trio)
    services.task_create(assignee=trio.owner, title="回访", subject=lead, created_by_rule=UNREAD_RULE)
    client.force_login(trio.owner)
    html = client.get("/today/").content.decode()
    assert "回访" in html and "/reassign/" not in html and 'href="tel:13800001111"' in html


def test_items_about_the_same_record_and_rule_are_one_row_with_a_count(trio: Trio, client: Client) -> None:
    lead, task = _escalated(trio)
    again = services.task_create(
        assignee=trio.manager, title="新线索分配 3 分钟未读", subject=lead, created_by_rule=UNREAD_RULE
    )
    services.task_create(
        assignee=trio.manager, title="另一件事", subject=lead, created_by_rule="sla:x/别的步骤"
    )
    rows = selectors.inbox_items(trio.manager, tasks=selectors.open_tasks_for_inbox(trio.manager))
    assert (rows[0].task, rows[0].count) == (task, 2)
    assert rows[0].more[0].task == again and len(rows) == 2
    assert rows[1].rule == "别的步骤"  # a step no longer in the pack: its own name, never the code
    client.force_login(trio.manager)
    html = client.get("/notifications/").content.decode()
    assert html.count('data-testid="task-row"') == 2 and ">×2</span>" in html
    assert 'data-testid="inbox-group"' in html and "另有 1 条" in html


def test_a_deadline_shows_its_date_unless_today(trio: Trio, client: Client) -> None:
    now = clock.now()
    services.task_create(assignee=trio.owner, title="明天交", due_at=now + timedelta(days=1))
    client.force_login(trio.owner)
    html = client.get("/today/").content.decode()
    expected = clock.to_local(now + timedelta(days=1)).strftime("%m-%d %H:%M")
    assert f'data-testid="task-due">{expected}<' in html


def test_completing_an_escalation_needs_a_note_that_lands_on_the_record_timeline(
    trio: Trio, client: Client
) -> None:
    lead, task = _escalated(trio)
    api = api_client_for(trio.manager)
    missing = api.post(f"/api/v1/tasks/{task.pk}/done", {}, content_type=JSON)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "note"
    blank = api.post(f"/api/v1/tasks/{task.pk}/done", {"note": "   "}, content_type=JSON)
    assert blank.status_code == 422
    too_long = api.post(f"/api/v1/tasks/{task.pk}/done", {"note": "长" * 2001}, content_type=JSON)
    assert too_long.status_code == 422
    task.refresh_from_db()
    assert task.status == "open"

    done = api.post(
        f"/api/v1/tasks/{task.pk}/done", {"note": "已电话提醒李倩，10 分钟内回访"}, content_type=JSON
    )
    assert done.status_code == 200 and done.json()["done_note"] == "已电话提醒李倩，10 分钟内回访"
    event = Event.objects.get(name="record.task_completed")
    assert (event.subject_type, event.subject_id, event.actor_id) == ("leads.lead", lead.pk, trio.manager.pk)
    assert not Notification.objects.filter(task=task, read_at__isnull=True).exists()  # the bell is quiet
    client.force_login(trio.manager)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "处理待办" in page and "已电话提醒李倩，10 分钟内回访" in page


def test_the_page_refuses_a_completion_without_a_note(trio: Trio, client: Client) -> None:
    _lead, task = _escalated(trio)
    client.force_login(trio.manager)
    response = client.post(f"/tasks/{task.pk}/done/", {"note": "", "next": "/notifications/"}, follow=True)
    assert (
        response.redirect_chain[-1][0] == "/notifications/" and "请填写处理情况" in response.content.decode()
    )
    task.refresh_from_db()
    assert task.status == "open"
    response = client.post(
        f"/tasks/{task.pk}/done/", {"note": "已提醒", "next": "/notifications/"}, follow=True
    )
    task.refresh_from_db()
    assert (task.status, task.done_note) == ("done", "已提醒")
    assert 'data-testid="task-row"' not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("teammate", 404), ("outsider", 404), ("manager", 200)]
)
def test_complete_an_escalation_to_do_trio(trio: Trio, who: str, expected: int) -> None:
    lead, _start = _demo_lead(trio)
    task = services.task_create(
        assignee=trio.owner, title="48 小时无跟进", subject=lead, created_by_rule="sla:lead_follow_up/x"
    )
    response = api_client_for(getattr(trio, who)).post(
        f"/api/v1/tasks/{task.pk}/done", {"note": "已补记跟进"}, content_type=JSON
    )
    assert response.status_code == expected
    task.refresh_from_db()
    assert task.status == ("done" if expected == 200 else "open")
    assert Event.objects.filter(name="record.task_completed", subject_id=lead.pk).exists() == (
        expected == 200
    )


@pytest.mark.parametrize(
    ("who", "expected"), [("manager", 302), ("owner", 403), ("teammate", 403), ("outsider", 403)]
)
def test_reassign_from_the_inbox_uses_the_lead_rule_trio(
    trio: Trio, client: Client, who: str, expected: int
) -> None:
    lead, _task = _escalated(trio)
    client.force_login(getattr(trio, who))
    response = client.post(f"/leads/{lead.pk}/reassign/", {"to": str(trio.teammate.pk), "reason": "李倩请假"})
    assert response.status_code == expected
    lead.refresh_from_db()
    assert lead.owner == (trio.teammate if expected == 302 else trio.owner)


def test_the_inbox_pages_read_in_few_queries(
    trio: Trio, client: Client, django_assert_max_num_queries: Any
) -> None:
    lead, _task = _escalated(trio)
    for i in range(5):
        services.task_create(assignee=trio.manager, title=f"待办{i}", subject=lead, created_by_rule=f"r{i}")
        services.notify(
            recipients=[trio.manager], kind="k", title=f"通知{i}", body="", subject=lead, actor=None
        )
    client.force_login(trio.manager)
    with django_assert_max_num_queries(16):
        assert client.get("/notifications/").status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get("/today/").status_code == 200


def test_notifications_about_one_record_are_one_row_read_together(trio: Trio, client: Client) -> None:
    lead, _start = _demo_lead(trio)
    for _ in range(3):
        services.notify(
            recipients=[trio.manager],
            kind="sla.breached",
            title="线索 15 分钟内未首次联系",
            body="",
            subject=lead,
            actor=None,
        )
    [other] = services.notify(
        recipients=[trio.teammate], kind="sla.breached", title="别人的", body="", subject=lead, actor=None
    )
    notes = list(Notification.objects.filter(recipient=trio.manager).order_by("-id"))
    client.force_login(trio.manager)
    html = client.get("/notifications/").content.decode()
    assert html.count('data-testid="note-row"') == 1 and ">×3</span>" in html and "李倩" in html
    also = {"also": [str(n.pk) for n in notes[1:]] + [str(other.pk), "x"]}
    row = client.post(f"/notifications/{notes[0].pk}/read/", also, headers={"HX-Request": "true"})
    assert row.status_code == 200 and 'data-testid="note-read"' not in row.content.decode()
    assert not Notification.objects.filter(recipient=trio.manager, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None  # someone else's notification is not touched
    unrelated = _note_about(trio, "无关")
    mixed = client.post(
        f"/notifications/{unrelated.pk}/read/", {"also": [str(notes[0].pk)]}, headers={"HX-Request": "true"}
    )
    assert mixed.status_code == 200 and f'id="note-{unrelated.pk}"' in mixed.content.decode()


def _note_about(trio: Trio, title: str) -> Notification:
    [note] = services.notify(
        recipients=[trio.manager], kind="k", title=title, body="", subject=trio.team, actor=None
    )
    return note


def test_a_record_without_its_company_in_its_name_is_named_with_its_customer(trio: Trio) -> None:
    from salesflow.customers import services as customers
    from salesflow.pipeline import services as pipeline

    customer = customers.customer_create(name="海口第二中医院", actor=trio.owner, owner=trio.owner)
    deal = pipeline.opportunity_create(
        customer=customer, title="关节置换耗材", actor=trio.owner, owner=trio.owner
    )
    task = services.task_create(assignee=trio.owner, title="回访", subject=deal, created_by_rule="r")
    [row] = selectors.inbox_items(trio.manager, tasks=[task])
    assert (row.record, row.phone, row.person) == ("关节置换耗材（海口第二中医院）", "", "owner")
    assert row.url == f"/opportunities/{deal.pk}/"
    assert row.reassign_lead is None  # only leads have a reassign service
