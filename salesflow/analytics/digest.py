"""The weekly digest (每周简报): every manager gets the week in one message on their channel.

On the pack's weekday (`settings.weekly_digest_weekday`, 1 = Monday) after its local time
(`settings.weekly_digest_at`), each active sales manager gets one inbox message — delivered on
their WeCom / DingTalk / Feishu / e-mail channels by the notify app — with:

1. the team's results against target: signed (won) amount last week and so far this month,
   against the month's target (`selectors.team_target`);
2. the three weakest process indicators (furthest from their pack target, relatively) with their
   improvement playbooks;
3. any sections other code registered with `register_digest_section` — the forecast band
   (漏斗数字孪生) plugs in here.

A `DigestSent` row per manager and week makes it once per manager per week, however often the
worker ticks or the job is re-run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum

from salesflow.analytics import health
from salesflow.analytics.attribution import effective_contact_trend
from salesflow.analytics.models import DigestSent
from salesflow.analytics.selectors import month_of, team_target
from salesflow.core import clock
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity
from salesflow.rules.schema import HealthThreshold, RulePack
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration

DIGEST_KIND = "analytics.weekly_digest"

# A section adds a titled paragraph for one manager and week, or None to stay out.
DigestSection = Callable[[User, date, datetime], "tuple[str, str] | None"]
_sections: dict[str, DigestSection] = {}


def register_digest_section(name: str, section: DigestSection) -> None:
    """Add a section to every weekly digest: `section(manager, week_start, now)` returns
    `(title, text)` or None. The forecast band (漏斗数字孪生, P10–P50–P90 of the month) is meant
    to register here; sections appear in registration order after the built-in ones."""
    _sections[name] = section


def digest_sections() -> dict[str, DigestSection]:
    """The registered extra sections by name."""
    return dict(_sections)


def _money(amount: Decimal | None) -> str:
    if amount is None:
        return "—"
    if abs(amount) >= 10000:
        return f"{(amount / 10000).quantize(Decimal('0.1'))} 万元"
    return f"¥{amount.quantize(Decimal('1')):,}"


@dataclass(frozen=True)
class Weak:
    """A process indicator of the manager's scope and how far it is from target."""

    threshold: HealthThreshold
    value: float
    gap: float


def _gap(value: float, threshold: HealthThreshold) -> float:
    """How far `value` falls short of the target, relative to it (negative: better than target)."""
    target = float(threshold.target) or 1.0
    shortfall = value - target if threshold.better == "lower" else target - value
    return shortfall / abs(target)


def weakest_indicators(
    manager: User, week_start: date, now: datetime, pack: RulePack, n: int = 3
) -> list[Weak]:
    """The `n` process indicators of `manager`'s people furthest from target over last week."""
    days = health.days_of(week_start - timedelta(days=7), week_start - timedelta(days=1))
    scopes = health.scopes_for(manager)
    # One combined row: everyone the manager sees, whatever team they sit in.
    if scopes:
        members = set().union(*(s.members for s in scopes))
        reps = sum(s.reps for s in scopes)
        scopes = [health.Scope(key="all", name=str(manager), members=members, reps=reps)]
    found: list[Weak] = []
    for code in health.HEALTH_CODES:
        threshold = health.threshold_of(pack, code)
        if threshold is None or not scopes:
            continue
        values = [
            v for v in health.daily_series(code, scopes, days, pack=pack, now=now)["all"] if v is not None
        ]
        if values:
            value = sum(values) / len(values)
            found.append(Weak(threshold=threshold, value=round(value, 2), gap=_gap(value, threshold)))
    contact = health.threshold_of(pack, "effective_contact_rate")
    if contact is not None:
        within = parse_duration(contact.within or pack.lights.lead_red_without_follow_up).as_timedelta()
        point = effective_contact_trend(manager, [week_start - timedelta(days=7)], within=within, now=now)[0]
        if point.value is not None:
            found.append(Weak(threshold=contact, value=point.value, gap=_gap(point.value, contact)))
    found.sort(key=lambda w: -w.gap)
    return found[:n]


