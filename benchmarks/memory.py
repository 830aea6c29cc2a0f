"""Server memory under sustained intake (issue #15): does a worker's RSS grow with the leads it serves?

`salesflow serve` in the shape it has by default on each engine (SQLite 1 worker × 8 threads,
PostgreSQL 2 × 4, the embedded background worker included) on a copy of the one-month demo
company the `intake` scenario uses. A few keep-alive clients post the intake scenario's website
lead until 100, 1,000, 5,000 and 10,000 leads are in; after each checkpoint, with no request in
flight, every child of gunicorn's master has its RSS read from /proc/<pid>/status (VmRSS). The
issue asks that a web worker's RSS after 10,000 stays within 10 % of its RSS after 100.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import Options, Scenario, fresh_database, progress, serve
from benchmarks.intake import INTAKE_DEMO, _client, _form_key

CHECKPOINTS = (100, 1_000, 5_000, 10_000)
QUICK_CHECKPOINTS = (20, 100, 200)
CLIENTS = 4  # enough to keep the server busy on two cores; the clients' own CPU stays small
# `salesflow serve`'s defaults per engine (workers, threads), fixed here so runs compare.
SERVER_SHAPES = {"sqlite": (1, 2), "postgresql": (2, 4)}  # SQLite 1 × 8 until 2026-12-08
SETTLE_SECONDS = 2.0  # after a checkpoint: let the worker finish what the last leads queued
LIMIT_TARGET = 0.10  # the bound on growth from 100 to 10,000 leads


def _checkpoints(options: Options) -> tuple[int, ...]:
    return QUICK_CHECKPOINTS if options.quick else CHECKPOINTS


def parameters(options: Options) -> dict[str, Any]:
    """The checkpoints, the load and the server's shape."""
    return {
        "checkpoints": list(_checkpoints(options)),
        "clients": CLIENTS,
        "server_shapes": {e: "{}x{}".format(*SERVER_SHAPES[e]) for e in options.engines},
        "embedded_worker": True,
        "demo": " ".join(INTAKE_DEMO),
        "request": "POST /api/v1/intake/<form> as in the intake scenario",
    }


def _children(master: int) -> dict[int, str]:
    """pid → role ("web" for gunicorn's workers, "background" for the embedded worker)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) != master:
            continue
        args = [a.decode("utf-8", "replace") for a in cmdline if a]
        found[int(entry.name)] = "background" if args[-1:] == ["worker"] else "web"
    return found


def _rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def _post(port: int, key: str, counts: list[int], firsts: list[int], errors: list[str]) -> list[float]:
    """Each client posts its share of this batch on its own keep-alive connection."""
    latencies: list[float] = []
    threads = [
        threading.Thread(target=_client, args=(port, key, w, n, None, latencies, errors), kwargs={"first": f})
        for w, (n, f) in enumerate(zip(counts, firsts, strict=True))
        if n
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def run(options: Options) -> dict[str, Any]:
    """RSS of each server process at every checkpoint, and each web worker's growth ratio."""
    figures: dict[str, Any] = {}
    for engine in options.engines:
        figures[engine] = _run_engine(engine, _checkpoints(options))
    return figures


def _run_engine(engine: str, checkpoints: tuple[int, ...]) -> dict[str, Any]:
    workers, threads = SERVER_SHAPES[engine]
    with fresh_database(engine, demo=INTAKE_DEMO) as url:
        key = _form_key(url)
        limits = {"SALESFLOW_INTAKE_LIMIT_PER_IP": "1000000", "SALESFLOW_INTAKE_LIMIT_PER_FORM": "1000000"}
        with serve(url, workers=workers, threads=threads, env=limits, background_worker=True) as server:
            master = server.process.pid
            roles = _children(master)
            samples: list[dict[str, Any]] = []
            errors: list[str] = []
            sent = [0] * CLIENTS
            done = 0
            started = time.perf_counter()
            for checkpoint in checkpoints:
                batch = checkpoint - done
                counts = [batch // CLIENTS + (1 if w < batch % CLIENTS else 0) for w in range(CLIENTS)]
                progress(f"{engine}: leads {done + 1}–{checkpoint}")
                batch_started = time.perf_counter()
                _post(server.port, key, counts, list(sent), errors)
                batch_seconds = time.perf_counter() - batch_started
                sent = [s + n for s, n in zip(sent, counts, strict=True)]
                done = checkpoint
                time.sleep(SETTLE_SECONDS)
                roles.update(_children(master))
                rss = {str(pid): _rss_mb(pid) for pid in sorted(roles)}
                samples.append(
                    {
                        "leads": checkpoint,
                        "batch_seconds": round(batch_seconds, 1),
                        "leads_per_s": round(batch / batch_seconds, 1) if batch_seconds else None,
                        "master_rss_mb": _rss_mb(master),
                        "rss_mb": rss,
                        "errors_so_far": len(errors),
                    }
                )
                progress(
                    f"{engine}: {checkpoint} leads, RSS MiB "
                    + ", ".join(f"{roles[int(p)]} {p}: {v:.1f}" for p, v in rss.items() if v is not None)
                )
            elapsed = time.perf_counter() - started
    first, last = samples[0], samples[-1]
    growth: dict[str, float | None] = {}
    for pid, role in roles.items():
        before, after = first["rss_mb"].get(str(pid)), last["rss_mb"].get(str(pid))
        growth[f"{role} {pid}"] = after / before if before and after else None
    web = [v for k, v in growth.items() if k.startswith("web") and v is not None]
    background = [v for k, v in growth.items() if k.startswith("background") and v is not None]
    return {
        "server": f"{workers}x{threads}",
        "leads": last["leads"],
        "errors": len(errors),
        "error_kinds": dict(Counter(errors).most_common()),
        "seconds": round(elapsed, 1),
        "web_rss_mb_first": max(first["rss_mb"].get(str(p)) or 0 for p, r in roles.items() if r == "web"),
        "web_rss_mb_last": max(last["rss_mb"].get(str(p)) or 0 for p, r in roles.items() if r == "web"),
        # The worst web worker: RSS at the last checkpoint over RSS at the first.
        "web_growth_max": max(web) if web else None,
        "background_growth": max(background) if background else None,
        "within_target": bool(web) and max(web) <= 1 + LIMIT_TARGET,
        "roles": {str(pid): role for pid, role in roles.items()},
        "growth": growth,
        "samples": samples,
    }


SCENARIO = Scenario(
    name="intake-rss",
    run=run,
    parameters=parameters,
    columns=(
        "server",
        "leads",
        "errors",
        "seconds",
        "web_rss_mb_first",
        "web_rss_mb_last",
        "web_growth_max",
        "background_growth",
        "within_target",
    ),
)
