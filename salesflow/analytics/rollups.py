"""Daily roll-ups of the cockpit: stage entries per local day, kept current from the event log.

The funnel and stage conversion (cockpit) and the conversion spread (attribution, twelve months)
count distinct opportunities entering each stage in a period and whether they went on. Live,
that is a correlated subquery per stay over the whole stage history; the roll-up
(`StageEntryDay`) holds the same counts per day, so a page sums a few thousand rows instead.

Freshness: the worker's `rollup_tick` reads the events about opportunities recorded since the
last refresh every `settings.rollup_refresh_minutes` and recomputes the local days on which
those opportunities entered a stage (every owner's rows of those days, so a hand-over moves the
counts too). A rolled-up number is therefore at most that many minutes old plus one refresh's
run; the pages show the instant as 数据截至. A small company (fewer stage-history rows than
`settings.rollup_min_stage_visits`) never builds the roll-up and reads live, always current.
`salesflow manage rollups rebuild` recomputes everything (after a pack's stages change, an
import that bypassed the services, or a restore).

The same job keeps three more: `DwellDay` (completed stays by day of their end and length in
tenths of a day: the dwell percentiles), `CompletenessSnapshot` (资料完整率 per owner, recomputed
whole each refresh) and `CustomerPeople` (how many people ever acted on each customer: the
health page's collaboration density), each read only while the roll-up is built.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate

from salesflow.activities.models import Activity
from salesflow.analytics.completeness import SUBJECTS, Completeness, completeness_rows
from salesflow.analytics.models import (
    ActionDay,
    CompletenessSnapshot,
    CustomerPeople,
    DwellDay,
    RollupState,
    StageEntryDay,
    StageEntryMonth,
)
from salesflow.core import clock
from salesflow.core.models import Event
from salesflow.pipeline.models import Evidence, Opportunity, StageVisit, Visit
from salesflow.pipeline.selectors import DaysBetween
from salesflow.rules.schema import StageTemplate
from salesflow.rules.selectors import active_pack

STAGE_ENTRIES = "stage_entries"
OPPORTUNITY_SUBJECT = "pipeline.opportunity"
VISIT_SUBJECT = "pipeline.visit"
CUSTOMER_SUBJECT = "customers.customer"
LEAD_SUBJECT = "leads.lead"
# Customers whose people are recomputed per statement (bounded parameters on SQLite too).
PEOPLE_CHUNK = 200
# The pairs of health.won_customer_people, one SELECT each (opportunity owners, activities on
# the customer, activities on its opportunities, evidence on them), with the column `only`
# narrows to some customers.
PEOPLE_PARTS = (
    ("SELECT o.customer_id, o.owner_id FROM {opp} o WHERE o.owner_id IS NOT NULL{only}", "o.customer_id"),
    ("SELECT a.customer_id, a.actor_id FROM {act} a WHERE a.customer_id IS NOT NULL{only}", "a.customer_id"),
    (
        "SELECT o.customer_id, a.actor_id FROM {act} a JOIN {opp} o ON a.opportunity_id = o.id"
        " WHERE a.customer_id IS NULL{only}",
        "o.customer_id",
    ),
    (
        "SELECT o.customer_id, e.uploaded_by_id FROM {ev} e JOIN {opp} o ON e.opportunity_id = o.id"
        " WHERE e.uploaded_by_id IS NOT NULL{only}",
        "o.customer_id",
    ),
)
# Days recomputed per query when rebuilding: bounded memory whatever the history.
REBUILD_CHUNK_DAYS = 31

# When this worker process last looked whether the roll-up should be built (a count of the
# stage history is not something to run on every one-second tick).
_last_size_check: datetime | None = None


def state() -> RollupState | None:
    """The stage-entry roll-up's state; None while the cockpit reads live."""
    return RollupState.objects.filter(name=STAGE_ENTRIES).first()


