"""Lead intake over HTTP against the production server, and the assignment decision alone."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from benchmarks.api_latency import _free_port, _wait_healthy
from benchmarks.common import Stopwatch, databases, median, percentile, salesflow


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


def run(*, quick: bool, database: str | None = None) -> dict[str, Any]:
    """Leads/s and latency with 16 concurrent clients; each lead deduped, scored, assigned, timed."""
    clients, per_client = (16, 10) if quick else (16, 40)
    figures: dict[str, Any] = {}
    for name, fresh in databases(database):
        with fresh() as url:
            salesflow(["demo", "--seed", "1", "--reps", "48", "--months", "1"], database_url=url)
            key = _form_key(url)
            port = _free_port()
            # The bench lifts the per-address limit: every client would otherwise share 127.0.0.1.
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "DJANGO_SETTINGS_MODULE": "salesflow.settings.local",
                "SALESFLOW_INTAKE_LIMIT_PER_IP": "100000",
                "SALESFLOW_INTAKE_LIMIT_PER_FORM": "100000",
            }
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "salesflow.cli",
                    "serve",
                    "--port",
                    str(port),
                    "--no-worker",
                    "--quiet",
                    "--workers",
                    "2",
                    "--threads",
                    "8",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                _wait_healthy(port, time.monotonic() + 60)
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
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
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
    from django.db import transaction

    from salesflow.core import clock
    from salesflow.leads import assignment
    from salesflow.leads.models import Lead
    from salesflow.org.models import User, UserSkill
    from salesflow.rules.selectors import active_pack

    reps, open_leads = (100, 5_000) if quick else (500, 50_000)
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
        Lead.objects.bulk_create(
            [
                Lead(name="x", owner=users[i % reps], status="assigned", created_at=now)
                for i in range(open_leads)
            ],
            batch_size=5000,
        )
    _number, pack = active_pack()
    probe = Lead(name="probe", product_line="joint", customer_tier="tier3a", score=50, created_at=now)
    timings = []
    for _ in range(20):
        with Stopwatch() as sw:
            assignment.choose_owner(probe, policy=pack.assignment, team=None, now=now)
        timings.append(sw.seconds * 1000)
    return {
        "reps": reps,
        "open_leads": open_leads,
        "median_ms": median(timings),
        "p95_ms": percentile(timings, 95),
        "strategy": pack.assignment.strategy,
    }


def run_assignment(*, quick: bool, database: str | None = None) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    figures: dict[str, Any] = {}
    for name, fresh in databases(database):
        with fresh() as url:
            args = ["bench", "--inner", "assignment"] + (["--quick"] if quick else [])
            figures[name] = json.loads(salesflow(args, database_url=url, timeout=1800).stdout)
    return figures
