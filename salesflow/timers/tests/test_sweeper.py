"""The sweeper fires each due step exactly once: over time, on failure, concurrently, across a crash."""

from __future__ import annotations

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
from django.core.management import call_command
from django.db import connection, connections

from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.timers import services, sweeper
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

    saved = list(sweeper._handlers)
    sweeper._handlers[:] = [handler]
    yield calls
    sweeper._handlers[:] = saved


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


@pytest.mark.django_db
def test_failing_step_is_retried_then_left_failed_without_blocking_others(trio: Trio) -> None:
    start = clock.now()
    bad, good = _ladder(trio, start)
    good.due_at = bad.due_at
    good.save()

    def handler(deadline: Deadline, now: datetime) -> None:
        if deadline.pk == bad.pk:
            raise RuntimeError("robot down")

    saved = list(sweeper._handlers)
    sweeper._handlers[:] = [handler]
    try:
        outcomes = {f.id: f.outcome for f in sweeper.sweep(now=start + timedelta(minutes=3))}
        assert outcomes == {bad.pk: "retry", good.pk: "fired"}
        sweeper.sweep(now=start + timedelta(minutes=5))
        sweeper.sweep(now=start + timedelta(minutes=20))
    finally:
        sweeper._handlers[:] = saved
    bad.refresh_from_db()
    assert bad.status == "failed" and bad.attempts == 3 and "robot down" in bad.last_error


@pytest.mark.django_db
def test_dry_run_and_cli(trio: Trio, counting_handler: Counter[int]) -> None:
    start = clock.now()
    _ladder(trio, start)
    out = StringIO()
    call_command("timers", "sweep", "--now", "+4m", "--dry-run", stdout=out)
    assert "1 step(s) would fire" in out.getvalue() and "p#0 a  org.user" in out.getvalue()
    assert Deadline.objects.filter(status="pending").count() == 2
    listing = StringIO()
    call_command("timers", "list", "--subject", f"user:{trio.owner.pk}", stdout=listing)
    assert "2 pending deadline(s)" in listing.getvalue()
    fired = StringIO()
    call_command("timers", "sweep", "--now", "+4m", stdout=fired)
    assert "1 step(s) fired" in fired.getvalue() and "[fired]" in fired.getvalue()
    assert sum(counting_handler.values()) == 1


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
from salesflow.notify.models import Notification

def slow(deadline, now):
    # Leave a trace inside the transaction, then hang: the parent kills us before commit.
    Notification.objects.create(recipient_id=int(os.environ["RECIPIENT"]), kind="crash", title="x",
                                created_at=now)
    print("claimed", flush=True)
    time.sleep(60)

sweeper._handlers[:] = [slow]
sweeper.sweep(now=clock.now(), batch_size=50, worker_id="doomed")
"""


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_loses_and_doubles_nothing(
    trio: Trio, counting_handler: Counter[int]
) -> None:
    from salesflow.notify.models import Notification

    ids = _bulk_due(trio, 120)
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesflow.settings.test",
        "RECIPIENT": str(trio.owner.pk),
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
    assert not Notification.objects.filter(kind="crash").exists()  # the killed transaction left nothing