@dataclass(frozen=True)
class Freshness:
    """What a page says about a rolled-up number: as of when, and how often it is refreshed."""

    as_of: datetime
    every_minutes: int


def freshness(current: RollupState | None) -> Freshness | None:
    """The freshness line of a page reading `current` (None: the page reads live)."""
    if current is None:
        return None
    _number, pack = active_pack()
    return Freshness(as_of=current.refreshed_at, every_minutes=pack.settings.rollup_refresh_minutes)


# ---------------------------------------------------------------------------------------------
# Computing rows (the live definitions of selectors._entries, per day)


def _ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days (first, last)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _computed(template: StageTemplate, days: list[tuple[date, date]]) -> QuerySet[Any, dict[str, Any]]:
    """Stays of `template`'s pipeline entered on `days` (runs of local days), grouped into
    StageEntryDay's key with the number of stays."""
    from salesflow.analytics.selectors import _stage_index

    pipeline = template.code
    zone = clock.local_zone()
    later = (
        StageVisit.objects.filter(
            opportunity_id=OuterRef("opportunity_id"),
            pipeline=pipeline,
            entered_at__gte=OuterRef("entered_at"),
        )
        .annotate(position=_stage_index(template))
        .filter(position__gt=OuterRef("position"))
    )
    previous = (
        StageVisit.objects.filter(
            opportunity_id=OuterRef("opportunity_id"), pipeline=pipeline, stage=OuterRef("stage")
        )
        .filter(
            Q(entered_at__lt=OuterRef("entered_at"))
            | Q(entered_at=OuterRef("entered_at"), id__lt=OuterRef("id"))
        )
        .order_by("-entered_at", "-id")
        .values("entered_at")[:1]
    )
    span = Q()
    for first, last in days:
        span |= Q(
            entered_at__gte=clock.local_midnight(first),
            entered_at__lt=clock.local_midnight(last + timedelta(days=1)),
        )
    return (
        StageVisit.objects.filter(span, pipeline=pipeline, opportunity__pipeline=pipeline)
        .annotate(position=_stage_index(template))
        .annotate(advanced=Exists(later), previous_at=Subquery(previous))
        .annotate(
            day=TruncDate("entered_at", tzinfo=zone),
            previous_day=TruncDate("previous_at", tzinfo=zone),
        )
        .values("day", "previous_day", "stage", "opportunity__owner_id", "advanced")
        .annotate(stays=Count("id"))
        .order_by()
    )


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return clock.to_local(value).date()
    return date.fromisoformat(str(value)[:10])


def _recompute(days: Iterable[date]) -> int:
    """Replace the rows of `days` (every pipeline, every owner) by freshly computed ones."""
    runs = _ranges(days)
    if not runs:
        return 0
    _number, pack = active_pack()
    made = 0
    for start in range(0, len(runs), 50):
        chunk = runs[start : start + 50]
        span = Q()
        for first, last in chunk:
            span |= Q(day__gte=first, day__lte=last)
        StageEntryDay.objects.filter(span).delete()
        rows = []
        for template in pack.stage_templates:
            for row in _computed(template, chunk):
                day = _as_date(row["day"])
                assert day is not None  # entered_at is never null
                rows.append(
                    StageEntryDay(
                        pipeline=template.code,
                        day=day,
                        stage=row["stage"],
                        owner_id=row["opportunity__owner_id"],
                        previous_day=_as_date(row["previous_day"]),
                        advanced=bool(row["advanced"]),
                        stays=row["stays"],
                    )
                )
        StageEntryDay.objects.bulk_create(rows, batch_size=2000)
        made += len(rows)
    months: set[date] = set()
    for first, last in runs:
        month = first.replace(day=1)
        while month <= last:
            months.add(month)
            month = _month_end(month) + timedelta(days=1)
    _recompute_months(months)
    return made


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _recompute_months(months: set[date]) -> None:
    """Replace the month rows of `months` (first days) by sums of their day rows."""
    for month in sorted(months):
        StageEntryMonth.objects.filter(month=month).delete()
        rows = (
            StageEntryDay.objects.filter(day__gte=month, day__lte=_month_end(month))
            .filter(Q(previous_day__isnull=True) | Q(previous_day__lt=month))
            .values("pipeline", "stage", "owner_id")
            .annotate(n=Sum("stays"), on=Sum("stays", filter=Q(advanced=True)))
            .order_by()
        )
        StageEntryMonth.objects.bulk_create(
            [
                StageEntryMonth(
                    pipeline=r["pipeline"],
                    month=month,
                    stage=r["stage"],
                    owner_id=r["owner_id"],
                    entered=r["n"] or 0,
                    advanced=r["on"] or 0,
                )
                for r in rows
            ],
            batch_size=2000,
        )


