"""The management cockpit at scale (PostgreSQL only).

A company of 300 reps in 30 teams of 3 regions (a manager per team, a director per region, one
GM) with 200,000 opportunities, about 2,000,000 stage-history rows (pipeline.StageVisit),
1,000,000 activities, 100,000 leads, 50,000 customers and 200,000 pieces of evidence spread over
the last 400 days (`--quick`: a tenth of each). The org is made through the org services; the
records are written set-based (`INSERT … SELECT … generate_series`) so the build takes
minutes. Every column a model fills by default is filled from the model's own default, so the
rows are what the application would have written.

Then every cockpit page and API (dashboards, drill-down, heatmap, efficiency, health,
attribution, battle report and its panels) is requested through django.test.Client as a team
manager, a region director and the GM: a warm-up, then several timed requests each — median
and p90 of the server time — and the query count of one more request. Before measuring, the
cockpit's daily roll-ups are built (`analytics.rollups.rebuild`, what the worker does once the
history is that large) and the daily health check runs (it keeps each team's health series for
the health pages); their times are in the dataset figures.

It runs in a child process (`salesflow bench --inner cockpit`) connected to a fresh migrated
database. Pointed at an existing database (DATABASE_URL), the child builds the data only when
the database has no opportunities yet, so a developer can re-measure without rebuilding.
"""

# The SQL below is assembled from constants, pack codes and integers of this module; no input.
# ruff: noqa: S608

from __future__ import annotations

import resource
from datetime import datetime
from typing import Any

from benchmarks.common import (
    Options,
    Scenario,
    Stopwatch,
    fresh_database,
    median,
    percentile,
    progress,
    salesflow,
    timed_gets,
)

REGIONS, TEAMS_PER_REGION, REPS_PER_TEAM = 3, 10, 10
SIZES = {
    False: {
        "customers": 50_000,
        "opportunities": 200_000,
        "stage_visits": 2_000_000,
        "activities": 1_000_000,
        "leads": 100_000,
        "evidence": 200_000,
    },
    True: {
        "customers": 5_000,
        "opportunities": 20_000,
        "stage_visits": 200_000,
        "activities": 100_000,
        "leads": 10_000,
        "evidence": 20_000,
    },
}
HISTORY_DAYS = 400
RUNS = {False: 5, True: 2}
# A request slower than this is repeated fewer times, so a slow "before" run still ends.
SLOW_MS = 4000
CHILD_TIMEOUT_SECONDS = 3 * 3600
PIPELINE = "standard"


# --------------------------------------------------------------------------- set-based inserts


def _insert_select(model: Any, values: dict[str, str], source: str, now: datetime) -> int:
    """INSERT INTO model's table the rows of `SELECT <values> FROM <source>`; every concrete
    column not in `values` gets the model field's default (or NULL). `%s` in `values` and
    `source` stands for `now`. Returns the row count."""
    from django.db import connection

    columns, expressions, defaults = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f.column)
        if f.column in values:
            expressions.append(values[f.column].replace("%s", f"'{now.isoformat()}'::timestamptz"))
            continue
        default = f.get_default() if f.has_default() else None
        if default is None and f.null:
            expressions.append("NULL")
            continue
        if default is None:
            textual = f.get_internal_type() in ("CharField", "TextField", "SlugField", "FileField")
            default = "" if textual else default
        prepared = f.get_db_prep_save(default, connection)
        expressions.append(f"%s::{f.db_type(connection)}")
        defaults.append(prepared)
    table = model._meta.db_table
    source = source.replace("%s", f"'{now.isoformat()}'::timestamptz")
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(expressions)} FROM {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, defaults)
        return int(cursor.rowcount)


