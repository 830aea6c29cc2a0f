"""The customers part of the demo company: hospitals, distributors and factories with history.

About 400 customers for 48 reps (scaled with `--reps`), spread over the three regions, each
with contacts and `--months` of orders. Everything goes through the services in time order,
with the SLA sweeper run as time moves (as the leads part does), so the 7-day commitment
rule really warns and releases: an owned customer stays owned only because its rep keeps
logging effective interactions, and the pool holds customers nobody claimed, customers
released by hand and customers the rule took back. Some demo leads convert, which opens
opportunities. Health scores are brought up to date by one nightly pass at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from salesflow.activities import services as activities
from salesflow.core import clock, normalize
from salesflow.core.demo import DemoContext, demo_part
from salesflow.core.errors import DomainError
from salesflow.customers import services
from salesflow.customers.models import Customer
from salesflow.leads.choices import LeadStatus
from salesflow.leads.models import Lead
from salesflow.org.choices import TeamKind
from salesflow.org.models import Team, User
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline
from salesflow.workflows import services as workflows

CUSTOMERS_PER_REP = 400 / 48
OWNED_SHARE = 0.6  # the rest is the pool (客户资源池)

# Cities per region, in the order org/demo.py creates the regions (华东, 华南, 华北).
REGION_CITIES = [
    ["杭州", "宁波", "温州", "绍兴", "上海", "南京", "苏州", "无锡", "合肥", "嘉兴"],
    ["广州", "深圳", "佛山", "东莞", "珠海", "汕头", "南宁", "厦门", "福州", "湛江"],
    ["北京", "天津", "石家庄", "保定", "唐山", "太原", "济南", "青岛", "烟台", "呼和浩特"],
]
# Medical schools whose affiliated hospitals stand in each region (names invented from them).
UNIVERSITIES = [
    ["浙江大学医学院", "复旦大学上海医学院", "南京医科大学"],
    ["中山大学", "南方医科大学", "广州医科大学"],
    ["北京大学医学部", "首都医科大学", "山东第一医科大学"],
]
AFFILIATED = ["第一", "第二", "第三", "邵逸夫", "瑞金", "华山", "仁济", "同仁", "口腔", "儿童"]
PUBLIC_HOSPITALS = ["市第一人民医院", "市第二人民医院", "市人民医院", "市中医院", "市中心医院", "市骨科医院"]
PRIVATE_HOSPITALS = ["骨科医院", "康复医院", "运动医学诊所", "骨伤医院", "仁爱医院", "博爱医院"]
BRANDS = ["康健", "瑞康", "华信", "联众", "恒泰", "佳和", "普济", "德润", "安泰", "百盛", "国械", "迈达"]
DISTRIBUTOR_SUFFIXES = ["医疗器械有限公司", "医疗科技有限公司", "医药器械贸易有限公司"]
FACTORY_SUFFIXES = ["精密制造有限公司", "医用材料有限公司", "生物材料科技有限公司"]
ADDRESS_ROADS = ["解放路", "人民路", "中山路", "建设路", "文化路", "学院路", "长江路", "滨江大道"]

HOSPITAL_TITLES = ["骨科主任", "关节外科主任", "脊柱外科副主任", "设备科科长", "采购中心主任", "手术室护士长"]
COMPANY_TITLES = ["总经理", "采购经理", "销售总监", "商务专员", "质量部经理"]
MODELS = {
    "joint": ["TKA-3 膝关节假体", "THA-2 髋关节假体", "UKA-1 单髁膝关节", "骨水泥 BC-40"],
    "spine": ["PLF-5 椎弓根螺钉系统", "CP-2 颈椎前路钢板", "PEEK-C 椎间融合器", "PVP-1 椎体成形套件"],
    "trauma": ["LCP-4 锁定加压钢板", "IMN-3 髓内钉", "CS-6.5 空心螺钉", "EF-2 外固定支架"],
    "sports": ["SA-5 带线锚钉", "AS-4 关节镜刨削刀头", "MR-2 半月板缝合器", "ACL-1 韧带重建套件"],
}
PAYMENT_TERMS = [
    "月结 60 天",
    "月结 90 天",
    "月结 30 天",
    "款到发货",
    "货到 30 天付款",
    "预付 30%，余款月结 60 天",
]
RELEASE_REASONS = ["客户改由经销商对接", "院内暂停采购，半年后再跟", "客户预算取消", "转交其他区域同事跟进"]
NOTES = ["年底有集采计划，关注招标公告", "主任偏好进口品牌，需要临床数据支持", "回款较慢，注意账期"]


@dataclass
class Kind:
    """One kind of customer: its segment, tier, how often it buys and how much."""

    segment: str
    tier: str
    orders_per_month: float
    amount_range: tuple[int, int]  # in hundreds of yuan


KINDS: list[tuple[float, Kind]] = [
    (0.22, Kind("hospital_public", "tier3a", 0.55, (300, 1600))),
    (0.23, Kind("hospital_public", "tier2a", 0.35, (150, 700))),
    (0.12, Kind("hospital_private", "private", 0.3, (80, 500))),
    (0.05, Kind("clinic", "private", 0.2, (20, 150))),
    (0.26, Kind("distributor", "", 0.8, (200, 1200))),
    (0.12, Kind("manufacturer", "", 0.3, (100, 600))),
]


@dataclass
class Plan:
    """One customer's story, decided up front from the seed and played out in time order."""

    name: str
    kind: Kind
    region: Team
    city: str
    created_at: datetime
    owner: User | None = None
    region_reps: list[User] = field(default_factory=list)
    customer: Customer | None = None
    lines: list[str] = field(default_factory=list)
    payment_term: str = ""