def _action_rows(template: StageTemplate, runs: list[tuple[date, date]]) -> list[tuple[str, Any, Any, int]]:
    """(stage, local day, owner, actions) of the heatmap's actions on `runs` of days, as
    heatmap._staged finds them live (only actions that happened in a stage of the pipeline)."""
    from salesflow.analytics.heatmap import _stage_at, activity_actions, evidence_actions

    zone = clock.local_zone()
    ids = Opportunity.objects.filter(pipeline=template.code).values("pk")
    out: list[tuple[str, Any, Any, int]] = []
    for first, last in runs:
        since, until = clock.local_midnight(first), clock.local_midnight(last + timedelta(days=1))
        grouped: list[Any] = [
            activity_actions(ids, since, until).annotate(
                at_stage=_stage_at("opportunity_id", "occurred_at", template.code),
                day=TruncDate("occurred_at", tzinfo=zone),
                person=F("opportunity__owner_id"),
            ),
            evidence_actions(ids, since, until).annotate(
                at_stage=_stage_at("opp", "uploaded_at", template.code),
                day=TruncDate("uploaded_at", tzinfo=zone),
                person=Coalesce("opportunity__owner_id", "visit__opportunity__owner_id"),
            ),
        ]
        for qs in grouped:
            rows = qs.exclude(at_stage=None).values_list("at_stage", "day", "person").annotate(n=Count("id"))
            out.extend(rows.order_by())
    return out


def _recompute_actions(days: Iterable[date]) -> int:
    """Replace the heatmap rows of `days` by freshly computed ones."""
    runs = _ranges(days)
    if not runs:
        return 0
    _number, pack = active_pack()
    made = 0
    for start in range(0, len(runs), 50):
        chunk = runs[start : start + 50]
        span = Q()
        for first, last in chunk:
            span |= Q(day__gte=first, day__lte=last)
        ActionDay.objects.filter(span).delete()
        totals: dict[tuple[str, date, str, int | None], int] = defaultdict(int)
        for template in pack.stage_templates:
            for stage, day, owner, n in _action_rows(template, chunk):
                local = _as_date(day)
                assert local is not None
                totals[(template.code, local, stage, owner)] += n
        ActionDay.objects.bulk_create(
            [
                ActionDay(pipeline=pipeline, day=day, stage=stage, owner_id=owner, actions=n)
                for (pipeline, day, stage, owner), n in totals.items()
            ],
            batch_size=2000,
        )
        made += len(totals)
    return made


def tenths_of(days: Any) -> int:
    """A stay's length in days as the cockpit shows it (one decimal, Python's `round` of the
    database's float), in tenths of a day."""
    return round(round(float(days), 1) * 10)


class _Tenths(Func):
    """PostgreSQL: `end - start` in whole tenths of a day, rounded half away from zero — Python's
    `round` of the same length except on an exact tie (see _Tie)."""

    template = "ROUND(EXTRACT(EPOCH FROM (%(expressions)s)) / 8640.0)::integer"
    arg_joiner = " - "
    output_field = IntegerField()


