"""Process health (过程健康度): three daily indicators per team, their breaches and alerts.

- 线索响应中位时长 `median_lead_response`: per local day, the median minutes from a lead's
  assignment to its first follow-up (the first activity on it at or after assignment); a lead
  nobody has followed up yet counts with the minutes it has waited so far.
- 人均每日有证据动作数 `evidence_actions_per_rep_day`: per working day, evidence-backed actions
  (a piece of evidence uploaded, or an activity the pack counts as effective contact) divided
  by the scope's reps.
- 协作密度 `collaboration_density`: per day, over the customers won in the pack's trailing
  `period` (28 days), the average number of distinct people who acted on each (its owner, anyone
  who logged an activity on it or its opportunities, anyone who uploaded evidence for them).

Targets, alert levels, the `alert_after` windows and playbooks are the pack's
`health_thresholds`. A breach is a run of days whose value is worse than `alert_value`; days
without a value (no lead assigned, a weekend for a working-day indicator) neither extend nor
end it. The alert fires once when the run has lasted `alert_after` — calendar time for `d`/`h`,
working days of the company calendar for `wd` — and again only after a recovery.

Each indicator reads its raw rows for the whole range and every scope in one or two queries;
the per-day arithmetic runs over those few aggregated rows. The daily check keeps what it
computed per team (`HealthSeries`), and the page reads those rows back for every team whose
days, members and pack version still match — at a million activities the live read of the
history costs hundreds of milliseconds per page, the stored one a single query. A stored number
is as fresh as the last daily check (the page says when it ran); anything that no longer
matches is recomputed live.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate

from salesflow.activities.models import Activity
from salesflow.analytics import rollups
from salesflow.analytics.models import HealthAlert, HealthSeries
from salesflow.analytics.selectors import owner_ids
from salesflow.core import clock
from salesflow.leads.models import Lead
from salesflow.org.choices import Role, TeamKind
from salesflow.org.models import Team, User
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Evidence, Opportunity
from salesflow.rules.schema import HealthThreshold, RulePack
from salesflow.rules.selectors import active_pack, calendar_for
from salesflow.timers.calendar import WorkingCalendar
from salesflow.timers.durations import add_duration, parse_duration

HEALTH_CODES = ("median_lead_response", "evidence_actions_per_rep_day", "collaboration_density")
ALERT_KIND = "analytics.health_alert"


# ---------------------------------------------------------------------------------------------
# Scopes: whose numbers a row adds up


@dataclass
class Scope:
    """A row of the health page: a team (its members, limited to whom the viewer may see) or,
    for a rep, just themselves."""

    key: str
    name: str
    members: set[int]
    reps: int
    team: Team | None = None


def sales_teams() -> list[Team]:
    """Teams that sell: team-level nodes with an active manager in them."""
    managed = User.objects.filter(role=Role.MANAGER, is_active=True).values("team_id")
    return list(Team.objects.filter(kind=TeamKind.TEAM, pk__in=managed).order_by("path"))


def _members(teams: list[Team]) -> dict[int, set[int]]:
    rows = User.objects.filter(team__isnull=False).values_list("pk", "team__path", "role", "is_active")
    members: dict[int, set[int]] = {t.pk: set() for t in teams}
    for pk, path, _role, _active in rows:
        for team in teams:
            if path.startswith(team.path):
                members[team.pk].add(pk)
    return members


def _rep_count(ids: set[int], roles: dict[int, tuple[str, bool]]) -> int:
    # The denominator of a per-rep figure: the active reps, else everyone counted (a manager
    # looking at only themselves still gets a number).
    reps = sum(1 for i in ids if roles.get(i, ("", False)) == (Role.REP, True))
    return reps or len(ids)


def scopes_for(user: User) -> list[Scope]:
    """The rows `user` sees: every sales team for company-wide roles, the teams of their region
    or team for a director or manager, their own numbers for anyone else."""
    visible = owner_ids(user)
    roles = {pk: (role, active) for pk, role, active in User.objects.values_list("pk", "role", "is_active")}
    if visible is not None and user.role not in (Role.MANAGER, Role.DIRECTOR):
        return [Scope(key=f"u{user.pk}", name=str(user), members={user.pk}, reps=1)]
    teams = sales_teams()
    members = _members(teams)
    scopes = []
    for team in teams:
        ids = members[team.pk] if visible is None else members[team.pk] & visible
        if not ids:
            continue
        scopes.append(
            Scope(key=f"t{team.pk}", name=team.name, members=ids, reps=_rep_count(ids, roles), team=team)
        )
    return scopes


def team_scopes() -> list[Scope]:
    """Every sales team with all its members (what the daily alert check evaluates)."""
    roles = {pk: (role, active) for pk, role, active in User.objects.values_list("pk", "role", "is_active")}
    teams = sales_teams()
    members = _members(teams)
    return [
        Scope(
            key=f"t{t.pk}", name=t.name, members=members[t.pk], reps=_rep_count(members[t.pk], roles), team=t
        )
        for t in teams
        if members[t.pk]
    ]


# ---------------------------------------------------------------------------------------------
# The daily values


def days_of(start: date, end: date) -> list[date]:
    """Every local date from `start` to `end`, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _owner_of(ids_by_scope: dict[str, set[int]]) -> dict[int, list[str]]:
    owners: dict[int, list[str]] = defaultdict(list)
    for key, ids in ids_by_scope.items():
        for pk in ids:
            owners[pk].append(key)
    return owners


