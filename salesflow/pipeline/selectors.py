"""Reads of opportunities, scoped to who is asking."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    Avg,
    Case,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from salesflow.core import clock
from salesflow.core.lookups import InArray, InSubqueryArray, owned_by, search_term
from salesflow.core.pagination import NO_DEADLINE, OWNER_KEY, SortKey, with_light
from salesflow.notify.selectors import with_open_tasks
from salesflow.org.models import User
from salesflow.org.selectors import owned_in_team, owner_scope_q
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Evidence, Opportunity, StageVisit, Visit
from salesflow.rules.schema import EvidenceRequirement, Stage
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration
from salesflow.timers.models import Deadline


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    """Own opportunities, those one holds an open task about, and for managers their people's."""
    return Opportunity.objects.filter(with_open_tasks(user, owner_scope_q(user), Opportunity)).select_related(
        "owner", "customer"
    )


def first_per_stage(
    open_deals: QuerySet[Opportunity], stages: Iterable[str], *, limit: int
) -> QuerySet[Opportunity]:
    """The board's cards: of `open_deals` (one pipeline), the `limit` longest in each stage, in
    one statement, ordered by `stage_entered_at` then id.

    One `ORDER BY stage_entered_at, id LIMIT n` read per stage, which the open-deal index by
    (pipeline, stage, stage_entered_at, id) serves by reading those rows only; ranking every
    open deal with a ROW_NUMBER window read and sorted them all (30,000 for the GM at issue
    #15's size). The reads' ids are OR-ed `= ANY(ARRAY(…))` (InSubqueryArray): a BitmapOr on the
    primary key on PostgreSQL, plain `IN (… LIMIT n)` on SQLite.
    """
    per_stage = Q()
    for stage in stages:
        first = open_deals.filter(stage=stage).order_by("stage_entered_at", "id").values("pk")[:limit]
        per_stage |= Q(InSubqueryArray(F("pk"), first))
    if not per_stage:
        return open_deals.none()
    return open_deals.filter(per_stage).order_by("stage_entered_at", "id")


@dataclass(frozen=True)
class OpportunityFilters:
    """What a list of opportunities may be narrowed by: the API's query and the board's."""

    q: str = ""
    owner: str = ""  # "me" or a user id
    status: str = ""
    customer: int | None = None
    pipeline: str = ""
    stage: str = ""
    team: str = ""  # a team id: owners in this team or beneath it
    light: str = ""  # red / yellow / green / grey


def opportunities_list(
    *, user: User, filters: OpportunityFilters, now: datetime | None = None
) -> QuerySet[Opportunity]:
    """The opportunities `user` sees narrowed by `filters` (`q` matches the title or the customer).

    The light filter is judged at `now` (the clock's time when not given).
    """
    qs = opportunities_visible_to(user)
    qs = owned_in_team(qs, filters.team)
    if filters.light:
        qs = with_light(with_list_keys(qs, now=now or clock.now()), filters.light)
    qs = owned_by(qs, filters.owner, user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    if filters.pipeline:
        qs = qs.filter(pipeline=filters.pipeline)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    q = search_term(filters.q)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(customer__name__icontains=q))
    return qs


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


def stage_comparison(
    opportunity: Opportunity, *, now: datetime, viewer: User | None = None
) -> dict[str, Any]:
    """Days in the current stage against the team's average: "你在本阶段已落后团队均值 3.2 天".

    The message speaks to the owner ("你…"); anyone else (`viewer` not the owner, e.g. the
    manager) reads it about the owner by name ("田彬在本阶段…").
    """
    return stage_comparisons([opportunity], now=now, viewer=viewer)[opportunity.pk]