class _Tie(Func):
    """PostgreSQL: whether `end - start` lies exactly half-way between two tenths of a day
    (4,320 s past a multiple of 8,640 s), where Python's `round` of the float goes its own way."""

    template = "MOD(ABS(EXTRACT(EPOCH FROM (%(expressions)s))), 8640) = 4320"
    arg_joiner = " - "
    output_field = BooleanField()


def _stays_ended(template: StageTemplate, runs: list[tuple[date, date]]) -> Any:
    """Completed stays of `template`'s pipeline that ended on `runs` of local days, with their
    length (`days`, as the live page computes it) and the local day of their end."""
    zone = clock.local_zone()
    span = Q()
    for first, last in runs:
        span |= Q(
            exited_at__gte=clock.local_midnight(first),
            exited_at__lt=clock.local_midnight(last + timedelta(days=1)),
        )
    return (
        StageVisit.objects.filter(span, pipeline=template.code, opportunity__pipeline=template.code)
        .annotate(days=DaysBetween(F("exited_at"), F("entered_at")), day=TruncDate("exited_at", tzinfo=zone))
        .order_by()
    )


def _grouped_in_database(stays: Any) -> Any:
    """PostgreSQL: the stays not on an exact half-tenth, counted per (day, stage, owner, tenths)."""
    return (
        stays.annotate(tie=_Tie(F("exited_at"), F("entered_at")))
        .filter(tie=False)
        .annotate(tenths=_Tenths(F("exited_at"), F("entered_at")))
        .values("day", "stage", "opportunity__owner_id", "tenths")
        .annotate(n=Count("id"))
        .values_list("day", "stage", "opportunity__owner_id", "tenths", "n")
    )


def _rounded_here(stays: Any, *, ties_only: bool) -> dict[tuple[Any, ...], int]:
    """(day, stage, owner, tenths) → stays, each rounded by Python as the live page rounds it
    (only the exact half-tenths when the database grouped the others)."""
    if ties_only:
        stays = stays.annotate(tie=_Tie(F("exited_at"), F("entered_at"))).filter(tie=True)
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    one_by_one = stays.values_list("day", "stage", "opportunity__owner_id", "days")
    for day, stage, owner, days in one_by_one.iterator(chunk_size=5000):
        out[(_as_date(day), stage, owner, tenths_of(days))] += 1
    return out


def _dwell_rows(template: StageTemplate, runs: list[tuple[date, date]]) -> dict[tuple[Any, ...], int]:
    """(local day of the end, stage, owner, tenths) → completed stays of `template`'s pipeline
    that ended on `runs` of days: the stays selectors.dwell_distribution ranks live."""
    from django.db import connection

    stays = _stays_ended(template, runs)
    if connection.vendor != "postgresql":
        return _rounded_here(stays, ties_only=False)
    out = _rounded_here(stays, ties_only=True)
    for day, stage, owner, tenths, n in _grouped_in_database(stays):
        out[(_as_date(day), stage, owner, tenths)] += n
    return out


def _recompute_dwell(days: Iterable[date]) -> int:
    """Replace the dwell rows of `days` (every pipeline, every owner) by freshly computed ones.

    On PostgreSQL the grouped rows go straight from the stage history into the table (a
    history of two million stays makes as many rows when lengths rarely repeat per owner and
    day); only the exact half-tenths pass through Python. A key can then have two rows, which
    every reader sums."""
    from django.db import connection

    runs = _ranges(days)
    if not runs:
        return 0
    _number, pack = active_pack()
    in_database = connection.vendor == "postgresql"
    table = DwellDay._meta.db_table
    made = 0
    for start in range(0, len(runs), 50):
        chunk = runs[start : start + 50]
        span = Q()
        for first, last in chunk:
            span |= Q(day__gte=first, day__lte=last)
        DwellDay.objects.filter(span).delete()
        rows = []
        for template in pack.stage_templates:
            stays = _stays_ended(template, chunk)
            if in_database:
                sql, params = _grouped_in_database(stays).query.sql_with_params()
                insert = (
                    f"INSERT INTO {table} (day, stage, owner_id, tenths, stays, pipeline)"  # noqa: S608
                    f" SELECT grouped.*, %s FROM ({sql}) grouped"
                )
                with connection.cursor() as cursor:
                    cursor.execute(insert, [template.code, *params])
                    made += max(0, cursor.rowcount)
            rows += [
                DwellDay(pipeline=template.code, day=day, stage=stage, owner_id=owner, tenths=tenths, stays=n)
                for (day, stage, owner, tenths), n in _rounded_here(stays, ties_only=in_database).items()
            ]
        DwellDay.objects.bulk_create(rows, batch_size=2000)
        made += len(rows)
    return made