def _local_day(value: Any) -> date:
    # TruncDate returns a date on PostgreSQL and SQLite alike; a datetime is localised first.
    return clock.to_local(value).date() if isinstance(value, datetime) else value


def lead_response_minutes(
    scopes: list[Scope], start: date, end: date, *, now: datetime
) -> dict[str, dict[date, list[float]]]:
    """Per scope and local day of assignment: each lead's minutes from assignment to its first
    follow-up (or to `now` when nobody has followed it up yet)."""
    everyone = set().union(*(s.members for s in scopes)) if scopes else set()
    first = (
        Activity.objects.filter(lead_id=OuterRef("pk"), occurred_at__gte=OuterRef("assigned_at"))
        .order_by("occurred_at")
        .values("occurred_at")[:1]
    )
    rows = (
        Lead.objects.filter(
            owner_id__in=sorted(everyone),
            assigned_at__gte=clock.local_midnight(start),
            assigned_at__lt=min(clock.local_midnight(end + timedelta(days=1)), now),
        )
        .annotate(first_at=Subquery(first))
        .values_list("owner_id", "assigned_at", "first_at")
    )
    owners = _owner_of({s.key: s.members for s in scopes})
    out: dict[str, dict[date, list[float]]] = defaultdict(lambda: defaultdict(list))
    for owner, assigned, first_at in rows:
        assert assigned is not None  # filtered on its range
        minutes = ((first_at or now) - assigned).total_seconds() / 60
        for key in owners[owner]:
            out[key][clock.to_local(assigned).date()].append(max(0.0, minutes))
    return out


def _median_series(scopes: list[Scope], days: list[date], *, now: datetime) -> dict[str, list[float | None]]:
    minutes = lead_response_minutes(scopes, days[0], days[-1], now=now)
    return {
        s.key: [
            round(statistics.median(minutes[s.key][d]), 1) if minutes[s.key].get(d) else None for d in days
        ]
        for s in scopes
    }


