"""Whose forecast the caller sees (漏斗数字孪生), the targets it is held against, and the live
process of this week that sits beside it.

Scope: a manager their team, a director their region, the ops admin / COO / GM the company —
each narrowed by the same team, sales and pipeline filters as the other cockpit pages. A rep
sees the forecast of their own open opportunities against their own target (their team's total
is their manager's page: a rep never sees teammates' deals or another team's numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from salesflow.analytics import forecast as fc
from salesflow.analytics.selectors import owner_ids, person_target, team_target
from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.leads.models import Lead
from salesflow.org.choices import COMPANY_WIDE_ROLES, Role
from salesflow.org.models import Team, User
from salesflow.rules.schema import RulePack

MANAGING_ROLES = (Role.MANAGER, Role.DIRECTOR)


@dataclass(frozen=True)
class ForecastFilters:
    """What the forecast is narrowed by: a team node (with the teams beneath it), one person,
    one pipeline ('' = all), one product line ('' = all)."""

    team: Team | None = None
    owner: User | None = None
    pipeline: str = ""
    product_line: str = ""

    def params(self) -> dict[str, str]:
        """The filters as query parameters."""
        values = {
            "team": self.team.pk if self.team else None,
            "owner": self.owner.pk if self.owner else None,
            "pipeline": self.pipeline,
            "product_line": self.product_line,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _company_wide(user: User) -> bool:
    return bool(user.is_superuser) or user.role in COMPANY_WIDE_ROLES or owner_ids(user) is None


def teams_for(user: User) -> list[Team]:
    """The team nodes the caller may pick: the company's for company-wide roles, their own node
    and those beneath it for managers and directors, none for reps."""
    if _company_wide(user):
        return list(Team.objects.order_by("path"))
    if user.role in MANAGING_ROLES and user.team is not None:
        return list(Team.objects.filter(path__startswith=user.team.path).order_by("path"))
    return []


def people_for(user: User) -> list[User]:
    """The people the caller may pick (sales roles, in their scope)."""
    if not _company_wide(user) and user.role not in MANAGING_ROLES:
        return []
    people = User.objects.filter(is_active=True, role__in=(Role.REP, Role.MANAGER, Role.DIRECTOR))
    owners = owner_ids(user)
    if owners is not None:
        people = people.filter(pk__in=owners)
    return list(people.order_by("team__path", "pk"))


def _id(params: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> int | None:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        errors[name] = ["应为 id / Use an id."]
        return None
    return int(raw)


def parse_forecast_filters(params: Mapping[str, Any], *, user: User, pack: RulePack) -> ForecastFilters:
    """Filters from query parameters, checked: FieldErrors name every bad field. A team or a
    person outside the caller's scope is refused (their numbers and target are not the caller's)."""
    errors: dict[str, list[str]] = {}
    team = owner = None
    team_id = _id(params, "team", errors)
    if team_id is not None:
        team = next((t for t in teams_for(user) if t.pk == team_id), None)
        if team is None:
            errors["team"] = ["不在你可查看的团队范围内 / Not a team whose forecast you may see."]
    owner_id = _id(params, "owner", errors)
    if owner_id is not None:
        owner = next((p for p in people_for(user) if p.pk == owner_id), None)
        if owner is None:
            errors["owner"] = ["不在你可查看的人员范围内 / Not someone whose forecast you may see."]
    pipeline = str(params.get("pipeline") or "").strip()
    codes = [t.code for t in pack.stage_templates]
    if pipeline and pipeline not in codes:
        errors["pipeline"] = [f"应为 {', '.join(codes)} 之一 / Unknown pipeline."]
    product_line = str(params.get("product_line") or "").strip()
    lines = pack.dictionary("product_line")
    if product_line and (lines is None or product_line not in [c.code for c in lines.choices]):
        errors["product_line"] = ["没有这个产品线 / Unknown product line."]
    if errors:
        raise FieldErrors(errors, location="query")
    return ForecastFilters(team=team, owner=owner, pipeline=pipeline, product_line=product_line)


def _members(team: Team) -> set[int]:
    return set(User.objects.filter(team__path__startswith=team.path).values_list("pk", flat=True))


def target_holder(user: User, filters: ForecastFilters) -> Team | User | None:
    """Whose target the forecast is held against: the chosen person or team, else the caller's
    own node (a rep: themselves; company-wide roles: the company's root node)."""
    if filters.owner is not None:
        return filters.owner
    if filters.team is not None:
        return filters.team
    if _company_wide(user):
        return Team.objects.filter(parent__isnull=True).order_by("path").first()
    if user.role in MANAGING_ROLES:
        return user.team
    return user


def _target(holder: Team | User | None, start: date, end: date) -> Decimal | None:
    if isinstance(holder, Team):
        return team_target(holder, start, end)
    if isinstance(holder, User):
        return person_target(holder, start, end)
    return None


def scope_for(user: User, filters: ForecastFilters, *, today: date) -> fc.Scope:
    """The forecast's scope for the caller and filters, with the month's and quarter's targets
    (a pipeline or product line filter forecasts part of the business: no target then)."""
    owners = owner_ids(user)
    allowed: set[int] | None = None if owners is None else set(owners)
    if filters.team is not None:
        members = _members(filters.team)
        allowed = members if allowed is None else allowed & members
    if filters.owner is not None:
        allowed = {filters.owner.pk} if allowed is None else allowed & {filters.owner.pk}
    holder = target_holder(user, filters)
    month_target = quarter_target = None
    if not filters.pipeline and not filters.product_line:
        q_first, q_last = fc.quarter_of(today)
        month_target = _target(holder, today.replace(day=1), fc.month_end(today))
        quarter_target = _target(holder, q_first, q_last)
    return fc.Scope(
        owners=None if allowed is None else frozenset(allowed),
        pipeline=filters.pipeline,
        product_line=filters.product_line,
        month_target=month_target,
        quarter_target=quarter_target,
    )


# ---------------------------------------------------------------------------------------------
# The live process of this week


@dataclass(frozen=True)
class LiveStage:
    """One stage this week beside what the model learnt from history."""

    pipeline: str
    pipeline_name: str
    code: str
    name: str
    entered: int  # entries this week
    entered_last_week: int
    finished: int  # stays that ended this week
    conversion: float | None  # % of this week's finished stays that moved forward
    avg_dwell_days: float | None  # of this week's finished stays
    model_conversion: float | None  # % forward in the model's history
    model_avg_dwell_days: float | None
    model_stays: int
    borrowed: bool  # the model used the company's stays (the scope had too few)


@dataclass(frozen=True)
class Live:
    """This week's live process: new qualified leads and each stage's pace."""

    week_start: date
    qualified_leads: int
    qualified_leads_last_week: int
    stages: list[LiveStage]


def _qualified(scope: fc.Scope, since: datetime, until: datetime) -> int:
    leads = Lead.objects.filter(mql_at__gte=since, mql_at__lt=until)
    if scope.owners is not None:
        leads = leads.filter(owner_id__in=sorted(scope.owners))
    return leads.count()


def live_process(scope: fc.Scope, result: fc.Result, history: fc.History, *, now: datetime) -> Live:
    """New qualified leads (MQL) this week and last, and per stage this week's entries,
    conversion and average dwell beside the model's (the history the forecast learnt from)."""
    today = clock.to_local(now).date()
    monday = today - timedelta(days=today.weekday())
    since = clock.local_midnight(monday)
    start, end = since.timestamp() / fc.DAY, now.timestamp() / fc.DAY
    owners = (
        np.ones(len(history.owner), dtype=bool)
        if scope.owners is None
        else np.isin(history.owner, np.fromiter(scope.owners, dtype=np.int64))
    )
    stages = []
    for code, model in result.models.items():
        p = history.pipelines.index(code)
        in_pipeline = owners & (history.pipeline == p)
        for position, stage in enumerate(model.template.stages):
            here = in_pipeline & (history.stage == position)
            entered = int(np.sum(here & (history.entered >= start) & (history.entered < end)))
            before = int(np.sum(here & (history.entered >= start - 7) & (history.entered < start)))
            exited = np.nan_to_num(history.exited, nan=np.inf)
            done = here & (exited >= start) & (exited < end)
            dwell = (history.exited - history.entered)[done]
            # Moved forward: a later stay of the same opportunity in a later stage, or the win.
            idx = np.flatnonzero(done)
            forward = 0
            for i in idx:
                nxt = i + 1
                if nxt < len(history.opportunity) and history.opportunity[nxt] == history.opportunity[i]:
                    forward += int(history.stage[nxt] > position)
                else:
                    forward += int(bool(history.won[i]))
            stays = model.stays[position]
            all_dwell = model.dwell(position)
            stages.append(
                LiveStage(
                    pipeline=code,
                    pipeline_name=model.template.name,
                    code=stage.code,
                    name=stage.name,
                    entered=entered,
                    entered_last_week=before,
                    finished=len(idx),
                    conversion=round(100 * forward / len(idx), 1) if len(idx) else None,
                    avg_dwell_days=round(float(dwell.mean()), 1) if len(dwell) else None,
                    model_conversion=round(100 * len(stays.forward_dwell) / stays.count, 1)
                    if stays.count
                    else None,
                    model_avg_dwell_days=round(float(all_dwell.mean()), 1) if len(all_dwell) else None,
                    model_stays=stays.count,
                    borrowed=stays.borrowed,
                )
            )
    return Live(
        week_start=monday,
        qualified_leads=_qualified(scope, since, now),
        qualified_leads_last_week=_qualified(scope, since - timedelta(days=7), since),
        stages=stages,
    )