def _org(now: datetime) -> dict[str, Any]:
    """Company → 3 regions → 10 teams each → a manager and 10 reps; a director per region, a GM."""
    from salesflow.org import services
    from salesflow.org.choices import Role, TeamKind

    company = services.team_create(name="基准集团", kind=TeamKind.COMPANY, parent=None, actor=None, now=now)
    gm = services.user_create(
        username="gm", display_name="总经理", role=Role.GM, team=company, manager=None, actor=None, now=now
    )
    directors, managers, reps = [], [], []
    for r in range(REGIONS):
        region = services.team_create(
            name=f"第{r + 1}大区", kind=TeamKind.REGION, parent=company, actor=None, now=now
        )
        director = services.user_create(
            username=f"d{r}",
            display_name=f"总监{r}",
            role=Role.DIRECTOR,
            team=region,
            manager=gm,
            actor=None,
            now=now,
        )
        directors.append(director)
        for t in range(TEAMS_PER_REGION):
            team = services.team_create(
                name=f"{r + 1}区销售{t + 1}组", kind=TeamKind.TEAM, parent=region, actor=None, now=now
            )
            manager = services.user_create(
                username=f"m{r}_{t}",
                display_name=f"主管{r}_{t}",
                role=Role.MANAGER,
                team=team,
                manager=director,
                actor=None,
                now=now,
            )
            managers.append(manager)
            for n in range(REPS_PER_TEAM):
                reps.append(
                    services.user_create(
                        username=f"r{r}_{t}_{n}",
                        display_name=f"销售{r}_{t}_{n}",
                        role=Role.REP,
                        team=team,
                        manager=manager,
                        actor=None,
                        now=now,
                    )
                )
    return {"gm": gm, "directors": directors, "managers": managers, "reps": reps}


