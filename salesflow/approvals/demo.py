"""Demo approvals: requests through a chain for given subjects, left at a chosen step.

The lead's demo calls `create_requests` once the subject kind exists (e.g. special quotes
pending for manager1, finance1 and gm). It goes through the services, so the events, SLA
timers and notifications are those of real use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import models

from salesflow.approvals import services
from salesflow.approvals.choices import StepState
from salesflow.approvals.models import ApprovalRequest
from salesflow.org.models import User

Outcome = Literal["pending", "approved", "rejected", "returned", "withdrawn"]
DEMO_COMMENTS = {
    "approve": "同意，请注意回款节点。",
    "reject": "折扣超出授权范围，不同意。",
    "return": "请补充竞品对比表后重新提交。",
    "withdraw": "客户调整需求，撤回重报。",
}


@dataclass
class DemoItem:
    """One subject to put through the chain: who asks, the facts, and how far it gets.

    `approvals` steps are approved (by each step's first approver) before `outcome` applies:
    pending leaves it waiting at the next step, rejected / returned decide that next step.
    """

    subject: models.Model
    requester: User
    facts: dict[str, Any]
    summary: str = ""
    approvals: int = 0
    outcome: Outcome = "pending"
    comments: dict[str, str] = field(default_factory=dict)


def create_requests(*, chain_code: str, items: list[DemoItem], now: datetime) -> list[ApprovalRequest]:
    """Start one request per item through `chain_code` and decide its steps as the item says."""
    made = []
    for index, item in enumerate(items):
        at = now - timedelta(hours=2 * (len(items) - index))
        comments = {**DEMO_COMMENTS, **item.comments}
        request = services.approval_request_start(
            subject=item.subject,
            chain_code=chain_code,
            requester=item.requester,
            facts=item.facts,
            summary=item.summary,
            now=at,
        )
        for n in range(item.approvals):
            step = request.steps.filter(state=StepState.OPEN).first()
            if step is None:
                break
            services.approval_approve(
                step=step,
                actor=step.candidates.order_by("pk").first() or item.requester,
                comment=comments["approve"],
                now=at + timedelta(minutes=20 * (n + 1)),
            )
        step = request.steps.filter(state=StepState.OPEN).first()
        later = at + timedelta(hours=1)
        if item.outcome == "withdrawn" and step is not None:
            services.approval_withdraw(
                request=request, actor=item.requester, comment=comments["withdraw"], now=later
            )
        elif item.outcome in ("rejected", "returned") and step is not None:
            decide = services.approval_reject if item.outcome == "rejected" else services.approval_return
            approver = step.candidates.order_by("pk").first()
            if approver is not None:
                key = "reject" if item.outcome == "rejected" else "return"
                decide(step=step, actor=approver, comment=comments[key], now=later)
        request.refresh_from_db()
        made.append(request)
    return made
