"""Lead intake over HTTP against the production server, and the assignment decision alone."""

from __future__ import annotations

import http.client
import json
import os
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
    group_usage,
    machine_cpu_seconds,
    median,
    percentile,
    progress,
    salesflow,
    serve,
)

# One month of history: the org chart and the rule pack are what intake needs, and six months
# would take longer to generate than the intake takes to measure.
INTAKE_DEMO: tuple[str, ...] = ("--seed", "1", "--reps", "48", "--months", "1")
# The server's shape (workers, threads) by engine, fixed so runs compare: on SQLite one writer
# process with two threads, as `salesflow serve` defaults to there (issue #15; 2x8, then 1x8
# before). BENCH_INTAKE_SERVER="2x8,1x8" measures the shapes given instead, on both engines.
SERVER_SHAPES = {"sqlite": (1, 2), "postgresql": (2, 8)}
# Concurrent clients (issue #15 asks for 8; issue #4 measured with 16): BENCH_INTAKE_CLIENTS=N.
CLIENTS = 8
WARMUP_PER_CLIENT = 2  # not timed: the first requests of each worker import and warm caches
DECISIONS = 100  # assignment decisions timed per selection
LOCKED = "database is locked"


def _load(quick: bool) -> tuple[int, int]:
    """(clients, leads per client)."""
    clients = int(os.environ.get("BENCH_INTAKE_CLIENTS", CLIENTS))
    return (clients, 10) if quick else (clients, 80)


def _server_shapes(engine: str) -> list[tuple[int, int]]:
    """(workers, threads) of the server under load; BENCH_INTAKE_SERVER="2x8,1x8" measures each."""
    shapes = [s for s in os.environ.get("BENCH_INTAKE_SERVER", "").replace(" ", "").split(",") if s]
    if not shapes:
        return [SERVER_SHAPES[engine]]
    pairs = [shape.lower().split("x") for shape in shapes]
    return [(int(workers), int(threads)) for workers, threads in pairs]


def _assignment_sizes(quick: bool) -> tuple[int, int]:
    """(reps, open leads)."""
    return (100, 5_000) if quick else (500, 50_000)


def _form_key(url: str) -> str:
    script = (
        "from salesflow.leads import services; from salesflow.org.models import User;"
        "f = services.form_create(name='bench', actor=User.objects.get(username='admin'));print(f.key)"
    )
    return salesflow(["manage", "shell", "-c", script], database_url=url).stdout.strip().splitlines()[-1]


def _client(
    port: int,
    key: str,
    worker: int,
    count: int,
    start: threading.Barrier | None,
    latencies: list[float],
    errors: list[str],
    *,
    first: int = 0,
) -> None:
    """One keep-alive connection posting `count` leads; waits at `start` (when given) before the first."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    if start is not None:
        conn.connect()  # before the common start, so no latency includes the TCP handshake
        start.wait()
    for i in range(first, first + count):
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
                errors.append(f"http {response.status}")
        except OSError as exc:
            errors.append(type(exc).__name__)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
    conn.close()


def _server_errors(log: str) -> Counter[str]:
    """The 5xx the server logged, by cause: Django logs each as "Internal Server Error: <path>"
    followed by its traceback, whose last line names the exception."""
    kinds: Counter[str] = Counter()
    for chunk in log.split("Internal Server Error:")[1:]:
        if LOCKED in chunk:
            kinds[LOCKED] += 1
            continue
        lines = [line for line in chunk.splitlines() if line and not line.startswith((" ", "Traceback"))]
        last = [line for line in lines if "Error" in line or "Exception" in line]
        kinds[(last[-1] if last else "unknown")[:120]] += 1
    return kinds


def parameters(options: Options) -> dict[str, Any]:
    """The load, the server's shape and the company behind it."""
    clients, per_client = _load(options.quick)
    return {
        "clients": clients,
        "leads_per_client": per_client,
        "warmup_per_client": WARMUP_PER_CLIENT,
        "server_shapes": {e: [f"{w}x{t}" for w, t in _server_shapes(e)] for e in options.engines},
        "demo": " ".join(INTAKE_DEMO),
    }


def run(options: Options) -> dict[str, Any]:
    """Leads/s, latency and the CPU split with 8 concurrent clients; each lead deduped, scored,
    assigned, timed and notified."""
    clients, per_client = _load(options.quick)
    figures: dict[str, Any] = {}
    for engine in options.engines:
        figures.update(_run_engine(engine, clients, per_client))
    return figures