def build(*, quick: bool) -> dict[str, Any]:
    """Make the company and its history; returns row counts and seconds per table."""
    from django.db import connection, transaction

    from salesflow.activities.models import Activity, ActivityKind
    from salesflow.core import clock
    from salesflow.customers.models import Customer
    from salesflow.leads.models import Lead
    from salesflow.pipeline.models import Evidence, Opportunity, StageVisit
    from salesflow.pipeline.services import pipeline_for
    from salesflow.rules.selectors import active_pack

    sizes = SIZES[quick]
    now = clock.now()
    timings: dict[str, float] = {}
    with Stopwatch() as sw:
        org = _org(now)
    timings["org_seconds"] = sw.seconds
    rep_ids = [r.pk for r in org["reps"]]
    team_of = {r.pk: r.team_id for r in org["reps"]}
    _number, pack = active_pack()
    lines = pack.dictionary("product_line")
    sources = pack.dictionary("lead_source")
    line_codes = [c.code for c in lines.choices] if lines else ["spine"]
    source_codes = [c.code for c in sources.choices] if sources else ["web"]
    templates = [t for code in ("standard", "hospital_visit") if (t := pipeline_for(code)) is not None]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_reps (n int primary key, id int, team_id int)")
        cursor.executemany(
            "INSERT INTO bench_reps VALUES (%s, %s, %s)",
            [(i, pk, team_of[pk]) for i, pk in enumerate(rep_ids)],
        )
    reps_n = len(rep_ids)
    rep = f"(SELECT id FROM bench_reps WHERE n = (({{h}}) %% {reps_n}))"
    span = f"interval '{HISTORY_DAYS} days'"

    def hashed(expr: str, salt: int) -> str:
        # A cheap, repeatable pseudo-random non-negative integer from a row number.
        return f"abs(hashint8(({expr})::bigint * {salt}))"

    with transaction.atomic():
        with Stopwatch() as sw:
            _insert_select(
                Customer,
                {
                    "name": "'第' || g || '人民医院'",
                    "name_key": "'第' || g || '人民医院'",
                    "search_text": "'第' || g || '人民医院'",
                    "owner_id": rep.format(h=hashed("g", 7)),
                    "claimed_at": "%s",
                    "created_at": f"%s - {span}",
                },
                f"generate_series(1, {sizes['customers']}) g",
                now,
            )
        timings["customers_seconds"] = sw.seconds
        customer_min = Customer.objects.order_by("pk").values_list("pk", flat=True).first() or 0

        # Opportunities: a pipeline, a depth reached (1..stages), an outcome, dates.
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_opps AS SELECT g, "
                f"{hashed('g', 11)} %% {len(templates)} AS tpl, "
                f"random() AS outcome, random() AS depth_r, "
                f"%s - random() * {span} AS created_at, "
                f"{hashed('g', 13)} %% {sizes['customers']} AS cust, "
                f"{hashed('g', 17)} %% {len(line_codes)} AS line "
                f"FROM generate_series(1, {sizes['opportunities']}) g",
                [now],
            )
        stage_arrays = []
        for template in templates:
            codes = ", ".join(f"'{s.code}'" for s in template.stages)
            stage_arrays.append(f"ARRAY[{codes}]")
        pipelines = ", ".join(f"'{t.code}'" for t in templates)
        lines_sql = ", ".join(f"'[\"{c}\"]'" for c in line_codes)
        # PostgreSQL cannot index an array of arrays of unequal length, so choose by CASE.
        stage_case = (
            "CASE o.tpl "
            + " ".join(f"WHEN {i} THEN ({a})[{{d}}]" for i, a in enumerate(stage_arrays))
            + " END"
        )
        lengths_case = (
            "CASE o.tpl "
            + " ".join(f"WHEN {i} THEN {len(t.stages)}" for i, t in enumerate(templates))
            + " END"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_opps2 AS SELECT o.*, "
                f"1 + floor(o.depth_r * {lengths_case})::int AS depth, "
                f"{lengths_case} AS stages, "
                "CASE WHEN o.created_at > %s - interval '20 days' THEN 'open' "
                "WHEN o.outcome < 0.45 THEN 'open' WHEN o.outcome < 0.75 THEN 'won' "
                "ELSE 'lost' END AS status "
                "FROM bench_opps o",
                [now],
            )
            # A won deal reached the last stage.
            cursor.execute("UPDATE bench_opps2 SET depth = stages WHERE status = 'won'", [])
            cursor.execute(
                "ALTER TABLE bench_opps2 ADD COLUMN closed_at timestamptz, ADD COLUMN visits int", []
            )
            cursor.execute(
                "UPDATE bench_opps2 SET closed_at = CASE WHEN status = 'open' THEN NULL ELSE "
                "least(%s, created_at + (random() * 120 + 3) * interval '1 day') END, "
                f"visits = greatest(depth, 2 + ({hashed('g', 19)} %% 17))",
                [now],
            )
        with Stopwatch() as sw:
            _insert_select(
                Opportunity,
                {
                    "customer_id": f"{customer_min} + o.cust",
                    "title": "'采购项目 ' || o.g",
                    "amount": f"(50 + {hashed('o.g', 23)} %% 1950) * 1000",
                    "product_lines": f"(ARRAY[{lines_sql}])[o.line + 1]::jsonb",
                    "pipeline": f"(ARRAY[{pipelines}])[o.tpl + 1]",
                    "stage": stage_case.format(d="o.depth"),
                    "stage_entered_at": "o.created_at + (coalesce(o.closed_at, %s) - o.created_at) "
                    "* (o.visits - 1) / o.visits",
                    "status": "o.status",
                    "owner_id": rep.format(h=hashed("o.cust + 1", 7)),
                    "last_update_at": "coalesce(o.closed_at, %s - random() * interval '9 days')",
                    "closed_at": "o.closed_at",
                    "created_at": "o.created_at",
                    "lost_reason": "CASE WHEN o.status = 'lost' THEN 'price' ELSE '' END",
                },
                "bench_opps2 o ORDER BY o.g",
                now,
            )
        timings["opportunities_seconds"] = sw.seconds
        opp_min = Opportunity.objects.order_by("pk").values_list("pk", flat=True).first() or 0
        # Visit i of n (1-based) sits at stage floor((i-1)·depth/n): every stage up to the depth,
        # some more than once (a deal sent back), in order; the last one is open unless closed.
        step = "(coalesce(o.closed_at, %s) - o.created_at) / o.visits"
        with Stopwatch() as sw:
            _insert_select(
                StageVisit,
                {
                    "opportunity_id": f"{opp_min} + o.g - 1",
                    "pipeline": f"(ARRAY[{pipelines}])[o.tpl + 1]",
                    "stage": stage_case.format(d="1 + ((v - 1) * o.depth / o.visits)"),
                    "entered_at": f"o.created_at + {step} * (v - 1)",
                    "exited_at": f"CASE WHEN v < o.visits THEN o.created_at + {step} * v "
                    "ELSE o.closed_at END",
                    "team_id": "(SELECT team_id FROM bench_reps "
                    f"WHERE n = ({hashed('o.cust + 1', 7)} %% {reps_n}))",
                },
                "bench_opps2 o CROSS JOIN LATERAL generate_series(1, o.visits) v "
                f"WHERE o.g <= {sizes['opportunities']}",
                now,
            )
        timings["stage_visits_seconds"] = sw.seconds

        with Stopwatch() as sw:
            _insert_select(
                Lead,
                {
                    "name": "'联系人' || g",
                    "phone": "'139' || lpad(g::text, 8, '0')",
                    "phone_key": "'139' || lpad(g::text, 8, '0')",
                    "company": "'第' || g || '医院'",
                    "source": f"(ARRAY[{', '.join(repr(c) for c in source_codes)}])"
                    f"[1 + {hashed('g', 29)} %% {len(source_codes)}]",
                    "status": f"(ARRAY['assigned', 'contacted', 'converted', 'disqualified'])"
                    f"[1 + {hashed('g', 31)} %% 4]",
                    "owner_id": rep.format(h=hashed("g", 37)),
                    "assigned_at": f"%s - random() * {span}",
                    "created_at": f"%s - {span}",
                },
                f"generate_series(1, {sizes['leads']}) g",
                now,
            )
            # Created just before assignment; converted ones at a customer.
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE leads_lead SET created_at = assigned_at - interval '5 minutes', "
                    "converted_at = CASE WHEN status = 'converted' THEN assigned_at + interval '9 days' END, "
                    f"customer_id = CASE WHEN status = 'converted' THEN {customer_min} "
                    f"+ id %% {sizes['customers']} END",
                    [],
                )
        timings["leads_seconds"] = sw.seconds
        lead_min = Lead.objects.order_by("pk").values_list("pk", flat=True).first() or 0

        opp_number = f"g %% {sizes['opportunities']} + 1"
        kinds = ", ".join(f"'{k}'" for k in ActivityKind.values)
        with Stopwatch() as sw:
            # A third on a lead (soon after its assignment), the rest on an opportunity.
            _insert_select(
                Activity,
                {
                    "lead_id": f"CASE WHEN g %% 3 = 0 THEN {lead_min} + g %% {sizes['leads']} END",
                    "opportunity_id": f"CASE WHEN g %% 3 <> 0 THEN {opp_min} "
                    f"+ g %% {sizes['opportunities']} END",
                    "customer_id": f"CASE WHEN g %% 3 <> 0 THEN {customer_min} + "
                    f"{hashed(opp_number, 13)} %% {sizes['customers']} END",
                    "kind": f"(ARRAY[{kinds}])[1 + {hashed('g', 41)} %% {len(ActivityKind.values)}]",
                    "occurred_at": f"%s - random() * {span}",
                    "duration_seconds": f"{hashed('g', 43)} %% 1800",
                    "effective": f"{hashed('g', 47)} %% 2 = 0",
                    "actor_id": rep.format(h=hashed("g", 53)),
                    "created_at": "%s",
                },
                f"generate_series(1, {sizes['activities']}) g",
                now,
            )
            with connection.cursor() as cursor:
                # Lead follow-ups by the lead's owner, minutes to days after its assignment.
                cursor.execute(
                    "UPDATE activities_activity a SET actor_id = l.owner_id, "
                    "occurred_at = l.assigned_at + (random() ^ 3) * interval '3 days' "
                    "FROM leads_lead l WHERE a.lead_id = l.id",
                    [],
                )
        timings["activities_seconds"] = sw.seconds

        with Stopwatch() as sw:
            _insert_select(
                Evidence,
                {
                    "opportunity_id": f"{opp_min} + {hashed('g', 59)} %% {sizes['opportunities']}",
                    "stage": "'proposal'",
                    "requirement": "'photo'",
                    "kind": "'photo'",
                    "uploaded_by_id": rep.format(h=hashed("g", 61)),
                    "uploaded_at": f"%s - random() * {span}",
                },
                f"generate_series(1, {sizes['evidence']}) g",
                now,
            )
        timings["evidence_seconds"] = sw.seconds
    with Stopwatch() as sw, connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["vacuum_analyze_seconds"] = sw.seconds
    counts = {
        "customers": Customer.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "stage_visits": StageVisit.objects.count(),
        "activities": Activity.objects.count(),
        "leads": Lead.objects.count(),
        "evidence": Evidence.objects.count(),
        "reps": len(rep_ids),
        "managers": len(org["managers"]),
        "directors": len(org["directors"]),
    }
    return {**counts, **{k: round(v, 1) for k, v in timings.items()}}


