"""The SLA sweeper: 1,000,000 pending deadlines of which 10,000 are due.

Measures the time to claim and fire every due step with a no-op handler — one worker, then
four workers at once on the same due set (exactly once each) — on SQLite and PostgreSQL, and
shows the claim query's plan (EXPLAIN / EXPLAIN QUERY PLAN) to prove it walks the
(status, due_at) index instead of the million rows.

`run(quick)` is what `salesflow bench` calls: one fresh database per engine, the measurement
in a child process (`salesflow bench --inner sweeper`, i.e. `measure`), a timeout on each.
"""

from __future__ import annotations

import json
import resource
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from benchmarks import common

ENGINES = ("sqlite", "postgresql")
SIZES = {False: (1_000_000, 10_000), True: (100_000, 2_000)}  # quick → (pending, due)
BATCH = 500
WORKERS = 4
CHILD_TIMEOUT_SECONDS = 1800  # the whole scenario stops by itself even if a sweep hangs
COLUMNS = (
    "pending",
    "due",
    "fill_seconds",
    "fired",
    "sweep_seconds",
    "fired_per_s",
    f"fired_{WORKERS}w",
    f"fired_twice_{WORKERS}w",
    f"sweep_seconds_{WORKERS}w",
    f"fired_per_s_{WORKERS}w",
    "claim_uses_index",
    "peak_rss_mb",
)


