"""Demo: a few visits and to-dos in the coming days, so every rep's 日历 has a week to read.

The other parts plan visits only around their own timeline (most are in the past), and rules'
to-dos mostly have no due time; without this the calendar of a demo rep would be nearly empty.
Runs last, with its own randomness, so the other parts' records and numbers stay as they were.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from salesflow.core import clock
from salesflow.core.demo import DemoContext, demo_part
from salesflow.customers.models import Customer
from salesflow.notify import services as notify
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline import services as pipeline
from salesflow.pipeline.choices import OpportunityStatus

# Slots a rep plans visits in (local time), and how far ahead (working days).
SLOTS = (time(9, 30), time(14, 0), time(16, 0))
DAYS_AHEAD = 10
DEMO_TASK_TITLES = ("准备{name}的报价材料", "回访{name}采购科", "整理{name}拜访纪要")


def _working_days(start: datetime, count: int) -> list[datetime]:
    days: list[datetime] = []
    local = clock.to_local(start)
    day = local.date()
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(datetime.combine(day, time.min, tzinfo=clock.local_zone()))
    return days


@demo_part(order=95, label="日历")
def plan_the_coming_days(ctx: DemoContext) -> None:
    """Each rep: three visits to their customers over the next working days, and two to-dos."""
    rng = random.Random(ctx.seed * 7 + 95)
    days = _working_days(ctx.now, DAYS_AHEAD)
    reps = User.objects.filter(role=Role.REP, is_active=True).order_by("pk")
    for rep in reps:
        customers = list(Customer.objects.filter(owner=rep).order_by("pk")[:20])
        if not customers:
            continue
        for customer in rng.sample(customers, k=min(3, len(customers))):
            day = rng.choice(days)
            slot = rng.choice(SLOTS)
            opportunity = customer.opportunities.filter(status=OpportunityStatus.OPEN).order_by("pk").first()
            pipeline.visit_create(
                customer=customer,
                package="hospital_visit",
                actor=rep,
                opportunity=opportunity,
                planned_at=datetime.combine(day.date(), slot, tzinfo=clock.local_zone()),
                address=customer.address,
                now=ctx.now,
            )
            ctx.count("visits")
        for template in rng.sample(DEMO_TASK_TITLES, k=2):
            customer = rng.choice(customers)
            due = datetime.combine(rng.choice(days[:5]).date(), time(17, 30), tzinfo=clock.local_zone())
            notify.task_create(
                assignee=rep,
                title=template.format(name=customer.name),
                subject=customer,
                due_at=due,
                now=ctx.now,
            )
            ctx.count("calendar_todos")