Action = tuple[datetime, int, Callable[[datetime], None]]
Schedule = Callable[[datetime, Callable[[datetime], None]], None]  # queue a step at an instant


def _name(ctx: DemoContext, kind: Kind, region_no: int, city: str, taken: set[str]) -> str:
    rng = ctx.rng
    for _ in range(50):
        if kind.segment == "hospital_public" and kind.tier == "tier3a" and rng.random() < 0.4:
            name = f"{rng.choice(UNIVERSITIES[region_no])}附属{rng.choice(AFFILIATED)}医院"
        elif kind.segment == "hospital_public":
            name = city + rng.choice(PUBLIC_HOSPITALS)
            if rng.random() < 0.4:
                name = f"{city}市{rng.choice(['东', '西', '南', '北', '新'])}区人民医院"
        elif kind.segment in ("hospital_private", "clinic"):
            name = city + rng.choice(BRANDS) + rng.choice(PRIVATE_HOSPITALS)
        elif kind.segment == "distributor":
            name = city + rng.choice(BRANDS) + rng.choice(DISTRIBUTOR_SUFFIXES)
        else:
            name = city + rng.choice(BRANDS) + rng.choice(FACTORY_SUFFIXES)
        key = normalize.company(name)
        if key not in taken:
            taken.add(key)
            return name
    # Enough tries: number the branch so the name stays unique.
    name = f"{name}（{len(taken)}）"
    taken.add(normalize.company(name))
    return name


def _local(day: date, rng: Any) -> datetime:
    """A working-hours instant on `day`, Asia/Shanghai, as an aware datetime."""
    at = time(rng.randint(9, 17), rng.randint(0, 59))
    return datetime.combine(day, at, tzinfo=clock.local_zone())


