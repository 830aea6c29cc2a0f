"""`receivables`: the 应收账款 ageing of issue #13 over 100,000 instalments.

A fresh migrated database gets a company of 6 teams × 8 reps, 25,000 signed contracts (each with
its quote and opportunity, bulk-created: not what is measured) and 4 instalments per contract —
100,000 — with due dates spread from 150 days ago to 60 days ahead, a quarter of them paid. Then,
timed: the ageing table (`contracts.selectors.ageing`: one grouped query, by bucket and rep) for
finance (every contract) and for a team's manager, and the 应收账款 page through the test client
with a drill-down into one bucket. Target (issue #13): < 200 ms on PostgreSQL.
"""

from __future__ import annotations

import random
import resource
from datetime import timedelta
from decimal import Decimal
from typing import Any

from benchmarks.common import Options, Scenario, Stopwatch, median, progress, run_inner

SEED = 13
CONTRACTS = {False: 25_000, True: 2_500}
INSTALMENTS_PER_CONTRACT = 4
RUNS = {False: 9, True: 3}
CHILD_TIMEOUT_SECONDS = 3600


def _dataset(quick: bool) -> tuple[Any, Any]:
    """Contracts with quotes and opportunities, and their instalments; (finance, a manager)."""
    from benchmarks.pipeline import _analyze, _customers, _opportunities, _org
    from salesflow.contracts.choices import ContractState, InstalmentState, Milestone
    from salesflow.contracts.models import Contract, Instalment
    from salesflow.core import clock
    from salesflow.org import services as org
    from salesflow.org.choices import Role
    from salesflow.quotes.choices import QuoteState
    from salesflow.quotes.models import Quote

    now = clock.now()
    today = clock.to_local(now).date()
    rng = random.Random(SEED)
    managers, reps = _org(now)
    finance = org.user_create(
        username="fin", display_name="财务", role=Role.FINANCE, team=None, manager=None, actor=None, now=now
    )
    owners = [r for team in reps for r in team]
    total = CONTRACTS[quick]
    progress(f"{total} contracts, {total * INSTALMENTS_PER_CONTRACT} instalments")
    customers = _customers(2000, owners, now, rng)
    deals = _opportunities(total, customers, now, rng, pipelines=("standard",))
    for start in range(0, total, 5000):
        chunk = deals[start : start + 5000]
        quotes = Quote.objects.bulk_create(
            [
                Quote(
                    number=f"BJ-BENCH-{start + i:06d}",
                    opportunity=d,
                    customer_id=d.customer_id,
                    owner_id=d.owner_id,
                    title=d.title,
                    state=QuoteState.ACCEPTED,
                    total=d.amount,
                    created_at=now,
                    updated_at=now,
                )
                for i, d in enumerate(chunk)
            ],
            batch_size=1000,
        )
        contracts = Contract.objects.bulk_create(
            [
                Contract(
                    number=f"HT-BENCH-{start + i:06d}",
                    quote=q,
                    quote_version=1,
                    opportunity_id=q.opportunity_id,
                    customer_id=q.customer_id,
                    owner_id=q.owner_id,
                    project_manager_id=q.owner_id,
                    title=q.title,
                    state=ContractState.SIGNED,
                    amount=q.total,
                    signed_on=today - timedelta(days=rng.randint(10, 200)),
                    created_at=now,
                    updated_at=now,
                )
                for i, q in enumerate(quotes)
            ],
            batch_size=1000,
        )
        instalments = []
        for contract in contracts:
            share = (contract.amount / INSTALMENTS_PER_CONTRACT).quantize(Decimal("0.01"))
            for position in range(1, INSTALMENTS_PER_CONTRACT + 1):
                paid = rng.random() < 0.25
                instalments.append(
                    Instalment(
                        contract=contract,
                        position=position,
                        name=f"第 {position} 期",
                        amount=share,
                        milestone=Milestone.SIGNING,
                        days=30 * position,
                        due_date=today + timedelta(days=rng.randint(-150, 60)),
                        state=InstalmentState.PAID if paid else InstalmentState.PLANNED,
                        received=share if paid else Decimal(0),
                    )
                )
        Instalment.objects.bulk_create(instalments, batch_size=2000)
    _analyze()
    return finance, managers[0]


def _timed(runs: int, call: Any) -> list[float]:
    call()  # warm: the pack, the plan, the caches
    timings = []
    for _ in range(runs):
        with Stopwatch() as sw:
            call()
        timings.append(sw.seconds * 1000)
    return timings


def measure(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to a fresh migrated bench database."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from salesflow.contracts import selectors
    from salesflow.contracts.models import Instalment
    from salesflow.core import clock

    finance, manager = _dataset(quick)
    today = clock.to_local(clock.now()).date()
    runs = RUNS[quick]
    whole = _timed(runs, lambda: selectors.ageing(finance, today=today))
    team = _timed(runs, lambda: selectors.ageing(manager, today=today))
    client = Client()
    client.force_login(finance)
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        page = _timed(runs, lambda: client.get("/receivables/"))
        drill = _timed(runs, lambda: client.get("/receivables/?bucket=2"))
        with CaptureQueriesContext(connection) as captured:
            status = client.get("/receivables/?bucket=2").status_code
    table = selectors.ageing(finance, today=today)
    return {
        "instalments": Instalment.objects.count(),
        "outstanding_instalments": table.count,
        "ageing_finance_p50_ms": round(median(whole), 1),
        "ageing_manager_p50_ms": round(median(team), 1),
        "page_p50_ms": round(median(page), 1),
        "drill_page_p50_ms": round(median(drill), 1),
        "drill_page_max_ms": round(max(drill), 1),
        "drill_page_queries": len(captured.captured_queries),
        "status": status,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    return run_inner("receivables", options, timeout=CHILD_TIMEOUT_SECONDS)


def parameters(options: Options) -> dict[str, Any]:
    """Sizes of the receivables measurement."""
    return {
        "contracts": CONTRACTS[options.quick],
        "instalments": CONTRACTS[options.quick] * INSTALMENTS_PER_CONTRACT,
        "runs": RUNS[options.quick],
        "viewers": "finance (every contract), a team manager (8 reps)",
    }


RECEIVABLES = Scenario(
    name="receivables",
    run=run,
    parameters=parameters,
    columns=(
        "instalments",
        "ageing_finance_p50_ms",
        "ageing_manager_p50_ms",
        "page_p50_ms",
        "drill_page_p50_ms",
        "drill_page_queries",
    ),
)
