"""Writes of the rule engine: pack versions, generic record changes made by rules, freezes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Max

from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, NotFound
from salesflow.core.history import attach_actor
from salesflow.org.models import User
from salesflow.rules import packs
from salesflow.rules.models import AgendaItem, Freeze, RulePackVersion, Watcher
from salesflow.rules.schema import RulePack
from salesflow.rules.selectors import forget_active_pack


def pack_version_create(
    *,
    pack: RulePack,
    actor: User | None,
    note: str = "",
    activate: bool = True,
    now: datetime | None = None,
) -> RulePackVersion:
    """Store `pack` as the next version (and make it the active one unless `activate` is False)."""
    now = now or clock.now()
    document = packs.to_document(pack)
    with transaction.atomic():
        number = (RulePackVersion.objects.select_for_update().aggregate(n=Max("number"))["n"] or 0) + 1
        if activate:
            RulePackVersion.objects.filter(is_active=True).update(is_active=False)
        forget_active_pack()
        version = RulePackVersion.objects.create(
            number=number,
            name=pack.name,
            document=document,
            note=note,
            created_at=now,
            created_by=actor,
            is_active=activate,
            activated_at=now if activate else None,
        )
        events.record(
            name="rules.version_created",
            subject=version,
            actor=actor,
            occurred_at=now,
            payload={"number": number, "note": note, "active": activate},
        )
    return version


def pack_import(
    *, text: str, actor: User | None, note: str = "", now: datetime | None = None
) -> RulePackVersion | None:
    """Validate YAML and activate it as a new version; None when identical to the active one.

    Raises `packs.PackInvalid` (every error listed) and changes nothing when invalid.
    """
    pack = packs.parse(text)
    active = RulePackVersion.objects.filter(is_active=True).first()
    if active is not None and active.document == packs.to_document(pack):
        return None
    return pack_version_create(pack=pack, actor=actor, note=note or "imported", now=now)


def pack_activate(
    *, version: RulePackVersion, actor: User | None, now: datetime | None = None
) -> RulePackVersion:
    """Make an existing version the active one (rollback and roll-forward)."""
    now = now or clock.now()
    packs.validate(version.document)  # a version stored by an older schema must still be valid
    with transaction.atomic():
        forget_active_pack()
        RulePackVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
        version.is_active = True
        version.activated_at = now
        version.save(update_fields=["is_active", "activated_at"])
        events.record(
            name="rules.version_activated",
            subject=version,
            actor=actor,
            occurred_at=now,
            payload={"number": version.number},
        )
    return version


def pack_rollback(*, actor: User | None, now: datetime | None = None) -> RulePackVersion:
    """Return to the version before the active one."""
    active = RulePackVersion.objects.filter(is_active=True).first()
    if active is None:
        raise NotFound("没有已启用的规则包 / No active rule pack.")
    previous = RulePackVersion.objects.filter(number__lt=active.number).order_by("-number").first()
    if previous is None:
        raise Conflict(f"v{active.number} 是第一个版本，无法回滚 / is the first version")
    return pack_activate(version=previous, actor=actor, now=now)


def _save_with_item(
    *, document: dict[str, Any], section: str, index: int, actor: User | None, note: str, now: datetime | None
) -> RulePackVersion:
    """Validate a document with one changed item; errors are keyed by that item's own fields."""
    try:
        new_pack = packs.validate(document)
    except packs.PackInvalid as exc:
        prefix = f"{section}[{index}]."
        errors: dict[str, list[str]] = {}
        for line in exc.errors:
            path, _, message = line.partition(": ")
            errors.setdefault(path.removeprefix(prefix) or section, []).append(message)
        raise FieldErrors(errors) from None
    return pack_version_create(pack=new_pack, actor=actor, note=note, now=now)


def pack_rule_save(
    *, rule: dict[str, Any], actor: User | None, note: str = "", now: datetime | None = None
) -> RulePackVersion:
    """Add or replace one rule (by code) and activate the result as a new version."""
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    document = packs.to_document(pack)
    others = [r for r in document["rules"] if r["code"] != rule.get("code")]
    document["rules"] = [*others, rule]
    return _save_with_item(
        document=document,
        section="rules",
        index=len(others),
        actor=actor,
        note=note or f"rule {rule.get('code')}",
        now=now,
    )


def pack_policy_save(
    *, policy: dict[str, Any], actor: User | None, note: str = "", now: datetime | None = None
) -> RulePackVersion:
    """Replace one SLA policy (by code) and activate the result as a new version."""
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    document = packs.to_document(pack)
    index = next((i for i, p in enumerate(document["sla_policies"]) if p["code"] == policy.get("code")), None)
    if index is None:
        raise NotFound(f"No SLA policy “{policy.get('code')}”.")
    document["sla_policies"][index] = policy
    return _save_with_item(
        document=document,
        section="sla_policies",
        index=index,
        actor=actor,
        note=note or f"policy {policy.get('code')}",
        now=now,
    )


