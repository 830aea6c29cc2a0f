"""`GET /api/v1/me` served by the production server (gunicorn + WhiteNoise) on loopback.

The server runs on a copy of the default demo company; N client threads, each with one
keep-alive connection, send the request M times after a warm-up. The clients share the
machine's cores with the server, so on a small machine requests/s is a floor, not a ceiling.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from benchmarks.common import (
    DEMO_ARGS,
    Options,
    Scenario,
    Server,
    fresh_database,
    group_usage,
    median,
    percentile,
    progress,
    serve,
)

PATH = "/api/v1/me"
SERVER_WORKERS, SERVER_THREADS = 2, 4  # `salesflow serve`'s defaults, fixed so runs compare
WARMUP_PER_CLIENT = 25


def _load(options: Options) -> tuple[int, int]:
    """(client threads, requests per thread)."""
    # 2,000 requests pin p99 down to ~20 samples and keep both engines within a minute.
    return (4, 100) if options.quick else (8, 250)


def parameters(options: Options) -> dict[str, Any]:
    """The load and the server's shape."""
    clients, per_client = _load(options)
    return {
        "path": PATH,
        "clients": clients,
        "requests_per_client": per_client,
        "warmup_per_client": WARMUP_PER_CLIENT,
        "server_workers": SERVER_WORKERS,
        "server_threads": SERVER_THREADS,
        "demo": " ".join(DEMO_ARGS),
    }


def _token(server: Server) -> str:
    conn = server.connection()
    conn.request(
        "POST",
        "/api/v1/auth/token",
        body=json.dumps({"username": "manager1", "password": "salesflow-demo"}),
        headers={"Content-Type": "application/json"},
    )
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status not in (200, 201):
        raise RuntimeError(f"token request answered {response.status}: {body[:300]!r}")
    return str(json.loads(body)["token"])


def _client(
    server: Server,
    token: str,
    count: int,
    start: threading.Barrier,
    latencies: list[float],
    errors: list[str],
) -> None:
    """One keep-alive connection sending `count` requests back to back."""
    conn = server.connection()
    conn.connect()  # before the common start, so no latency includes the TCP handshake
    headers = {"Authorization": f"Bearer {token}"}
    start.wait()
    for _ in range(count):
        started = time.perf_counter()
        try:
            conn.request("GET", PATH, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(str(response.status))
        except OSError as exc:
            errors.append(type(exc).__name__)
            conn.close()
            conn = server.connection()  # the server closed it; carry on with a new one
        # list.append is atomic under the GIL, so the threads can share the lists.
        latencies.append((time.perf_counter() - started) * 1000)
    conn.close()


def _fire(server: Server, token: str, clients: int, per_client: int) -> tuple[float, list[float], list[str]]:
    """All clients at once; returns (seconds from the common start to the last answer, latencies, errors)."""
    latencies: list[float] = []
    errors: list[str] = []
    start = threading.Barrier(clients + 1)
    threads = [
        # Daemon threads: if the bench is interrupted, nothing waits for clients of a stopped server.
        threading.Thread(
            target=_client, args=(server, token, per_client, start, latencies, errors), daemon=True
        )
        for _ in range(clients)
    ]
    for t in threads:
        t.start()
    start.wait()  # every client is connected; only the requests are timed
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, errors


def run(options: Options) -> dict[str, Any]:
    """Per engine: requests/s, latency percentiles, errors, and the server's memory and CPU."""
    clients, per_client = _load(options)
    figures: dict[str, Any] = {}
    for engine in options.engines:
        with (
            fresh_database(engine, demo=DEMO_ARGS) as url,
            serve(url, workers=SERVER_WORKERS, threads=SERVER_THREADS) as server,
        ):
            progress(f"{engine}: {clients} clients x {per_client} requests on port {server.port}")
            token = _token(server)
            # The warm-up runs as many clients as the measurement, so every gunicorn worker
            # has loaded its code and opened its database connection before timing starts.
            _fire(server, token, clients, WARMUP_PER_CLIENT)
            before = group_usage(server.pgid)
            seconds, latencies, errors = _fire(server, token, clients, per_client)
            after = group_usage(server.pgid)
        figures[engine] = {
            "requests": len(latencies),
            "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5],
            "seconds": seconds,
            "requests_per_s": len(latencies) / seconds,
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
            "max_ms": max(latencies, default=float("nan")),
            "median_ms": median(latencies),
            "concurrency": clients,
            # CPU the server spent per request: steadier than requests/s on a shared machine.
            "server_cpu_ms_per_request": (after["cpu_seconds"] - before["cpu_seconds"])
            * 1000
            / max(1, len(latencies)),
            "server_processes": int(after["processes"]),
            "server_rss_mb": after["rss_mb"],
            "server_pss_mb": after["pss_mb"],
            "server_peak_rss_mb": after["peak_rss_mb"],
        }
    return figures


SCENARIO = Scenario(
    name="api-me",
    run=run,
    parameters=parameters,
    columns=(
        "requests",
        "errors",
        "requests_per_s",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "server_cpu_ms_per_request",
        "server_rss_mb",
        "server_pss_mb",
    ),
)
