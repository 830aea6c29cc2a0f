"""Reads of activities."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, F

from salesflow.activities.models import Activity
from salesflow.core.lookups import InArray


def effective_interactions_since(customer_ids: list[int], since: datetime) -> dict[int, int]:
    """How many effective interactions each customer had since `since` (one grouped query)."""
    return dict(
        Activity.objects.filter(
            InArray(F("customer_id"), customer_ids), effective=True, occurred_at__gte=since
        )
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