@demo_part(order=40, label="客户与订单")
def generate_customers(ctx: DemoContext) -> None:
    """Customers, contacts, orders, claims, interactions, releases and lead conversions, in time order."""
    rng = ctx.rng
    reps: list[User] = ctx.made["reps"]
    start = ctx.now - timedelta(days=30 * ctx.months)
    regions = list(Team.objects.filter(kind=TeamKind.REGION).order_by("id"))
    team_region = dict(Team.objects.filter(parent__in=regions).values_list("id", "parent_id"))
    reps_of = {r.pk: [rep for rep in reps if team_region.get(rep.team_id or 0) == r.pk] for r in regions}

    actions: list[Action] = []
    seq = iter(range(10**9))

    def at(when: datetime, fn: Callable[[datetime], None]) -> None:
        actions.append((when, next(seq), fn))

    # ------------------------------------------------------------------ the stories
    total = max(len(regions) * 10, round(CUSTOMERS_PER_REP * ctx.reps))
    taken = set(Customer.objects.values_list("name_key", flat=True))
    weights = [w for w, _ in KINDS]
    plans: list[Plan] = []
    for i in range(total):
        kind = rng.choices([k for _, k in KINDS], weights)[0]
        region_no = i % len(regions)
        city = rng.choice(REGION_CITIES[region_no % len(REGION_CITIES)])
        created = start - timedelta(days=30) + timedelta(minutes=rng.randint(0, (30 * ctx.months) * 24 * 60))
        created = min(created, ctx.now - timedelta(days=3))
        plans.append(
            Plan(
                _name(ctx, kind, region_no % len(REGION_CITIES), city, taken),
                kind,
                regions[region_no],
                city,
                created,
            )
        )

    # Owners: every rep gets some of their region's customers, the rest stay in the pool.
    for region in regions:
        mine = [p for p in plans if p.region == region]
        owned = mine[: round(len(mine) * OWNED_SHARE)]
        people = list(reps_of[region.pk]) or reps
        rng.shuffle(people)
        for plan in mine:
            plan.region_reps = people
        for n, plan in enumerate(owned):
            plan.owner = people[n % len(people)] if n < len(people) else rng.choice(people)

    for plan in plans:
        _schedule_customer(ctx, plan, at, start)
    _schedule_conversions(ctx, at)

    # ------------------------------------------------------------------ play it out in order
    actions.sort(key=lambda a: (a[0], a[1]))
    for when, _n, fn in actions:
        # Time moves forward: fire the SLA steps (day-5 warnings, day-7 releases) due by now.
        # Most actions have nothing due before them; one indexed look-up skips the sweep's
        # claim transaction then.
        if Deadline.objects.filter(status=Deadline.Status.PENDING, due_at__lte=when).exists():
            sweeper.sweep(now=when, worker_id="demo")
        fn(when)
    sweeper.sweep(now=ctx.now, worker_id="demo")
    services.customers_nightly(now=ctx.now)
    ctx.made["customers"] = [p.customer for p in plans if p.customer is not None]


def _schedule_customer(ctx: DemoContext, plan: Plan, at: Schedule, start: datetime) -> None:
    """Queue one customer's creation, contacts, orders and (if owned) claim and interactions."""
    rng, fake = ctx.rng, ctx.faker
    kind = plan.kind
    plan.lines = sorted(rng.sample(list(MODELS), rng.choice([1, 1, 2, 2, 3])))
    plan.payment_term = rng.choice(PAYMENT_TERMS)
    address = f"{plan.city}市{rng.choice(ADDRESS_ROADS)}{rng.randint(1, 999)}号"
    contacts = [
        (
            fake.name(),
            rng.choice(COMPANY_TITLES if kind.tier == "" else HOSPITAL_TITLES),
            fake.phone_number(),
        )
        for _ in range(rng.choice([1, 2, 2, 3]))
    ]
    # Owned customers the rep found recently are created by that rep; older ones came in
    # through the pool (imported from the former CRM) and were claimed.
    claim_at: datetime | None = None
    if plan.owner is not None:
        claim_at = ctx.now - timedelta(days=rng.choice([rng.uniform(0.5, 8), rng.uniform(0.5, 30)]))
        claim_at = max(claim_at, plan.created_at + timedelta(hours=2))
        if claim_at >= ctx.now:
            claim_at = None
    created_by_owner = plan.owner is not None and claim_at is not None and rng.random() < 0.25
    if created_by_owner:
        assert claim_at is not None
        plan.created_at = claim_at
    owner = plan.owner

    def create(now: datetime) -> None:
        plan.customer = services.customer_create(
            name=plan.name,
            actor=owner if created_by_owner else None,
            owner=owner if created_by_owner else None,
            region=plan.region,
            industry_segment=kind.segment,
            customer_tier=kind.tier,
            address=address,
            payment_term=plan.payment_term,
            now=now,
        )
        ctx.count("customers")
        for offset, (name, title, phone) in enumerate(contacts):
            services.contact_add(
                customer=plan.customer,
                name=name,
                title=title,
                phone=phone,
                actor=owner if created_by_owner else None,
                now=now + timedelta(minutes=offset + 1),
            )
            ctx.count("contacts")

    at(plan.created_at, create)

    # Orders over the months of history (ERP entries: no actor).
    first_day = clock.to_local(max(plan.created_at, start)).date() + timedelta(days=1)
    last_day = clock.to_local(ctx.now).date() - timedelta(days=1)
    span = (last_day - first_day).days
    expected = kind.orders_per_month * span / 30
    count = int(expected) + (rng.random() < expected - int(expected)) if span > 0 else 0
    for _ in range(count):
        day = first_day + timedelta(days=rng.randint(0, span))
        line = rng.choice(plan.lines)
        models = rng.sample(MODELS[line], rng.choice([1, 1, 2]))
        amount = Decimal(rng.randint(*kind.amount_range) * 100) + Decimal(rng.choice([0, 0, 50, 80]))
        term = plan.payment_term if rng.random() < 0.85 else rng.choice(PAYMENT_TERMS)
        reference = f"SO{day:%Y%m%d}{rng.randint(1000, 9999)}"

        def order(
            now: datetime,
            day: date = day,
            line: str = line,
            models: list[str] = models,
            amount: Decimal = amount,
            term: str = term,
            reference: str = reference,
        ) -> None:
            assert plan.customer is not None
            services.order_add(
                customer=plan.customer,
                ordered_on=day,
                amount=amount,
                product_lines=[line],
                models_bought="、".join(models),
                payment_term=term,
                reference=reference,
                actor=None,
                now=now,
            )
            ctx.count("orders")

        at(max(_local(day, rng), plan.created_at + timedelta(hours=1)), order)

    if owner is not None and claim_at is not None:
        _schedule_ownership(ctx, plan, owner, claim_at, created_by_owner, at)
    elif rng.random() < 0.25:
        _schedule_past_claim(ctx, plan, at, start)


