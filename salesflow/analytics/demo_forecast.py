"""The forecast's part of the demo company (漏斗数字孪生): a year of deal flow and the targets.

The pipeline part plays a few dozen opportunities through the services; a forecast learns from
hundreds of finished stage stays per team. So this part adds, with bulk inserts, a steady flow
of opportunities of the reps over the last 12 months: each walks its pipeline's stages with a
team-specific chance to move on (else lost) after a gamma-distributed stay, and is won out of
the last stage. Walks finished by now are closed won or lost (their last stay ends at the
close); the rest are open in the stage they have reached, so the forecast and its backtest have
both history and a live pipeline. Every sales team also gets a target for each month of the
current quarter and the past year it has none for (about its average monthly signed amount,
stretched; this quarter's months more so, replacing a lower one), so the band has a target to
miss or make.

Milestones and signals: about a third of the open deals in the last two stages before the win
carry an `approval.approved` event (the pack's "审批已通过" milestone; the approvals app will
record it, the demo stands in for it), and the ops admin has entered one external signal
(集采政策公布 for the joint product line over the next two months).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Sum

from salesflow.analytics import forecast as fc
from salesflow.analytics import forecast_services
from salesflow.analytics.models import SalesTarget
from salesflow.core import clock
from salesflow.core.demo import DemoContext, demo_part
from salesflow.core.models import Event
from salesflow.customers.models import Customer
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity, StageVisit
from salesflow.rules.schema import StageTemplate
from salesflow.rules.selectors import active_pack

HISTORY_DAYS = 365
# The flow starts a year ago, so only its second half shows a steady month of wins.
STEADY_DAYS = 180
DEALS_PER_REP_PER_MONTH = 4
AMOUNTS = (80_000, 150_000, 250_000, 400_000, 600_000, 900_000)
AMOUNT_WEIGHTS = (0.25, 0.25, 0.2, 0.15, 0.1, 0.05)
ROUND_TO = Decimal("100000")
TITLES = ("设备采购项目", "耗材年度采购", "科室升级改造", "新院区设备配置", "信息化系统采购")
LOST_REASONS = ("price", "competitor", "budget_cut", "no_decision")


def _team_rates(rng: random.Random, stages: int) -> tuple[list[float], list[float]]:
    """A team's chance to move on out of each stage and mean stay (days) per stage."""
    skill = rng.uniform(-0.06, 0.06)
    advance = [min(0.95, max(0.35, rng.uniform(0.62, 0.82) + skill)) for _ in range(stages)]
    advance[-1] = 0.97  # out of the last stage (delivery and payment) nearly all are won
    dwell = [rng.uniform(3, 14) for _ in range(stages)]
    dwell[-1] = rng.uniform(1, 4)
    return advance, dwell


def _walk(
    rng: random.Random, created: datetime, advance: list[float], dwell: list[float]
) -> tuple[list[tuple[int, datetime, datetime]], bool]:
    """The stays (position, entered, exited) of one opportunity and whether it is won."""
    stays = []
    at = created
    for position, (chance, mean) in enumerate(zip(advance, dwell, strict=True)):
        stay = timedelta(days=rng.gammavariate(2.0, mean / 2.0) + 0.05)
        stays.append((position, at, at + stay))
        at += stay
        if rng.random() >= chance:
            return stays, False
    return stays, True


def _office_time(rng: random.Random, day: datetime) -> datetime:
    """A time within office hours on `day`'s local date."""
    local = clock.to_local(day)
    return datetime.combine(local.date(), time(9, 0), tzinfo=local.tzinfo) + timedelta(
        minutes=rng.randint(0, 8 * 60)
    )


