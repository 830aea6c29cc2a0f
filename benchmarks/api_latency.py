"""`GET /api/v1/me` served by the production server (gunicorn) on loopback."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from benchmarks.common import databases, median, percentile, salesflow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not become healthy")


def _token(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "POST",
        "/api/v1/auth/token",
        body=json.dumps({"username": "manager1", "password": "salesflow-demo"}),
        headers={"Content-Type": "application/json"},
    )
    response = conn.getresponse()
    body = json.loads(response.read())
    return str(body["token"])


def _client(port: int, token: str, count: int, latencies: list[float], errors: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(count):
        started = time.perf_counter()
        try:
            conn.request("GET", "/api/v1/me", headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except OSError:
            ok = False
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies.append((time.perf_counter() - started) * 1000)
        if not ok:
            errors.append(1)


def run(*, quick: bool, database: str | None = None) -> dict[str, Any]:
    """Requests/s and latency percentiles with N concurrent keep-alive clients."""
    threads, per_thread = (4, 100) if quick else (8, 400)
    figures: dict[str, Any] = {}
    for name, fresh in databases(database):
        with fresh() as url:
            salesflow(["demo", "--seed", "1", "--reps", "48"], database_url=url)
            port = _free_port()
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "DJANGO_SETTINGS_MODULE": "salesflow.settings.local",
            }
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "salesflow.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-worker",
                    "--quiet",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                _wait_healthy(port, time.monotonic() + 60)
                token = _token(port)
                warm: list[float] = []
                _client(port, token, 50, warm, [])
                latencies: list[float] = []
                errors: list[int] = []
                workers = [
                    threading.Thread(target=_client, args=(port, token, per_thread, latencies, errors))
                    for _ in range(threads)
                ]
                started = time.perf_counter()
                for w in workers:
                    w.start()
                for w in workers:
                    w.join()
                elapsed = time.perf_counter() - started
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
            figures[name] = {
                "requests": len(latencies),
                "errors": len(errors),
                "seconds": elapsed,
                "requests_per_s": len(latencies) / elapsed,
                "p50_ms": percentile(latencies, 50),
                "p95_ms": percentile(latencies, 95),
                "p99_ms": percentile(latencies, 99),
                "median_ms": median(latencies),
                "concurrency": threads,
            }
    return figures
