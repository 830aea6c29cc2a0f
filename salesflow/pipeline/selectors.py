"""Reads of opportunities, scoped to who is asking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Avg, F, FloatField, Func, Q, QuerySet

from salesflow.notify.selectors import with_open_tasks
from salesflow.org.models import User
from salesflow.org.selectors import owner_scope_q
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Evidence, Opportunity, StageVisit, Visit
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration
from salesflow.timers.models import Deadline


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    """Own opportunities, those one holds an open task about, and for managers their people's."""
    return Opportunity.objects.filter(with_open_tasks(user, owner_scope_q(user), Opportunity)).select_related(
        "owner", "customer"
    )


def visits_visible_to(user: User) -> QuerySet[Visit]:
    """Own visits and, for managers and directors, their people's."""
    return Visit.objects.filter(owner_scope_q(user)).select_related("customer", "owner")


def evidence_visible_to(user: User) -> QuerySet[Evidence]:
    """Evidence of the opportunities and visits the user may see."""
    return Evidence.objects.filter(
        Q(opportunity__in=opportunities_visible_to(user)) | Q(visit__in=visits_visible_to(user))
    )


class DaysBetween(Func):
    """`end - start` in days as a float, computed by the database itself.

    Django's generic datetime subtraction runs a Python function per row on SQLite; julianday()
    and EXTRACT(EPOCH …) keep a 200,000-row dwell average inside the engine.
    """

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday("
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)",
            arg_joiner=" - ",
        )


def dwell_by_stage(*, pipeline: str, team_id: int | None = None) -> dict[str, float]:
    """Average completed dwell per stage of a pipeline, in days (one aggregate query)."""
    stays = StageVisit.objects.filter(pipeline=pipeline, exited_at__isnull=False)
    if team_id is not None:
        stays = stays.filter(team_id=team_id)
    rows = stays.values("stage").annotate(avg=Avg(DaysBetween(F("exited_at"), F("entered_at"))))
    return {r["stage"]: float(r["avg"]) for r in rows if r["avg"] is not None}


def stage_comparison(opportunity: Opportunity, *, now: datetime) -> dict[str, Any]:
    """Days in the current stage against the team's average: "你在本阶段已落后团队均值 3.2 天"."""
    days = (now - opportunity.stage_entered_at).total_seconds() / 86400
    team_id = opportunity.owner.team_id if opportunity.owner else None
    average = dwell_by_stage(pipeline=opportunity.pipeline, team_id=team_id).get(opportunity.stage)
    behind = round(days - average, 1) if average is not None else None
    return {
        "days_in_stage": round(days, 1),
        "team_average_days": round(average, 1) if average is not None else None,
        "behind_team_by_days": behind if behind is not None and behind > 0 else 0.0,
        "message": f"你在本阶段已落后团队均值 {behind} 天" if behind is not None and behind > 0 else "",
    }


def light(opportunity: Opportunity, deadlines: list[Deadline], *, now: datetime) -> str:
    """Red: no update past the pack's limit or a breached stage timer; yellow: stalled; grey: closed."""
    if opportunity.status != OpportunityStatus.OPEN:
        return "grey"
    _number, pack = active_pack()
    red_after = parse_duration(pack.lights.opportunity_red_without_update).as_timedelta()
    last = opportunity.last_update_at or opportunity.stage_entered_at
    fired = {d.policy for d in deadlines if d.status in (Deadline.Status.FIRED, Deadline.Status.FAILED)}
    running_since = {d.policy for d in deadlines if d.created_at >= opportunity.stage_entered_at}
    if now - last >= red_after or ("tech_solution_breaker" in fired & running_since):
        return "red"
    if fired & running_since:
        return "yellow"
    return "green"


def quoting_frozen(opportunity: Opportunity) -> bool:
    """Whether quoting is frozen for the opportunity's customer (阶段熔断)."""
    from salesflow.rules.selectors import is_frozen

    return is_frozen(opportunity.customer, "quoting") is not None
