"""资料完整率: the share of a rep's records whose required fields are all filled.

What is required comes from the pack's `completeness_fields` (one list per record kind: lead,
customer, opportunity). A rep's records are those they own now — data quality is a state, not
an event of the period. One grouped query per record kind, whatever the number of reps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Q

from salesflow.customers.models import Customer
from salesflow.leads.models import Lead
from salesflow.pipeline.models import Opportunity
from salesflow.rules.selectors import active_pack

SUBJECTS: dict[str, type[models.Model]] = {"lead": Lead, "customer": Customer, "opportunity": Opportunity}


@dataclass
class Completeness:
    """A rep's records: how many, and how many have every required field filled."""

    complete: int = 0
    total: int = 0

    @property
    def pct(self) -> float | None:
        """Complete ÷ total in percent (None without records)."""
        return round(100 * self.complete / self.total, 1) if self.total else None

    def add(self, other: Completeness) -> None:
        """Add `other`'s records to these."""
        self.complete += other.complete
        self.total += other.total


def filled(model: type[models.Model], name: str) -> Q:
    """A condition true when `name` holds a value: not blank text, not an empty list, not a
    zero amount the field defaults to, not null. A field the model lacks is a pack mistake
    (the pack test checks the default pack) and counts as filled rather than failing a page."""
    try:
        field = model._meta.get_field(name)
    except Exception:
        return Q()
    if not isinstance(field, models.Field):
        return Q()
    q = Q()
    if field.null:
        q &= Q(**{f"{name}__isnull": False})
    if isinstance(field, models.JSONField):
        q &= ~Q(**{name: []}) & ~Q(**{name: {}})
    elif isinstance(field, (models.CharField, models.TextField)):
        q &= ~Q(**{name: ""})
    elif isinstance(field, (models.DecimalField, models.IntegerField, models.FloatField)) and not field.null:
        q &= ~Q(**{name: 0})
    return q


def completeness_rows(owner_ids: Iterable[int] | None) -> list[tuple[str, int, Completeness]]:
    """(record kind, owner, completeness) of every kind the pack lists, for `owner_ids` (None:
    every owner — what the roll-up's snapshot holds)."""
    ids = None if owner_ids is None else sorted(set(owner_ids))
    if ids == []:
        return []
    _number, pack = active_pack()
    out: list[tuple[str, int, Completeness]] = []
    for entry in pack.completeness_fields:
        model = SUBJECTS[entry.subject]
        condition = Q()
        for name in entry.fields:
            condition &= filled(model, name)
        records = model._default_manager.filter(owner_id__isnull=False)
        if ids is not None:
            records = records.filter(owner_id__in=ids)
        rows = (
            records.values("owner_id")
            .annotate(total=Count("pk"), complete=Count("pk", filter=condition))
            .order_by()
        )
        for row in rows:
            out.append(
                (entry.subject, row["owner_id"], Completeness(complete=row["complete"], total=row["total"]))
            )
    return out


def completeness_by_owner(owner_ids: Iterable[int]) -> dict[int, Completeness]:
    """Completeness of each owner's records over every kind the pack lists."""
    result: dict[int, Completeness] = defaultdict(Completeness)
    for _subject, owner, c in completeness_rows(owner_ids):
        result[owner].add(c)
    return dict(result)