@demo_part(order=64, label="预测历史")
def generate_forecast_history(ctx: DemoContext) -> None:
    """A year of opportunities per rep (bulk) and monthly targets for every sales team."""
    rng = random.Random(ctx.seed * 7 + 64)  # own stream: earlier parts keep theirs
    _number, pack = active_pack()
    templates = {t.code: t for t in pack.stage_templates if len(t.stages) >= 2}
    reps = list(User.objects.filter(role=Role.REP, is_active=True, team__isnull=False).order_by("pk"))
    if not reps or not templates:
        return
    now = ctx.now
    customers: dict[int, list[Customer]] = {}
    for customer in Customer.objects.filter(owner__in=reps).order_by("id"):
        assert customer.owner_id is not None
        customers.setdefault(customer.owner_id, []).append(customer)
    rates: dict[tuple[int, str], tuple[list[float], list[float]]] = {}
    opportunities: list[Opportunity] = []
    walks: list[tuple[StageTemplate, list[tuple[int, datetime, datetime]]]] = []
    start = now - timedelta(days=HISTORY_DAYS)
    for rep in reps:
        mine = customers.get(rep.pk)
        if not mine:
            continue
        count = DEALS_PER_REP_PER_MONTH * 12
        for n in range(count):
            template = templates["standard"] if "standard" in templates else next(iter(templates.values()))
            if "hospital_visit" in templates and rng.random() < 0.3:
                template = templates["hospital_visit"]
            assert rep.team_id is not None
            key = (rep.team_id, template.code)
            if key not in rates:
                rates[key] = _team_rates(rng, len(template.stages))
            advance, dwell = rates[key]
            created = _office_time(rng, start + timedelta(days=HISTORY_DAYS * (n + rng.random()) / count))
            if created >= now - timedelta(hours=2):
                continue
            stays, won = _walk(rng, created, advance, dwell)
            finished = stays[-1][2] <= now
            current = next((s for s in stays if s[2] > now), stays[-1])
            stays = [s for s in stays if s[1] < now]
            customer = mine[n % len(mine)]
            product_lines = ["joint"] if template.product_line == "joint" else []
            opportunities.append(
                Opportunity(
                    customer=customer,
                    title=f"{customer.name} · {rng.choice(TITLES)}",
                    amount=Decimal(rng.choices(AMOUNTS, AMOUNT_WEIGHTS)[0]),
                    expected_close=(current[2] + timedelta(days=rng.uniform(5, 30))).date(),
                    product_lines=product_lines,
                    pipeline=template.code,
                    stage=template.stages[current[0]].code,
                    stage_entered_at=current[1],
                    status=(OpportunityStatus.WON if won else OpportunityStatus.LOST)
                    if finished
                    else OpportunityStatus.OPEN,
                    owner=rep,
                    last_update_at=stays[-1][2] if finished else current[1],
                    lost_reason=rng.choice(LOST_REASONS) if finished and not won else "",
                    closed_at=stays[-1][2] if finished else None,
                    created_at=created,
                )
            )
            walks.append((template, stays))
    created_rows = Opportunity.objects.bulk_create(opportunities, batch_size=500)
    visits = []
    for opportunity, (template, stays) in zip(created_rows, walks, strict=True):
        for position, entered, exited in stays:
            visits.append(
                StageVisit(
                    opportunity=opportunity,
                    pipeline=template.code,
                    stage=template.stages[position].code,
                    entered_at=entered,
                    exited_at=exited if exited <= now else None,
                    exit_reason=f"closed:{opportunity.status}"
                    if exited <= now and (position, entered, exited) == stays[-1] and opportunity.closed_at
                    else "",
                    team_id=opportunity.owner.team_id if opportunity.owner else None,
                )
            )
    StageVisit.objects.bulk_create(visits, batch_size=1000)
    ctx.count("opportunities", len(created_rows))
    ctx.count("opportunities_won", sum(1 for o in created_rows if o.status == OpportunityStatus.WON))
    ctx.count("opportunities_lost", sum(1 for o in created_rows if o.status == OpportunityStatus.LOST))
    _milestones(rng, created_rows, templates, now)
    _targets(ctx, rng, now)
    admin = ctx.made.get("admin")
    if admin is not None:
        today = clock.to_local(now).date()
        forecast_services.signal_create(
            actor=admin,
            title="集采政策公布",
            product_line="joint",
            starts_on=today,
            ends_on=today + timedelta(days=60),
            multiplier=Decimal("0.8"),
            note="关节类带量采购价格下调，医院观望，赢单概率下调",
            now=now,
        )


def _milestones(
    rng: random.Random, rows: list[Opportunity], templates: dict[str, StageTemplate], now: datetime
) -> None:
    """`approval.approved` on about a third of the open deals in the two stages before the last."""
    events = []
    for o in rows:
        if o.status != OpportunityStatus.OPEN:
            continue
        codes = [s.code for s in templates[o.pipeline].stages]
        if o.stage in codes[-3:-1] and rng.random() < 0.35:
            events.append(
                Event(
                    name="approval.approved",
                    subject_type=Opportunity._meta.label_lower,
                    subject_id=o.pk,
                    actor=o.owner,
                    payload={"stage": o.stage},
                    occurred_at=min(now, o.stage_entered_at + timedelta(hours=rng.uniform(2, 48))),
                )
            )
    Event.objects.bulk_create(events)


def _targets(ctx: DemoContext, rng: random.Random, now: datetime) -> None:
    """Every sales team's target for this quarter's months and the past year's, where unset:
    its average monthly signed amount over the last half year, stretched, rounded to 10万."""
    managers: list[User] = ctx.made.get("managers", [])
    today = clock.to_local(now).date()
    q_first, q_last = fc.quarter_of(today)
    months: list[date] = []
    cursor = date(today.year - 1, today.month, 1)
    while cursor <= q_last:
        months.append(cursor)
        cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
    rows = []
    for manager in managers:
        if manager.team is None:
            continue
        won = Opportunity.objects.filter(
            status=OpportunityStatus.WON,
            owner__team__path__startswith=manager.team.path,
            closed_at__gte=now - timedelta(days=STEADY_DAYS),
        ).aggregate(amount=Sum("amount"))["amount"] or Decimal(0)
        monthly = won * 30 / STEADY_DAYS
        have = dict(SalesTarget.objects.filter(team=manager.team).values_list("month", "amount"))
        for month in months:
            current = month >= q_first
            stretch = Decimal(str(rng.choice([1.1, 1.2, 1.3, 1.4] if current else [1.05, 1.1, 1.15, 1.2])))
            amount = max(ROUND_TO * 5, (monthly * stretch / ROUND_TO).quantize(Decimal("1")) * ROUND_TO)
            if month in have:
                if current and have[month] < amount:
                    SalesTarget.objects.filter(team=manager.team, month=month).update(
                        amount=amount, updated_at=now
                    )
                continue
            rows.append(
                SalesTarget(
                    team=manager.team,
                    month=month,
                    amount=amount,
                    set_by=ctx.made.get("admin"),
                    updated_at=now,
                )
            )
    SalesTarget.objects.bulk_create(rows)
    ctx.count("sales_targets", len(rows))