def _recompute_completeness() -> int:
    """Replace the completeness snapshot by every owner's figures now."""
    CompletenessSnapshot.objects.all().delete()
    rows = [
        CompletenessSnapshot(owner_id=owner, subject=subject, total=c.total, complete=c.complete)
        for subject, owner, c in completeness_rows(None)
    ]
    CompletenessSnapshot.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _people_select(customers: list[int] | None) -> tuple[str, list[int]]:
    """SQL of the distinct (customer, person) pairs of health.won_customer_people's live
    definition, for `customers` (None: every customer), and its parameters. Table names come
    from the models and the parameters are bound: no input reaches the text."""
    opp, act, ev = Opportunity._meta.db_table, Activity._meta.db_table, Evidence._meta.db_table
    only = ""
    if customers is not None:
        only = " AND {column} IN (" + ", ".join(["%s"] * len(customers)) + ")"
    sql = " UNION ".join(
        part.format(opp=opp, act=act, ev=ev, only=only.format(column=column)) for part, column in PEOPLE_PARTS
    )
    return sql, (customers or []) * 4


def _recompute_people(customers: set[int] | None) -> int:
    """Recount the people of `customers` (None: every customer) from the live pairs."""
    from django.db import connection

    table = CustomerPeople._meta.db_table
    if customers is None:
        CustomerPeople.objects.all().delete()
        chunks: list[list[int] | None] = [None]
    else:
        ids = sorted(customers)
        chunks = [ids[i : i + PEOPLE_CHUNK] for i in range(0, len(ids), PEOPLE_CHUNK)]
    made = 0
    with connection.cursor() as cursor:
        for chunk in chunks:
            if chunk is not None:
                CustomerPeople.objects.filter(customer_id__in=chunk).delete()
            select, params = _people_select(chunk)
            counted = f"SELECT customer_id, COUNT(*) FROM ({select}) pairs GROUP BY customer_id"  # noqa: S608
            cursor.execute(f"INSERT INTO {table} (customer_id, people) {counted}", params)
            made += max(0, cursor.rowcount)
    return made


def _customers_of(opportunities: set[int], leads: set[int]) -> set[int]:
    """The customers of `opportunities` and those that hold activities of `leads` (a conversion
    hands a lead's activities to its customer)."""
    found = set(
        Opportunity.objects.filter(pk__in=sorted(opportunities)).values_list("customer_id", flat=True)
    )
    found |= set(
        Activity.objects.filter(lead_id__in=sorted(leads), customer_id__isnull=False)
        .order_by()
        .values_list("customer_id", flat=True)
        .distinct()
    )
    return {c for c in found if c is not None}


def _exit_days(opportunities: set[int]) -> set[date]:
    """Local days on which stays of `opportunities` ended."""
    ended = StageVisit.objects.filter(opportunity_id__in=sorted(opportunities), exited_at__isnull=False)
    return {clock.to_local(at).date() for at in ended.values_list("exited_at", flat=True) if at is not None}