def _fill(total: int, due: int, now: datetime) -> float:
    """Insert `total` pending deadlines, the first `due` of them already due (set-based SQL)."""
    from django.db import connection, transaction

    with common.Stopwatch() as sw, transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                INSERT INTO timers_deadline (subject_type, subject_id, policy, policy_name, step, step_name,
                    due_at, status, payload, created_at, claimed_by, attempts, last_error)
                SELECT 'bench.none', n, 'bench', 'bench', 0, 'step',
                    CASE WHEN n <= %s THEN %s - n * interval '1 millisecond'
                         ELSE %s + n * interval '1 second' END,
                    'pending', '{}'::jsonb, %s, '', 0, ''
                FROM generate_series(1, %s) AS n
                """,
                [due, now, now, now, total],
            )
        else:
            # Django stores SQLite datetimes as naive UTC text.
            base = now.replace(tzinfo=None).isoformat(sep=" ")
            cursor.execute(
                """
                WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < %s)
                INSERT INTO timers_deadline (subject_type, subject_id, policy, policy_name, step, step_name,
                    due_at, status, payload, created_at, claimed_by, attempts, last_error)
                SELECT 'bench.none', n, 'bench', 'bench', 0, 'step',
                    CASE WHEN n <= %s THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '-' || n || ' seconds')
                         ELSE strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '+' || n || ' seconds') END,
                    'pending', '{}', %s, '', 0, ''
                FROM seq
                """,
                [total, due, base, base, base],
            )
    _analyze()
    return sw.seconds


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "ANALYZE timers_deadline")


def _plan(now: datetime) -> list[str]:
    """The plan of one batch's claim query, as the database will run it."""
    from django.db import connection, transaction

    from salesflow.timers.sweeper import claim_query

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with transaction.atomic(), connection.cursor() as cursor:  # FOR UPDATE needs a transaction
        sql, params = claim_query(now, BATCH).query.sql_with_params()
        cursor.execute(prefix + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def _rearm(due_ids_upto: int) -> None:
    """Make the same due set pending again (and vacuum on PostgreSQL) for the next run."""
    from django.db import connection

    from salesflow.timers.models import Deadline

    Deadline.objects.filter(subject_id__lte=due_ids_upto).update(
        status="pending", fired_at=None, claimed_by="", claimed_at=None, attempts=0
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE timers_deadline")
    else:
        _analyze()


def _sweep_with_workers(now: datetime, workers: int) -> tuple[float, dict[int, int]]:
    """Run `workers` sweeps at once (a thread and a connection each); seconds and calls per id."""
    from django.db import connections

    from salesflow.timers import sweeper

    calls: dict[int, int] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def noop(deadline: Any, when: datetime) -> None:
        with lock:  # the bookkeeping that proves "exactly once"; the step itself does nothing
            calls[deadline.pk] = calls.get(deadline.pk, 0) + 1

    def work(n: int, barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            sweeper.sweep(now=now, batch_size=BATCH, worker_id=f"bench-{n}")
        except BaseException as exc:  # reported below; a thread must not die silently
            errors.append(exc)
        finally:
            connections.close_all()

    barrier = threading.Barrier(workers)
    with sweeper.handlers_replaced(noop), common.Stopwatch() as sw:
        if workers == 1:
            sweeper.sweep(now=now, batch_size=BATCH, worker_id="bench-0")
        else:
            threads = [threading.Thread(target=work, args=(n, barrier)) for n in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    if errors:
        raise errors[0]
    return sw.seconds, calls


def measure(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to a fresh, migrated bench database."""
    from salesflow.core import clock
    from salesflow.timers.models import Deadline

    total, due = SIZES[quick]
    now = clock.now()
    fill_seconds = _fill(total, due, now)
    sweep_at = now + timedelta(seconds=1)
    plan = _plan(sweep_at)
    figures: dict[str, Any] = {
        "pending": total,
        "due": due,
        "fill_seconds": fill_seconds,
        "claim_plan": plan,
        "claim_uses_index": any("deadline_due" in line for line in plan),
    }
    for workers in (1, WORKERS):
        if workers > 1:
            _rearm(due)
        seconds, calls = _sweep_with_workers(sweep_at, workers)
        suffix = "" if workers == 1 else f"_{workers}w"  # flat keys: the bench table shows scalars
        figures |= {
            f"fired{suffix}": Deadline.objects.filter(status="fired").count(),
            f"handler_calls{suffix}": sum(calls.values()),
            f"fired_twice{suffix}": sum(1 for c in calls.values() if c > 1),
            f"still_due_after{suffix}": Deadline.objects.filter(
                status="pending", due_at__lte=sweep_at
            ).count(),
            f"sweep_seconds{suffix}": seconds,
            f"fired_per_s{suffix}": len(calls) / seconds if seconds else float("nan"),
        }
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def parameters(options: Any = None) -> dict[str, Any]:
    """What the scenario measures with (for the results file)."""
    quick = bool(getattr(options, "quick", options))
    total, due = SIZES[quick]
    return {"pending": total, "due": due, "batch_size": BATCH, "workers": [1, WORKERS]}


def _fresh(engine: str) -> AbstractContextManager[str]:
    """A fresh migrated database of `engine` from benchmarks.common, whichever helper it offers."""
    helpers = vars(common)  # `fresh_database(engine)` now; `sqlite_database()` / `postgres_database()` before
    if "fresh_database" in helpers:
        return helpers["fresh_database"](engine)
    return helpers["sqlite_database" if engine == "sqlite" else "postgres_database"]()


def _engines(options: Any, database: str | None) -> Iterator[str]:
    wanted = getattr(options, "engines", None) or ((database,) if database else ENGINES)
    yield from (e for e in ENGINES if e in wanted)


def run(quick: Any = False, *, database: str | None = None) -> dict[str, Any]:
    """Figures per engine. `quick` is a bool, or the bench's options object (`.quick`, `.engines`)."""
    options = quick if hasattr(quick, "quick") else None
    is_quick = bool(options.quick if options is not None else quick)
    figures: dict[str, Any] = {}
    for engine in _engines(options, database):
        with _fresh(engine) as url:
            args = ["bench", "--inner", "sweeper"] + (["--quick"] if is_quick else [])
            done = common.salesflow(args, database_url=url, timeout=CHILD_TIMEOUT_SECONDS)
            figures[engine] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


if __name__ == "__main__":  # `python -m benchmarks.sweeper [--quick]` from the project root
    import sys

    print(json.dumps(run("--quick" in sys.argv), ensure_ascii=False, indent=2))