def _run_engine(engine: str, clients: int, per_client: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    shapes = _server_shapes(engine)
    for workers, threads in shapes:
        # One shape: figures by engine, as before; several: by engine and shape.
        name = engine if len(shapes) == 1 else f"{engine} {workers}x{threads}"
        progress(f"{name}: {clients} clients x {per_client} leads")
        with fresh_database(engine, demo=INTAKE_DEMO) as url:
            key = _form_key(url)
            # The bench lifts the per-address limit: every client would otherwise share 127.0.0.1.
            limits = {
                "SALESFLOW_INTAKE_LIMIT_PER_IP": "1000000",
                "SALESFLOW_INTAKE_LIMIT_PER_FORM": "1000000",
            }
            with serve(url, workers=workers, threads=threads, env=limits) as server:
                port = server.port
                warm_latencies: list[float] = []
                warm_errors: list[str] = []
                warm = [
                    threading.Thread(
                        target=_client,
                        args=(port, key, w, WARMUP_PER_CLIENT, None, warm_latencies, warm_errors),
                    )
                    for w in range(clients)
                ]
                for t in warm:
                    t.start()
                for t in warm:
                    t.join()
                latencies: list[float] = []
                errors: list[str] = []
                start = threading.Barrier(clients + 1)
                runners = [
                    threading.Thread(
                        target=_client,
                        args=(port, key, w, per_client, start, latencies, errors),
                        kwargs={"first": WARMUP_PER_CLIENT},
                    )
                    for w in range(clients)
                ]
                for t in runners:
                    t.start()
                log_from = server.log_size()
                load_before = os.getloadavg()[0]
                start.wait()  # every client connected: the clock starts now
                server_before = group_usage(server.pgid)["cpu_seconds"]
                machine_before = machine_cpu_seconds()
                client_before = time.process_time()
                started = time.perf_counter()
                for t in runners:
                    t.join()
                elapsed = time.perf_counter() - started
                client_cpu = time.process_time() - client_before
                machine_cpu = machine_cpu_seconds() - machine_before
                usage = group_usage(server.pgid)
                server_cpu = usage["cpu_seconds"] - server_before
                load_after = os.getloadavg()[0]
                time.sleep(0.5)  # let the last traceback reach the log
                logged = _server_errors(server.log_text(log_from))
            kinds = Counter(errors)
            # A 500 whose traceback says "database is locked" is counted as that kind.
            unexplained_500 = kinds.pop("http 500", 0)
            for cause, n in logged.items():
                kinds[f"500 {cause}"] += n
            if unexplained_500 > sum(logged.values()):
                kinds["500 (no traceback in the log)"] += unexplained_500 - sum(logged.values())
            leads = len(latencies)
            figures[name] = {
                "leads": leads,
                "errors": len(errors),
                "error_kinds": dict(kinds.most_common()),
                "locked_errors": logged.get(LOCKED, 0),
                "warmup_errors": len(warm_errors),
                "seconds": elapsed,
                "leads_per_s": leads / elapsed,
                "p50_ms": percentile(latencies, 50),
                "p95_ms": percentile(latencies, 95),
                "p99_ms": percentile(latencies, 99),
                "max_ms": max(latencies) if latencies else float("nan"),
                "concurrency": clients,
                "server": f"{workers}x{threads}",
                # Where the two cores went while the clients ran: gunicorn (master + workers),
                # the client threads (this bench process), and the rest of the machine (the
                # PostgreSQL backends, and whatever else runs on the shared machine).
                "server_cpu_ms_per_lead": server_cpu / leads * 1000,
                "client_cpu_ms_per_lead": client_cpu / leads * 1000,
                "other_cpu_ms_per_lead": max(0.0, machine_cpu - server_cpu - client_cpu) / leads * 1000,
                "server_cpu_seconds": server_cpu,
                "client_cpu_seconds": client_cpu,
                "machine_cpu_seconds": machine_cpu,
                "cores_busy": machine_cpu / elapsed,
                "server_share_of_busy": server_cpu / machine_cpu if machine_cpu else float("nan"),
                "server_processes": usage["processes"],
                "server_pss_mb": usage["pss_mb"],
                "loadavg_1m_before": round(load_before, 2),
                "loadavg_1m_after": round(load_after, 2),
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
    columns=(
        "leads",
        "errors",
        "locked_errors",
        "leads_per_s",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "concurrency",
        "server",
        "server_cpu_ms_per_lead",
        "client_cpu_ms_per_lead",
        "other_cpu_ms_per_lead",
    ),
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