def _action_days(opportunities: set[int]) -> set[date]:
    """Local days of the actions on `opportunities` (directly or through their visits)."""
    instants = list(
        Activity.objects.filter(opportunity_id__in=sorted(opportunities), effective=True)
        .order_by()
        .values_list("occurred_at", flat=True)
    )
    instants += list(
        Evidence.objects.filter(
            Q(opportunity_id__in=sorted(opportunities)) | Q(visit__opportunity_id__in=sorted(opportunities))
        )
        .order_by()
        .values_list("uploaded_at", flat=True)
    )
    return {clock.to_local(at).date() for at in instants}


def _history_days() -> list[date]:
    """Every local day from the first stage entry to today."""
    first = StageVisit.objects.order_by("entered_at").values_list("entered_at", flat=True).first()
    if first is None:
        return []
    day, today = clock.to_local(first).date(), clock.to_local(clock.now()).date()
    return [day + timedelta(days=i) for i in range((today - day).days + 1)]


@dataclass(frozen=True)
class RefreshResult:
    """What one rebuild or refresh did."""

    days: int
    rows: int
    events: int = 0

    def as_dict(self) -> dict[str, int]:
        """For the worker's log and the command's output."""
        return {"days": self.days, "rows": self.rows, "events": self.events}


def rebuild(*, now: datetime | None = None) -> RefreshResult:
    """Recompute every row from the stage history and start taking in events from here."""
    now = now or clock.now()
    with transaction.atomic():
        last_event = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
        StageEntryDay.objects.all().delete()
        StageEntryMonth.objects.all().delete()
        ActionDay.objects.all().delete()
        DwellDay.objects.all().delete()
        days = _history_days()
        rows = 0
        for start in range(0, len(days), REBUILD_CHUNK_DAYS):
            rows += _recompute(days[start : start + REBUILD_CHUNK_DAYS])
            rows += _recompute_actions(days[start : start + REBUILD_CHUNK_DAYS])
            rows += _recompute_dwell(days[start : start + REBUILD_CHUNK_DAYS])
        rows += _recompute_completeness()
        rows += _recompute_people(None)
        RollupState.objects.update_or_create(
            name=STAGE_ENTRIES,
            defaults={"last_event_id": last_event, "refreshed_at": now, "rebuilt_at": now},
        )
    return RefreshResult(days=len(days), rows=rows)


def refresh(*, now: datetime | None = None) -> RefreshResult | None:
    """Take in the opportunity events since the last refresh: recompute the days on which the
    opportunities they name entered a stage. None when the roll-up was never built.

    Events are read by id after the last one taken in, and also by time over the last refresh
    interval: an event whose transaction committed late (a lower id seen after a higher one)
    is not lost, and recomputing a day twice gives the same rows."""
    now = now or clock.now()
    _number, pack = active_pack()
    with transaction.atomic():
        current = RollupState.objects.select_for_update().filter(name=STAGE_ENTRIES).first()
        if current is None:
            return None
        margin = timedelta(minutes=pack.settings.rollup_refresh_minutes)
        events = Event.objects.filter(
            subject_type__in=[OPPORTUNITY_SUBJECT, VISIT_SUBJECT, CUSTOMER_SUBJECT, LEAD_SUBJECT]
        ).filter(Q(id__gt=current.last_event_id) | Q(occurred_at__gte=current.refreshed_at - margin))
        touched: set[int] = set()
        visits: set[int] = set()
        customers: set[int] = set()
        leads: set[int] = set()
        subjects = {
            OPPORTUNITY_SUBJECT: touched,
            VISIT_SUBJECT: visits,
            CUSTOMER_SUBJECT: customers,
            LEAD_SUBJECT: leads,
        }
        removed_days: set[date] = set()
        last_event = current.last_event_id
        seen = 0
        for event_id, subject_type, subject_id, name, payload in events.values_list(
            "id", "subject_type", "subject_id", "name", "payload"
        ).order_by():
            subjects[subject_type].add(subject_id)
            if name == "evidence.deleted" and payload.get("uploaded_at"):
                # The deleted piece is gone from the table: its day comes from the event.
                removed_days.add(clock.to_local(datetime.fromisoformat(payload["uploaded_at"])).date())
            last_event = max(last_event, event_id)
            seen += 1
        touched |= set(
            Visit.objects.filter(pk__in=sorted(visits), opportunity__isnull=False).values_list(
                "opportunity_id", flat=True
            )
        )
        days = {
            clock.to_local(at).date()
            for at in StageVisit.objects.filter(opportunity_id__in=sorted(touched)).values_list(
                "entered_at", flat=True
            )
        }
        rows = _recompute(days)
        action_days = _action_days(touched) | removed_days
        rows += _recompute_actions(action_days)
        exit_days = _exit_days(touched)
        rows += _recompute_dwell(exit_days)
        # Data quality is a state of every record, not of the events read: recomputed whole.
        rows += _recompute_completeness()
        rows += _recompute_people(customers | _customers_of(touched, leads))
        days |= action_days | exit_days
        current.last_event_id = last_event
        current.refreshed_at = now
        current.save(update_fields=["last_event_id", "refreshed_at"])
    return RefreshResult(days=len(days), rows=rows, events=seen)


