"""The sweeper: claims due deadlines and fires each step exactly once.

PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` inside the batch transaction, so concurrent
workers take disjoint rows. SQLite: the project opens write transactions IMMEDIATE, so
writers queue; the claim is a conditional `UPDATE … WHERE status='pending'`. Either way the
step's actions and the "fired" mark commit together: a crash before commit loses the
claim, not the step, and the next sweep fires it.

A step whose handler raises is undone alone (a savepoint) and does not hold up the batch:
it is retried after each of RETRY_DELAYS (its `due_at` moves there, `attempts` and
`last_error` say why), then left `failed` for a person to see. Handlers therefore keep every
side effect inside the transaction (rows, tasks enqueued in the database), never in memory
or on the network, so an undone step leaves no trace.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, QuerySet

from salesflow.timers.models import Deadline
from salesflow.timers.services import timers_changed

logger = logging.getLogger("salesflow.timers")

StepHandler = Callable[[Deadline, datetime], None]
_handlers: list[StepHandler] = []

# A failing step is retried after these delays, then left as failed for a person to see.
RETRY_DELAYS = [timedelta(minutes=1), timedelta(minutes=5)]


def register_step_handler(handler: StepHandler) -> None:
    """Who performs a fired step's actions (the rules engine registers itself)."""
    if handler not in _handlers:
        _handlers.append(handler)


@contextmanager
def handlers_replaced(*handlers: StepHandler) -> Iterator[None]:
    """Run with exactly `handlers` as the step handlers (tests, benchmarks), then restore them."""
    saved = list(_handlers)
    _handlers[:] = list(handlers)
    try:
        yield
    finally:
        _handlers[:] = saved


def default_worker_id() -> str:
    """host:pid, to see in `claimed_by` which worker fired a step."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class FiredStep:
    """One deadline the sweep fired (or would fire, in a dry run)."""

    id: int
    policy: str
    step: int
    step_name: str
    subject_type: str
    subject_id: int
    due_at: datetime
    outcome: str


def _due(now: datetime) -> QuerySet[Deadline]:
    return Deadline.objects.filter(status=Deadline.Status.PENDING, due_at__lte=now).order_by("due_at", "id")


def sweep(
    *,
    now: datetime,
    batch_size: int = 500,
    worker_id: str | None = None,
    dry_run: bool = False,
    max_batches: int | None = None,
) -> list[FiredStep]:
    """Fire every step due at `now`, `batch_size` per transaction; a dry run changes nothing.

    Runs batches until none is left (or `max_batches`, so one worker tick stays short) and
    returns each claimed step with its outcome: fired, retry, failed or cancelled (stopped by
    an earlier step of the same batch). A dry run lists up to `batch_size × 20` due steps.
    """
    if dry_run:
        return [_as_fired(d, "would fire") for d in _due(now)[: batch_size * (max_batches or 20)]]
    worker = worker_id or default_worker_id()
    fired: list[FiredStep] = []
    batches = 0
    while True:
        batch = _fire_batch(now=now, batch_size=batch_size, worker_id=worker)
        fired.extend(batch)
        batches += 1
        if len(batch) < batch_size or (max_batches is not None and batches >= max_batches):
            return fired


def claim_query(now: datetime, batch_size: int) -> QuerySet[Deadline, int]:
    """The claim query of one batch (used by the benchmark to show its plan)."""
    due = _due(now).values_list("id", flat=True)
    if connection.vendor == "postgresql":
        due = due.select_for_update(skip_locked=True)
    return due[:batch_size]


def _fire_batch(*, now: datetime, batch_size: int, worker_id: str) -> list[FiredStep]:
    with transaction.atomic():
        ids = list(claim_query(now, batch_size))
        if not ids:
            return []
        if connection.vendor != "postgresql":
            claimed = Deadline.objects.filter(id__in=ids, status=Deadline.Status.PENDING).update(
                status=Deadline.Status.CLAIMED, claimed_by=worker_id, claimed_at=now
            )
            if claimed != len(ids):  # cannot happen under IMMEDIATE transactions; be safe anyway
                ids = list(
                    Deadline.objects.filter(
                        id__in=ids, status=Deadline.Status.CLAIMED, claimed_by=worker_id
                    ).values_list("id", flat=True)
                )
        results = []
        fired_ids = []
        handled_subjects: set[tuple[str, int]] = set()
        for deadline in Deadline.objects.filter(id__in=ids).order_by("due_at", "id"):
            subject = (deadline.subject_type, deadline.subject_id)
            if subject in handled_subjects:
                # An earlier step of this batch may have stopped this record's timers.
                deadline.refresh_from_db(fields=["status"])
                if deadline.status == Deadline.Status.CANCELLED:
                    results.append(_as_fired(deadline, "cancelled"))
                    continue
            handled_subjects.add(subject)
            outcome = _fire_one(deadline, now=now, worker_id=worker_id)
            if outcome.outcome == "fired":
                fired_ids.append(deadline.pk)
            results.append(outcome)
        # One UPDATE for the steps that fired; failures were saved one by one with their error.
        Deadline.objects.filter(id__in=fired_ids).update(
            status=Deadline.Status.FIRED,
            fired_at=now,
            claimed_by=worker_id,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
        by_type: dict[str, list[int]] = defaultdict(list)
        for step in results:
            by_type[step.subject_type].append(step.subject_id)
        for subject_type, subject_ids in by_type.items():
            timers_changed(subject_type, subject_ids)
        return results


def _fire_one(deadline: Deadline, *, now: datetime, worker_id: str) -> FiredStep:
    """Run the handlers in a savepoint; a failure is recorded (retry later, then failed)."""
    try:
        with transaction.atomic():  # a savepoint: a failing step undoes only its own writes
            for handler in _handlers:
                handler(deadline, now)
    except Exception as exc:
        logger.exception("SLA step %s failed", deadline)
        deadline.attempts += 1
        deadline.claimed_by, deadline.claimed_at = worker_id, now
        deadline.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if deadline.attempts <= len(RETRY_DELAYS):
            deadline.status = Deadline.Status.PENDING
            deadline.due_at = now + RETRY_DELAYS[deadline.attempts - 1]
            outcome = "retry"
        else:
            deadline.status = Deadline.Status.FAILED
            outcome = "failed"
        deadline.save(
            update_fields=["status", "due_at", "claimed_by", "claimed_at", "attempts", "last_error"]
        )
        return _as_fired(deadline, outcome)
    if not _handlers:
        logger.warning("no step handler registered; %s marked fired without actions", deadline)
    return _as_fired(deadline, "fired")


def _as_fired(d: Deadline, outcome: str) -> FiredStep:
    return FiredStep(d.pk, d.policy, d.step, d.step_name, d.subject_type, d.subject_id, d.due_at, outcome)
