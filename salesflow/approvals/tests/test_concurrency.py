"""Two finance people approving one step at the same moment on PostgreSQL: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from salesflow.approvals import services
from salesflow.approvals.choices import StepState
from salesflow.approvals.models import ApprovalStep
from salesflow.approvals.tests.helpers import Cast, opportunity, start
from salesflow.core import events
from salesflow.core.errors import Conflict


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_exactly_one_wins(people: Cast) -> None:
    trio = people.trio
    subject = opportunity(trio.owner)
    request = start(subject, trio.owner)
    services.approval_approve(
        step=request.steps.get(state=StepState.OPEN), actor=trio.manager, comment="同意"
    )
    finance_step = request.steps.get(state=StepState.OPEN)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def approve(user_id: int, name: str) -> None:
        from salesflow.org.models import User

        try:
            user = User.objects.get(pk=user_id)
            step = ApprovalStep.objects.get(pk=finance_step.pk)
            barrier.wait()
            services.approval_approve(step=step, actor=user, comment=f"{name} 同意")
            outcomes[name] = "won"
        except Conflict as exc:
            outcomes[name] = exc.message
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=approve, args=(u.pk, u.username)) for u in (people.finance, people.finance2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 2 and list(outcomes.values()).count("won") == 1
    loser = next(v for v in outcomes.values() if v != "won")
    assert "已由他人处理" in loser
    finance_step.refresh_from_db()
    winner = next(name for name, v in outcomes.items() if v == "won")
    assert finance_step.state == StepState.APPROVED and finance_step.acted_by is not None
    assert finance_step.acted_by.username == winner
    decided = [e for e in events.events_for(subject) if e.name == "approval.step_decided"]
    assert len(decided) == 2  # the manager's and one finance decision, never two
