"""Work orders (issue #14): a department queue over 100,000 orders, and the escalation ladder
sweep over 10,000 due steps.

`workorder-queue`: a fresh migrated database gets 6 teams × 8 reps, 2,000 customers and 100,000
work orders of the pack's six types spread over their departments (bulk-created: not what is
measured), a tenth closed, with a pending acknowledgement SLA on the open ones. Timed: the 售前
queue page (list and kanban) for a presales engineer, and the queue API. Target: < 200 ms p50 on
PostgreSQL.

`workorder-ladder`: 3,334 unacknowledged custom solution requests whose three ladder steps
(supervisor, COO in copy, the monthly review agenda) are all due — 10,002 steps. Timed: one
`sweeper.sweep` firing every step with the real actions (tasks, notifications, agenda items);
checked: each step fired exactly once.
"""

from __future__ import annotations

import random
import resource
from datetime import timedelta
from typing import Any

from benchmarks.common import Options, Scenario, Stopwatch, median, percentile, progress, run_inner

SEED = 14
ORDERS = {False: 100_000, True: 10_000}
LADDER_ORDERS = {False: 3_334, True: 400}
RUNS = {False: 9, True: 3}
CHILD_TIMEOUT_SECONDS = 3600


def _people(now: Any) -> tuple[list[Any], list[Any], Any]:
    """The sales org, a presales department under its lead (under the COO), delivery, legal, finance."""
    from benchmarks.pipeline import _org
    from salesflow.org import services as org
    from salesflow.org.choices import Role

    _managers, reps = _org(now)
    coo = org.user_create(
        username="coo", display_name="运营总监", role=Role.COO, team=None, manager=None, actor=None
    )
    lead = org.user_create(
        username="presales_lead",
        display_name="售前主管",
        role=Role.MANAGER,
        team=None,
        manager=coo,
        actor=None,
    )
    handlers = []
    for role, count in (("presales", 4), ("delivery", 2), ("legal", 1), ("finance", 1)):
        for i in range(count):
            handlers.append(
                org.user_create(
                    username=f"{role}{i + 1}",
                    display_name=f"{role}{i + 1}",
                    role=role,
                    team=None,
                    manager=lead if role == "presales" else coo,
                    actor=None,
                )
            )
    return [r for team in reps for r in team], handlers, coo


def _orders(
    total: int, owners: list[Any], handlers: list[Any], now: Any, rng: random.Random, *, only: str = ""
) -> list[Any]:
    """Bulk-created orders with their acknowledgements (and the acknowledgement SLA on open ones)."""
    from benchmarks.pipeline import _customers
    from salesflow.rules.selectors import active_pack
    from salesflow.timers.models import Deadline
    from salesflow.workorders.models import Acknowledgement, WorkOrder

    _number, pack = active_pack()
    types = [t for t in pack.workorder_types if not only or t.code == only]
    by_role: dict[str, list[Any]] = {}
    for user in handlers:
        by_role.setdefault(user.role, []).append(user)
    customers = _customers(2000, owners, now, rng)
    policy = pack.policy("workorder_acknowledge")
    assert policy is not None
    made: list[Any] = []
    for start in range(0, total, 5000):
        rows = []
        for i in range(start, min(start + 5000, total)):
            wo_type = types[i % len(types)]
            state = wo_type.states[rng.randrange(len(wo_type.states))] if not only else wo_type.states[0]
            customer = customers[rng.randrange(len(customers))]
            closed = not only and rng.random() < 0.1
            raised = now - timedelta(minutes=rng.randint(10, 60 * 24 * 90))
            rows.append(
                WorkOrder(
                    number=f"GD-BENCH-{i:07d}",
                    type_code=wo_type.code,
                    type_name=wo_type.name,
                    title=f"{wo_type.name} {i}",
                    customer_id=customer.pk,
                    form_values={},
                    state=state.code,
                    state_name=state.name,
                    department=wo_type.department,
                    assignee=rng.choice(by_role[wo_type.handler_roles[0]]),
                    raised_by_id=customer.owner_id,
                    raised_at=raised,
                    closed_at=raised + timedelta(hours=5) if closed else None,
                    updated_at=raised,
                )
            )
        orders = WorkOrder.objects.bulk_create(rows, batch_size=1000)
        Acknowledgement.objects.bulk_create(
            [
                Acknowledgement(work_order=o, party=p.code, party_name=p.name, who=p.who, order=k)
                for o in orders
                for k, p in enumerate(pack.workorder_type(o.type_code).parties)  # type: ignore[union-attr]
            ],
            batch_size=2000,
        )
        deadlines = []
        for o in orders:
            if o.closed_at is not None:
                continue
            steps = range(len(policy.steps)) if only else range(1)
            for step in steps:
                due = (
                    now - timedelta(minutes=5 + step) if only else now + timedelta(hours=rng.randint(-6, 12))
                )
                deadlines.append(
                    Deadline(
                        subject_type="workorders.workorder",
                        subject_id=o.pk,
                        policy=policy.code,
                        policy_name=policy.name,
                        step=step,
                        step_name=policy.steps[step].name,
                        due_at=due,
                        payload={"pack_version": 0, "policy": policy.code, "step": step},
                        created_at=o.raised_at,
                    )
                )
        Deadline.objects.bulk_create(deadlines, batch_size=2000)
        made.extend(orders)
    return made


