"""The sweeper fires each due step exactly once: over time, on failure, concurrently, across a crash."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.core.events import events_for
from salesflow.core.models import Event
from salesflow.core.testing import Trio
from salesflow.core.worker import periodic_jobs
from salesflow.timers import selectors, services, sweeper
from salesflow.timers.durations import parse_duration
from salesflow.timers.models import Deadline


@pytest.fixture
def counting_handler() -> Iterator[Counter[int]]:
    """Replace the step handlers with one that counts calls per deadline."""
    calls: Counter[int] = Counter()
    lock = threading.Lock()

    def handler(deadline: Deadline, now: datetime) -> None:
        with lock:
            calls[deadline.pk] += 1

    with sweeper.handlers_replaced(handler):
        yield calls


def _ladder(trio: Trio, start: datetime) -> list[Deadline]:
    return services.timer_start(
        subject=trio.owner,
        policy_code="p",
        policy_name="测试",
        started_at=start,
        steps=[
            services.StepSpec("a", parse_duration("3m")),
            services.StepSpec("b", parse_duration("1h")),
        ],
    )


@pytest.mark.django_db
def test_steps_fire_once_each_at_their_time(trio: Trio, counting_handler: Counter[int]) -> None:
    start = clock.now()
    first, second = _ladder(trio, start)
    assert sweeper.sweep(now=start + timedelta(minutes=2)) == []
    fired = sweeper.sweep(now=start + timedelta(minutes=3))
    assert [f.id for f in fired] == [first.pk]
    assert sweeper.sweep(now=start + timedelta(minutes=30)) == []
    sweeper.sweep(now=start + timedelta(hours=2))
    assert counting_handler == {first.pk: 1, second.pk: 1}
    assert set(Deadline.objects.values_list("status", flat=True)) == {"fired"}


@pytest.mark.django_db
def test_restart_cancels_the_running_ladder(trio: Trio, counting_handler: Counter[int]) -> None:
    start = clock.now()
    _ladder(trio, start)
    _ladder(trio, start + timedelta(minutes=2))
    sweeper.sweep(now=start + timedelta(minutes=4))
    assert sum(counting_handler.values()) == 0  # the first run was replaced; the new one is due at +5m
    assert Deadline.objects.filter(status="cancelled").count() == 2


def _lead_ladder(lead: object, start: datetime) -> list[Deadline]:
    return services.timer_start(
        subject=lead,  # type: ignore[arg-type]
        policy_code="p",
        policy_name="测试",
        started_at=start,
        steps=[services.StepSpec("a", parse_duration("3m"))],
    )


@pytest.mark.django_db
def test_a_record_inserted_now_skips_only_its_first_restart(trio: Trio) -> None:
    from salesflow.leads.models import Lead

    lead = Lead.objects.create(name="新客户", created_at=clock.now())
    services.inserted_now(lead)
    start = clock.now()
    with CaptureQueriesContext(connection) as first_start:
        _lead_ladder(lead, start)
    assert not any(q["sql"].startswith('UPDATE "timers_deadline"') for q in first_start.captured_queries)
    # The same policy again on the same instance (or a copy, as the rules engine holds) restarts.
    _lead_ladder(copy.copy(lead), start + timedelta(minutes=1))
    assert list(
        Deadline.objects.filter(subject_id=lead.pk).order_by("id").values_list("status", flat=True)
    ) == [
        "cancelled",
        "pending",
    ]
    # A copy loaded afresh carries no mark and always restarts.
    _lead_ladder(Lead.objects.get(pk=lead.pk), start + timedelta(minutes=2))
    assert Deadline.objects.filter(subject_id=lead.pk, status="pending").count() == 1


@pytest.mark.django_db
def test_time_machine_moves_time_and_each_step_fires_once(trio: Trio, counting_handler: Counter[int]) -> None:
    start = datetime(2026, 11, 23, 10, 0, tzinfo=clock.local_zone())
    with time_machine.travel(start, tick=False) as traveller:
        first, second = _ladder(trio, clock.now())
        job = periodic_jobs()["timers.sweep"]  # what `salesflow worker` runs every tick
        for minutes in (1, 2, 3, 4, 30, 59, 60, 61, 120):
            traveller.move_to(start + timedelta(minutes=minutes))
            job(clock.now())
            job(clock.now())  # a second worker tick at the same instant fires nothing new
            if minutes == 2:
                assert counting_handler == {}  # not early
            if minutes == 3:
                assert counting_handler == {first.pk: 1}
            if minutes == 59:
                assert second.pk not in counting_handler
    assert counting_handler == {first.pk: 1, second.pk: 1}
    second.refresh_from_db()
    assert second.status == "fired" and second.fired_at == start + timedelta(hours=1)
    assert second.attempts == 1 and second.claimed_by


@pytest.mark.django_db
def test_stop_cancels_pending_steps(trio: Trio, counting_handler: Counter[int]) -> None:
    start = clock.now()
    _ladder(trio, start)
    services.timer_start(
        subject=trio.owner,
        policy_code="other",
        policy_name="另一个",
        started_at=start,
        steps=[services.StepSpec("x", parse_duration("10m"))],
    )
    sweeper.sweep(now=start + timedelta(minutes=3))  # step "a" of p fires
    assert services.timer_stop(subject=trio.owner, policy_code="p", reason="contacted", now=start) == 1
    states = {(d["policy"], d["step"]): d["state"] for d in selectors.sla_state(trio.owner, now=start)}
    assert states == {("p", 0): "breached", ("p", 1): "stopped", ("other", 0): "running"}
    assert services.timer_stop(subject=trio.owner, policy_code=None, reason="closed", now=start) == 1
    assert services.timer_stop(subject=trio.owner, policy_code=None, reason="again", now=start) == 0
    sweeper.sweep(now=start + timedelta(days=1))
    assert sum(counting_handler.values()) == 1
    names = [e.name for e in events_for(trio.owner) if e.name.startswith("timer.")]
    assert names == ["timer.started", "timer.started", "timer.stopped", "timer.stopped"]
    assert not selectors.pending_deadlines(subject_type="org.user", subject_id=trio.owner.pk).exists()


@pytest.mark.django_db
def test_sla_state_shows_running_due_breached_and_stopped(trio: Trio) -> None:
    start = clock.now()
    _first, second = _ladder(trio, start)
    assert [
        (r["policy"], r["step"], r["step_name"], r["state"]) for r in selectors.sla_state(trio.owner)
    ] == [
        ("p", 0, "a", "running"),
        ("p", 1, "b", "running"),
    ]
    later = start + timedelta(minutes=5)
    assert [r["state"] for r in selectors.sla_state(trio.owner, now=later)] == ["due", "running"]
    sweeper.sweep(now=later)
    assert [r["state"] for r in selectors.sla_state(trio.owner, now=later)] == ["breached", "running"]
    assert selectors.sla_state(trio.owner, now=later)[1]["due_at"] == second.due_at


@pytest.mark.django_db
def test_timer_start_refuses_an_unknown_clock(trio: Trio) -> None:
    with pytest.raises(FieldErrors) as err:
        services.timer_start(
            subject=trio.owner,
            policy_code="p",
            policy_name="",
            steps=[],
            started_at=clock.now(),
            clock="lunar",
        )
    assert list(err.value.errors) == ["clock"]


@pytest.mark.django_db
def test_working_time_steps_follow_the_calendar(trio: Trio) -> None:
    friday_evening = datetime(2026, 9, 30, 17, 0, tzinfo=clock.local_zone())  # eve of 国庆
    (step,) = services.timer_start(
        subject=trio.owner,
        policy_code="w",
        policy_name="工作时",
        steps=[services.StepSpec("a", parse_duration("2wh"))],
        started_at=friday_evening,
        clock="working",
    )
    assert clock.to_local(step.due_at) == datetime(2026, 10, 8, 10, 0, tzinfo=clock.local_zone())


@pytest.mark.django_db
def test_a_step_stopped_by_an_earlier_step_of_the_same_batch_does_not_fire(trio: Trio) -> None:
    start = clock.now()
    first, second = _ladder(trio, start)
    calls: list[int] = []

    def stop_the_rest(deadline: Deadline, now: datetime) -> None:
        calls.append(deadline.pk)
        services.timer_stop(subject=trio.owner, policy_code="p", reason="released", now=now)

    with sweeper.handlers_replaced(stop_the_rest):
        outcomes = {f.id: f.outcome for f in sweeper.sweep(now=start + timedelta(hours=2))}
    assert calls == [first.pk]
    assert outcomes == {first.pk: "fired", second.pk: "cancelled"}
    assert dict(Deadline.objects.values_list("id", "status")) == {first.pk: "fired", second.pk: "cancelled"}


@pytest.mark.django_db
def test_dry_run_changes_nothing(trio: Trio, counting_handler: Counter[int]) -> None:
    start = clock.now()
    first, _second = _ladder(trio, start)
    before = list(Deadline.objects.values_list("id", "status", "due_at", "attempts", "claimed_by"))
    listed = sweeper.sweep(now=start + timedelta(minutes=10), dry_run=True)
    assert [(f.id, f.outcome) for f in listed] == [(first.pk, "would fire")]
    assert list(Deadline.objects.values_list("id", "status", "due_at", "attempts", "claimed_by")) == before
    assert counting_handler == {}


@pytest.mark.django_db
def test_a_crash_inside_the_batch_rolls_back_and_a_later_sweep_fires_everything(trio: Trio) -> None:
    """The handler's writes are the proof: committed effects exist exactly once per deadline."""
    ids = _bulk_due(trio, 30)

    def trace(deadline: Deadline, now: datetime) -> None:
        Event.objects.create(
            name="test.fired", subject_type="timers.deadline", subject_id=deadline.pk, occurred_at=now
        )
        if crash and deadline.pk == ids[17]:
            raise SystemExit("worker killed mid-batch")  # not an Exception: nothing catches it

    crash = True
    with sweeper.handlers_replaced(trace):
        with pytest.raises(SystemExit):
            sweeper.sweep(now=clock.now(), batch_size=10)
        # The first batch of 10 committed; the second died before commit and left nothing.
        assert Deadline.objects.filter(status="fired").count() == 10
        assert Event.objects.filter(name="test.fired").count() == 10
        crash = False
        sweeper.sweep(now=clock.now(), batch_size=10)
    fired = Counter(Event.objects.filter(name="test.fired").values_list("subject_id", flat=True))
    assert fired == Counter({pk: 1 for pk in ids})
    assert Deadline.objects.filter(status="fired").count() == 30