def stage_comparisons(
    opportunities: list[Opportunity], *, now: datetime, viewer: User | None = None
) -> dict[int, dict[str, Any]]:
    """`stage_comparison` of many opportunities (a list page): two aggregate queries at most,
    whatever their number — one for the owners' teams, one for the company-wide averages."""
    teams = {(o.pipeline, o.owner.team_id) for o in opportunities if o.owner and o.owner.team_id}
    wide = {o.pipeline for o in opportunities if not (o.owner and o.owner.team_id)}
    averages: dict[tuple[str, int | None, str], float] = {}
    stays = StageVisit.objects.filter(exited_at__isnull=False)
    if teams:
        rows = (
            stays.filter(pipeline__in={p for p, _t in teams}, team_id__in={t for _p, t in teams})
            .values("pipeline", "team_id", "stage")
            .annotate(avg=Avg(DaysBetween(F("exited_at"), F("entered_at"))))
        )
        for r in rows:
            if r["avg"] is not None:
                averages[(r["pipeline"], r["team_id"], r["stage"])] = float(r["avg"])
    if wide:
        rows = (
            stays.filter(pipeline__in=wide)
            .values("pipeline", "stage")
            .annotate(avg=Avg(DaysBetween(F("exited_at"), F("entered_at"))))
        )
        for r in rows:
            if r["avg"] is not None:
                averages[(r["pipeline"], None, r["stage"])] = float(r["avg"])
    result = {}
    for o in opportunities:
        team_id = o.owner.team_id if o.owner else None
        average = averages.get((o.pipeline, team_id, o.stage))
        result[o.pk] = _comparison(o, average, now=now, viewer=viewer)
    return result


