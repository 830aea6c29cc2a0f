"""List pages at scale (issue #15, PostgreSQL only): every list page and list endpoint at
1,000,000 leads, 200,000 customers and 200,000 opportunities.

The demo company (`salesflow demo --seed 1 --reps 48`: 48 reps in 6 sales teams under their
managers, a GM) is generated through the services; the bulk of the records is then written
set-based (`INSERT … SELECT … generate_series`) over its reps, so the build takes minutes:

- leads: most closed (about 55 % disqualified, 30 % converted to a customer), about 2,500 open
  ones per rep (assigned / acknowledged / contacted) and 5,000 in the 线索池; each open owned
  lead carries its response timer (pending, or fired for a third of them);
- customers: a tenth in the 公海 (no owner), the rest spread over the reps; a third without a
  computed health (grey), the others with a score; each owned one has its pending release
  ladder step;
- opportunities: 15 % open (a pending stage timer each), 35 % won, 50 % lost, over the
  customers, on the pack's first pipeline.

Then every list page and list endpoint is requested through django.test.Client in the child
process (server time, no network) as a rep, a team manager and the GM: a warm-up, timed runs
(median, p95), and the query count of one request at 5 rows and one at 50 rows (`limit=`), so a
count that grows with the page size shows.

The database is reused between runs when `SALESFLOW_BENCH_LISTS_DB` names one (e.g.
`salesflow_lists_bench`): created and given the demo when missing, migrated every run (a new
index is applied to the existing data), filled only up to the sizes it lacks, and kept at the
end. Without it, a fresh database is built and dropped.
"""

# The SQL below is assembled from constants, pack codes and integers of this module; no input.
# ruff: noqa: S608

from __future__ import annotations

import json
import os
import resource
from typing import Any