@pytest.mark.django_db
def test_failing_step_is_retried_then_left_failed_without_blocking_others(trio: Trio) -> None:
    start = clock.now()
    bad, good = _ladder(trio, start)
    good.due_at = bad.due_at
    good.save()

    def handler(deadline: Deadline, now: datetime) -> None:
        Event.objects.create(
            name="test.fired", subject_type="timers.deadline", subject_id=deadline.pk, occurred_at=now
        )
        if deadline.pk == bad.pk:
            raise RuntimeError("robot down")

    with sweeper.handlers_replaced(handler):
        outcomes = {f.id: f.outcome for f in sweeper.sweep(now=start + timedelta(minutes=3))}
        assert outcomes == {bad.pk: "retry", good.pk: "fired"}
        bad.refresh_from_db()
        assert (bad.status, bad.attempts, bad.last_error) == ("pending", 1, "RuntimeError: robot down")
        sweeper.sweep(now=start + timedelta(minutes=5))
        sweeper.sweep(now=start + timedelta(minutes=20))
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.status == "failed" and bad.attempts == 3 and "robot down" in bad.last_error
    assert good.status == "fired" and good.attempts == 1
    # The failing step's own writes were undone each time (its savepoint); the good one's kept.
    traces = Counter(Event.objects.filter(name="test.fired").values_list("subject_id", flat=True))
    assert traces == {good.pk: 1}


