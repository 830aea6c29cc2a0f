"""Demo 月度流程复盘: agenda items for last month and this month, the older ones discussed and decided.

The shipped pack puts only work orders on the agenda (their third timeout); until work orders
exist, the demo company's agenda holds what the same `add_to_agenda` step on the other ladders
would have put there — a lead nobody contacted, a customer back in the pool, a deal stuck in the
circuit breaker, a quote without feedback — written through the rule engine's own service, and
the COO's discussion and decisions through the review's services.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models

from salesflow.core import clock
from salesflow.core.demo import DemoContext, demo_part
from salesflow.customers.models import Customer
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity
from salesflow.quotes.models import Quote
from salesflow.reviews import selectors, services
from salesflow.rules import services as rules

MEETING = "monthly_process_review"
# (model, ladder step that would have put it there, reason)
# (model, ladder step that would have put it there, reason, decisions the meeting took on such items)
KINDS: list[tuple[type[models.Model], str, str, tuple[str, str]]] = [
    (
        Lead,
        "sla:lead_first_contact/首次联系超时",
        "线索三次超时未首次联系",
        ("线索分配改为就近团队优先，运营每周核对未联系清单。", "主管本周内补打电话，并检查代接班安排。"),
    ),
    (
        Customer,
        "sla:customer_commitment/第 7 天退回客户池",
        "承诺客户 7 天无跟进，第三次退回客户池",
        ("客户释放前由主管复核一次，避免反复认领。", "主管本周内陪同回访，周五前在系统中补齐拜访证据。"),
    ),
    (
        Opportunity,
        "sla:tech_solution_breaker/超过 5 个工作日熔断",
        "技术方案超过 5 个工作日未出，第三次熔断",
        ("售前与交付建立每周方案评审，超时的方案由总监直接协调。", "售前负责人两天内给出方案初稿。"),
    ),
    (
        Quote,
        "sla:quote_follow_up/72 小时无反馈",
        "报价发出 72 小时无客户反馈，第三次提醒无果",
        ("报价后 48 小时内电话确认客户收到，纳入个人周报检查。", "主管与客户采购约一次当面沟通。"),
    ),
]


def _owned(model: type[models.Model], n: int) -> list[models.Model]:
    """Up to `n` records of `model` that have an owner (so a team and a manager to own the decision)."""
    return list(
        model._default_manager.filter(owner__isnull=False).select_related("owner").order_by("pk")[: n * 7 : 7]
    )


def _decision_owner(record: models.Model, fallback: User) -> User:
    owner = getattr(record, "owner", None)
    manager = getattr(owner, "manager", None)
    return manager or owner or fallback


@demo_part(order=58, label="月度流程复盘")
def demo_reviews(ctx: DemoContext) -> None:
    """Last month's agenda discussed and mostly decided; this month's partly discussed."""
    coo = User.objects.filter(role="coo").order_by("pk").first()
    if coo is None:
        return
    this_month = selectors.current_month(ctx.now)
    last_month = selectors.previous_month(this_month)
    month_start = clock.local_midnight(this_month)
    last_start = clock.local_midnight(last_month)
    days_this = max((ctx.now - month_start).days, 1)
    made = 0
    for k, (model, rule_code, reason, decisions) in enumerate(KINDS):
        for i, record in enumerate(_owned(model, 3)):
            # The first of each kind is this month's (so every kind is on it), the others last month's.
            older = i > 0
            at: datetime = (
                last_start + timedelta(days=3 + 7 * (i - 1) + k, hours=2 + k)
                if older
                else month_start + timedelta(days=min(k, days_this - 1), hours=1 + k)
            )
            if at >= ctx.now:
                at = ctx.now - timedelta(hours=1 + k)
            item = rules.agenda_add(
                record=record, meeting=MEETING, reason=reason, rule_code=rule_code, now=at
            )
            made += 1
            meeting_day = (last_start if older else month_start) + timedelta(days=25 if older else 0, hours=8)
            if older:
                meeting_day = min(meeting_day, clock.local_midnight(this_month) - timedelta(hours=14))
                if (i + k) % 4 == 3:
                    services.agenda_item_discuss(item=item, actor=coo, now=meeting_day)
                else:
                    services.agenda_item_decide(
                        item=item,
                        decision=decisions[i % 2],
                        owner=_decision_owner(record, coo),
                        actor=coo,
                        now=meeting_day,
                    )
            elif k == 0:
                # This month's meeting has begun: one item discussed, one decided.
                discussed_at = max(at + timedelta(hours=1), ctx.now - timedelta(hours=2))
                services.agenda_item_discuss(item=item, actor=coo, now=min(discussed_at, ctx.now))
            elif k == 1:
                services.agenda_item_decide(
                    item=item,
                    decision=decisions[1],
                    owner=_decision_owner(record, coo),
                    actor=coo,
                    now=min(at + timedelta(hours=1), ctx.now),
                )
    ctx.count("agenda_items", made)
