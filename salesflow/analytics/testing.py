"""A small hand-computed history for the cockpit's tests: November 2026, pipeline `standard`.

Stays in days (stage order: lead_registered, first_contact, needs_confirmed, proposal_quote …):

    A  owner     Nov 1 created   lead 2d → first 4d → needs 1d → proposal 10d → won Nov 18, ¥100,000
    B  owner     Nov 2           lead 3d → first 5d → lost Nov 10, ¥50,000
    C  owner     Oct 20          lead Oct 20–25 → first Oct 25–Nov 4 (10d) → needs (open)
    I  owner     Sep 1           lead Sep 1 → won Oct 15 (outside the period), ¥999,999
    D  teammate  Nov 10          lead 1d → first 9d → won Nov 20, ¥200,000
    H  teammate  Nov 12          lead 8d → first (open)
    E  outsider  Nov 5           lead 6d → first (open)
    J  (pool)    Nov 6           lead (open)

Every time is 10:00 Asia/Shanghai. A is the only deal of product line `joint`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from salesflow.core.testing import Trio
from salesflow.customers import services as customers
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity, StageVisit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A local time in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def deal(
    owner: User | None,
    title: str,
    *,
    created: datetime,
    stays: list[tuple[str, datetime, datetime | None]],
    status: str = "open",
    amount: str = "0",
    product_lines: list[str] | None = None,
) -> Opportunity:
    """An opportunity with its stage history written as given (the last stay is the current
    stage; a closed deal's last stay ends at its closing)."""
    customer = customers.customer_create(name=f"{title}医院", actor=None, owner=owner)
    last_stage, last_entered, last_exit = stays[-1]
    opportunity = Opportunity.objects.create(
        customer=customer,
        title=title,
        amount=Decimal(amount),
        product_lines=product_lines or [],
        pipeline="standard",
        stage=last_stage,
        stage_entered_at=last_entered,
        status=status,
        owner=owner,
        closed_at=last_exit if status != "open" else None,
        created_at=created,
    )
    for stage, entered, exited in stays:
        StageVisit.objects.create(
            opportunity=opportunity,
            pipeline="standard",
            stage=stage,
            entered_at=entered,
            exited_at=exited,
            team=owner.team if owner else None,
        )
    return opportunity


@dataclass
class November:
    """The deals of the hand-computed history, by letter."""

    a: Opportunity
    b: Opportunity
    c: Opportunity
    d: Opportunity
    e: Opportunity
    h: Opportunity
    i: Opportunity
    j: Opportunity


def make_november(trio: Trio) -> November:
    """Write the history described in this module's docstring."""
    return November(
        a=deal(
            trio.owner,
            "A",
            created=at(11, 1),
            stays=[
                ("lead_registered", at(11, 1), at(11, 3)),
                ("first_contact", at(11, 3), at(11, 7)),
                ("needs_confirmed", at(11, 7), at(11, 8)),
                ("proposal_quote", at(11, 8), at(11, 18)),
            ],
            status="won",
            amount="100000",
            product_lines=["joint"],
        ),
        b=deal(
            trio.owner,
            "B",
            created=at(11, 2),
            stays=[("lead_registered", at(11, 2), at(11, 5)), ("first_contact", at(11, 5), at(11, 10))],
            status="lost",
            amount="50000",
        ),
        c=deal(
            trio.owner,
            "C",
            created=at(10, 20),
            stays=[
                ("lead_registered", at(10, 20), at(10, 25)),
                ("first_contact", at(10, 25), at(11, 4)),
                ("needs_confirmed", at(11, 4), None),
            ],
            amount="70000",
        ),
        i=deal(
            trio.owner,
            "I",
            created=at(9, 1),
            stays=[("lead_registered", at(9, 1), at(10, 15))],
            status="won",
            amount="999999",
        ),
        d=deal(
            trio.teammate,
            "D",
            created=at(11, 10),
            stays=[("lead_registered", at(11, 10), at(11, 11)), ("first_contact", at(11, 11), at(11, 20))],
            status="won",
            amount="200000",
        ),
        h=deal(
            trio.teammate,
            "H",
            created=at(11, 12),
            stays=[("lead_registered", at(11, 12), at(11, 20)), ("first_contact", at(11, 20), None)],
            amount="80000",
        ),
        e=deal(
            trio.outsider,
            "E",
            created=at(11, 5),
            stays=[("lead_registered", at(11, 5), at(11, 11)), ("first_contact", at(11, 11), None)],
            amount="30000",
        ),
        j=deal(None, "J", created=at(11, 6), stays=[("lead_registered", at(11, 6), None)], amount="10000"),
    )


NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30", "pipeline": "standard"}
