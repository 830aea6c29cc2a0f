"""Background delivery: enqueued in the transaction that created the notification."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django_tasks import task

from salesflow.core import clock
from salesflow.notify.channels import SENDERS, DeliveryFailed, Message
from salesflow.notify.models import Delivery

# Waits before each retry; after the last one the delivery stays failed for the ops admin.
RETRY_DELAYS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
]


@task()
def deliver(delivery_id: int) -> str:
    """Send one delivery through its channel; on failure record why and retry with backoff."""
    delivery = Delivery.objects.select_related("channel", "notification").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return "skipped"
    note = delivery.notification
    message = Message(
        id=note.pk if note else 0,
        kind=note.kind if note else "channel.test",
        title=delivery.title,
        body=delivery.body,
        subject_type=note.subject_type if note else "",
        subject_id=note.subject_id if note else None,
        created_at=(note.created_at if note else delivery.created_at).isoformat(),
    )
    now = clock.now()
    delivery.attempts += 1
    try:
        delivery.response_code = SENDERS[delivery.channel.kind](delivery.channel, message)
    except DeliveryFailed as exc:
        delivery.last_error = str(exc)[:2000]
        delivery.response_code = exc.status
        with transaction.atomic():
            if delivery.attempts <= len(RETRY_DELAYS):
                delivery.save(update_fields=["attempts", "last_error", "response_code"])
                deliver.using(run_after=now + RETRY_DELAYS[delivery.attempts - 1]).enqueue(delivery.pk)
                return "retrying"
            delivery.status = Delivery.Status.FAILED
            delivery.save(update_fields=["attempts", "last_error", "response_code", "status"])
        return "failed"
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = now
    delivery.save(update_fields=["attempts", "response_code", "status", "sent_at", "last_error"])
    return "sent"