def _timed(runs: int, call: Any) -> list[float]:
    call()  # warm: the pack, the plan, the caches
    timings = []
    for _ in range(runs):
        with Stopwatch() as sw:
            call()
        timings.append(sw.seconds * 1000)
    return timings


def measure_queue(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to a fresh migrated bench database."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from benchmarks.pipeline import _analyze
    from salesflow.core import clock
    from salesflow.workorders.models import WorkOrder

    now = clock.now()
    rng = random.Random(SEED)
    owners, handlers, _coo = _people(now)
    progress(f"{ORDERS[quick]} work orders")
    _orders(ORDERS[quick], owners, handlers, now, rng)
    _analyze()
    presales = next(u for u in handlers if u.role == "presales")
    runs = RUNS[quick]
    client = Client()
    client.force_login(presales)
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        page = _timed(runs, lambda: client.get("/workorders/queues/presales/"))
        board = _timed(runs, lambda: client.get("/workorders/queues/presales/?view=board"))
        api = _timed(runs, lambda: client.get("/api/v1/workorder-queues/presales"))
        with CaptureQueriesContext(connection) as captured:
            status = client.get("/workorders/queues/presales/").status_code
    return {
        "orders": WorkOrder.objects.count(),
        "presales_open": WorkOrder.objects.filter(department="presales", closed_at__isnull=True).count(),
        "queue_page_p50_ms": round(median(page), 1),
        "queue_page_p95_ms": round(percentile(page, 95), 1),
        "board_page_p50_ms": round(median(board), 1),
        "queue_api_p50_ms": round(median(api), 1),
        "queue_page_queries": len(captured.captured_queries),
        "status": status,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def measure_ladder(*, quick: bool) -> dict[str, Any]:
    """Fire every due ladder step of unacknowledged custom solution requests, once."""
    from benchmarks.pipeline import _analyze
    from salesflow.core import clock
    from salesflow.notify.models import Notification, Task
    from salesflow.rules.models import AgendaItem, RuleFiring
    from salesflow.timers import sweeper
    from salesflow.timers.models import Deadline

    now = clock.now()
    rng = random.Random(SEED)
    owners, handlers, _coo = _people(now)
    count = LADDER_ORDERS[quick]
    _orders(count, owners, handlers, now, rng, only="custom_solution")
    _analyze()
    due = Deadline.objects.filter(status="pending", due_at__lte=now).count()
    progress(f"{due} due ladder steps")
    with Stopwatch() as sw:
        fired = sweeper.sweep(now=now, worker_id="bench")
    again = sweeper.sweep(now=now + timedelta(minutes=1), worker_id="bench")
    firings = RuleFiring.objects.filter(subject_type="workorders.workorder").count()
    return {
        "due_steps": due,
        "fired": sum(1 for f in fired if f.outcome == "fired"),
        "fired_again": len(again),
        "rule_firings": firings,
        "sweep_seconds": round(sw.seconds, 2),
        "steps_per_s": round(due / sw.seconds, 1) if sw.seconds else None,
        "tasks": Task.objects.count(),
        "notifications": Notification.objects.count(),
        "agenda_items": AgendaItem.objects.count(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_queue(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    return run_inner("workorder-queue", options, timeout=CHILD_TIMEOUT_SECONDS)


def run_ladder(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    return run_inner("workorder-ladder", options, timeout=CHILD_TIMEOUT_SECONDS)


QUEUE = Scenario(
    name="workorder-queue",
    run=run_queue,
    parameters=lambda options: {
        "orders": ORDERS[options.quick],
        "runs": RUNS[options.quick],
        "viewer": "a presales engineer (售前 queue)",
    },
    columns=(
        "orders",
        "presales_open",
        "queue_page_p50_ms",
        "board_page_p50_ms",
        "queue_api_p50_ms",
        "queue_page_queries",
    ),
)
LADDER = Scenario(
    name="workorder-ladder",
    run=run_ladder,
    parameters=lambda options: {"orders": LADDER_ORDERS[options.quick], "steps_per_order": 3},
    columns=("due_steps", "fired", "fired_again", "sweep_seconds", "steps_per_s", "agenda_items"),
)
