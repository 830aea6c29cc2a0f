"""Shared set-up of the review tests: the trio plus the COO (chair) and the GM (viewer), and
agenda items put on the monthly process review by the rule engine's service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import models

from salesflow.core.testing import Trio, make_user
from salesflow.customers import services as customers
from salesflow.customers.models import Customer
from salesflow.org import services as org
from salesflow.org.choices import Role, TeamKind
from salesflow.org.models import Team, User
from salesflow.pipeline import services as pipeline
from salesflow.pipeline.models import Opportunity
from salesflow.rules import services as rules
from salesflow.rules.models import AgendaItem

MEETING = "monthly_process_review"
# 2026-12-03 10:00 in Shanghai.
DECEMBER = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
LADDER_STEP = "sla:workorder_acknowledge/第三次超时 → 月度流程复盘会"
LADDER_LABEL = "工单 4 小时内响应 · 第三次超时 → 月度流程复盘会"


@dataclass
class Cast:
    """The trio, the COO who chairs the meeting, the GM who reads it, a rep of another region."""

    trio: Trio
    coo: User
    gm: User
    far_rep: User


def cast(trio: Trio) -> Cast:
    """The trio plus the company-wide roles and a rep outside the director's region."""
    company = Team.objects.get(kind=TeamKind.COMPANY)
    north = org.team_create(name="华北大区", kind=TeamKind.REGION, parent=company, actor=None)
    beijing = org.team_create(name="北京组", kind=TeamKind.TEAM, parent=north, actor=None)
    return Cast(
        trio=trio,
        coo=make_user("coo", Role.COO, company, None, display_name="运营总监甲"),
        gm=make_user("gm", Role.GM, company, None, display_name="总经理乙"),
        far_rep=make_user("far", Role.REP, beijing, None, display_name="北京销售"),
    )


def customer(owner: User, name: str = "复盘测试医院") -> Customer:
    """A customer of `owner`."""
    return customers.customer_create(name=name, actor=owner, owner=owner)


def opportunity(owner: User, title: str = "复盘测试商机") -> Opportunity:
    """An opportunity of `owner` on a new customer."""
    return pipeline.opportunity_create(
        customer=customer(owner, f"{title}医院"),
        title=title,
        pipeline="standard",
        owner=owner,
        actor=owner,
        amount="100000",
    )


def put_on_agenda(
    record: models.Model, *, reason: str = "三次超时未响应", at: datetime = DECEMBER, rule_code: str = ""
) -> AgendaItem:
    """What the ladder's last step does: the record goes on the monthly process review."""
    return rules.agenda_add(
        record=record,
        meeting=MEETING,
        reason=reason,
        rule_code=rule_code or LADDER_STEP,
        now=at,
    )
