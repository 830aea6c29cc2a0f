"""The SLA of an approval step: a reminder to the approver, then an escalation to their manager,
counted in working hours on the company calendar and fired by the sweeper."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from salesflow.approvals import services
from salesflow.approvals.choices import StepState
from salesflow.approvals.tests.helpers import Cast, opportunity, start
from salesflow.notify.models import Notification, Task
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _steps(fired: list[sweeper.FiredStep]) -> list[sweeper.FiredStep]:
    """The fired rungs of approval steps (the customers made for the test run their own timers)."""
    return [f for f in fired if f.subject_type == "approvals.approvalstep"]


def test_an_unanswered_step_reminds_the_approver_then_escalates_to_their_manager_after_the_weekend(
    people: Cast,
) -> None:
    trio = people.trio
    friday_afternoon = datetime(2026, 12, 11, 16, 0, tzinfo=SHANGHAI)
    request = start(opportunity(trio.owner), trio.owner, now=friday_afternoon)
    step = request.steps.get(state=StepState.OPEN)
    deadlines = list(Deadline.objects.filter(subject_type="approvals.approvalstep", subject_id=step.pk))
    assert [d.step_name for d in deadlines] == ["审批提醒", "审批超时升级"]
    # Working hours: neither rung falls due over the weekend.
    assert all(d.due_at.astimezone(SHANGHAI).weekday() < 5 for d in deadlines)
    saturday = datetime(2026, 12, 12, 12, 0, tzinfo=SHANGHAI)
    assert _steps(sweeper.sweep(now=saturday, worker_id="t")) == []
    reminder, escalation = deadlines
    assert reminder.due_at > saturday

    sweeper.sweep(now=reminder.due_at, worker_id="t")
    assert Notification.objects.filter(recipient=trio.manager, kind="approval.reminder").count() == 1
    assert not Task.objects.filter(assignee=trio.director).exists()

    sweeper.sweep(now=escalation.due_at + timedelta(minutes=1), worker_id="t")
    escalated = Task.objects.get(assignee=trio.director)
    assert "审批超时" in escalated.title
    # Each rung fired once.
    sweeper.sweep(now=escalation.due_at + timedelta(days=3), worker_id="t")
    assert Task.objects.filter(assignee=trio.director).count() == 1


def test_deciding_the_step_stops_its_timers_and_the_next_step_starts_its_own(people: Cast) -> None:
    trio = people.trio
    monday = datetime(2026, 12, 14, 10, 0, tzinfo=SHANGHAI)
    request = start(opportunity(trio.owner), trio.owner, now=monday)
    first = request.steps.get(state=StepState.OPEN)
    services.approval_approve(step=first, actor=trio.manager, comment="同意", now=monday + timedelta(hours=1))
    assert set(
        Deadline.objects.filter(subject_type="approvals.approvalstep", subject_id=first.pk).values_list(
            "status", flat=True
        )
    ) == {Deadline.Status.CANCELLED}
    second = request.steps.get(state=StepState.OPEN)
    assert (
        Deadline.objects.filter(
            subject_type="approvals.approvalstep", subject_id=second.pk, status=Deadline.Status.PENDING
        ).count()
        == 2
    )
    fired = sweeper.sweep(now=monday + timedelta(days=7), worker_id="t")
    assert {f.subject_id for f in _steps(fired)} == {second.pk}