from benchmarks.common import (
    DEMO_ARGS,
    PG_ADMIN_URL,
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

SIZES = {
    False: {"leads": 1_000_000, "customers": 200_000, "opportunities": 200_000},
    True: {"leads": 100_000, "customers": 20_000, "opportunities": 20_000},
}
RUNS = {False: 11, True: 3}
SLOW_MS = 3000
CHILD_TIMEOUT_SECONDS = 3 * 3600
REUSE_ENV = "SALESFLOW_BENCH_LISTS_DB"
HISTORY_DAYS = 730


# --------------------------------------------------------------------------- the data


def _hashed(expr: str, salt: int) -> str:
    """A cheap, repeatable pseudo-random non-negative integer from a row number."""
    return f"abs(hashint8(({expr})::bigint * {salt}))"


def build(*, quick: bool) -> dict[str, Any]:
    """Fill the demo company up to the sizes; returns row counts and seconds per table."""
    from django.db import connection, transaction

    from benchmarks.cockpit import _insert_select
    from salesflow.core import clock
    from salesflow.customers.models import Customer
    from salesflow.leads.choices import OWNED_OPEN_STATUSES
    from salesflow.leads.models import Lead
    from salesflow.leads.selectors import timer_key_values as lead_timer_key_values
    from salesflow.org.choices import Role
    from salesflow.org.models import User
    from salesflow.pipeline.models import Opportunity
    from salesflow.rules.selectors import active_pack
    from salesflow.timers.models import Deadline

    sizes = SIZES[quick]
    now = clock.now()
    _number, pack = active_pack()
    reps = list(
        User.objects.filter(role=Role.REP, is_active=True).order_by("pk").values_list("pk", flat=True)
    )
    reps_n = len(reps)
    timings: dict[str, float] = {}
    span = f"interval '{HISTORY_DAYS} days'"
    rep_array = f"(ARRAY[{', '.join(str(r) for r in reps)}])"

    def rep(h: str) -> str:
        return f"{rep_array}[1 + ({h}) %% {reps_n}]"

    def policy(purpose: str, fallback: str) -> str:
        codes = pack.policy_codes_for(purpose)
        return codes[0] if codes else fallback

    lead_policy = next(
        iter(Deadline.objects.filter(subject_type="leads.lead").values_list("policy", flat=True)), ""
    )
    lead_policy = lead_policy or policy("lead_response", "lead_first_contact")
    release_policy = policy("customer_commitment", "customer_release")
    opp_policy = next(
        iter(Deadline.objects.filter(subject_type="pipeline.opportunity").values_list("policy", flat=True)),
        "",
    ) or policy("stage_timer", "stage_timer")
    template = pack.stage_templates[0]
    stages = ", ".join(f"'{s.code}'" for s in template.stages[:-1]) or f"'{template.stages[0].code}'"
    stage_count = max(1, len(template.stages) - 1)

    with transaction.atomic():
        missing = sizes["customers"] - Customer.objects.count()
        with Stopwatch() as sw:
            if missing > 0:
                before = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                _insert_select(
                    Customer,
                    {
                        "name": "'第' || g || '人民医院'",
                        "name_key": "'第' || g || '人民医院'",
                        "search_text": "'第' || g || '人民医院'",
                        "owner_id": f"CASE WHEN {_hashed('g', 7)} %% 10 = 0 THEN NULL "
                        f"ELSE {rep(_hashed('g', 11))} END",
                        "claimed_at": f"%s - random() * {span}",
                        "last_interaction_at": "%s - random() * interval '120 days'",
                        "health_score": f"{_hashed('g', 13)} %% 100",
                        "health_factors": f"CASE WHEN {_hashed('g', 17)} %% 3 = 0 THEN '[]'::jsonb "
                        'ELSE \'[{"factor": "purchase_frequency", "points": 10.0, '
                        '"detail": "2 单"}]\'::jsonb END',
                        "created_at": f"%s - random() * {span}",
                    },
                    f"generate_series(1, {missing}) g",
                    now,
                )
                # Each owned customer's pending release step (the commitment ladder's last).
                _insert_select(
                    Deadline,
                    {
                        "subject_type": "'customers.customer'",
                        "subject_id": "c.id",
                        "policy": f"'{release_policy}'",
                        "step": "0",
                        "due_at": "%s + random() * interval '60 days'",
                        "status": "'pending'",
                        "created_at": "c.claimed_at",
                    },
                    f"customers_customer c WHERE c.owner_id IS NOT NULL AND c.id > {before}",
                    now,
                )
        timings["customers_seconds"] = round(sw.seconds, 1)
        cust_min, cust_max = (
            Customer.objects.order_by("pk").values_list("pk", flat=True).first() or 0,
            Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        )
        cust_span = max(1, cust_max - cust_min + 1)

        missing = sizes["opportunities"] - Opportunity.objects.count()
        with Stopwatch() as sw:
            if missing > 0:
                first_new = (
                    Opportunity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                ) + 1
                _insert_select(
                    Opportunity,
                    {
                        "customer_id": f"(SELECT id FROM customers_customer WHERE id >= {cust_min} "
                        f"+ {_hashed('g', 19)} %% {cust_span} ORDER BY id LIMIT 1)",
                        "title": "'采购项目 ' || g",
                        "amount": f"(50 + {_hashed('g', 23)} %% 1950) * 1000",
                        "pipeline": f"'{template.code}'",
                        "stage": f"(ARRAY[{stages}])[1 + {_hashed('g', 29)} %% {stage_count}]",
                        "status": f"CASE WHEN {_hashed('g', 31)} %% 100 < 15 THEN 'open' "
                        f"WHEN {_hashed('g', 31)} %% 100 < 50 THEN 'won' ELSE 'lost' END",
                        "owner_id": rep(_hashed("g", 37)),
                        "stage_entered_at": "%s - random() * interval '90 days'",
                        "last_update_at": "%s - random() * interval '30 days'",
                        "created_at": f"%s - random() * {span}",
                    },
                    f"generate_series(1, {missing}) g",
                    now,
                )
                with connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE pipeline_opportunity SET closed_at = last_update_at, "
                        "lost_reason = CASE WHEN status = 'lost' THEN 'price' ELSE '' END "
                        "WHERE status <> 'open' AND id >= %s",
                        [first_new],
                    )
                _insert_select(
                    Deadline,
                    {
                        "subject_type": "'pipeline.opportunity'",
                        "subject_id": "o.id",
                        "policy": f"'{opp_policy}'",
                        "step": "0",
                        "due_at": "%s + (random() - 0.3) * interval '20 days'",
                        "status": "'pending'",
                        "created_at": "o.stage_entered_at",
                    },
                    f"pipeline_opportunity o WHERE o.status = 'open' AND o.id >= {first_new}",
                    now,
                )
        timings["opportunities_seconds"] = round(sw.seconds, 1)

        missing = sizes["leads"] - Lead.objects.count()
        with Stopwatch() as sw:
            if missing > 0:
                first_new = (Lead.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
                # Per 1,000 leads: 5 pooled, 120 open owned, 300 converted, the rest disqualified.
                bucket = f"{_hashed('g', 41)} %% 1000"
                _insert_select(
                    Lead,
                    {
                        "name": "'联系人' || g",
                        "phone": "'139' || lpad(g::text, 8, '0')",
                        "phone_key": "'139' || lpad(g::text, 8, '0')",
                        "company": "'第' || g || '医院'",
                        "company_key": "'第' || g || '医院'",
                        "source": "'website'",
                        "status": f"CASE WHEN {bucket} < 5 THEN 'pooled' "
                        f"WHEN {bucket} < 45 THEN 'assigned' WHEN {bucket} < 85 THEN 'acknowledged' "
                        f"WHEN {bucket} < 125 THEN 'contacted' WHEN {bucket} < 425 THEN 'converted' "
                        "ELSE 'disqualified' END",
                        "owner_id": f"CASE WHEN {bucket} < 5 THEN NULL ELSE {rep(_hashed('g', 43))} END",
                        "score": f"{_hashed('g', 47)} %% 100",
                        "assigned_at": f"%s - random() * {span}",
                        "created_at": f"%s - {span}",
                    },
                    f"generate_series(1, {missing}) g",
                    now,
                )
                with connection.cursor() as cursor:
                    # Open leads are recent; created just before assignment; converted ones at a
                    # customer; contacted ones have a follow-up.
                    cursor.execute(
                        "UPDATE leads_lead SET "
                        "assigned_at = CASE WHEN status IN ('assigned', 'acknowledged', 'contacted') "
                        "THEN %s - random() * interval '30 days' "
                        "WHEN status = 'pooled' THEN NULL ELSE assigned_at END, "
                        "acknowledged_at = CASE WHEN status IN ('acknowledged', 'contacted', 'converted') "
                        "THEN %s - interval '1 hour' END, "
                        "first_contact_at = CASE WHEN status IN ('contacted', 'converted') "
                        "THEN %s - interval '1 hour' END, "
                        "last_activity_at = CASE WHEN status IN ('contacted', 'converted') "
                        "THEN %s - random() * interval '20 days' END, "
                        f"customer_id = CASE WHEN status = 'converted' THEN (SELECT id FROM "
                        f"customers_customer c WHERE c.id >= {cust_min} + leads_lead.id %% {cust_span} "
                        "ORDER BY c.id LIMIT 1) END "
                        "WHERE id >= %s",
                        [now, now, now, now, first_new],
                    )
                    cursor.execute(
                        "UPDATE leads_lead SET created_at = coalesce(assigned_at, %s - random() * "
                        f"{span}) - interval '5 minutes', converted_at = CASE WHEN status = 'converted' "
                        "THEN assigned_at + interval '9 days' END WHERE id >= %s",
                        [now, first_new],
                    )
                # The response timer of each open owned lead: a third breached, the rest running.
                _insert_select(
                    Deadline,
                    {
                        "subject_type": "'leads.lead'",
                        "subject_id": "l.id",
                        "policy": f"'{lead_policy}'",
                        "step": "0",
                        "due_at": "l.assigned_at + interval '2 hours'",
                        "status": "CASE WHEN l.id %% 3 = 0 THEN 'fired' ELSE 'pending' END",
                        "created_at": "l.assigned_at",
                    },
                    "leads_lead l WHERE l.status IN ('assigned', 'acknowledged', 'contacted') "
                    f"AND l.id >= {first_new}",
                    now,
                )
                # Their list keys, as the timers keep them (one set-based UPDATE).
                Lead.objects.filter(pk__gte=first_new, status__in=OWNED_OPEN_STATUSES).update(
                    **lead_timer_key_values()
                )
        timings["leads_seconds"] = round(sw.seconds, 1)
    with Stopwatch() as sw, connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["vacuum_analyze_seconds"] = round(sw.seconds, 1)
    return timings


def counts() -> dict[str, int]:
    """What the database holds, as the figures state it."""
    from salesflow.customers.models import Customer
    from salesflow.leads.choices import OWNED_OPEN_STATUSES
    from salesflow.leads.models import Lead
    from salesflow.pipeline.models import Opportunity
    from salesflow.timers.models import Deadline

    return {
        "leads": Lead.objects.count(),
        "leads_open_owned": Lead.objects.filter(status__in=OWNED_OPEN_STATUSES).count(),
        "leads_pooled": Lead.objects.filter(owner__isnull=True, status="pooled").count(),
        "customers": Customer.objects.count(),
        "customers_pool": Customer.objects.filter(owner__isnull=True).count(),
        "opportunities": Opportunity.objects.count(),
        "opportunities_open": Opportunity.objects.filter(status="open").count(),
        "deadlines": Deadline.objects.count(),
    }


# --------------------------------------------------------------------------- measuring


def pages() -> list[tuple[str, str]]:
    """(label, path) of every list page and list endpoint measured."""
    return [
        ("leads page", "/leads/"),
        ("leads api", "/api/v1/leads"),
        ("lead pool page", "/leads/pool/"),
        ("customers page", "/customers/"),
        ("customers api", "/api/v1/customers"),
        ("customer pool page", "/customers/?pool=1"),
        ("customer pool api", "/api/v1/customers?pool=true"),
        ("opportunities page", "/opportunities/list/"),
        ("opportunities api", "/api/v1/opportunities"),
        ("board", "/opportunities/"),
    ]


def _with_limit(path: str, limit: int) -> str:
    return f"{path}{'&' if '?' in path else '?'}limit={limit}"


def measure(*, quick: bool) -> dict[str, Any]:
    """Build the data unless present, then time every list for each viewer (inside the child).

    BENCH_LISTS_ONLY=<text>[,<text>…] measures only the lists whose label holds one of them.
    """
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from salesflow.org.models import User

    only = [t for t in os.environ.get("BENCH_LISTS_ONLY", "").split(",") if t]
    progress("filling the list dataset (only what is missing)")
    dataset = build(quick=quick)
    dataset.update(counts())
    progress(f"dataset: {dataset}")
    viewers = {
        "rep": User.objects.get(username="rep1"),
        "manager": User.objects.get(username="manager1"),
        "gm": User.objects.get(username="gm"),
    }
    figures: dict[str, Any] = {}
    with override_settings(ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"]):
        for role, viewer in viewers.items():
            client = Client()
            client.force_login(viewer)
            for label, path in pages():
                if only and not any(t in label for t in only):
                    continue
                first, timings = timed_gets(client, path, runs=RUNS[quick], slow_ms=SLOW_MS, slow_runs=2)
                queries = {}
                for limit in (5, 50):
                    with CaptureQueriesContext(connection) as captured:
                        client.get(_with_limit(path, limit))
                    queries[limit] = len(captured.captured_queries)
                row = {
                    "path": path,
                    "status": first.status_code,
                    "p50_ms": round(median(timings), 1),
                    "p95_ms": round(percentile(timings, 95), 1),
                    "runs": len(timings),
                    "queries_5": queries[5],
                    "queries_50": queries[50],
                }
                figures[f"{role} {label}"] = row
                progress(f"{role} {label}: {row}")
    return {
        "dataset": dataset,
        "pages": figures,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


# --------------------------------------------------------------------------- running


def _reused_url(name: str) -> str:
    """The URL of the kept database `name`: created with the demo company when missing, migrated."""
    import psycopg

    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url) as conn:
        has_users = conn.execute("SELECT to_regclass('org_user') IS NOT NULL").fetchone()
        populated = bool(has_users and has_users[0]) and bool(
            conn.execute("SELECT EXISTS (SELECT 1 FROM org_user WHERE username = 'gm')").fetchone()[0]  # type: ignore[index]
        )
    if not populated:
        progress(f"postgresql: generating the demo company in {name}: salesflow demo {' '.join(DEMO_ARGS)}")
        salesflow(["demo", *DEMO_ARGS], database_url=url, timeout=1800)
    progress(f"postgresql: migrating {name}")
    salesflow(["manage", "migrate", "--noinput", "-v", "0"], database_url=url, timeout=3600)
    return url


def run(options: Options) -> dict[str, Any]:
    """The demo company filled up to the sizes on PostgreSQL, measured in one child process."""
    if "postgresql" not in options.engines:
        return {"skipped": {"note": "the list-pages scenario runs on PostgreSQL only"}}
    args = ["bench", "--inner", "list-pages"] + (["--quick"] if options.quick else [])
    kept = os.environ.get(REUSE_ENV, "").strip()
    if kept:
        url = _reused_url(kept)
        progress(f"postgresql: list-pages (fill + measure) in the kept database {kept}")
        done = salesflow(args, database_url=url, timeout=CHILD_TIMEOUT_SECONDS)
    else:
        with fresh_database("postgresql", demo=DEMO_ARGS) as url:
            progress("postgresql: list-pages (fill + measure)")
            done = salesflow(args, database_url=url, timeout=CHILD_TIMEOUT_SECONDS)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rows: dict[str, Any] = {"dataset": result["dataset"]}
    rows.update(result["pages"])
    rows["process"] = {"peak_rss_mb": result["peak_rss_mb"]}
    return rows


def parameters(options: Options) -> dict[str, Any]:
    """Sizes of the list measurement."""
    return {
        **SIZES[options.quick],
        "company": f"salesflow demo {' '.join(DEMO_ARGS)} (48 reps, 6 teams), filled set-based",
        "runs_per_list": RUNS[options.quick],
        "viewers": "rep1, manager1 (a team of 8 reps), the GM (everyone)",
        "engine": "postgresql only",
        "client": "django.test.Client in the child process (server time, no network)",
        "kept_database": os.environ.get(REUSE_ENV, "") or None,
    }


LIST_PAGES = Scenario(
    name="list-pages",
    run=run,
    parameters=parameters,
    columns=("status", "p50_ms", "p95_ms", "runs", "queries_5", "queries_50"),
)
