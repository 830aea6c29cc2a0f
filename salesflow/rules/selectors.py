"""Reads of the rule engine: the active pack (cached per version), versions, firings, freezes."""

from __future__ import annotations

import difflib
import operator
import threading
import time
from datetime import time as time_of_day
from functools import reduce

from django.db import models
from django.db.models import Q

from salesflow.core import records
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.org.selectors import visible_owner_ids
from salesflow.rules import packs
from salesflow.rules.models import AgendaItem, Freeze, RuleFiring, RulePackVersion
from salesflow.rules.schema import RulePack
from salesflow.timers.calendar import WorkingCalendar

_cache = threading.local()
# How long a process may act on the pack it last read before asking the database again.
# Changes made in this process clear the cache at once; other processes see them within this.
PACK_TTL_SECONDS = 2.0


def forget_active_pack() -> None:
    """Drop this thread's cached pack (called when a version is created or activated)."""
    _cache.entry = None


def active_version() -> RulePackVersion | None:
    """The active version row, if any."""
    return RulePackVersion.objects.filter(is_active=True).first()


def active_pack() -> tuple[int, RulePack]:
    """The active pack and its version number; parsed once per version per thread.

    Every event consults the pack, so it is re-read at most every `PACK_TTL_SECONDS`.
    Falls back to the shipped default pack (version 0) when nothing was ever imported.
    """
    entry = getattr(_cache, "entry", None)
    if entry is not None and time.monotonic() - entry[0] < PACK_TTL_SECONDS:
        return entry[1], entry[2]
    row = RulePackVersion.objects.filter(is_active=True).values_list("number", "document").first()
    number, pack = (0, _cached(0, None)) if row is None else (row[0], _cached(row[0], row[1]))
    _cache.entry = (time.monotonic(), number, pack)
    return number, pack


def _cached(number: int, document: dict | None) -> RulePack:
    cached = getattr(_cache, "pack", None)
    if cached is not None and cached[0] == number and (number != 0):
        return cached[1]
    pack = packs.validate(document) if document is not None else packs.load_default()
    _cache.pack = (number, pack)
    return pack


def calendar_for(pack: RulePack) -> WorkingCalendar:
    """The company working calendar with `pack`'s working hours: the one calendar every
    working-time duration (SLA steps, simulation, task due dates, `timers` CLI) is added on."""
    return WorkingCalendar(
        work_start=time_of_day.fromisoformat(pack.working_hours.start),
        work_end=time_of_day.fromisoformat(pack.working_hours.end),
    )


def company_calendar() -> WorkingCalendar:
    """`calendar_for` the active pack."""
    return calendar_for(active_pack()[1])


def versions() -> models.QuerySet[RulePackVersion]:
    """Every version, newest first."""
    return RulePackVersion.objects.select_related("created_by").order_by("-number")


def version_diff(older: RulePackVersion | None, newer: RulePackVersion) -> str:
    """A unified diff of two versions' YAML."""
    before = packs.to_yaml(older.document).splitlines() if older else []
    after = packs.to_yaml(newer.document).splitlines()
    return "\n".join(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"v{older.number}" if older else "(none)",
            tofile=f"v{newer.number}",
            lineterm="",
        )
    )


def may_review_firings(user: User) -> bool:
    """Company-wide roles, managers and directors review firings: each names a record and whom it told."""
    return visible_owner_ids(user) is None or user.role in (Role.MANAGER, Role.DIRECTOR)


def firings_visible_to(user: User, *, rule_code: str | None = None, limit: int = 50) -> list[RuleFiring]:
    """The latest rule and step firings `user` may review: all, those in their scope, or none."""
    if not may_review_firings(user):
        return []
    qs = RuleFiring.objects.all()
    if visible_owner_ids(user) is not None:
        qs = qs.filter(
            reduce(
                operator.or_,
                [
                    Q(subject_type=t.model._meta.label_lower, subject_id__in=t.visible_to(user).values("pk"))
                    for t in records.registered_types()
                ],
                Q(pk__in=[]),
            )
        )
    if rule_code:
        qs = qs.filter(rule_code=rule_code)
    return list(qs[:limit])


def is_frozen(record: models.Model, scope: str) -> Freeze | None:
    """The active freeze of `scope` on `record`, if any (quoting checks this)."""
    return Freeze.objects.filter(
        subject_type=record._meta.label_lower,
        subject_id=record.pk,
        scope=scope,
        lifted_at__isnull=True,
    ).first()


def open_agenda(meeting: str) -> models.QuerySet[AgendaItem]:
    """Unresolved items of a meeting's agenda."""
    return AgendaItem.objects.filter(meeting=meeting, resolved_at__isnull=True)