@pytest.mark.django_db
def test_dry_run_and_cli(trio: Trio, counting_handler: Counter[int]) -> None:
    start = clock.now()
    first, _second = _ladder(trio, start)
    out = StringIO()
    call_command("timers", "sweep", "--now", "+4m", "--dry-run", stdout=out)
    assert "1 step(s) would fire" in out.getvalue() and "p#0 a  org.user" in out.getvalue()
    assert "(Asia/Shanghai)" in out.getvalue()
    assert f"{clock.to_local(first.due_at):%Y-%m-%d %H:%M}  p#0 a" in out.getvalue()
    assert Deadline.objects.filter(status="pending").count() == 2
    listing = StringIO()
    call_command("timers", "list", "--subject", f"user:{trio.owner.pk}", stdout=listing)
    assert "2 pending deadline(s)" in listing.getvalue()
    fired = StringIO()
    call_command("timers", "sweep", "--now", "+4m", stdout=fired)
    assert "1 step(s) fired" in fired.getvalue() and "[fired]" in fired.getvalue()
    assert counting_handler == {first.pk: 1}
    again = StringIO()
    call_command("timers", "sweep", "--now", "+4m", stdout=again)
    assert "0 step(s) fired" in again.getvalue()
    by_label = StringIO()
    call_command("timers", "list", "--subject", f"org.user:{trio.owner.pk}", stdout=by_label)
    assert "1 pending deadline(s)" in by_label.getvalue()
    later = StringIO()
    call_command("timers", "sweep", "--now", "+2wd", "--dry-run", stdout=later)
    assert "1 step(s) would fire" in later.getvalue()
    with pytest.raises(CommandError, match='"4x" is not a duration'):
        call_command("timers", "sweep", "--now", "+4x")
    with pytest.raises(CommandError, match="unknown record type"):
        call_command("timers", "list", "--subject", "nosuch:1")


