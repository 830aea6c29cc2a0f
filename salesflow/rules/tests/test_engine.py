"""The engine: rules act in the event's transaction, gates refuse, SLA ladders fire once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from salesflow.core import clock
from salesflow.core.models import Event
from salesflow.core.testing import Trio
from salesflow.notify.models import Notification, Task
from salesflow.org import services as org
from salesflow.org.models import User
from salesflow.rules import engine, packs, services
from salesflow.rules.models import RuleFiring
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline


def _activate(mutator) -> None:
    document = packs.to_document(packs.load_default())
    mutator(document)
    services.pack_version_create(pack=packs.validate(document), actor=None, note="test")


def test_default_rule_notifies_manager_when_leave_is_recorded(trio: Trio) -> None:
    org.leave_add(
        user=trio.owner,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 2),
        reason="年假",
        actor=trio.owner,
    )
    notes = Notification.objects.filter(recipient=trio.manager, kind="org.leave")
    assert notes.count() == 1
    assert notes.get().title == "团队成员登记了休假"
    firing = RuleFiring.objects.get(rule_code="leave_notice_to_manager")
    assert firing.outcome == "acted" and firing.subject_id == trio.owner.pk
    assert not Notification.objects.filter(recipient=trio.teammate).exists()


def test_condition_false_skips_actions_but_logs(trio: Trio) -> None:
    def only_seniors(document: dict) -> None:
        rule = next(r for r in document["rules"] if r["code"] == "leave_notice_to_manager")
        rule["condition"] = {"field": "seniority", "op": "gte", "value": 3}

    _activate(only_seniors)
    org.leave_add(
        user=trio.owner,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 1),
        reason="",
        actor=trio.owner,
    )
    assert not Notification.objects.filter(kind="org.leave").exists()
    assert RuleFiring.objects.get(rule_code="leave_notice_to_manager").outcome == "skipped"


def test_gate_rule_refuses_the_action_and_nothing_is_written(trio: Trio) -> None:
    def gate(document: dict) -> None:
        document["rules"].append(
            {
                "code": "no_big_jumps",
                "name": "资历不能直接升到 5",
                "trigger": "user.updated",
                "subject": "user",
                "condition": {"field": "seniority", "op": "gte", "value": 5},
                "gate": True,
                "message": "资历等级最高只能逐级提升 — 请先升到 4 级。",
            }
        )

    _activate(gate)
    events_before = Event.objects.count()
    with pytest.raises(engine.GateRefused, match="逐级提升"):
        org.user_update(user=trio.owner, actor=trio.manager, seniority=5)
    trio.owner.refresh_from_db()
    assert trio.owner.seniority == 1
    assert Event.objects.count() == events_before
    org.user_update(user=trio.owner, actor=trio.manager, seniority=4)  # allowed
    trio.owner.refresh_from_db()
    assert trio.owner.seniority == 4


def _leave_ladder(document: dict) -> None:
    document["sla_policies"].append(
        {
            "code": "leave_handover",
            "name": "休假交接",
            "subject": "user",
            "start_events": ["user.leave_added"],
            "stop_events": ["user.skills_set"],
            "steps": [
                {
                    "name": "提醒主管",
                    "after": "3m",
                    "recipients": ["owner_manager"],
                    "actions": [{"type": "escalate", "params": {"title": "休假交接未完成"}}],
                },
                {
                    "name": "升级总监",
                    "after": "1h",
                    "recipients": ["owner_director"],
                    "actions": [
                        {
                            "type": "notify",
                            "params": {"title": "休假交接 1 小时未完成", "kind": "sla.escalated"},
                        }
                    ],
                },
            ],
        }
    )


def test_sla_ladder_fires_each_step_once_at_its_time(trio: Trio) -> None:
    _activate(_leave_ladder)
    start = clock.now()
    org.leave_add(
        user=trio.owner,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 1),
        reason="",
        actor=trio.owner,
        now=start,
    )
    deadlines = Deadline.objects.filter(policy="leave_handover").order_by("step")
    assert [d.due_at for d in deadlines] == [
        start + timedelta(minutes=3),
        start + timedelta(hours=1),
    ]

    sweeper.sweep(now=start + timedelta(minutes=2), worker_id="t")
    assert not Notification.objects.filter(kind="sla.escalated").exists()

    for _ in range(2):  # a second sweep at the same time fires nothing more
        sweeper.sweep(now=start + timedelta(minutes=4), worker_id="t")
    escalations = Notification.objects.filter(kind="sla.escalated")
    assert list(escalations.values_list("recipient__username", flat=True)) == ["mgr"]
    assert Task.objects.filter(assignee=trio.manager, title="休假交接未完成").count() == 1

    sweeper.sweep(now=start + timedelta(hours=2), worker_id="t")
    assert sorted(
        Notification.objects.filter(kind="sla.escalated").values_list("recipient__username", flat=True)
    ) == ["dir", "mgr"]
    assert RuleFiring.objects.filter(rule_code__startswith="sla:leave_handover").count() == 2


def test_stop_event_cancels_the_ladder(trio: Trio) -> None:
    _activate(_leave_ladder)
    start = clock.now()
    org.leave_add(
        user=trio.owner,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 1),
        reason="",
        actor=trio.owner,
        now=start,
    )
    org.user_set_skills(
        user=trio.owner,
        actor=trio.manager,
        product_lines=["joint"],
        customer_tiers=[],
        now=start + timedelta(minutes=1),
    )
    sweeper.sweep(now=start + timedelta(days=1), worker_id="t")
    assert not Notification.objects.filter(kind="sla.escalated").exists()
    assert set(Deadline.objects.filter(policy="leave_handover").values_list("status", flat=True)) == {
        "cancelled"
    }


def test_step_recipients_follow_the_pack_at_firing_time(trio: Trio) -> None:
    _activate(_leave_ladder)
    start = clock.now()
    org.leave_add(
        user=trio.owner,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 1),
        reason="",
        actor=trio.owner,
        now=start,
    )

    def to_admin(document: dict) -> None:
        _leave_ladder(document)
        document["sla_policies"][-1]["steps"][0]["recipients"] = ["role:ops_admin"]

    _activate(to_admin)
    with time_machine.travel(start + timedelta(minutes=5)):
        sweeper.sweep(now=clock.now(), worker_id="t")
    assert list(
        Notification.objects.filter(kind="sla.escalated").values_list("recipient__username", flat=True)
    ) == ["ops"]


def test_inactive_recipients_are_skipped(trio: Trio) -> None:
    org.user_update(user=trio.manager, actor=trio.admin, is_active=False)
    org.leave_add(
        user=trio.owner,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 1),
        reason="",
        actor=trio.owner,
    )
    assert not Notification.objects.filter(kind="org.leave").exists()
    assert User.objects.filter(is_active=False).count() == 1


def test_a_step_can_count_back_from_a_date_of_the_record(trio: Trio) -> None:
    def before_leave_ends(document: dict) -> None:
        document["sla_policies"].append(
            {
                "code": "before_joined_anniversary",
                "name": "入职周年前提醒",
                "subject": "user",
                "anchor_field": "date_joined",
                "start_events": ["user.skills_set"],
                "steps": [
                    {
                        "name": "前 3 天",
                        "before": "3d",
                        "recipients": ["owner_manager"],
                        "actions": [{"type": "notify", "params": {"title": "入职周年将至"}}],
                    }
                ],
            }
        )

    _activate(before_leave_ends)
    org.user_update(user=trio.owner, actor=trio.admin, seniority=2)
    trio.owner.refresh_from_db()
    org.user_set_skills(user=trio.owner, actor=trio.manager, product_lines=["joint"], customer_tiers=[])
    deadline = Deadline.objects.get(policy="before_joined_anniversary")
    assert deadline.due_at == trio.owner.date_joined - timedelta(days=3)


def test_before_needs_an_anchor_and_calendar_time() -> None:
    document = packs.to_document(packs.load_default())
    document["sla_policies"][0]["steps"][0] = {"name": "x", "before": "2wd", "recipients": []}
    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(document)
    assert err.value.errors == [
        "sla_policies[0].steps[0]: `before: 2wd`: count from the anchor in calendar time (m, h, d)"
    ]
    document["sla_policies"][0]["steps"][0] = {"name": "x", "past_anchor": "3wh", "recipients": []}
    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(document)
    assert err.value.errors == [
        "sla_policies[0].steps[0]: `past_anchor: 3wh`: count from the anchor in calendar time (m, h, d)"
    ]
    document["sla_policies"][0]["steps"][0] = {"name": "x", "before": "2d", "recipients": []}
    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(document)
    assert "need the policy's `anchor_field`" in err.value.errors[0]
