"""个人效率: one rep's lead response times against their team's, and the ability radar.

Response time is lead assigned → first effective contact (`Lead.first_contact_at`), over the
leads assigned in the period. The team is the rep's own team node (its members now). The
radar's axes, their metrics and targets come from the pack (`ability_radar`); each axis scores
0–100 against its target. A fixed handful of grouped queries, whatever the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from salesflow.analytics import selectors
from salesflow.analytics.completeness import Completeness, completeness_by_owner
from salesflow.analytics.health import Scope, evidence_actions
from salesflow.analytics.selectors import CockpitFilters, nearest_rank
from salesflow.core import clock
from salesflow.leads.models import Lead
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity
from salesflow.pipeline.selectors import DaysBetween
from salesflow.rules.selectors import active_pack
from salesflow.timers.calendar import company_calendar

PERCENTILES = (25, 50, 75, 90)


def parse_efficiency_filters(params: Mapping[str, Any], *, user: User) -> CockpitFilters:
    """Cockpit filters with the page's default period: the pack's `efficiency_days` to today."""
    _number, pack = active_pack()
    values = dict(params.items())
    if not str(values.get("start") or "").strip() and not str(values.get("end") or "").strip():
        today = clock.to_local(clock.now()).date()
        values["start"] = (today - timedelta(days=pack.process_views.efficiency_days - 1)).isoformat()
        values["end"] = today.isoformat()
    return selectors.parse_filters(values, user=user)


def default_rep(user: User, filters: CockpitFilters) -> User | None:
    """Whose efficiency the page shows: the chosen owner; else a rep themselves; else the active
    rep in the caller's scope with the most leads assigned in the period (a manager lands on
    someone with numbers, not on an empty page)."""
    if filters.owner is not None:
        return User.objects.select_related("team").filter(pk=filters.owner).first()
    owners = selectors.owner_ids(user)
    if owners == {user.pk} or user.role == Role.REP:
        return User.objects.select_related("team").get(pk=user.pk)
    reps = User.objects.filter(role=Role.REP, is_active=True).select_related("team")
    if owners is not None:
        reps = reps.filter(pk__in=owners)
    if filters.team_path:
        reps = reps.filter(team__path__startswith=filters.team_path)
    assigned = Count(
        "leads", filter=Q(leads__assigned_at__gte=filters.since, leads__assigned_at__lt=filters.until)
    )
    return reps.annotate(assigned=assigned).order_by("-assigned", "team__path", "pk").first()


@dataclass
class Distribution:
    """Response times of one group's leads: answered and pending counts, nearest-rank
    percentiles and histogram bars (minutes)."""

    answered: int = 0
    pending: int = 0
    percentiles: dict[int, float] = field(default_factory=dict)
    bars: list[int] = field(default_factory=list)

    @property
    def assigned(self) -> int:
        """Leads assigned in the period."""
        return self.answered + self.pending


@dataclass
class RadarPoint:
    """One radar axis: the rep's and the team's value and their 0–100 scores."""

    code: str
    name: str
    metric: str
    target: Decimal
    rep_value: float | None
    team_value: float | None
    rep_score: float | None
    team_score: float | None


@dataclass
class Efficiency:
    """The page: whose, the team compared with, both distributions and the radar."""

    filters: CockpitFilters
    person: User
    team_name: str
    team_size: int
    buckets: list[int]
    rep: Distribution
    team: Distribution
    radar: list[RadarPoint]


def _minutes() -> Any:
    return DaysBetween(F("first_contact_at"), F("assigned_at")) * 1440


def _percentiles(leads: QuerySet[Lead], count: int) -> dict[int, float]:
    """Nearest-rank percentiles of the answered leads' response minutes (one window query)."""
    if not count:
        return {}
    ranks: dict[int, list[int]] = {}
    for p in PERCENTILES:
        ranks.setdefault(nearest_rank(p, count), []).append(p)
    rows = (
        leads.annotate(minutes=_minutes())
        .annotate(rank=Window(RowNumber(), order_by=[F("minutes").asc(), F("id").asc()]))
        .filter(rank__in=sorted(ranks))
        .values_list("rank", "minutes")
    )
    result: dict[int, float] = {}
    for rank, minutes in rows:
        for p in ranks[rank]:
            result[p] = round(float(minutes), 1)
    return result