def evidence_actions(scopes: list[Scope], start: date, end: date) -> dict[str, dict[date, int]]:
    """Per scope and local day: evidence-backed actions — pieces of evidence uploaded plus
    activities the pack counts as effective contact — by the scope's people."""
    everyone = sorted(set().union(*(s.members for s in scopes))) if scopes else []
    zone = clock.local_zone()
    since, until = clock.local_midnight(start), clock.local_midnight(end + timedelta(days=1))
    evidence = (
        Evidence.objects.filter(uploaded_by_id__in=everyone, uploaded_at__gte=since, uploaded_at__lt=until)
        .annotate(day=TruncDate("uploaded_at", tzinfo=zone))
        .values("uploaded_by_id", "day")
        .annotate(n=Count("id"))
        .values_list("uploaded_by_id", "day", "n")
    )
    effective = (
        Activity.objects.filter(
            actor_id__in=everyone, effective=True, occurred_at__gte=since, occurred_at__lt=until
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values("actor_id", "day")
        .annotate(n=Count("id"))
        .values_list("actor_id", "day", "n")
    )
    owners = _owner_of({s.key: s.members for s in scopes})
    out: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for rows in (evidence, effective):
        for person, day, n in rows:
            for key in owners[person]:
                out[key][_local_day(day)] += n
    return out


def _actions_series(
    scopes: list[Scope], days: list[date], threshold: HealthThreshold, calendar: WorkingCalendar
) -> dict[str, list[float | None]]:
    counts = evidence_actions(scopes, days[0], days[-1])
    working_only = threshold.alert_after is not None and parse_duration(threshold.alert_after).is_working_time
    return {
        s.key: [
            None
            if (working_only and not calendar.is_workday(d))
            else round(counts[s.key].get(d, 0) / max(1, s.reps), 2)
            for d in days
        ]
        for s in scopes
    }


def _people_live(customers: Any) -> dict[int, set[int]]:
    """Everyone who ever acted on each of `customers` (a subquery of ids), read live."""
    people: dict[int, set[int]] = defaultdict(set)
    for customer, person in Opportunity.objects.filter(customer_id__in=customers).values_list(
        "customer_id", "owner_id"
    ):
        if person is not None:
            people[customer].add(person)
    # An activity belongs to its own customer, else to its opportunity's: two queries that can
    # each use an index, where one OR across the join reads every activity. (The model's
    # ordering is dropped: it would join the DISTINCT and keep every row.)
    acted = [
        Activity.objects.filter(customer_id__in=customers)
        .values_list("customer_id", "actor_id")
        .order_by()
        .distinct(),
        Activity.objects.filter(customer_id__isnull=True, opportunity__customer_id__in=customers)
        .values_list("opportunity__customer_id", "actor_id")
        .order_by()
        .distinct(),
    ]
    uploaded = (
        Evidence.objects.filter(opportunity__customer_id__in=customers)
        .values_list("opportunity__customer_id", "uploaded_by_id")
        .order_by()
        .distinct()
    )
    for rows in (*acted, uploaded):
        for customer, person in rows:
            people[customer].add(person)
    return people


def won_customer_people(
    scopes: list[Scope], since: datetime, until: datetime
) -> dict[str, list[tuple[date, int, int]]]:
    """Per scope: (local close date, customer, distinct people who acted on it) of each won deal
    closed in [since, until) by the scope's people. The people come from the CustomerPeople
    roll-up when it is built, else live."""
    everyone = sorted(set().union(*(s.members for s in scopes))) if scopes else []
    won_deals = Opportunity.objects.filter(
        owner_id__in=everyone, status=OpportunityStatus.WON, closed_at__gte=since, closed_at__lt=until
    )
    won = list(won_deals.values_list("owner_id", "customer_id", "closed_at"))
    # The won customers as a subquery: thousands of ids sent four times cost more than the joins.
    customers = won_deals.values("customer_id")
    if rollups.state() is not None:
        # The roll-up holds each customer's people already de-duplicated: one grouped count.
        counts = rollups.people_per_customer(customers)
    else:
        counts = {customer: len(people) for customer, people in _people_live(customers).items()}
    owners = _owner_of({s.key: s.members for s in scopes})
    out: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
    for owner, customer, closed_at in won:
        assert closed_at is not None  # filtered on its range
        for key in owners[owner]:
            out[key].append((clock.to_local(closed_at).date(), customer, counts.get(customer, 0)))
    return out


def _collaboration_series(
    scopes: list[Scope], days: list[date], threshold: HealthThreshold
) -> dict[str, list[float | None]]:
    period = parse_duration(threshold.period)
    span = max(1, period.amount if period.unit in ("d", "wd") else -(-period.as_timedelta().days or 1))
    won = won_customer_people(
        scopes,
        clock.local_midnight(days[0] - timedelta(days=span - 1)),
        clock.local_midnight(days[-1] + timedelta(days=1)),
    )
    out: dict[str, list[float | None]] = {}
    wanted = set(days)
    first, last = min(days) - timedelta(days=span - 1), max(days)
    for s in scopes:
        # Won customers by close date. The trailing window slides one day at a time, keeping on
        # how many of its days each customer was won, so a day costs only the deals entering
        # and leaving it (a customer's people are one number, whichever deal brought it in).
        by_day: dict[date, dict[int, int]] = defaultdict(dict)
        people: dict[int, int] = {}
        for closed_on, customer, n in won.get(s.key, []):
            on_day = by_day[closed_on]
            on_day[customer] = max(on_day.get(customer, 0), n)
            people[customer] = max(people.get(customer, 0), n)
        inside: dict[int, int] = {}
        total = 0
        values: dict[date, float | None] = {}
        d = first
        while d <= last:
            for customer in by_day.get(d, {}):
                if customer not in inside:
                    inside[customer] = 0
                    total += people[customer]
                inside[customer] += 1
            for customer in by_day.get(d - timedelta(days=span), {}):
                inside[customer] -= 1
                if not inside[customer]:
                    del inside[customer]
                    total -= people[customer]
            if d in wanted:
                values[d] = round(total / len(inside), 2) if inside else None
            d += timedelta(days=1)
        out[s.key] = [values[d] for d in days]
    return out


def daily_series(
    code: str,
    scopes: list[Scope],
    days: list[date],
    *,
    pack: RulePack | None = None,
    now: datetime | None = None,
) -> dict[str, list[float | None]]:
    """One indicator's value per day (None: nothing to measure that day) for each scope."""
    if pack is None:
        _number, pack = active_pack()
    threshold = threshold_of(pack, code)
    now = now or clock.now()
    if not scopes or not days or threshold is None:
        return {s.key: [None] * len(days) for s in scopes}
    if code == "median_lead_response":
        return _median_series(scopes, days, now=now)
    if code == "evidence_actions_per_rep_day":
        return _actions_series(scopes, days, threshold, calendar_for(pack))
    if code == "collaboration_density":
        return _collaboration_series(scopes, days, threshold)
    raise ValueError(f"unknown health indicator {code}")


def threshold_of(pack: RulePack, code: str) -> HealthThreshold | None:
    """The pack's threshold called `code`."""
    return next((t for t in pack.health_thresholds if t.code == code), None)


# ---------------------------------------------------------------------------------------------
# Breaches


def worse(value: float, limit: Decimal | float, better: str) -> bool:
    """Whether `value` is on the wrong side of `limit` (above it when lower is better)."""
    return value > float(limit) if better == "lower" else value < float(limit)


@dataclass(frozen=True)
class Breach:
    """The run of breached days that ends with the latest measured day."""

    started_on: date
    last_on: date
    value: float
    lasted: bool


def lasted_long_enough(started_on: date, last_on: date, alert_after: str, calendar: WorkingCalendar) -> bool:
    """Whether a breach from the start of `started_on` to the end of `last_on` has lasted
    `alert_after`: working days of the calendar for `wd`, else the time the duration adds."""
    duration = parse_duration(alert_after)
    if duration.unit == "wd":
        return calendar.working_days_between(started_on, last_on + timedelta(days=1)) >= duration.amount
    deadline = add_duration(clock.local_midnight(started_on), duration, calendar=calendar)
    return deadline <= clock.local_midnight(last_on + timedelta(days=1))


def current_breach(
    days: list[date], values: list[float | None], threshold: HealthThreshold, calendar: WorkingCalendar
) -> Breach | None:
    """The breach still going on at the latest measured day (None when that day was fine)."""
    if threshold.alert_value is None:
        return None
    measured = [(d, v) for d, v in zip(days, values, strict=True) if v is not None]
    if not measured or not worse(measured[-1][1], threshold.alert_value, threshold.better):
        return None
    last_on, value = measured[-1]
    started_on = last_on
    for day, v in reversed(measured):
        if not worse(v, threshold.alert_value, threshold.better):
            break
        started_on = day
    lasted = threshold.alert_after is not None and lasted_long_enough(
        started_on, last_on, threshold.alert_after, calendar
    )
    return Breach(started_on=started_on, last_on=last_on, value=value, lasted=lasted)


# ---------------------------------------------------------------------------------------------
# The daily check and its alerts


def alert_recipients(team: Team) -> list[User]:
    """The team's manager(s) and the director(s) of the teams above it."""
    ancestors = [p for p in _ancestor_paths(team.path)]
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(role=Role.MANAGER, team=team) | Q(role=Role.DIRECTOR, team__path__in=ancestors))
        .order_by("pk")
    )


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _format(value: float, unit: str) -> str:
    number = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{number} {unit}".strip() if unit != "%" else f"{number}%"