def rollup_tick(now: datetime) -> bool:
    """The worker's job: refresh every `rollup_refresh_minutes`; build the roll-up once the stage
    history reaches `rollup_min_stage_visits` rows (checked as often). True when it worked."""
    global _last_size_check
    _number, pack = active_pack()
    every = timedelta(minutes=pack.settings.rollup_refresh_minutes)
    current = state()
    if current is None:
        if _last_size_check is not None and now - _last_size_check < every:
            return False
        _last_size_check = now
        if StageVisit.objects.count() < pack.settings.rollup_min_stage_visits:
            return False
        rebuild(now=now)
        return True
    if now - current.refreshed_at < every:
        return False
    return refresh(now=now) is not None


# ---------------------------------------------------------------------------------------------
# Reading


def _owner_q(owners: set[int] | None, *, owner: int | None, team_path: str) -> Q:
    """The cockpit's scope (selectors._scope_q) on a roll-up row's owner."""
    q = Q()
    if owners is not None:
        q &= Q(owner_id__in=sorted(owners))
    if owner is not None:
        q &= Q(owner_id=owner)
    if team_path:
        q &= Q(owner__team__path__startswith=team_path)
    return q


def entries_by_owner(
    *, pipeline: str, start: date, end: date, owners: set[int] | None, owner: int | None, team_path: str
) -> list[tuple[str, int | None, int, int]]:
    """(stage, owner, distinct opportunities that entered it, of which advanced) over the local
    days `start`..`end`: what selectors.cockpit counts live. A whole calendar month reads the
    month rows, any other period sums the day rows."""
    if start.day == 1 and end == _month_end(start):
        month_rows = (
            StageEntryMonth.objects.filter(pipeline=pipeline, month=start)
            .filter(_owner_q(owners, owner=owner, team_path=team_path))
            .values("stage", "owner_id")
            .annotate(n=Sum("entered"), on=Sum("advanced"))
            .values_list("stage", "owner_id", "n", "on")
            .order_by()
        )
        return [(stage, owner_id, n or 0, on or 0) for stage, owner_id, n, on in month_rows]
    rows = (
        StageEntryDay.objects.filter(pipeline=pipeline, day__gte=start, day__lte=end)
        .filter(Q(previous_day__isnull=True) | Q(previous_day__lt=start))
        .filter(_owner_q(owners, owner=owner, team_path=team_path))
        .values("stage", "owner_id")
        .annotate(n=Sum("stays"), on=Sum("stays", filter=Q(advanced=True)))
        .values_list("stage", "owner_id", "n", "on")
        .order_by()
    )
    return [(stage, owner_id, n or 0, on or 0) for stage, owner_id, n, on in rows]


