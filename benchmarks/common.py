"""Shared helpers: fresh databases, subprocesses with their own DATABASE_URL, percentiles, output."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "salesflow_bench"


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    """The median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def salesflow(
    args: list[str], *, database_url: str, check: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run `salesflow …` in a subprocess against `database_url`."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "salesflow.settings.local",
    }
    return subprocess.run(
        [sys.executable, "-m", "salesflow.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


@contextmanager
def sqlite_database() -> Iterator[str]:
    """A fresh, migrated SQLite file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="salesflow-bench-") as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        salesflow(["manage", "migrate", "--noinput", "-v", "0"], database_url=url)
        yield url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, dropped afterwards."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"
    try:
        salesflow(["manage", "migrate", "--noinput", "-v", "0"], database_url=url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


def databases(only: str | None = None) -> Iterator[tuple[str, Any]]:
    """("sqlite", cm) and ("postgresql", cm), or just the one asked for."""
    if only in (None, "sqlite"):
        yield "sqlite", sqlite_database
    if only in (None, "postgresql"):
        yield "postgresql", postgres_database


def write_result(scenario: str, parameters: dict[str, Any], figures: dict[str, Any]) -> Path:
    """Write one JSON result file and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    path = RESULTS / f"{scenario}-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(
            {
                "scenario": scenario,
                "started_at": started.isoformat(),
                "machine": machine(),
                "parameters": parameters,
                "figures": figures,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    return path


class Stopwatch:
    """`with Stopwatch() as sw: …; sw.seconds`."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
