"""The pipeline part of the demo company: opportunities in every stage, with history and evidence.

Runs after the customers part (order 50 > 40), on customers that have an owner at the end of
it. For each pipeline of the rule pack (标准六阶段, 医院拜访七阶段) it opens opportunities that
now sit in every stage, plus won and lost ones, and plays their stage history out in time
order through the services (`opportunity_create`, `evidence_add`, `opportunity_advance`,
`opportunity_close`, `visit_create`, `visit_complete`), sweeping the SLA timers as time moves
as the leads and customers parts do. So:

- every forward move carries its exit evidence, generated here: JPEG photos drawn with Pillow
  whose EXIF has the camera time and GPS of the visit, minimal valid PDFs, need points;
- about a third of the open ones have sat in their stage for more than 5 days, so the
  `opportunity_stall` timer fires (and past 7 days `opportunity_no_update` too);
- one or two sit in 技术方案确认 for more than 5 working days, so `tech_solution_breaker`
  fires and quoting for their customer is frozen (阶段熔断);
- hospital visits (拜访任务包) are completed in the last days or still open.

Visits complete only after their customer's last effective interaction and within the last
5 days: a completion restarts the 7-day commitment clock at its own time, and an earlier
restart would have the final sweep warn about or release a customer its rep is working.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from PIL import ExifTags, Image, ImageDraw, TiffImagePlugin

from salesflow.core import clock
from salesflow.core.demo import DemoContext, demo_part
from salesflow.core.errors import DomainError
from salesflow.customers.models import Customer
from salesflow.org.models import User
from salesflow.pipeline import services
from salesflow.pipeline.models import Opportunity, Visit
from salesflow.rules.schema import EvidenceRequirement, StageTemplate
from salesflow.rules.selectors import active_pack
from salesflow.timers import sweeper
from salesflow.timers.calendar import WorkingCalendar, company_calendar
from salesflow.timers.durations import add_duration, parse_duration
from salesflow.timers.models import Deadline

STALLED_SHARE = 0.35  # open opportunities past the 5-day stall timer
BREAKER_STAGE = "tech_solution"
HOSPITAL_SEGMENTS = ("hospital_public", "hospital_private")
# Approximate city centres for visit check-ins and photo GPS (the customers part's cities).
CITY_COORDS: dict[str, tuple[float, float]] = {
    "杭州": (30.2741, 120.1551),
    "宁波": (29.8683, 121.5440),
    "温州": (27.9943, 120.6994),
    "绍兴": (30.0023, 120.5810),
    "上海": (31.2304, 121.4737),
    "南京": (32.0603, 118.7969),
    "苏州": (31.2990, 120.5853),
    "无锡": (31.4912, 120.3119),
    "合肥": (31.8206, 117.2272),
    "嘉兴": (30.7467, 120.7555),
    "广州": (23.1291, 113.2644),
    "深圳": (22.5431, 114.0579),
    "佛山": (23.0215, 113.1214),
    "东莞": (23.0207, 113.7518),
    "珠海": (22.2710, 113.5767),
    "汕头": (23.3541, 116.6819),
    "南宁": (22.8170, 108.3665),
    "厦门": (24.4798, 118.0894),
    "福州": (26.0745, 119.2965),
    "湛江": (21.2707, 110.3594),
    "北京": (39.9042, 116.4074),
    "天津": (39.3434, 117.3616),
    "石家庄": (38.0428, 114.5149),
    "保定": (38.8739, 115.4646),
    "唐山": (39.6309, 118.1802),
    "太原": (37.8706, 112.5489),
    "济南": (36.6512, 117.1201),
    "青岛": (36.0671, 120.3826),
    "烟台": (37.4638, 121.4479),
    "呼和浩特": (40.8424, 111.7490),
}
TITLES = {
    "joint": ["膝关节置换耗材年度采购", "髋关节假体入院", "关节科跟台服务包"],
    "spine": ["脊柱内固定系统采购", "椎间融合器入院", "脊柱微创套件试用"],
    "trauma": ["创伤钢板年度配送", "髓内钉备货合作", "急诊创伤耗材寄售"],
    "sports": ["运动医学锚钉采购", "关节镜耗材配送", "韧带重建套件入院"],
}
NEED_DETAILS = {
    "price": ["集采价格", "年度降价", "比竞品低5%"],
    "delivery": ["48小时到货", "急诊备货", "周末送货"],
    "training": ["跟台培训", "护士培训", "新术式带教"],
    "consignment": ["寄售备货", "科室库存", "月底结算"],
    "compliance": ["注册证齐全", "两票制", "阳光采购"],
}
VISIT_OUTCOMES = [
    ("主任关注术后随访数据", "竞品上月降价 8%", "下周送试用样品"),
    ("设备科要求补充注册证", "竞品在做跟台培训", "约主任参加学术会"),
    ("手术量增加，需增加备货", "", "提交试用申请"),
]


def demo_photo(
    rng: random.Random,
    *,
    taken_at: datetime,
    lat: float | None,
    lng: float | None,
    size: tuple[int, int] = (320, 240),
    label: str = "",
    quality: int = 80,
) -> bytes:
    """A JPEG 'door-plate photo': random shapes (so perceptual hashes differ) and camera EXIF.

    DateTimeOriginal is local wall-clock time as a phone writes it; GPS in degrees/minutes/seconds.
    """
    width, height = size
    image = Image.new("RGB", size, tuple(rng.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(8, width // 2), y0 + rng.randrange(8, height // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
    # The plate itself: a light board with a room number.
    draw.rectangle((width // 4, height // 3, 3 * width // 4, 2 * height // 3), fill=(235, 235, 225))
    draw.text((width // 4 + 10, height // 2 - 6), label or f"Room {rng.randint(100, 999)}", fill=(20, 20, 20))
    exif = Image.Exif()
    stamp = clock.to_local(taken_at).strftime("%Y:%m:%d %H:%M:%S")
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Model] = "Mate 60"
    exif[ExifTags.Base.DateTime] = stamp
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = stamp
    if lat is not None and lng is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(abs(lat))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lng >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(abs(lng))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * 1000)
    return (
        TiffImagePlugin.IFDRational(degrees, 1),
        TiffImagePlugin.IFDRational(minutes, 1),
        TiffImagePlugin.IFDRational(seconds, 1000),
    )


def demo_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF (header, objects, xref, trailer, %%EOF) with ASCII text."""
    text = " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj 0 -18 Td" for line in lines)
    stream = f"BT /F1 12 Tf 60 760 Td {text} ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@dataclass