# --------------------------------------------------------------------------- measuring


def pages() -> list[tuple[str, str]]:
    """(label, path) of every cockpit page and API measured."""
    from salesflow.pipeline.services import pipeline_for

    template = pipeline_for(PIPELINE)
    first_stage = template.stages[1].code if template else ""
    return [
        ("dashboards", "/dashboards/"),
        ("drill won", "/dashboards/drill/?metric=won"),
        ("drill entered", f"/dashboards/drill/?metric=entered&stage={first_stage}"),
        ("heatmap", "/dashboards/heatmap/"),
        ("efficiency", "/dashboards/efficiency/"),
        ("health", "/dashboards/health/"),
        ("attribution", "/dashboards/attribution/"),
        ("battle", "/battle/"),
        ("battle panels", "/battle/panels/"),
        ("api cockpit", "/api/v1/analytics/cockpit"),
        ("api drill", "/api/v1/analytics/drill?metric=won"),
        ("api heatmap", "/api/v1/analytics/heatmap"),
        ("api efficiency", "/api/v1/analytics/efficiency"),
        ("api health", "/api/v1/analytics/health"),
        ("api attribution", "/api/v1/analytics/attribution"),
        ("api battle", "/api/v1/analytics/battle"),
        ("forecast", "/dashboards/forecast/"),
        ("api forecast", "/api/v1/analytics/forecast"),
    ]