def _won(manager: User, since: datetime, until: datetime) -> Decimal:
    members = health.scopes_for(manager)
    ids = sorted(set().union(*(s.members for s in members))) if members else [manager.pk]
    total = Opportunity.objects.filter(
        owner_id__in=ids, status=OpportunityStatus.WON, closed_at__gte=since, closed_at__lt=until
    ).aggregate(t=Sum("amount"))["t"]
    return total or Decimal(0)


def compose(manager: User, week_start: date, now: datetime) -> tuple[str, str]:
    """The digest's title and text for `manager` and the week starting `week_start`."""
    _number, pack = active_pack()
    first, last = month_of(week_start - timedelta(days=1))
    last_week = _won(
        manager, clock.local_midnight(week_start - timedelta(days=7)), clock.local_midnight(week_start)
    )
    month = _won(
        manager, clock.local_midnight(first), clock.local_midnight(min(week_start, last + timedelta(days=1)))
    )
    target = team_target(manager.team, first, last) if manager.team is not None else None
    lines = [f"一、团队业绩（{first:%Y年%m月}）", f"上周签约 {_money(last_week)}；本月累计 {_money(month)}"]
    if target:
        lines.append(f"本月目标 {_money(target)}，完成 {float(month / target * 100):.0f}%")
    else:
        lines.append("本月尚未设置目标")
    lines.append("")
    lines.append("二、最需改进的过程指标")
    weak = weakest_indicators(manager, week_start, now, pack)
    if not weak:
        lines.append("上周暂无可计算的过程指标")
    for i, w in enumerate(weak, start=1):
        unit = w.threshold.unit
        lines.append(
            f"{i}. {w.threshold.name}：{w.value:g}{'' if unit == '%' else ' '}{unit}"
            f"（目标 {float(w.threshold.target):g}{'' if unit == '%' else ' '}{unit}）"
        )
        if w.threshold.playbook:
            lines.append(f"   改进手册：{w.threshold.playbook}")
    for name, section in _sections.items():
        try:
            part = section(manager, week_start, now)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("digest section %s failed", name)
            continue
        if part is not None:
            lines.extend(["", part[0], part[1]])
    title = f"每周简报 · {week_start:%m月%d日} 这一周"
    return title, "\n".join(lines).strip()


def managers() -> list[User]:
    """Who gets a digest: the active sales managers."""
    return list(User.objects.filter(role=Role.MANAGER, is_active=True).select_related("team").order_by("pk"))


def send_weekly_digests(*, now: datetime | None = None) -> dict[str, object]:
    """Send this week's digest to every manager who has not had it yet (idempotent)."""
    from salesflow.notify.services import notify

    now = now or clock.now()
    today = clock.to_local(now).date()
    week_start = today - timedelta(days=today.weekday())
    sent = []
    for manager in managers():
        try:
            with transaction.atomic():
                DigestSent.objects.create(manager=manager, week=week_start, sent_at=now)
                title, body = compose(manager, week_start, now)
                notify(
                    recipients=[manager],
                    kind=DIGEST_KIND,
                    title=title,
                    body=body,
                    subject=None,
                    actor=None,
                    now=now,
                )
        except IntegrityError:
            continue  # already sent this week
        sent.append(manager.pk)
    return {"sent": sent, "week": week_start.isoformat()}


def digest_tick(now: datetime) -> bool:
    """The worker's weekly digest: on the pack's weekday after its time, once that day."""
    from salesflow.core.worker import run_weekly

    _number, pack = active_pack()
    weekday, at = pack.settings.weekly_digest_weekday, pack.settings.weekly_digest_at
    return run_weekly(
        "analytics.weekly_digest", now, weekday=weekday, at=at, job=lambda: send_weekly_digests(now=now)
    )
