"""Lead intake over HTTP against the production server, and the assignment decision alone."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from typing import Any

from benchmarks.common import (
    Options,
    Scenario,
    Stopwatch,
    databases,
    fresh_database,
    median,
    percentile,
    salesflow,
    serve,
)

# One month of history: the org chart and the rule pack are what intake needs, and six months
# would take longer to generate than the intake takes to measure.
INTAKE_DEMO: tuple[str, ...] = ("--seed", "1", "--reps", "48", "--months", "1")
SERVER_WORKERS, SERVER_THREADS = 2, 8
DECISIONS = 100  # assignment decisions timed per selection


def _load(quick: bool) -> tuple[int, int]:
    """(clients, leads per client)."""
    return (16, 10) if quick else (16, 40)


def _assignment_sizes(quick: bool) -> tuple[int, int]:
    """(reps, open leads)."""
    return (100, 5_000) if quick else (500, 50_000)


def _form_key(url: str) -> str:
    script = (
        "from salesflow.leads import services; from salesflow.org.models import User;"
        "f = services.form_create(name='bench', actor=User.objects.get(username='admin'));print(f.key)"
    )
    return salesflow(["manage", "shell", "-c", script], database_url=url).stdout.strip().splitlines()[-1]


def _client(port: int, key: str, worker: int, count: int, latencies: list[float], errors: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(count):
        body = json.dumps(
            {
                "name": f"压测{worker}-{i}",
                "phone": f"139{worker:03d}{i:05d}",
                "company": f"压测医院{worker}-{i}",
                "industry_segment": "hospital_public",
                "customer_tier": "tier2a",
                "product_line": "joint",
            }
        )
        started = time.perf_counter()
        try:
            conn.request(
                "POST", f"/api/v1/intake/{key}", body=body, headers={"Content-Type": "application/json"}
            )
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                errors.append(str(response.status))
        except OSError as exc:
            errors.append(type(exc).__name__)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)


def parameters(options: Options) -> dict[str, Any]:
    """The load, the server's shape and the company behind it."""
    clients, per_client = _load(options.quick)
    return {
        "clients": clients,
        "leads_per_client": per_client,
        "server_workers": SERVER_WORKERS,
        "server_threads": SERVER_THREADS,
        "demo": " ".join(INTAKE_DEMO),
    }


def run(options: Options) -> dict[str, Any]:
    """Leads/s and latency with 16 concurrent clients; each lead deduped, scored, assigned, timed."""
    clients, per_client = _load(options.quick)
    figures: dict[str, Any] = {}
    for name in options.engines:
        with fresh_database(name, demo=INTAKE_DEMO) as url:
            key = _form_key(url)
            # The bench lifts the per-address limit: every client would otherwise share 127.0.0.1.
            limits = {
                "SALESFLOW_INTAKE_LIMIT_PER_IP": "100000",
                "SALESFLOW_INTAKE_LIMIT_PER_FORM": "100000",
            }
            with serve(url, workers=SERVER_WORKERS, threads=SERVER_THREADS, env=limits) as server:
                port = server.port
                latencies: list[float] = []
                errors: list[str] = []
                threads = [
                    threading.Thread(target=_client, args=(port, key, w, per_client, latencies, errors))
                    for w in range(clients)
                ]
                started = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                elapsed = time.perf_counter() - started
            figures[name] = {
                "leads": len(latencies),
                "errors": len(errors),
                "error_kinds": sorted(set(errors))[:5],
                "seconds": elapsed,
                "leads_per_s": len(latencies) / elapsed,
                "p50_ms": percentile(latencies, 50),
                "p95_ms": percentile(latencies, 95),
                "p99_ms": percentile(latencies, 99),
                "concurrency": clients,
            }
    return figures


def measure_assignment(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process: decision time with N reps and M open leads (no writes timed)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.db.models import Count

    from salesflow.core import clock
    from salesflow.leads import assignment
    from salesflow.leads.models import Lead, RepWorkload
    from salesflow.org.models import User, UserSkill
    from salesflow.rules.selectors import active_pack

    reps, open_leads = _assignment_sizes(quick)
    now = clock.now()
    password = make_password("x")
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    username=f"r{i}",
                    role="rep",
                    password=password,
                    seniority=i % 5 + 1,
                    max_open_workload=200,
                )
                for i in range(reps)
            ]
        )
        UserSkill.objects.bulk_create(
            [
                UserSkill(user=u, kind="product_line", code=("joint", "spine")[i % 2])
                for i, u in enumerate(users)
            ]
        )
        leads = [
            Lead(name="x", owner=users[i % reps], status="assigned", created_at=now)
            for i in range(open_leads)
        ]
        Lead.objects.bulk_create(leads, batch_size=5000)
        # bulk_create bypasses the lead services, so the counters 智能分单 reads are written
        # here to match the leads just made.
        owned = Counter(lead.owner_id for lead in leads)
        RepWorkload.objects.bulk_create([RepWorkload(user=u, open_leads=owned[u.pk]) for u in users])
    # A live database has planner statistics; right after a bulk load it has none, and
    # PostgreSQL then picks a nested loop for the skills query (0.6 ms instead of 0.2 ms).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counted = dict(
        Lead.objects.filter(status="assigned")
        .values_list("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    _number, pack = active_pack()
    probe = Lead(name="probe", product_line="joint", customer_tier="tier3a", score=50, created_at=now)
    figures: dict[str, Any] = {
        "reps": reps,
        "open_leads": open_leads,
        "strategy": pack.assignment.strategy,
        "counters_match": counted == dict(RepWorkload.objects.values_list("user_id", "open_leads")),
    }
    for selection in ("best", "proportional"):
        policy = pack.assignment.model_copy(update={"selection": selection})
        timings = []
        for _ in range(DECISIONS):
            with Stopwatch() as sw:
                assignment.choose_owner(probe, policy=policy, team=None, now=now)
            timings.append(sw.seconds * 1000)
        suffix = "" if selection == "best" else "_proportional"
        figures[f"median_ms{suffix}"] = median(timings)
        figures[f"p95_ms{suffix}"] = percentile(timings, 95)
        # The fastest decision: what one costs when nothing else on the machine competes.
        figures[f"min_ms{suffix}"] = min(timings)
    return figures


def assignment_parameters(options: Options) -> dict[str, Any]:
    """How many reps and open leads the decision weighs."""
    reps, open_leads = _assignment_sizes(options.quick)
    return {"reps": reps, "open_leads": open_leads, "decisions": DECISIONS}


def run_assignment(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    figures: dict[str, Any] = {}
    for name, fresh in databases(options):
        with fresh() as url:
            args = ["bench", "--inner", "assignment"] + (["--quick"] if options.quick else [])
            figures[name] = json.loads(salesflow(args, database_url=url, timeout=1800).stdout)
    return figures


INTAKE = Scenario(
    name="intake",
    run=run,
    parameters=parameters,
    columns=("leads", "errors", "leads_per_s", "p50_ms", "p95_ms", "p99_ms", "concurrency"),
)
ASSIGNMENT = Scenario(
    name="assignment",
    run=run_assignment,
    parameters=assignment_parameters,
    columns=(
        "reps",
        "open_leads",
        "median_ms",
        "p95_ms",
        "min_ms",
        "median_ms_proportional",
        "p95_ms_proportional",
        "counters_match",
    ),
)
