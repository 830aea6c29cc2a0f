"""The pace alert (推进速度预警) of the forecast.

Once a week (the pack's `forecast.pace_check_weekday` after `pace_check_at`, local time) the
entries of last week into the pack's pace stages (`forecast.pace_stages`, e.g. 合同签订: contracts
going into review) are compared with the week before, per region (each active director's team
node) — or for the whole company when there is no director. When they fell by at least
`settings.forecast_pace_drop_alert_pct` percent, the region's director(s) and the GM get one
message with the simulation's number: "若维持当前推进速度，Q4 签约额预计缺口 820 万元".

A `PaceAlert` row per node and week makes it once per node and week, however often it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q

from salesflow.analytics import forecast as fc
from salesflow.analytics.models import PaceAlert
from salesflow.analytics.selectors import team_target
from salesflow.core import clock
from salesflow.org.choices import Role
from salesflow.org.models import Team, User
from salesflow.pipeline.models import StageVisit
from salesflow.rules.schema import RulePack
from salesflow.rules.selectors import active_pack

PACE_KIND = "analytics.forecast_pace"


@dataclass(frozen=True)
class Pace:
    """Entries into the pace stages of a node's people last week and the week before."""

    team: Team
    last_week: int
    week_before: int

    @property
    def drop_pct(self) -> float | None:
        """How far entries fell, in percent of the week before (None when it had none)."""
        if self.week_before == 0:
            return None
        return round(100 * (self.week_before - self.last_week) / self.week_before, 1)


def _members(team: Team) -> list[int]:
    return list(User.objects.filter(team__path__startswith=team.path).values_list("pk", flat=True))


def pace_of(team: Team, pack: RulePack, week_start: date) -> Pace:
    """Entries into the pace stages by opportunities of `team`'s people (owners now) in the
    week before `week_start` (a Monday) and in the week before that."""
    stages = Q()
    for pace in pack.forecast.pace_stages:
        stages |= Q(pipeline=pace.pipeline, stage=pace.stage)
    if not pack.forecast.pace_stages:
        return Pace(team=team, last_week=0, week_before=0)
    members = _members(team)
    this = clock.local_midnight(week_start)
    counts = []
    for weeks_back in (1, 2):
        since = this - timedelta(weeks=weeks_back)
        counts.append(
            StageVisit.objects.filter(
                stages,
                opportunity__owner_id__in=members,
                entered_at__gte=since,
                entered_at__lt=since + timedelta(weeks=1),
            ).count()
        )
    return Pace(team=team, last_week=counts[0], week_before=counts[1])


def nodes() -> list[tuple[Team, list[User]]]:
    """Each node the alert watches with who hears of it: every active director's team with
    that director (and the GM); without directors, the company's root with the GM."""
    gms = list(User.objects.filter(role=Role.GM, is_active=True).order_by("pk"))
    directors = list(
        User.objects.filter(role=Role.DIRECTOR, is_active=True, team__isnull=False)
        .select_related("team")
        .order_by("team__path", "pk")
    )
    watched: dict[int, tuple[Team, list[User]]] = {}
    for director in directors:
        assert director.team is not None
        _node, people = watched.setdefault(director.team.pk, (director.team, list(gms)))
        people.insert(0, director)
    if not watched:
        root = Team.objects.filter(parent__isnull=True).order_by("path").first()
        if root is not None and gms:
            watched[root.pk] = (root, gms)
    return list(watched.values())


def message_for(pace: Pace, pack: RulePack, *, now: datetime) -> tuple[str, Decimal | None]:
    """The alert's sentence for a node, with the simulation's quarter gap (or outlook)."""
    today = clock.to_local(now).date()
    q_first, q_last = fc.quarter_of(today)
    scope = fc.Scope(
        owners=frozenset(_members(pace.team)),
        month_target=team_target(pace.team, today.replace(day=1), fc.month_end(today)),
        quarter_target=team_target(pace.team, q_first, q_last),
    )
    result = fc.forecast(scope, pack, now=now)
    names = "、".join(dict.fromkeys(_stage_names(pack)))
    text = (
        f"{pace.team.name}：上周进入{names}的商机 {pace.last_week} 个，前一周 {pace.week_before} 个，"
        f"下降 {pace.drop_pct:g}%。{fc.gap_sentence(result)}。"
    )
    return text, result.quarter.expected_gap


def _stage_names(pack: RulePack) -> list[str]:
    names = []
    for pace in pack.forecast.pace_stages:
        template = next((t for t in pack.stage_templates if t.code == pace.pipeline), None)
        stage = next((s for s in template.stages if s.code == pace.stage), None) if template else None
        if stage is not None:
            names.append(stage.name)
    return names


def check_pace(*, now: datetime | None = None) -> dict[str, object]:
    """Compare last week's pace-stage entries with the week before for every watched node and
    alert once per node and week where they fell by the pack's percentage or more."""
    from salesflow.notify.services import notify

    now = now or clock.now()
    _number, pack = active_pack()
    today = clock.to_local(now).date()
    week_start = today - timedelta(days=today.weekday())
    threshold = pack.settings.forecast_pace_drop_alert_pct
    fired = []
    for team, recipients in nodes():
        pace = pace_of(team, pack, week_start)
        drop = pace.drop_pct
        if drop is None or drop < threshold:
            continue
        if PaceAlert.objects.filter(team=team, week=week_start).exists():
            continue
        text, gap = message_for(pace, pack, now=now)
        try:
            with transaction.atomic():
                PaceAlert.objects.create(
                    team=team,
                    week=week_start,
                    entries_this_week=pace.last_week,
                    entries_last_week=pace.week_before,
                    gap=gap,
                    message=text[:300],
                    fired_at=now,
                )
                notify(
                    recipients=recipients,
                    kind=PACE_KIND,
                    title=f"推进速度预警 · {team.name}",
                    body=text,
                    subject=None,
                    actor=None,
                    now=now,
                )
        except IntegrityError:
            continue  # another worker fired it
        fired.append(team.pk)
    return {"fired": fired, "week": week_start.isoformat()}


def pace_tick(now: datetime) -> bool:
    """The worker's weekly pace check: on the pack's weekday after its time, once that day."""
    from salesflow.core.worker import run_weekly

    _number, pack = active_pack()
    weekday, at = pack.forecast.pace_check_weekday, pack.forecast.pace_check_at
    return run_weekly("analytics.forecast_pace", now, weekday=weekday, at=at, job=lambda: check_pace(now=now))


def digest_section(manager: User, week_start: date, now: datetime) -> tuple[str, str] | None:
    """The weekly digest's forecast band (漏斗数字孪生): the month's P-low / P50 / P-high of the
    signed amount of the manager's team, the chance of missing its target and the quarter."""
    from salesflow.analytics.forecast_scope import ForecastFilters, scope_for

    _number, pack = active_pack()
    scope = scope_for(manager, ForecastFilters(), today=clock.to_local(now).date())
    result = fc.forecast(scope, pack, now=now)
    month, low, high = result.month, result.low_pct, result.high_pct
    lines = [
        f"{month.label}签约额预测：P{low} {fc.wan(month.band.low)} · P50 {fc.wan(month.band.p50)} · "
        f"P{high} {fc.wan(month.band.high)}（已签 {fc.wan(month.already_won)}）"
    ]
    if month.target is not None and month.p_miss is not None:
        lines.append(f"本月目标 {fc.wan(month.target)}，未达成概率 {month.p_miss * 100:.0f}%")
    lines.append(fc.gap_sentence(result))
    return "三、预测区间（漏斗数字孪生）", "\n".join(lines)