def _alert_text(team: Team, threshold: HealthThreshold, breach: Breach) -> tuple[str, str]:
    from django.urls import reverse

    word = "高于" if threshold.better == "lower" else "低于"
    assert threshold.alert_value is not None
    title = f"过程健康度预警：{team.name} · {threshold.name}"
    body = (
        f"{threshold.name} 自 {breach.started_on:%m月%d日} 起持续{word} "
        f"{_format(float(threshold.alert_value), threshold.unit)}，"
        f"最近为 {_format(breach.value, threshold.unit)}"
        f"（目标 {_format(float(threshold.target), threshold.unit)}）。\n"
        f"改进手册：{threshold.playbook or '—'}\n"
        f"查看：{reverse('health-dashboard')}#{threshold.code}"
    )
    return title, body


@dataclass
class CheckResult:
    """What one daily check did."""

    fired: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """For the DailyRun row."""
        return {"fired": self.fired, "recovered": self.recovered}


def health_check(*, now: datetime | None = None, scopes: Iterable[Scope] | None = None) -> CheckResult:
    """Evaluate every sales team's indicators up to yesterday (the last whole local day): fire
    an alert for a breach that has now lasted its window and was not alerted yet, close the
    alerts of breaches that ended, and keep each team's series for the health page. Safe to run
    any number of times a day."""
    now = now or clock.now()
    number, pack = active_pack()
    calendar = calendar_for(pack)
    yesterday = clock.to_local(now).date() - timedelta(days=1)
    days = days_of(yesterday - timedelta(days=pack.settings.health_trend_days - 1), yesterday)
    teams = list(scopes) if scopes is not None else team_scopes()
    result = CheckResult()
    for code in HEALTH_CODES:
        threshold = threshold_of(pack, code)
        if threshold is None:
            continue
        series = daily_series(code, teams, days, pack=pack, now=now)
        _store_series(teams, code, days, series, pack_version=number, now=now)
        if threshold.alert_value is None or threshold.alert_after is None:
            continue
        for scope in teams:
            assert scope.team is not None
            breach = current_breach(days, series[scope.key], threshold, calendar)
            _settle(scope.team, threshold, breach, yesterday, now, result)
    return result


