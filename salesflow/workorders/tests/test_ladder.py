"""The escalation ladder of an unacknowledged work order, swept on the working calendar:
first timeout → the handler's direct supervisor, second → supervisor with the COO in copy,
third → the monthly process-review agenda. Each step exactly once, logged with who was told."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from salesflow.notify.models import Notification, Task
from salesflow.rules import packs
from salesflow.rules import services as rules_services
from salesflow.rules.models import AgendaItem, RuleFiring
from salesflow.rules.selectors import active_pack, forget_active_pack
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline
from salesflow.workorders import selectors, services
from salesflow.workorders.tests.helpers import Cast, raise_custom

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY_17 = datetime(2026, 12, 11, 17, 0, tzinfo=SHANGHAI)


def _firings(order_id: int) -> list[RuleFiring]:
    return list(
        RuleFiring.objects.filter(subject_type="workorders.workorder", subject_id=order_id).order_by(
            "fired_at", "id"
        )
    )


def test_a_4_working_hour_sla_raised_friday_17_00_falls_due_on_monday(people: Cast) -> None:
    order = raise_custom(people, now=FRIDAY_17)
    due = {
        d.step: d.due_at.astimezone(SHANGHAI)
        for d in Deadline.objects.filter(subject_type="workorders.workorder", subject_id=order.pk)
    }
    # 09:00–18:00: one hour on Friday, three on Monday morning.
    assert due[0] == datetime(2026, 12, 14, 12, 0, tzinfo=SHANGHAI)
    assert due[1] == datetime(2026, 12, 14, 16, 0, tzinfo=SHANGHAI)
    assert due[2] == datetime(2026, 12, 15, 11, 0, tzinfo=SHANGHAI)
    # Nothing fires over the weekend.
    sweeper.sweep(now=datetime(2026, 12, 13, 23, 0, tzinfo=SHANGHAI), worker_id="t")
    assert _firings(order.pk) == []


def test_each_ladder_step_fires_once_telling_supervisor_then_coo_then_the_agenda(people: Cast) -> None:
    order = raise_custom(people, now=FRIDAY_17)
    # Two parties acknowledge; the sales party misses it, so the ladder climbs.
    services.workorder_acknowledge(order=order, actor=people.presales, now=FRIDAY_17 + timedelta(minutes=20))
    services.workorder_acknowledge(order=order, actor=people.delivery, now=FRIDAY_17 + timedelta(minutes=30))
    monday_12 = datetime(2026, 12, 14, 12, 0, tzinfo=SHANGHAI)

    sweeper.sweep(now=monday_12, worker_id="t")
    (first,) = _firings(order.pk)
    assert first.detail["recipients"] == ["presales_head"]  # the handler's direct supervisor
    assert Task.objects.filter(assignee=people.presales_head, subject_id=order.pk).count() == 1
    assert not Notification.objects.filter(recipient=people.coo, kind="sla.escalated").exists()
    sweeper.sweep(now=monday_12 + timedelta(minutes=30), worker_id="t")
    assert len(_firings(order.pk)) == 1  # not again

    sweeper.sweep(now=datetime(2026, 12, 14, 16, 0, tzinfo=SHANGHAI), worker_id="t")
    second = _firings(order.pk)[1]
    assert second.detail["recipients"] == ["presales_head", "coo"]
    coo_told = Notification.objects.filter(recipient=people.coo, kind="sla.escalated")
    assert coo_told.count() == 1 and "抄送 COO" in coo_told.get().title
    assert not AgendaItem.objects.exists()

    sweeper.sweep(now=datetime(2026, 12, 15, 11, 0, tzinfo=SHANGHAI), worker_id="t")
    third = _firings(order.pk)[2]
    assert third.detail["recipients"] == ["coo"]
    (item,) = AgendaItem.objects.all()
    assert (item.meeting, item.subject_type, item.subject_id) == (
        "monthly_process_review",
        "workorders.workorder",
        order.pk,
    )
    assert order.number in item.reason

    # Later sweeps fire nothing more; the order's page lists each step with who was told.
    sweeper.sweep(now=datetime(2026, 12, 20, 11, 0, tzinfo=SHANGHAI), worker_id="t")
    assert len(_firings(order.pk)) == 3 and AgendaItem.objects.count() == 1
    assert Task.objects.filter(assignee=people.presales_head, subject_id=order.pk).count() == 2
    steps = selectors.escalations_of(order)
    assert [s["told"] for s in steps] == [["售前主管"], ["售前主管", "运营总监"], ["运营总监"]]


def test_acknowledging_in_time_stops_the_ladder(people: Cast) -> None:
    order = raise_custom(people, now=FRIDAY_17)
    for who in (people.presales, people.delivery, people.trio.owner):
        services.workorder_acknowledge(order=order, actor=who, now=FRIDAY_17 + timedelta(minutes=10))
    sweeper.sweep(now=datetime(2026, 12, 20, 11, 0, tzinfo=SHANGHAI), worker_id="t")
    assert _firings(order.pk) == [] and not AgendaItem.objects.exists()


def test_a_new_type_added_through_the_pack_works_without_code(people: Cast) -> None:
    forget_active_pack()
    _number, pack = active_pack()
    document = packs.to_document(pack)
    document["sla_policies"].append(
        {
            "code": "sample_ship",
            "name": "样品 1 个工作日内寄出",
            "purpose": "workorder_response",
            "subject": "workorder",
            "start_events": ["workorder.sample_request_created"],
            "stop_events": ["workorder.sample_sent", "workorder.closed"],
            "steps": [
                {
                    "name": "样品超时",
                    "after": "1wd",
                    "recipients": ["owner_manager"],
                    "actions": [{"type": "escalate", "params": {"title": "样品未寄出：{name}"}}],
                }
            ],
        }
    )
    document["workorder_types"].append(
        {
            "code": "sample_request",
            "name": "样品申请",
            "department": "delivery",
            "handler_roles": ["delivery"],
            "sla_policies": ["sample_ship"],
            "form": [
                {"key": "quantity", "label": "数量", "type": "number", "required": True},
                {"key": "segment", "label": "科室类型", "type": "choice", "dictionary": "industry_segment"},
            ],
            "states": [
                {"code": "asked", "name": "已申请"},
                {"code": "sent", "name": "样品已寄出", "proof": ["note"], "event": "sample_sent"},
                {"code": "received", "name": "客户已签收", "proof": ["screenshot"]},
            ],
            "parties": [{"code": "delivery", "name": "交付", "who": "role:delivery"}],
        }
    )
    rules_services.pack_import(text=packs.to_yaml(document), actor=None, note="new type")
    forget_active_pack()

    order = services.workorder_raise(
        actor=people.trio.owner,
        type_code="sample_request",
        customer=people.customer,
        title="样品 3 套",
        form_values={"quantity": "3", "segment": "clinic"},
        now=FRIDAY_17,
    )
    assert order.department == "delivery" and order.assignee == people.delivery
    pending = Deadline.objects.filter(
        subject_type="workorders.workorder", subject_id=order.pk, status="pending"
    )
    assert set(pending.values_list("policy", flat=True)) == {"workorder_acknowledge", "sample_ship"}
    assert [r["value"] for r in selectors.form_rows(order)] == ["3", "诊所"]
    services.workorder_advance(order=order, actor=people.delivery, to_state="sent", note="顺丰 SF123")
    assert not pending.filter(policy="sample_ship").exists()
    sweeper.sweep(now=datetime(2026, 12, 14, 18, 0, tzinfo=SHANGHAI), worker_id="t")
    assert not RuleFiring.objects.filter(rule_code__startswith="sla:sample_ship").exists()
