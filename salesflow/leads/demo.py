"""The leads part of the demo company: website and expo forms, months of intake with real SLAs."""

from __future__ import annotations

from datetime import datetime, timedelta

from salesflow.activities import services as activities
from salesflow.core.demo import DemoContext, demo_part
from salesflow.leads import services
from salesflow.leads.models import Lead
from salesflow.org import services as org
from salesflow.org.choices import TeamKind
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline

SEGMENTS = ["hospital_public", "hospital_public", "hospital_private", "clinic", "distributor"]
TIERS = ["tier3a", "tier2a", "private"]
PRODUCT_LINES = ["joint", "spine", "trauma", "sports"]
STAGES = ["researching", "evaluating", "budget_approved", "tendering"]
SOURCES = ["website", "baidu", "wechat", "expo", "referral"]
HOSPITAL_SUFFIXES = ["人民医院", "中医院", "第一人民医院", "骨科医院", "妇幼保健院", "医疗器械有限公司"]


@demo_part(order=30, label="线索")
def generate_leads(ctx: DemoContext) -> None:
    """Leads arriving over `--months`, assigned by the pack, answered (or not) by their reps."""
    fake, rng = ctx.faker, ctx.rng
    admin = ctx.made["admin"]
    start = ctx.now - timedelta(days=30 * ctx.months)
    website = services.form_create(name="官网咨询表单", actor=admin, default_source="website", now=start)
    company = admin.team
    marketing = org.team_create(
        name="市场部（展会名片）", kind=TeamKind.TEAM, parent=company, actor=admin, now=start
    )
    expo = services.form_create(
        name="展会名片录入", code="expo", actor=admin, default_source="expo", team=marketing, now=start
    )
    ctx.count("intake_forms", 2)
    total = ctx.reps * ctx.months  # about one web enquiry per rep per month
    arrivals = sorted(
        start + timedelta(minutes=rng.randint(0, 30 * ctx.months * 24 * 60)) for _ in range(total)
    )
    for i, at in enumerate(arrivals):
        # Time moves forward: fire the SLA steps that fell due before this arrival.
        _catch_up(at)
        form = expo if rng.random() < 0.05 else website
        city = fake.city_name()
        data = {
            "name": fake.name(),
            "phone": fake.phone_number(),
            "company": city
            + rng.choice(["", "第一", "第二", "市", "区", "中心"])
            + rng.choice(HOSPITAL_SUFFIXES),
            "title": rng.choice(["科主任", "采购", "设备科长", "院长助理"]),
            "industry_segment": rng.choice(SEGMENTS),
            "customer_tier": rng.choice(TIERS),
            "product_line": rng.choice(PRODUCT_LINES),
            "buying_stage": rng.choice(STAGES),
            "budget": str(rng.choice([50, 120, 300, 480, 960]) * 1000),
            "source": rng.choice(SOURCES),
            "message": rng.choice(
                ["请发一份报价", "想了解脊柱类新品", "需要跟台培训", "", "设备科招标前咨询"]
            ),
        }
        lead, merged = services.intake_submit(form=form, data=data, client=f"demo-{i}", now=at)
        if lead is None or merged or lead.owner is None:
            continue
        ctx.count("leads")
        _respond(ctx, lead, at)
    sweeper.sweep(now=ctx.now, worker_id="demo")


def _catch_up(now: datetime) -> None:
    """Sweep the SLA steps due by `now`. Most instants have none, and one indexed look-up is a
    third of the statements of an empty sweep (its savepoint and claim query)."""
    if Deadline.objects.filter(status=Deadline.Status.PENDING, due_at__lte=now).exists():
        sweeper.sweep(now=now, worker_id="demo")


def _respond(ctx: DemoContext, lead: Lead, at: object) -> None:
    """Most reps open and call quickly; some late; a few never (red lights)."""
    rng = ctx.rng
    assert lead.owner is not None and lead.assigned_at is not None
    roll = rng.random()
    if roll < 0.08:
        return  # never answered: it will show red
    opened = lead.assigned_at + timedelta(minutes=rng.choice([1, 1, 2, 2, 3, 5, 8]))
    if opened > ctx.now:
        return
    _catch_up(opened)
    services.lead_acknowledge(lead=lead, actor=lead.owner, now=opened)
    called = opened + timedelta(minutes=rng.choice([3, 5, 8, 12, 20, 45, 120]))
    if called > ctx.now:
        return
    _catch_up(called)
    activities.activity_log(
        lead=lead,
        kind="call",
        occurred_at=called,
        actor=lead.owner,
        duration_seconds=rng.choice([30, 90, 180, 300]),
        note="电话沟通需求",
        now=called,
    )
    ctx.count("activities")