def _schedule_ownership(
    ctx: DemoContext,
    plan: Plan,
    owner: User,
    claim_at: datetime,
    created_by_owner: bool,
    at: Schedule,
) -> None:
    """A claim and effective interactions often enough that the 7-day rule keeps it owned."""
    rng = ctx.rng
    if not created_by_owner:

        def claim(now: datetime) -> None:
            assert plan.customer is not None
            try:
                services.customer_claim(customer=plan.customer, actor=owner, now=now)
            except DomainError:
                return  # the claim limit: it stays in the pool
            ctx.count("claims")

        at(claim_at, claim)
    when = claim_at
    while True:
        when += timedelta(days=rng.uniform(3.5, 6.8))
        if when >= ctx.now:
            break
        kind, seconds = rng.choice([("visit", 0), ("call", 240), ("call", 600), ("meeting", 0), ("visit", 0)])

        def interact(now: datetime, kind: str = kind, seconds: int = seconds) -> None:
            assert plan.customer is not None
            if _owner_id(plan.customer) != owner.pk:
                return
            activities.activity_log(
                customer=plan.customer,
                kind=kind,
                occurred_at=now,
                actor=owner,
                duration_seconds=seconds,
                note=rng.choice(["科室拜访，了解手术量", "跟台回访", "沟通下季度采购计划", "电话确认到货"]),
                now=now + timedelta(minutes=20),
            )
            ctx.count("activities")

        at(when, interact)

    # Owners tag some of their customers by hand, and answer the A-class proposals.
    if rng.random() < 0.3:

        def classify(now: datetime) -> None:
            assert plan.customer is not None
            if _owner_id(plan.customer) != owner.pk:
                return
            services.tag_set(
                customer=plan.customer,
                dictionary="customer_class",
                value=rng.choice(["b", "b", "c"]),
                propose=False,
                actor=owner,
                now=now,
            )
            ctx.count("tags_set")

        at(claim_at + timedelta(days=1, hours=2), classify)
    if rng.random() < 0.15:

        def note(now: datetime) -> None:
            assert plan.customer is not None
            if _owner_id(plan.customer) == owner.pk:
                services.note_add(
                    customer=plan.customer,
                    author=owner,
                    text=rng.choice(NOTES),
                    private=rng.random() < 0.3,
                    now=now,
                )
                ctx.count("customer_notes")

        at(claim_at + timedelta(hours=5), note)

    def confirm(now: datetime) -> None:
        assert plan.customer is not None
        plan.customer.refresh_from_db(fields=["owner", "proposed_class"])
        if plan.customer.owner_id == owner.pk and plan.customer.proposed_class and rng.random() < 0.7:
            services.tag_confirm(customer=plan.customer, accept=rng.random() < 0.85, actor=owner, now=now)
            ctx.count("tags_confirmed")

    at(max(ctx.now - timedelta(hours=rng.uniform(1, 30)), claim_at + timedelta(hours=3)), confirm)