def members_key(scope: Scope) -> str:
    """A digest of whom a scope's numbers add up (its people and its rep count): a stored series
    stands for a team only while this is unchanged."""
    people = ",".join(str(pk) for pk in sorted(scope.members))
    return hashlib.sha256(f"{scope.reps}|{people}".encode()).hexdigest()


def _store_series(
    scopes: list[Scope],
    code: str,
    days: list[date],
    series: dict[str, list[float | None]],
    *,
    pack_version: int,
    now: datetime,
) -> None:
    rows = [
        HealthSeries(
            team=scope.team,
            indicator=code,
            first_day=days[0],
            last_day=days[-1],
            members_key=members_key(scope),
            pack_version=pack_version,
            values=series[scope.key],
            computed_at=now,
        )
        for scope in scopes
        if scope.team is not None
    ]
    HealthSeries.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["team", "indicator"],
        update_fields=["first_day", "last_day", "members_key", "pack_version", "values", "computed_at"],
    )


def stored_series(
    scopes: list[Scope], days: list[date], *, pack_version: int
) -> dict[tuple[str, str], HealthSeries]:
    """The stored series, by (scope key, indicator), that still stand for `scopes` over `days`
    under pack version `pack_version` — one query."""
    by_team = {s.team.pk: s for s in scopes if s.team is not None}
    if not by_team or not days:
        return {}
    found: dict[tuple[str, str], HealthSeries] = {}
    rows = HealthSeries.objects.filter(
        team_id__in=list(by_team), first_day=days[0], last_day=days[-1], pack_version=pack_version
    )
    for row in rows:
        scope = by_team[row.team_id]
        if row.members_key == members_key(scope) and len(row.values) == len(days):
            found[(scope.key, row.indicator)] = row
    return found


