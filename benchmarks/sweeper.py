"""The SLA sweeper: N pending deadlines of which M are due; time to claim and fire all due steps."""

from __future__ import annotations

import json
import resource
from datetime import timedelta
from typing import Any

from benchmarks.common import Stopwatch, databases, salesflow


def _fill(total: int, due: int) -> float:
    """Insert `total` pending deadlines, the first `due` of them already due (set-based SQL)."""
    from django.db import connection, transaction

    from salesflow.core import clock

    now = clock.now()
    with Stopwatch() as sw, transaction.atomic(), connection.cursor() as cursor:
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "ANALYZE timers_deadline")
    return sw.seconds


def _plan() -> list[str]:
    from django.db import connection, transaction

    from salesflow.core import clock
    from salesflow.timers.sweeper import claim_query

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with transaction.atomic(), connection.cursor() as cursor:  # FOR UPDATE needs a transaction
        sql, params = claim_query(clock.now(), 500).query.sql_with_params()
        cursor.execute(prefix + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def measure(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to the bench database."""
    from salesflow.core import clock
    from salesflow.timers import sweeper
    from salesflow.timers.models import Deadline

    total, due = (100_000, 2_000) if quick else (1_000_000, 10_000)
    fill_seconds = _fill(total, due)
    plan = _plan()
    with Stopwatch() as sw:
        fired = sweeper.sweep(now=clock.now() + timedelta(seconds=1), batch_size=500, worker_id="bench")
    left = Deadline.objects.filter(status="pending", due_at__lte=clock.now()).count()
    return {
        "pending": total,
        "due": due,
        "fired": len(fired),
        "still_due_after": left,
        "fill_seconds": fill_seconds,
        "sweep_seconds": sw.seconds,
        "fired_per_s": len(fired) / sw.seconds,
        "claim_plan": plan,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(*, quick: bool, database: str | None = None) -> dict[str, Any]:
    """One fresh database per engine; the measurement runs in its own process."""
    figures: dict[str, Any] = {}
    for name, fresh in databases(database):
        with fresh() as url:
            args = ["bench", "--inner", "sweeper"] + (["--quick"] if quick else [])
            figures[name] = json.loads(salesflow(args, database_url=url, timeout=1800).stdout)
    return figures
