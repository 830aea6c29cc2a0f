"""Background delivery: enqueued in the transaction that created the notification.

django-tasks-db writes the task row in the caller's transaction, so a delivery is queued if
and only if the business change committed. The task sends outside any transaction (a slow
robot must not hold locks), then records the outcome; a failure re-enqueues the task with
`run_after` and the retry row is written together with the attempt count.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django_tasks import task

from salesflow.core import clock
from salesflow.notify.channels import SENDERS, DeliveryFailed, Message
from salesflow.notify.models import Delivery

logger = logging.getLogger("salesflow.notify")

# Waits before each retry; after the last one the delivery stays failed for the ops admin.
RETRY_DELAYS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
]
CHANNEL_TEST_KIND = "channel.test"


def _message(delivery: Delivery) -> Message:
    note = delivery.notification
    return Message(
        id=note.pk if note else 0,
        delivery_id=delivery.pk,
        kind=note.kind if note else CHANNEL_TEST_KIND,
        title=delivery.title,
        body=delivery.body,
        subject_type=note.subject_type if note else "",
        subject_id=note.subject_id if note else None,
        created_at=(note.created_at if note else delivery.created_at).isoformat(),
    )


@task()
def deliver(delivery_id: int) -> str:
    """Send one delivery through its channel; on failure record why and retry with backoff."""
    delivery = Delivery.objects.select_related("channel", "notification").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return "skipped"  # the channel was deleted, or another run already finished it
    channel = delivery.channel
    now = clock.now()
    if not channel.enabled and delivery.notification_id is not None:
        # Switched off after the message was queued; a test message still goes (to try it first).
        delivery.status = Delivery.Status.FAILED
        delivery.last_error = "渠道已停用，未发送 / Channel disabled before sending."
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
        return "disabled"
    delivery.attempts += 1
    try:
        sender = SENDERS[channel.kind]
        delivery.response_code = sender(channel, _message(delivery), now)
    except DeliveryFailed as exc:
        return _failed(delivery, str(exc), exc.status, now=now, retry=exc.retry)
    except Exception as exc:
        # A bug or an unexpected reply must still show up in the delivery log, not hang as pending.
        logger.exception("delivery %s through channel %s crashed", delivery.pk, channel.pk)
        return _failed(delivery, f"{type(exc).__name__}: {exc}", None, now=now)
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = now
    delivery.last_error = ""
    delivery.next_attempt_at = None
    delivery.save(
        update_fields=["attempts", "response_code", "status", "sent_at", "last_error", "next_attempt_at"]
    )
    return "sent"


@task()
def deliver_many(delivery_ids: list[int]) -> dict[str, int]:
    """Send the deliveries of one bulk notification (`notify_many`): one task, each as `deliver`.

    A failed delivery is retried on its own (`deliver`), so one slow or broken robot costs
    only its own messages a retry; the outcome counts by kind ("sent", "retrying" …).
    """
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        outcome = deliver.func(delivery_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _failed(delivery: Delivery, reason: str, status: int | None, *, now: datetime, retry: bool = True) -> str:
    """Record a failed attempt; retry after the next backoff step, or give up (at once if not `retry`)."""
    delivery.last_error = reason[:2000]
    delivery.response_code = status
    fields = ["attempts", "last_error", "response_code", "status", "next_attempt_at"]
    with transaction.atomic():
        if retry and delivery.attempts <= len(RETRY_DELAYS):
            retry_at = now + RETRY_DELAYS[delivery.attempts - 1]
            delivery.next_attempt_at = retry_at
            delivery.save(update_fields=fields)
            deliver.using(run_after=retry_at).enqueue(delivery.pk)
            return "retrying"
        delivery.status = Delivery.Status.FAILED
        delivery.next_attempt_at = None
        delivery.save(update_fields=fields)
    logger.warning("delivery %s failed after %s attempts: %s", delivery.pk, delivery.attempts, reason)
    return "failed"
