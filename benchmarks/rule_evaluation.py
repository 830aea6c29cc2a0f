"""Rule conditions: evaluations per second in Python, and the same condition as a `Q` over N rows."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from benchmarks.common import Options, Scenario, Stopwatch, databases, salesflow

CONDITION = {
    "all": [
        {"field": "seniority", "op": "gte", "value": 3},
        {
            "any": [
                {"field": "team.name", "op": "eq", "value": "上海一组"},
                {"field": "max_open_workload", "op": "gt", "value": 30},
            ]
        },
        {"not": {"field": "role", "op": "eq", "value": "manager"}},
        {"field": "date_joined", "op": "older_than", "value": "30d"},
    ]
}


def _rows(quick: bool) -> int:
    return 20_000 if quick else 100_000


def measure(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to the bench database."""
    from django.db import transaction

    from salesflow.core import clock
    from salesflow.org.models import Team, User
    from salesflow.rules.conditions import compile_condition, model_fields

    rows = _rows(quick)
    now = clock.now()
    with transaction.atomic():
        teams = [
            Team.objects.create(name=n, kind="team", path=f"/{i}/")
            for i, n in enumerate(["上海一组", "杭州组"])
        ]
        User.objects.bulk_create(
            [
                User(
                    username=f"bench{i}",
                    role="manager" if i % 10 == 0 else "rep",
                    seniority=i % 5 + 1,
                    max_open_workload=20 + i % 25,
                    team=teams[i % 2],
                    date_joined=now - timedelta(days=i % 90),
                )
                for i in range(rows)
            ],
            batch_size=5000,
        )
    compiled = compile_condition(CONDITION, model_fields(User))
    users = list(User.objects.select_related("team").filter(username__startswith="bench"))
    with Stopwatch() as python_sw:
        python_matches = sum(1 for u in users if compiled.matches(u, now))
    sql_seconds = []
    sql_matches = 0
    for _ in range(5):
        with Stopwatch() as sql_sw:
            sql_matches = User.objects.filter(username__startswith="bench").filter(compiled.as_q(now)).count()
        sql_seconds.append(sql_sw.seconds)
    sql_seconds.sort()
    return {
        "records": rows,
        "python_matches": python_matches,
        "sql_matches": sql_matches,
        "python_seconds": python_sw.seconds,
        "python_evaluations_per_s": rows / python_sw.seconds,
        "sql_median_seconds": sql_seconds[len(sql_seconds) // 2],
        "sql_records_per_s": rows / sql_seconds[len(sql_seconds) // 2],
        "agree": python_matches == sql_matches,
    }


def parameters(options: Options) -> dict[str, Any]:
    """The condition and how many rows it runs over."""
    return {"records": _rows(options.quick), "condition": CONDITION, "sql_repeats": 5}


def run(options: Options) -> dict[str, Any]:
    """One fresh database per engine; the measurement runs in its own process."""
    figures: dict[str, Any] = {}
    for name, fresh in databases(options):
        with fresh() as url:
            args = ["bench", "--inner", "rules"] + (["--quick"] if options.quick else [])
            figures[name] = json.loads(salesflow(args, database_url=url, timeout=1800).stdout)
    return figures


SCENARIO = Scenario(
    name="rules",
    run=run,
    parameters=parameters,
    columns=(
        "records",
        "python_matches",
        "sql_matches",
        "python_evaluations_per_s",
        "sql_median_seconds",
        "sql_records_per_s",
        "agree",
    ),
)