class Story:
    """One opportunity's life, decided up front and played out in time order."""

    template: StageTemplate
    customer: Customer
    owner: User
    target: int  # index of the stage it is in now (or was in when closed)
    outcome: str  # open / won / lost
    entries: list[datetime] = field(default_factory=list)  # when each stage up to `target` was entered
    close_at: datetime | None = None
    lost_reason: str = ""
    opportunity: Opportunity | None = None


Action = tuple[datetime, int, Callable[[datetime], None]]


@demo_part(order=50, label="商机与拜访")
def generate_pipeline(ctx: DemoContext) -> None:
    """Opportunities in every stage of every pipeline, won and lost ones, visits and evidence."""
    rng = random.Random(ctx.seed * 7 + 50)  # own stream: later parts do not shift earlier ones
    _number, pack = active_pack()
    templates = [t for t in pack.stage_templates if t.stages]
    lost_dictionary = pack.dictionary("lost_reason")
    lost_reasons = [c.code for c in lost_dictionary.choices] if lost_dictionary else []
    customers = list(
        Customer.objects.filter(owner__isnull=False, owner__is_active=True)
        .select_related("owner")
        .order_by("id")
    )
    if not customers or not templates:
        return
    rng.shuffle(customers)
    calendar = company_calendar()
    now = ctx.now

    per_stage = max(1, round(ctx.reps / 16))
    closed_each = max(1, ctx.reps // 12)
    breakers = 1 if ctx.reps < 24 else 2

    used: set[int] = set()

    def pick_customer(template: StageTemplate, starts: datetime) -> Customer:
        """An unused customer of the pipeline's kind that existed when the story starts."""
        hospital = template.product_line == "joint"
        fits = [
            c for c in customers if c.pk not in used and (c.industry_segment in HOSPITAL_SEGMENTS) == hospital
        ]
        fits = fits or [c for c in customers if c.pk not in used] or customers
        choice = next((c for c in fits if c.created_at + timedelta(hours=1) <= starts), None)
        choice = choice or min(fits, key=lambda c: c.created_at)
        used.add(choice.pk)
        return choice

    def plan(template: StageTemplate, target: int, outcome: str, current: str) -> Story:
        entries = _plan_entries(template, target, rng, now=now, current=current, calendar=calendar)
        customer = pick_customer(template, entries[0])
        assert customer.owner is not None
        made = Story(template, customer, customer.owner, target, outcome)
        made.entries = _after_customer(entries, customer)
        return made

    stories: list[Story] = []
    for template in templates:
        last = len(template.stages) - 1
        for index, stage in enumerate(template.stages):
            count = per_stage + (breakers if stage.code == BREAKER_STAGE else 0)
            for n in range(count):
                if stage.code == BREAKER_STAGE and n < breakers:
                    kind = "breaker"
                elif stage.code != BREAKER_STAGE and rng.random() < STALLED_SHARE:
                    kind = "stalled"
                else:
                    kind = "fresh"
                stories.append(plan(template, index, "open", kind))
        for n in range(2 * closed_each):
            won = n < closed_each
            target = last if won else rng.randint(1, max(1, last - 1))
            closed = plan(template, target, "won" if won else "lost", "closed")
            if not won and lost_reasons:
                closed.lost_reason = lost_reasons[n % len(lost_reasons)]
            closed.close_at = closed.entries[-1] + timedelta(days=rng.uniform(1, 4))
            stories.append(closed)

    actions: list[Action] = []
    seq = iter(range(10**9))

    def at(when: datetime, fn: Callable[[datetime], None]) -> None:
        actions.append((when, next(seq), fn))

    for story in stories:
        _schedule_story(ctx, story, rng, at)
    _schedule_visits(ctx, rng, [c for c in customers if c.pk not in used], at)

    actions.sort(key=lambda a: (a[0], a[1]))
    for when, _n, fn in actions:
        if Deadline.objects.filter(status=Deadline.Status.PENDING, due_at__lte=when).exists():
            sweeper.sweep(now=when, worker_id="demo")
        fn(when)
    sweeper.sweep(now=now, worker_id="demo")


def _working_hours(at: datetime, rng: random.Random) -> datetime:
    """The same local day, moved into office hours when it fell outside them."""
    local = clock.to_local(at)
    if time(9, 0) <= local.time() < time(18, 0):
        return at
    hour = 9 if local.hour < 9 else 17
    return local.replace(hour=hour, minute=rng.randint(0, 55), second=0, microsecond=0)


def _plan_entries(
    template: StageTemplate,
    target: int,
    rng: random.Random,
    *,
    now: datetime,
    current: str,
    calendar: WorkingCalendar,
) -> list[datetime]:
    """Stage entry times: backwards from the current stage's entry, each earlier stay 1–9 days."""
    if current == "stalled":
        dwell = rng.uniform(6, 12)
    elif current == "closed":
        dwell = rng.uniform(5, 40)  # closed some time ago
    elif current == "breaker":
        dwell = 7.0
    elif template.stages[target].code == BREAKER_STAGE:
        dwell = rng.uniform(0.3, 2.5)  # well inside 5 working days
    else:
        dwell = rng.uniform(0.3, 4.5)
    entered = now - timedelta(days=dwell)
    nudged = _working_hours(entered, rng)
    entered = nudged if nudged < now - timedelta(hours=1) else entered
    if current == "breaker":
        five = parse_duration("5wd")
        while add_duration(entered, five, calendar=calendar) > now - timedelta(hours=6):
            entered -= timedelta(days=1)
    entries = [entered]
    for index in range(target - 1, -1, -1):
        code = template.stages[index].code
        if code == BREAKER_STAGE:
            stay = rng.uniform(0.8, 3.0)
        elif rng.random() < 0.15:
            stay = rng.uniform(5.5, 9)  # a stall in its past
        else:
            stay = rng.uniform(0.8, 4.5)
        entries.append(_working_hours(entries[-1] - timedelta(days=stay), rng))
    entries.reverse()
    for i in range(1, len(entries)):  # office-hours nudges must not reorder a history
        entries[i] = max(entries[i], entries[i - 1] + timedelta(hours=2))
    return entries


def _after_customer(entries: list[datetime], customer: Customer) -> list[datetime]:
    """Squeeze the past stays (never the current one) so the story starts after the customer exists."""
    floor = customer.created_at + timedelta(hours=1)
    if entries[0] >= floor or entries[-1] <= floor:
        return entries
    keep = (entries[-1] - floor) / (entries[-1] - entries[0])
    return [entries[-1] - (entries[-1] - e) * keep for e in entries]


def _place(customer: Customer, rng: random.Random) -> tuple[float, float]:
    city = next((c for c in CITY_COORDS if customer.address.startswith(c)), "上海")
    lat, lng = CITY_COORDS[city]
    return lat + rng.uniform(-0.05, 0.05), lng + rng.uniform(-0.05, 0.05)


def _near(lat: float, lng: float, rng: random.Random) -> tuple[float, float]:
    """A phone's GPS fix some tens of metres from the claimed place."""
    return lat + rng.uniform(-0.0004, 0.0004), lng + rng.uniform(-0.0004, 0.0004)


def _need_points(rng: random.Random) -> str:
    _number, pack = active_pack()
    dictionary = pack.dictionary("need_point")
    choices = list(dictionary.choices) if dictionary else []
    picked = rng.sample(choices, min(3, len(choices)))
    return "\n".join(f"{c.label}:{rng.choice(NEED_DETAILS.get(c.code, ['']))}" for c in picked)


def _evidence_kwargs(
    requirement: EvidenceRequirement,
    rng: random.Random,
    *,
    when: datetime,
    place: tuple[float, float],
    title: str,
) -> dict[str, Any]:
    """What a rep uploads for one requirement at `when` (a photo taken minutes before)."""
    if requirement.kind == "photo":
        taken = when - timedelta(minutes=rng.randint(2, 40))
        lat, lng = _near(*place, rng)
        return {
            "data": demo_photo(rng, taken_at=taken, lat=lat, lng=lng),
            "filename": f"IMG_{clock.to_local(taken):%Y%m%d_%H%M%S}.jpg",
            "captured_at": taken,
            "lat": Decimal(f"{place[0]:.6f}"),
            "lng": Decimal(f"{place[1]:.6f}"),
        }
    if requirement.kind in ("signed_pdf", "document", "meeting_minutes"):
        stamp = clock.to_local(when).strftime("%Y-%m-%d")
        return {
            "data": demo_pdf(
                [f"{requirement.code}", f"Huarui Medical - {stamp}", f"ref {rng.randint(1000, 9999)}"]
            ),
            "filename": f"{requirement.name}-{stamp}.pdf",
        }
    if requirement.kind == "need_points":
        return {"text": _need_points(rng)}
    if requirement.kind == "gps_checkin":
        return {"lat": Decimal(f"{place[0]:.6f}"), "lng": Decimal(f"{place[1]:.6f}")}
    return {"text": f"{title}：{requirement.name}"}


def _schedule_story(
    ctx: DemoContext,
    story: Story,
    rng: random.Random,
    at: Callable[[datetime, Callable[[datetime], None]], None],
) -> None:
    """Queue creation, each stay's evidence and forward move, and the close."""
    template, customer, owner = story.template, story.customer, story.owner
    line = template.product_line or rng.choice(["spine", "trauma", "sports", "joint"])
    title = f"{customer.name} {rng.choice(TITLES[line])}"
    amount = str(rng.choice([80, 120, 180, 260, 350, 480, 680, 960]) * 1000)
    place = _place(customer, rng)
    expected = clock.to_local(story.entries[0]).date() + timedelta(days=rng.choice([45, 60, 90, 120]))

    def create(now: datetime) -> None:
        story.opportunity = services.opportunity_create(
            customer=customer,
            title=title,
            actor=owner,
            owner=owner,
            pipeline=template.code,
            amount=amount,
            expected_close=expected,
            product_lines=[line],
            now=now,
        )
        ctx.count("opportunities")

    at(story.entries[0], create)

    def add(requirement: EvidenceRequirement) -> Callable[[datetime], None]:
        def upload(now: datetime) -> None:
            assert story.opportunity is not None
            services.evidence_add(
                requirement=requirement.code,
                actor=owner,
                opportunity=story.opportunity,
                now=now,
                **_evidence_kwargs(requirement, rng, when=now, place=place, title=title),
            )
            ctx.count("evidence")

        return upload

    for index in range(story.target + 1):
        stage = template.stages[index]
        start = story.entries[index]
        leaving = index < story.target
        end = story.entries[index + 1] if leaving else (story.close_at or ctx.now)
        requirements = list(stage.exit_evidence)
        if not leaving and story.outcome == "open" and requirements:
            # The stage it sits in: part of its checklist done, so the board shows what is missing.
            requirements = requirements[: rng.randint(0, len(requirements) - 1)]
        elif not leaving:
            requirements = []
        for n, requirement in enumerate(requirements, start=1):
            when = start + (end - start) * (n / (len(requirements) + 1))
            at(min(when, end - timedelta(minutes=5)), add(requirement))
        if leaving:
            target = template.stages[index + 1].code

            def advance(now: datetime, target: str = target) -> None:
                assert story.opportunity is not None
                # The service returns the re-read row: evidence_add reads the stage from the instance.
                story.opportunity = services.opportunity_advance(
                    opportunity=story.opportunity, to_stage=target, actor=owner, now=now
                )
                ctx.count("stage_moves")

            at(story.entries[index + 1], advance)

    if story.outcome != "open" and story.close_at is not None:

        def close(now: datetime) -> None:
            assert story.opportunity is not None
            services.opportunity_close(
                opportunity=story.opportunity,
                outcome=story.outcome,
                actor=owner,
                reason=story.lost_reason,
                now=now,
            )
            ctx.count(f"opportunities_{story.outcome}")

        at(min(story.close_at, ctx.now - timedelta(hours=1)), close)

    current = template.stages[story.target]
    if story.outcome == "open" and current.code == "hospital_visit":
        # The visit behind the stage: a task package with its own evidence.
        _schedule_visit(
            ctx, rng, customer, at, opportunity_of=lambda: story.opportunity, after=story.entries[-1]
        )


def _schedule_visits(
    ctx: DemoContext,
    rng: random.Random,
    free: list[Customer],
    at: Callable[[datetime, Callable[[datetime], None]], None],
) -> None:
    """Visits to customers without an opportunity: some done in the last days, some planned."""
    for customer in free[: max(2, ctx.reps // 3)]:
        after = ctx.now - timedelta(days=rng.uniform(0.5, 4))
        _schedule_visit(ctx, rng, customer, at, opportunity_of=lambda: None, after=after)


def _schedule_visit(
    ctx: DemoContext,
    rng: random.Random,
    customer: Customer,
    at: Callable[[datetime, Callable[[datetime], None]], None],
    *,
    opportunity_of: Callable[[], Opportunity | None],
    after: datetime,
) -> None:
    """Create a hospital-visit package after `after`; upload its items and complete it when it is past."""
    owner = customer.owner
    assert owner is not None
    created = after + timedelta(minutes=rng.randint(10, 90))
    if created >= ctx.now - timedelta(minutes=30):
        return
    planned = _working_hours(created + timedelta(hours=rng.uniform(2, 60)), rng)
    planned = max(planned, created + timedelta(hours=1))  # the office-hours nudge may move it back
    place = _place(customer, rng)
    mismatch = rng.random() < 0.08  # an old photo reused as today's: the time check flags it
    holder: dict[str, Visit] = {}

    def create(now: datetime) -> None:
        holder["visit"] = services.visit_create(
            customer=customer,
            package="hospital_visit",
            actor=owner,
            opportunity=opportunity_of(),
            planned_at=planned,
            address=customer.address,
            lat=Decimal(f"{place[0]:.6f}"),
            lng=Decimal(f"{place[1]:.6f}"),
            now=now,
        )
        ctx.count("visits")

    at(created, create)
    if planned + timedelta(hours=2) >= ctx.now:
        return  # planned for later today or the coming days: still open
    _number, pack = active_pack()
    package = next((p for p in pack.visit_packages if p.code == "hospital_visit"), None)
    items = list(package.items) if package else []
    complete = rng.random() < 0.7
    if not complete:
        items = items[: rng.randint(0, max(0, len(items) - 1))]
    for n, requirement in enumerate(items):
        when = planned + timedelta(minutes=15 + 10 * n)

        def upload(now: datetime, requirement: EvidenceRequirement = requirement) -> None:
            extra = _evidence_kwargs(requirement, rng, when=now, place=place, title=customer.name)
            if mismatch and requirement.kind == "photo":
                taken = now - timedelta(days=rng.randint(3, 20))
                extra["data"] = demo_photo(rng, taken_at=taken, lat=place[0], lng=place[1])
                extra["captured_at"] = now
            services.evidence_add(
                requirement=requirement.code, actor=owner, visit=holder["visit"], now=now, **extra
            )
            ctx.count("evidence")

        at(when, upload)
    if not complete:
        return
    done_at = planned + timedelta(minutes=15 + 10 * len(items) + 5)

    def finish(now: datetime) -> None:
        fresh = Customer.objects.filter(pk=customer.pk).values("owner_id", "last_interaction_at").first()
        last = fresh["last_interaction_at"] if fresh else None
        # Only forward and recent: an earlier restart of the 7-day clock would release the customer.
        if (
            fresh is None
            or fresh["owner_id"] != owner.pk
            or (last and last > now)
            or now < ctx.now - timedelta(days=5)
        ):
            return
        need, competitor, step = rng.choice(VISIT_OUTCOMES)
        try:
            services.visit_complete(
                visit=holder["visit"],
                actor=owner,
                need_change=need,
                competitor_news=competitor,
                next_step=step,
                now=now,
            )
        except DomainError:
            return
        ctx.count("visits_completed")

    at(min(done_at, ctx.now - timedelta(minutes=10)), finish)