def _score(value: float | None, target: Decimal, *, lower_better: bool) -> float | None:
    """0–100: the share of the target reached (response time: target ÷ value), capped at 100."""
    if value is None:
        return None
    goal = float(target)
    if lower_better:
        return 100.0 if value <= goal else round(100 * goal / value, 1)
    return round(min(100.0, 100 * value / goal), 1)


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def efficiency(user: User, filters: CockpitFilters, person: User) -> Efficiency:
    """The efficiency of `person` (someone `user` may see; the caller checked) in the period."""
    _number, pack = active_pack()
    edges = pack.process_views.response_buckets_minutes
    members = (
        list(User.objects.filter(team_id=person.team_id, is_active=True).values_list("pk", flat=True))
        if person.team_id
        else []
    )
    members = sorted(set(members) | {person.pk})
    leads = Lead.objects.filter(
        owner_id__in=members, assigned_at__gte=filters.since, assigned_at__lt=filters.until
    )
    answered = leads.filter(first_contact_at__isnull=False, first_contact_at__gte=F("assigned_at"))
    mine = Q(owner_id=person.pk)

    # One aggregate: per group the answered and pending counts, each histogram bar, conversions.
    aggregates: dict[str, Any] = {}
    is_answered = Q(first_contact_at__isnull=False, first_contact_at__gte=F("assigned_at"))
    for group, q in (("t", Q()), ("r", mine)):
        aggregates[f"{group}_answered"] = Count("id", filter=q & is_answered)
        aggregates[f"{group}_all"] = Count("id", filter=q)
        aggregates[f"{group}_converted"] = Count("id", filter=q & Q(converted_at__isnull=False))
        low: int | None = None
        for i, edge in enumerate([*edges, None]):
            bar = is_answered & q
            if low is not None:
                bar &= Q(minutes__gt=low)
            if edge is not None:
                bar &= Q(minutes__lte=edge)
            aggregates[f"{group}_bar{i}"] = Count("id", filter=bar)
            low = edge
    counts = leads.annotate(minutes=_minutes()).aggregate(**aggregates)

    def distribution(group: str, qs: QuerySet[Lead]) -> Distribution:
        n = counts[f"{group}_answered"]
        return Distribution(
            answered=n,
            pending=counts[f"{group}_all"] - n,
            percentiles=_percentiles(qs, n),
            bars=[counts[f"{group}_bar{i}"] for i in range(len(edges) + 1)],
        )

    rep = distribution("r", answered.filter(mine))
    team = distribution("t", answered)

    # Win rate over deals closed in the period (all pipelines).
    closed = Opportunity.objects.filter(
        owner_id__in=members, closed_at__gte=filters.since, closed_at__lt=filters.until
    ).aggregate(
        t_won=Count("id", filter=Q(status=OpportunityStatus.WON)),
        t_closed=Count("id", filter=Q(status__in=[OpportunityStatus.WON, OpportunityStatus.LOST])),
        r_won=Count("id", filter=mine & Q(status=OpportunityStatus.WON)),
        r_closed=Count("id", filter=mine & Q(status__in=[OpportunityStatus.WON, OpportunityStatus.LOST])),
    )

    # Evidence-backed actions counted as the health page and the battle report count them (by the
    # person who acted), per working day of the period so far.
    today = clock.to_local(clock.now()).date()
    rep_scope = Scope(key="rep", name="", members={person.pk}, reps=1)
    team_scope = Scope(key="team", name="", members=set(members), reps=len(members))
    actions = evidence_actions([rep_scope, team_scope], filters.start, min(filters.end, today))
    r_actions = sum(actions["rep"].values())
    t_actions = sum(actions["team"].values())
    last = min(filters.end, today)
    workdays = company_calendar().working_days_between(filters.start, last + timedelta(days=1))

    quality = completeness_by_owner(members)
    team_quality = Completeness()
    for c in quality.values():
        team_quality.add(c)

    values: dict[str, tuple[float | None, float | None]] = {
        "response_minutes": (rep.percentiles.get(50), team.percentiles.get(50)),
        "evidence_actions_per_day": (
            round(r_actions / workdays, 2) if workdays else None,
            round(t_actions / (workdays * len(members)), 2) if workdays else None,
        ),
        "lead_conversion_pct": (
            _rate(counts["r_converted"], counts["r_all"]),
            _rate(counts["t_converted"], counts["t_all"]),
        ),
        "win_rate_pct": (
            _rate(closed["r_won"], closed["r_closed"]),
            _rate(closed["t_won"], closed["t_closed"]),
        ),
        "completeness_pct": (quality.get(person.pk, Completeness()).pct, team_quality.pct),
    }
    radar = []
    for axis in pack.ability_radar:
        mine_value, team_value = values[axis.metric]
        lower = axis.metric == "response_minutes"
        radar.append(
            RadarPoint(
                code=axis.code,
                name=axis.name,
                metric=axis.metric,
                target=axis.target,
                rep_value=mine_value,
                team_value=team_value,
                rep_score=_score(mine_value, axis.target, lower_better=lower),
                team_score=_score(team_value, axis.target, lower_better=lower),
            )
        )
    return Efficiency(
        filters=filters,
        person=person,
        team_name=person.team.name if person.team else "",
        team_size=len(members),
        buckets=list(edges),
        rep=rep,
        team=team,
        radar=radar,
    )