def _settle(
    team: Team,
    threshold: HealthThreshold,
    breach: Breach | None,
    today: date,
    now: datetime,
    result: CheckResult,
) -> None:
    """Close an open alert whose breach ended; fire a new one for a breach that lasted."""
    from salesflow.notify.services import notify

    with transaction.atomic():
        open_alerts = HealthAlert.objects.select_for_update().filter(
            team=team, indicator=threshold.code, recovered_on__isnull=True
        )
        ongoing = False
        for alert in open_alerts:
            # The same breach when the alerted run reaches into today's run (the run read today
            # may start later than the alert's first day: the trend's window slides forward).
            if breach is not None and alert.breach_last_on >= breach.started_on:
                alert.breach_last_on = breach.last_on
                alert.value = Decimal(str(breach.value))
                alert.save(update_fields=["breach_last_on", "value"])
                ongoing = True
            else:
                alert.recovered_on = today
                alert.save(update_fields=["recovered_on"])
                result.recovered.append(alert.pk)
        if breach is None or not breach.lasted or ongoing:
            return
        alert, created = HealthAlert.objects.get_or_create(
            team=team,
            indicator=threshold.code,
            breach_started_on=breach.started_on,
            defaults={"breach_last_on": breach.last_on, "value": Decimal(str(breach.value)), "fired_at": now},
        )
        if not created:
            return
        title, body = _alert_text(team, threshold, breach)
        notify(
            recipients=alert_recipients(team),
            kind=ALERT_KIND,
            title=title,
            body=body,
            subject=alert,
            actor=None,
            now=now,
        )
        result.fired.append(alert.pk)


def health_tick(now: datetime) -> bool:
    """The worker's daily health check, once a day after the pack's nightly time."""
    from salesflow.core.worker import run_once_per_day

    _number, pack = active_pack()
    if clock.to_local(now).time() < time.fromisoformat(pack.settings.customer_nightly_at):
        return False
    return run_once_per_day("analytics.health", now, lambda: health_check(now=now).as_dict())


# ---------------------------------------------------------------------------------------------
# The page's model


@dataclass
class IndicatorRow:
    """One indicator for one scope: the trend, the latest value and the alert state."""

    scope: Scope
    values: list[float | None]
    latest: float | None
    on_target: bool | None
    breach: Breach | None
    alert: HealthAlert | None


@dataclass
class IndicatorBlock:
    """An indicator of the health page: the pack's threshold and one row per scope."""

    threshold: HealthThreshold
    rows: list[IndicatorRow]


@dataclass
class HealthBoard:
    """Everything the health page and its API show for one viewer."""

    days: list[date]
    scopes: list[Scope]
    indicators: list[IndicatorBlock]
    computed_at: datetime | None = None  # the oldest stored series shown; None: all computed live


def health_board(user: User, *, now: datetime | None = None) -> HealthBoard:
    """The health page of `user`: each indicator per visible team, daily over the pack's trend
    length up to yesterday, with its open or latest alert. A team's series comes from the last
    daily check when it still matches, else it is computed live."""
    now = now or clock.now()
    number, pack = active_pack()
    calendar = calendar_for(pack)
    yesterday = clock.to_local(now).date() - timedelta(days=1)
    days = days_of(yesterday - timedelta(days=pack.settings.health_trend_days - 1), yesterday)
    scopes = scopes_for(user)
    team_ids = [s.team.pk for s in scopes if s.team is not None]
    alerts: dict[tuple[int, str], HealthAlert] = {}
    for alert in HealthAlert.objects.filter(team_id__in=team_ids).order_by("fired_at", "pk"):
        alerts[(alert.team_id, alert.indicator)] = alert  # the latest per team and indicator
    stored = stored_series(scopes, days, pack_version=number)
    blocks = []
    for code in HEALTH_CODES:
        threshold = threshold_of(pack, code)
        if threshold is None:
            continue
        live = [s for s in scopes if (s.key, code) not in stored]
        series = daily_series(code, live, days, pack=pack, now=now) if live else {}
        rows = []
        for scope in scopes:
            kept = stored.get((scope.key, code))
            values = kept.values if kept is not None else series[scope.key]
            measured = [v for v in values if v is not None]
            latest = measured[-1] if measured else None
            rows.append(
                IndicatorRow(
                    scope=scope,
                    values=values,
                    latest=latest,
                    on_target=None
                    if latest is None
                    else not worse(latest, threshold.target, threshold.better),
                    breach=current_breach(days, values, threshold, calendar),
                    alert=alerts.get((scope.team.pk, code)) if scope.team is not None else None,
                )
            )
        blocks.append(IndicatorBlock(threshold=threshold, rows=rows))
    computed = [row.computed_at for row in stored.values()]
    return HealthBoard(days=days, scopes=scopes, indicators=blocks, computed_at=min(computed, default=None))