def _bulk_due(trio: Trio, count: int) -> list[int]:
    now = clock.now() - timedelta(minutes=1)
    rows = Deadline.objects.bulk_create(
        [
            Deadline(
                subject_type="org.user",
                subject_id=trio.owner.pk,
                policy="bulk",
                step=i,
                due_at=now,
                created_at=now,
            )
            for i in range(count)
        ]
    )
    return [d.pk for d in rows]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_fire_each_step_exactly_once(trio: Trio, counting_handler: Counter[int]) -> None:
    ids = _bulk_due(trio, 300)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            sweeper.sweep(now=clock.now(), batch_size=20, worker_id=f"w{n}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert counting_handler == Counter({pk: 1 for pk in ids})
    assert Deadline.objects.filter(status="fired").count() == 300
    assert Deadline.objects.values("claimed_by").distinct().count() > 1  # the work was really shared


CRASHING_WORKER = """
import os, sys, time, django
django.setup()
from salesflow.core import clock
from salesflow.timers import sweeper
from salesflow.core.models import Event

def slow(deadline, now):
    # Leave a trace inside the transaction, then hang: the parent kills us before commit.
    Event.objects.create(name="test.crash", subject_type="timers.deadline", subject_id=deadline.pk,
                         occurred_at=now)
    print("claimed", flush=True)
    time.sleep(60)

with sweeper.handlers_replaced(slow):
    sweeper.sweep(now=clock.now(), batch_size=50, worker_id="doomed")
"""


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_loses_and_doubles_nothing(
    trio: Trio, counting_handler: Counter[int]
) -> None:
    ids = _bulk_due(trio, 120)
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesflow.settings.test",
        "DATABASE_URL": f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
        f"{settings_dict['NAME']}",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WORKER], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "claimed"
        # While the doomed worker holds its batch, another worker takes the rest only.
        sweeper.sweep(now=clock.now(), batch_size=50, worker_id="survivor")
        assert len(counting_handler) == 70
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    sweeper.sweep(now=clock.now(), batch_size=50, worker_id="restarted")
    assert counting_handler == Counter({pk: 1 for pk in ids})
    assert Deadline.objects.filter(status="fired").count() == 120
    assert not Deadline.objects.filter(claimed_by="doomed").exists()
    assert not Event.objects.filter(name="test.crash").exists()  # the killed transaction left nothing