def entries_by_month(
    *, pipeline: str, start: date, end: date, owners: set[int] | None
) -> list[tuple[date, str, int | None, int, int]]:
    """(month, stage, owner, distinct opportunities entering it that month, of which advanced)
    for the months of `start`..`end`: what attribution's conversion spread counts live."""
    rows = (
        StageEntryMonth.objects.filter(pipeline=pipeline, month__gte=start.replace(day=1), month__lte=end)
        .filter(_owner_q(owners, owner=None, team_path=""))
        .values_list("month", "stage", "owner_id", "entered", "advanced")
    )
    out: list[tuple[date, str, int | None, int, int]] = []
    for month, stage, owner_id, n, on in rows:
        first = _as_date(month)
        assert first is not None
        out.append((first.replace(day=1), stage, owner_id, n or 0, on or 0))
    return out


def live_rows(template: StageTemplate, days: list[date]) -> dict[tuple[Any, ...], int]:
    """The rows the roll-up should hold for `days`, computed now (for checks and tests)."""
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in _computed(template, _ranges(days)):
        key = (
            template.code,
            _as_date(row["day"]),
            row["stage"],
            row["opportunity__owner_id"],
            _as_date(row["previous_day"]),
            bool(row["advanced"]),
        )
        out[key] += row["stays"]
    return dict(out)


def actions_by_day(
    *, pipeline: str, start: date, end: date, owners: set[int] | None, owner: int | None, team_path: str
) -> list[tuple[str, date, int | None, int]]:
    """(stage, local day, owner, actions) of the heatmap over `start`..`end`: what
    heatmap.heatmap counts live."""
    rows = (
        ActionDay.objects.filter(pipeline=pipeline, day__gte=start, day__lte=end)
        .filter(_owner_q(owners, owner=owner, team_path=team_path))
        .values_list("stage", "day", "owner_id", "actions")
    )
    out: list[tuple[str, date, int | None, int]] = []
    for stage, day, owner_id, n in rows:
        local = _as_date(day)
        assert local is not None
        out.append((stage, local, owner_id, n))
    return out


def dwell_counts(
    *, pipeline: str, start: date, end: date, owners: set[int] | None, owner: int | None, team_path: str
) -> dict[str, list[tuple[int, int]]]:
    """Per stage: (tenths of a day, completed stays) in ascending length, of the stays that
    ended on the local days `start`..`end`: what selectors.dwell_distribution ranks live."""
    rows = (
        DwellDay.objects.filter(pipeline=pipeline, day__gte=start, day__lte=end)
        .filter(_owner_q(owners, owner=owner, team_path=team_path))
        .values("stage", "tenths")
        .annotate(n=Sum("stays"))
        .values_list("stage", "tenths", "n")
        .order_by("stage", "tenths")
    )
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for stage, tenths, n in rows:
        out[stage].append((tenths, n))
    return dict(out)


def completeness_by_owner(owner_ids: Iterable[int]) -> dict[int, Completeness]:
    """资料完整率 of each owner from the last refresh's snapshot: what
    completeness.completeness_by_owner computes live."""
    result: dict[int, Completeness] = defaultdict(Completeness)
    rows = CompletenessSnapshot.objects.filter(
        owner_id__in=sorted(set(owner_ids)), subject__in=list(SUBJECTS)
    ).values_list("owner_id", "total", "complete")
    for owner_id, total, complete in rows:
        result[owner_id].add(Completeness(complete=complete, total=total))
    return dict(result)


def live_dwell_rows(template: StageTemplate, days: list[date]) -> dict[tuple[Any, ...], int]:
    """The dwell rows the roll-up should hold for `days`, computed now (for checks and tests)."""
    return {(template.code, *key): n for key, n in _dwell_rows(template, _ranges(days)).items()}


def people_per_customer(customers: QuerySet[Any, Any]) -> dict[int, int]:
    """How many people ever acted on each of `customers` (a subquery of customer ids): what
    health.won_customer_people counts live."""
    return dict(CustomerPeople.objects.filter(customer_id__in=customers).values_list("customer_id", "people"))