def _schedule_past_claim(ctx: DemoContext, plan: Plan, at: Schedule, start: datetime) -> None:
    """A pool customer someone held once: released by hand, or taken back by the 7-day rule."""
    rng = ctx.rng
    rep = rng.choice(plan.region_reps)
    claim_at = max(plan.created_at, start) + timedelta(days=rng.uniform(1, 30 * ctx.months - 20))
    if claim_at >= ctx.now - timedelta(days=9):
        return
    by_hand = rng.random() < 0.5

    def claim(now: datetime) -> None:
        assert plan.customer is not None
        if _owner_id(plan.customer) is not None:
            return
        try:
            services.customer_claim(customer=plan.customer, actor=rep, now=now)
        except DomainError:
            return
        ctx.count("claims")

    at(claim_at, claim)
    if not by_hand:
        return  # nothing logged: the sweeper warns on day 5 and releases on day 7

    def visit(now: datetime) -> None:
        assert plan.customer is not None
        if _owner_id(plan.customer) == rep.pk:
            activities.activity_log(
                customer=plan.customer, kind="visit", occurred_at=now, actor=rep, note="初次拜访", now=now
            )
            ctx.count("activities")

    def release(now: datetime) -> None:
        assert plan.customer is not None
        if _owner_id(plan.customer) == rep.pk:
            services.customer_release(
                customer=plan.customer, reason=rng.choice(RELEASE_REASONS), actor=rep, now=now
            )
            ctx.count("manual_releases")

    at(claim_at + timedelta(days=rng.uniform(1, 4)), visit)
    at(claim_at + timedelta(days=rng.uniform(4.5, 6.5)), release)


def _schedule_conversions(ctx: DemoContext, at: Schedule) -> None:
    """Some contacted leads of the last weeks become customers with an opportunity each."""
    rng = ctx.rng
    recent = ctx.now - timedelta(days=45)
    leads = list(
        Lead.objects.filter(status=LeadStatus.CONTACTED, owner__isnull=False, first_contact_at__gte=recent)
        .select_related("owner")
        .order_by("id")
    )
    for lead in leads:
        if rng.random() >= 0.3:
            continue
        assert lead.first_contact_at is not None and lead.owner is not None
        when = lead.first_contact_at + timedelta(days=rng.uniform(1, 8))
        if when >= ctx.now - timedelta(hours=2):
            continue
        owner = lead.owner
        holder: dict[str, Any] = {}

        def convert(
            now: datetime, lead: Lead = lead, owner: User = owner, holder: dict[str, Any] = holder
        ) -> None:
            try:
                _customer, opportunity = workflows.lead_convert(
                    lead=lead,
                    actor=owner,
                    amount=str(rng.choice([80, 150, 260, 420, 680]) * 1000),
                    expected_close=clock.to_local(now).date() + timedelta(days=rng.choice([30, 45, 60, 90])),
                    now=now,
                )
            except DomainError:
                return
            holder["opportunity"] = opportunity
            ctx.count("lead_conversions")

        at(when, convert)
        follow = when
        while True:
            follow += timedelta(days=rng.uniform(3, 6.5))
            if follow >= ctx.now:
                break

            def follow_up(now: datetime, owner: User = owner, holder: dict[str, Any] = holder) -> None:
                opportunity = holder.get("opportunity")
                if opportunity is None:
                    return
                opportunity.refresh_from_db(fields=["owner"])
                if opportunity.owner_id != owner.pk:
                    return
                activities.activity_log(
                    opportunity=opportunity,
                    kind=rng.choice(["visit", "meeting"]),
                    occurred_at=now,
                    actor=owner,
                    note="方案沟通",
                    now=now + timedelta(minutes=15),
                )
                ctx.count("activities")

            at(follow, follow_up)


def _owner_id(customer: Customer) -> int | None:
    return Customer.objects.filter(pk=customer.pk).values_list("owner_id", flat=True).first()