def _comparison(
    opportunity: Opportunity, average: float | None, *, now: datetime, viewer: User | None
) -> dict[str, Any]:
    days = (now - opportunity.stage_entered_at).total_seconds() / 86400
    owner = opportunity.owner
    behind = round(days - average, 1) if average is not None else None
    message = ""
    if behind is not None and behind > 0:
        if owner is None or viewer is None or viewer.pk == owner.pk:
            message = gettext("你在本阶段已落后团队均值 %(days)s 天") % {"days": behind}
        else:
            message = gettext("%(name)s在本阶段已落后团队均值 %(days)s 天") % {
                "name": str(owner),
                "days": behind,
            }
    return {
        "days_in_stage": round(days, 1),
        "team_average_days": round(average, 1) if average is not None else None,
        "behind_team_by_days": behind if behind is not None and behind > 0 else 0.0,
        "message": message,
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
    breakers = set(pack.policy_codes_for("stage_breaker"))
    if now - last >= red_after or (breakers & fired & running_since):
        return "red"
    if fired & running_since:
        return "yellow"
    return "green"


def quoting_frozen(opportunity: Opportunity) -> bool:
    """Whether quoting is frozen for the opportunity's customer (阶段熔断)."""
    from salesflow.rules.selectors import is_frozen

    return is_frozen(opportunity.customer, "quoting") is not None


def quoting_frozen_customers(opportunities: list[Opportunity]) -> set[int]:
    """Ids of the opportunities' customers whose quoting is frozen (one query, a list page)."""
    from salesflow.customers.models import Customer
    from salesflow.rules.selectors import frozen_ids

    return frozen_ids(Customer, {o.customer_id for o in opportunities}, "quoting")


# ---------------------------------------------------------------------------------------------
# Evidence status: what a step needs and what is there (动作锁). The API, the board, the
# opportunity page, the visit pages and the services' locks all read it from here.


def evidence_points(kind: str, text: str) -> int:
    """How many pieces one upload counts for: need points one per non-empty line, others one."""
    if kind == "need_points":
        return len([p for p in (text or "").split("\n") if p.strip()])
    return 1


@dataclass(frozen=True)
class RequirementStatus:
    """One required piece of evidence and how many pieces of it are there."""

    requirement: EvidenceRequirement
    have: int

    @property
    def done(self) -> bool:
        """Whether the requirement is met."""
        return self.have >= self.requirement.min_count

    def as_missing(self) -> dict[str, str]:
        """The `missing` entry the API and the 409 answers show."""
        r = self.requirement
        return {
            "kind": r.kind,
            "code": r.code,
            "label": r.name + (f" ×{r.min_count}" if r.min_count > 1 else ""),
        }


@dataclass(frozen=True)
class EvidenceStatus:
    """A step's requirements (a stage of an opportunity, or a visit package) and what is there."""

    items: list[RequirementStatus]

    @property
    def missing(self) -> list[dict[str, str]]:
        """The requirements not yet met, as the API names them."""
        return [i.as_missing() for i in self.items if not i.done]

    @property
    def complete(self) -> bool:
        """Whether every requirement is met."""
        return all(i.done for i in self.items)


def _status(requirements: Iterable[EvidenceRequirement], have: dict[str, int]) -> EvidenceStatus:
    return EvidenceStatus(
        items=[RequirementStatus(requirement=r, have=have.get(r.code, 0)) for r in requirements]
    )


def _stage_of(opportunity: Opportunity) -> Stage | None:
    from salesflow.pipeline.services import pipeline_for  # the template lookup lives with the writes

    template = pipeline_for(opportunity.pipeline)
    return next((s for s in template.stages if s.code == opportunity.stage), None) if template else None


def visit_package_items(visit: Visit) -> list[EvidenceRequirement]:
    """The items of the visit's package in the active pack (none when the pack dropped it)."""
    _number, pack = active_pack()
    package = next((p for p in pack.visit_packages if p.code == visit.package), None)
    return list(package.items) if package else []


def evidence_status(
    *, opportunity: Opportunity | None = None, visit: Visit | None = None, stage: Stage | None = None
) -> EvidenceStatus:
    """What the opportunity's `stage` (default: its current stage) or the visit's package still needs.

    One query; evidence counts for the stage it was uploaded in.
    """
    if visit is not None:
        requirements = visit_package_items(visit)
        rows = Evidence.objects.filter(visit=visit)
    else:
        assert opportunity is not None
        stage = stage or _stage_of(opportunity)
        if stage is None:
            return EvidenceStatus(items=[])
        requirements = list(stage.exit_evidence)
        if not requirements:
            return EvidenceStatus(items=[])  # nothing to count: no query
        rows = Evidence.objects.filter(opportunity=opportunity, stage=stage.code)
    have: dict[str, int] = defaultdict(int)
    for requirement, kind, text in rows.values_list("requirement", "kind", "text"):
        have[requirement] += evidence_points(kind, text)
    return _status(requirements, have)


def evidence_status_by_stage(opportunity: Opportunity, stages: list[Stage]) -> dict[str, EvidenceStatus]:
    """Every stage's evidence status of one opportunity, in one query (the page's checklist, the
    advance's checks); none when no stage asks for evidence."""
    have: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if any(s.exit_evidence for s in stages):
        rows = Evidence.objects.filter(opportunity=opportunity).values_list(
            "stage", "requirement", "kind", "text"
        )
        for stage, requirement, kind, text in rows:
            have[stage][requirement] += evidence_points(kind, text)
    return {s.code: _status(s.exit_evidence, have[s.code]) for s in stages}


def _current_stage_points(opportunities: list[Opportunity]) -> dict[int, dict[str, int]]:
    """Evidence points per requirement of each opportunity's current stage, in one query (none
    when the list is empty: callers pass only the opportunities whose stage asks for evidence)."""
    have: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    ids = [o.pk for o in opportunities]
    if ids:
        # The ids as one array parameter (InArray): a board's 500 placeholders cost more than the read.
        rows = Evidence.objects.filter(
            InArray(F("opportunity_id"), ids), stage=F("opportunity__stage")
        ).values_list("opportunity_id", "requirement", "kind", "text")
        for opportunity_id, requirement, kind, text in rows:
            assert opportunity_id is not None
            have[opportunity_id][requirement] += evidence_points(kind, text)
    return have


def evidence_status_of_many(
    opportunities: list[Opportunity], stages: list[Stage]
) -> dict[int, EvidenceStatus]:
    """The current stage's evidence status of many opportunities of one pipeline, in one query (the board)."""
    by_code = {s.code: s for s in stages}
    have = _current_stage_points(
        [o for o in opportunities if o.stage in by_code and by_code[o.stage].exit_evidence]
    )
    result = {}
    for o in opportunities:
        stage = by_code.get(o.stage)
        result[o.pk] = _status(stage.exit_evidence if stage else [], have[o.pk])
    return result


def evidence_status_of_current(opportunities: list[Opportunity]) -> dict[int, EvidenceStatus]:
    """The current stage's evidence status of opportunities of any pipelines, in one query (the
    API's list); an opportunity whose stage the pack no longer knows needs nothing, and one that
    carries its `current_evidence` (just advanced) is not read again."""
    from salesflow.pipeline.services import pipeline_for

    stages: dict[tuple[str, str], Stage] = {}
    for pipeline in {o.pipeline for o in opportunities}:
        template = pipeline_for(pipeline)
        for stage in template.stages if template else []:
            stages[(pipeline, stage.code)] = stage
    held = {o.pk: o.current_evidence for o in opportunities if o.current_evidence is not None}
    # What each of the others asks for in its current stage (nothing when the pack lost the stage).
    asks = {
        o.pk: list(current.exit_evidence) if (current := stages.get((o.pipeline, o.stage))) else []
        for o in opportunities
        if o.pk not in held
    }
    have = _current_stage_points([o for o in opportunities if asks.get(o.pk)])
    return held | {pk: _status(requirements, have[pk]) for pk, requirements in asks.items()}


# ---------------------------------------------------------------------------------------------
# The 商机 list: the light and the next stage deadline in SQL, to sort and filter by them


def with_list_keys(qs: QuerySet[Opportunity], *, now: datetime) -> QuerySet[Opportunity]:
    """Annotate `light_rank` (0 red … 3 grey, the rule of `light()`) and `due_key` (next stage timer)."""
    _number, pack = active_pack()
    red_after = parse_duration(pack.lights.opportunity_red_without_update).as_timedelta()
    timers = Deadline.objects.filter(subject_type=Opportunity._meta.label_lower, subject_id=OuterRef("pk"))
    # As `light()`: a policy that fired (at any time) and also has a timer started in this stage.
    started_here = Deadline.objects.filter(
        subject_type=Opportunity._meta.label_lower,
        subject_id=OuterRef(OuterRef("pk")),
        policy=OuterRef("policy"),
        created_at__gte=OuterRef(OuterRef("stage_entered_at")),
    )
    fired_here = timers.filter(status__in=[Deadline.Status.FIRED, Deadline.Status.FAILED]).filter(
        Exists(started_here)
    )
    breakers = pack.policy_codes_for("stage_breaker")
    pending = timers.filter(status=Deadline.Status.PENDING)
    return qs.annotate(
        last_update_key=Coalesce("last_update_at", "stage_entered_at"),
        light_rank=Case(
            When(~Q(status=OpportunityStatus.OPEN), then=Value(3)),
            When(
                Q(last_update_key__lte=now - red_after) | Q(Exists(fired_here.filter(policy__in=breakers))),
                then=Value(0),
            ),
            When(Exists(fired_here), then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        due_key=Coalesce(
            Subquery(pending.order_by("due_at").values("due_at")[:1]),
            Value(NO_DEADLINE),
            output_field=DateTimeField(),
        ),
        owner_key=OWNER_KEY,
    )


LIST_SORTS = {
    "light": SortKey("light", (("light_rank", False), ("due_key", False), ("stage_entered_at", False))),
    "title": SortKey("title", (("title", False),)),
    "amount": SortKey("amount", (("amount", True),)),
    "stage": SortKey("stage", (("stage_entered_at", False),)),
    "due": SortKey("due", (("due_key", False),)),
    "owner": SortKey("owner", (("owner_key", False),)),
}