def pack_assignment_save(
    *, assignment: dict[str, Any], actor: User | None, note: str = "", now: datetime | None = None
) -> RulePackVersion:
    """Replace the assignment policy (智能分单) and activate the result as a new version."""
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    document = packs.to_document(pack)
    document["assignment"] = assignment
    try:
        new_pack = packs.validate(document)
    except packs.PackInvalid as exc:
        errors: dict[str, list[str]] = {}
        for line in exc.errors:
            path, _, message = line.partition(": ")
            errors.setdefault(path.removeprefix("assignment.") or "assignment", []).append(message)
        raise FieldErrors(errors) from None
    return pack_version_create(pack=new_pack, actor=actor, note=note or "分单规则", now=now)


def record_set_field(
    *, record: models.Model, field: str, value: Any, actor: User | None, now: datetime, reason: str
) -> models.Model:
    """Set one field of any record on a rule's behalf, with history and an event."""
    try:
        model_field = record._meta.get_field(field)
    except FieldDoesNotExist:
        raise FieldErrors({"field": [f"“{record._meta.verbose_name}” has no field “{field}”."]}) from None
    if not getattr(model_field, "concrete", False) or getattr(model_field, "primary_key", False):
        raise FieldErrors({"field": [f"“{field}” cannot be set by a rule."]})
    with transaction.atomic():
        locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
        old = getattr(locked, field)
        setattr(locked, field, value)
        attach_actor(locked, actor, now)
        locked.save()
        events.record(
            name="record.field_set",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={
                "field": field,
                "old": getattr(old, "pk", old),
                "new": getattr(value, "pk", value),
                "reason": reason,
            },
        )
    return locked


def freeze_set(
    *,
    record: models.Model,
    scope: str,
    reason: str,
    rule_code: str,
    actor: User | None,
    now: datetime,
) -> Freeze:
    """Freeze `scope` on `record` (idempotent: an active freeze is kept)."""
    with transaction.atomic():
        existing = (
            Freeze.objects.select_for_update()
            .filter(
                subject_type=record._meta.label_lower,
                subject_id=record.pk,
                scope=scope,
                lifted_at__isnull=True,
            )
            .first()
        )
        if existing is not None:
            return existing
        freeze = Freeze.objects.create(
            subject_type=record._meta.label_lower,
            subject_id=record.pk,
            scope=scope,
            reason=reason,
            rule_code=rule_code,
            created_at=now,
        )
        _mirror_freeze(record, scope, frozen=True)
        events.record(
            name="record.frozen",
            subject=record,
            actor=actor,
            occurred_at=now,
            payload={"scope": scope, "reason": reason, "rule": rule_code},
        )
    return freeze


def _mirror_freeze(record: models.Model, scope: str, *, frozen: bool) -> None:
    """Keep a record's `<scope>_frozen` field (e.g. Customer.quoting_frozen), when it has one,
    equal to whether a freeze of that scope is active, so conditions can read it as a field."""
    flag = f"{scope}_frozen"
    if any(f.name == flag for f in record._meta.concrete_fields):
        type(record)._default_manager.filter(pk=record.pk).update(**{flag: frozen})
        setattr(record, flag, frozen)


def freeze_lift(
    *, record: models.Model, scope: str, actor: User | None, now: datetime, reason: str = ""
) -> int:
    """Lift active freezes of `scope` on `record` (by a rule, or by hand with a reason); how many."""
    with transaction.atomic():
        lifted = Freeze.objects.filter(
            subject_type=record._meta.label_lower,
            subject_id=record.pk,
            scope=scope,
            lifted_at__isnull=True,
        ).update(lifted_at=now)
        if lifted:
            _mirror_freeze(record, scope, frozen=False)
            events.record(
                name="record.unfrozen",
                subject=record,
                actor=actor,
                occurred_at=now,
                payload={"scope": scope, "reason": reason} if reason else {"scope": scope},
            )
    return lifted


def agenda_add(
    *, record: models.Model, meeting: str, reason: str, rule_code: str, now: datetime
) -> AgendaItem:
    """Put `record` on a meeting's agenda."""
    with transaction.atomic():
        item = AgendaItem.objects.create(
            meeting=meeting,
            subject_type=record._meta.label_lower,
            subject_id=record.pk,
            reason=reason,
            rule_code=rule_code,
            created_at=now,
        )
        events.record(
            name="record.put_on_agenda",
            subject=record,
            actor=None,
            occurred_at=now,
            payload={"meeting": meeting, "reason": reason},
        )
    return item


def watcher_add(
    *, record: models.Model, user: User, actor: User | None, now: datetime | None = None
) -> Watcher:
    """Make `user` follow `record` (escalations to `watchers` reach them)."""
    now = now or clock.now()
    with transaction.atomic():
        watcher, created = Watcher.objects.get_or_create(
            subject_type=record._meta.label_lower, subject_id=record.pk, user=user
        )
        if created:
            events.record(
                name="record.watcher_added",
                subject=record,
                actor=actor,
                occurred_at=now,
                payload={"user": user.pk},
            )
    return watcher