def measure(*, quick: bool) -> dict[str, Any]:
    """Build the data unless present, then time every page for each role (inside the child).

    BENCH_COCKPIT_ONLY=<text>[,<text>…] measures only the pages whose label holds one of the
    texts (profiling); the forecast snapshots are then computed only when a forecast page is
    measured. BENCH_COCKPIT_HEALTH_CHECK=0 skips the daily health check, so the health pages
    compute every team live (the comparison with the stored series)."""
    import os

    only = [t for t in os.environ.get("BENCH_COCKPIT_ONLY", "").split(",") if t]
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from salesflow.org.choices import Role
    from salesflow.org.models import User
    from salesflow.pipeline.models import Opportunity

    dataset: dict[str, Any] = {}
    if not Opportunity.objects.exists():
        progress("building the cockpit dataset")
        dataset = build(quick=quick)
        progress(f"built: {dataset}")
    try:
        from salesflow.analytics import rollups
    except ImportError:  # code from before the roll-ups
        rollups = None  # type: ignore[assignment]
    if rollups is not None and rollups.state() is None:
        # What the worker does once the history passes the pack's rollup_min_stage_visits.
        progress("building the daily roll-ups")
        with Stopwatch() as sw:
            built = rollups.rebuild()
        dataset["rollup_rebuild_seconds"] = round(sw.seconds, 1)
        dataset["rollup_rows"] = built.rows
        progress(f"roll-ups: {dataset['rollup_rows']} rows in {dataset['rollup_rebuild_seconds']} s")
    if os.environ.get("BENCH_COCKPIT_HEALTH_CHECK", "1") != "0":
        # What the worker does once a day: the health check, which keeps each team's series.
        from salesflow.analytics import health

        progress("running the daily health check")
        with Stopwatch() as sw:
            health.health_check()
        dataset["health_check_seconds"] = round(sw.seconds, 1)
        progress(f"health check: {dataset['health_check_seconds']} s")
    from salesflow.analytics import forecast_cache
    from salesflow.core import clock

    if forecast_cache.snapshots_on() and (not only or any("forecast" in t for t in only)):
        # What the worker does every `forecast.snapshot_minutes`: the default forecast views.
        progress("computing the forecast snapshots")
        with Stopwatch() as sw:
            scopes = forecast_cache.warm(now=clock.now())
        dataset["forecast_warm_seconds"] = round(sw.seconds, 1)
        dataset["forecast_warm_scopes"] = scopes
        progress(f"forecast snapshots: {scopes} scopes in {dataset['forecast_warm_seconds']} s")
    viewers = {
        "manager": User.objects.filter(role=Role.MANAGER).order_by("pk").first(),
        "director": User.objects.filter(role=Role.DIRECTOR).order_by("pk").first(),
        "gm": User.objects.filter(role=Role.GM).order_by("pk").first(),
    }
    figures: dict[str, Any] = {}
    with override_settings(ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"]):
        for role, viewer in viewers.items():
            assert viewer is not None, f"no {role} in the bench database"
            client = Client()
            client.force_login(viewer)
            for label, path in pages():
                if only and not any(t in label for t in only):
                    continue
                first, timings = timed_gets(client, path, runs=RUNS[quick], slow_ms=SLOW_MS, slow_runs=1)
                with CaptureQueriesContext(connection) as captured:
                    client.get(path)
                figures[f"{role} {label}"] = {
                    "path": path,
                    "status": first.status_code,
                    "p50_ms": round(median(timings), 1),
                    "p90_ms": round(percentile(timings, 90), 1),
                    "runs": len(timings),
                    "queries": len(captured.captured_queries),
                }
                progress(f"{role} {label}: {figures[f'{role} {label}']}")
    return {
        "dataset": dataset,
        "pages": figures,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --------------------------------------------------------------------------- running


def run(options: Options) -> dict[str, Any]:
    """A fresh PostgreSQL database, built and measured in one child process; rows per page."""
    import json

    if "postgresql" not in options.engines:
        return {"skipped": {"note": "the cockpit scenario runs on PostgreSQL only"}}
    with fresh_database("postgresql") as url:
        progress("postgresql: cockpit (build + measure)")
        args = ["bench", "--inner", "cockpit"] + (["--quick"] if options.quick else [])
        done = salesflow(args, database_url=url, timeout=CHILD_TIMEOUT_SECONDS)
        result = json.loads(done.stdout.strip().splitlines()[-1])
    rows: dict[str, Any] = {"dataset": result["dataset"]}
    rows.update(result["pages"])
    rows["process"] = {"peak_rss_mb": result["peak_rss_mb"]}
    return rows


def parameters(options: Options) -> dict[str, Any]:
    """Sizes of the cockpit measurement."""
    return {
        **SIZES[options.quick],
        "reps": REGIONS * TEAMS_PER_REGION * REPS_PER_TEAM,
        "teams": REGIONS * TEAMS_PER_REGION,
        "regions": REGIONS,
        "history_days": HISTORY_DAYS,
        "runs_per_page": RUNS[options.quick],
        "viewers": "the first team's manager (10 reps), the first region's director (100 reps), the GM",
        "engine": "postgresql only",
        "client": "django.test.Client in the child process (server time, no network)",
    }


COCKPIT = Scenario(
    name="cockpit",
    run=run,
    parameters=parameters,
    columns=("status", "p50_ms", "p90_ms", "runs", "queries"),
)
