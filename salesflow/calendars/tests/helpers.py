"""A week of the trio's calendars, made through the services.

Now is Wednesday 2026-12-09 10:00 Asia/Shanghai (the week Mon 12-07 … Sun 12-13).

    owner      visit 仁和医院 Thu 12-10 14:00 (open) · visit 远方医院 2027-01-20 (outside the week)
               meeting on 仁和医院 Tue 12-08 15:00, 45 min · sent quote valid until Sat 12-12
               to-do due Fri 12-11 18:00 (open) · a done to-do due 12-11 (not shown)
               to-do due Mon 12-07 09:00 (open, late)
    teammate   visit 同组医院 Thu 12-10 09:00
    outsider   visit 外组医院 Thu 12-10 16:00
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from salesflow.activities import services as activities
from salesflow.core.testing import Trio
from salesflow.customers import services as customers
from salesflow.notify import services as notify
from salesflow.notify.models import Task
from salesflow.pipeline import services as pipeline
from salesflow.pipeline.models import Visit
from salesflow.quotes.models import Quote
from salesflow.quotes.tests import helpers as quote_helpers

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=SHANGHAI)
MONDAY = date(2026, 12, 7)


def at(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    """A local time."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class Week:
    """The records of the week (see the module docstring)."""

    visit: Visit
    far_visit: Visit
    teammate_visit: Visit
    outsider_visit: Visit
    quote: Quote
    task: Task
    late_task: Task
    done_task: Task


def _visit(trio: Trio, owner_name: str, customer: str, when: datetime) -> Visit:
    owner = getattr(trio, owner_name)
    made = customers.customer_create(name=customer, actor=None, owner=owner, address="上海市徐汇区")
    return pipeline.visit_create(
        customer=made, package="hospital_visit", actor=owner, planned_at=when, now=NOW
    )


def make_week(trio: Trio) -> Week:
    """The week's records (call with the clock at NOW)."""
    visit = _visit(trio, "owner", "仁和医院", at(10, 14))
    far = _visit(trio, "owner", "远方医院", at(20, 9, month=1, year=2027))
    teammate_visit = _visit(trio, "teammate", "同组医院", at(10, 9))
    outsider_visit = _visit(trio, "outsider", "外组医院", at(10, 16))
    activities.activity_log(
        kind="meeting",
        occurred_at=at(8, 15),
        actor=trio.owner,
        customer=visit.customer,
        duration_seconds=45 * 60,
        note="院长办公会",
        now=NOW,
    )
    _hip, screw = quote_helpers.products(trio)
    _customer, opportunity = quote_helpers.deal(trio, name="报价医院")
    made = quote_helpers.quote(opportunity, trio.owner, (screw, 2, 0), valid_until=date(2026, 12, 12))
    quote = quote_helpers.send(made, trio.owner)
    task = notify.task_create(assignee=trio.owner, title="回电仁和医院", due_at=at(11, 18), now=NOW)
    late = notify.task_create(assignee=trio.owner, title="补交周报", due_at=at(7, 9), now=NOW)
    done = notify.task_create(assignee=trio.owner, title="已办事项", due_at=at(11, 9), now=NOW)
    notify.task_complete(task=done, actor=trio.owner, now=NOW)
    return Week(
        visit=visit,
        far_visit=far,
        teammate_visit=teammate_visit,
        outsider_visit=outsider_visit,
        quote=quote,
        task=task,
        late_task=late,
        done_task=done,
    )
