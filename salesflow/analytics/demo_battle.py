"""The battle report's part of the demo company: this month's team targets and today's work.

Runs after the pipeline part and the process actions (order 62), so the wall says something on
first open: a few late-stage deals won today (between the start of the working day — midnight when the demo is
built before 9:00 — and now) through `opportunity_close`, today's calls and visits through
`activity_log`, and a target for this month on every sales team.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Sum

from salesflow.activities import services as activities
from salesflow.analytics import services
from salesflow.analytics.selectors import month_of
from salesflow.core import clock
from salesflow.core.demo import DemoContext, demo_part
from salesflow.customers.models import Customer
from salesflow.org.models import User
from salesflow.pipeline import services as pipeline
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity
from salesflow.rules.selectors import active_pack

# Targets are rounded to 10万 (how a sales director states them).
ROUND_TO = Decimal("100000")


@demo_part(order=62, label="今日战报")
def generate_battle_day(ctx: DemoContext) -> None:
    """Team targets for this month and deals won today."""
    rng = random.Random(ctx.seed * 7 + 62)  # own stream: earlier parts keep theirs
    managers: list[User] = ctx.made.get("managers", [])
    admin: User | None = ctx.made.get("admin")
    if not managers or admin is None:
        return
    now = ctx.now
    local = clock.to_local(now)
    first, _last = month_of(local.date())
    _number, pack = active_pack()
    late = {(t.code, s.code) for t in pack.stage_templates for s in t.stages[-2:]}

    # Wins today: from the working day's start (or midnight, before 9:00) up to a few minutes ago.
    day_start = datetime.combine(local.date(), time(9, 0), tzinfo=local.tzinfo)
    if day_start >= now - timedelta(minutes=30):
        day_start = datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)
    span = max(60, int((now - day_start).total_seconds()) - 300)
    for n, manager in enumerate(managers):
        open_ones = [
            o
            for o in Opportunity.objects.filter(
                status=OpportunityStatus.OPEN, owner__team=manager.team, owner__is_active=True
            )
            .select_related("owner")
            .order_by("id")
            if o.stage_entered_at < day_start
        ]
        candidates = [o for o in open_ones if (o.pipeline, o.stage) in late]
        # The first team (manager1, whom the demo suggests logging in as) always wins one today.
        wins = max(1, rng.choice([0, 1, 1, 2])) if n == 0 else rng.choice([0, 1, 1, 2])
        candidates = candidates or (open_ones[-1:] if n == 0 else [])
        for opportunity in rng.sample(candidates, min(len(candidates), wins)):
            assert opportunity.owner is not None
            when = day_start + timedelta(seconds=rng.randint(0, span))
            pipeline.opportunity_close(
                opportunity=opportunity, outcome="won", actor=opportunity.owner, now=when
            )
            ctx.count("opportunities_won")

    # Today's calls and visits: some reps busy, some at zero (the ranking shows both).
    reps: list[User] = ctx.made.get("reps", [])
    for rep in reps:
        mine = list(Customer.objects.filter(owner=rep).order_by("id")[:20])
        if not mine or not rep.is_active:
            continue
        for _n in range(rng.choice([0, 1, 2, 3, 4, 5, 6])):
            when = day_start + timedelta(seconds=rng.randint(0, span))
            kind = rng.choice(["call", "call", "visit", "meeting"])
            activities.activity_log(
                kind=kind,
                occurred_at=when,
                actor=rep,
                customer=rng.choice(mine),
                duration_seconds=rng.randint(90, 1200) if kind == "call" else 0,
                note="今日跟进（演示）",
                now=when,
            )
            ctx.count("activities")

    # This month's target per sales team: what it has won so far, stretched, at least ¥50 万.
    month_start = datetime.combine(first, time.min, tzinfo=local.tzinfo)
    for manager in managers:
        won = Opportunity.objects.filter(
            status=OpportunityStatus.WON, owner__team=manager.team, closed_at__gte=month_start
        ).aggregate(amount=Sum("amount"))["amount"] or Decimal("0")
        stretch = Decimal(rng.choice(["1.6", "2", "2.5", "3"]))
        amount = max(Decimal("500000"), (won * stretch / ROUND_TO).quantize(Decimal("1")) * ROUND_TO)
        services.target_set(actor=admin, month=first, amount=amount, team=manager.team, now=month_start)
        ctx.count("sales_targets")
