"""Writes of leads: intake with dedupe, scoring, assignment, claiming, acknowledging."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q

from salesflow.core import clock, events, normalize, throttle
from salesflow.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.customers.models import Customer
from salesflow.leads import assignment, scoring
from salesflow.leads.choices import (
    INTAKE_FIELDS,
    OPEN_STATUSES,
    OWNED_OPEN_STATUSES,
    TAG_FIELDS,
    UTM_FIELDS,
    LeadStatus,
)
from salesflow.leads.models import IntakeForm, Lead, LeadBehaviour, RepWorkload
from salesflow.leads.selectors import form_required, leads_visible_to, timer_key_values
from salesflow.notify import services as notify
from salesflow.org.choices import Role
from salesflow.org.models import Team, User
from salesflow.org.selectors import answers_for
from salesflow.rules.selectors import active_pack
from salesflow.timers import services as timers

MAX_LENGTHS = {
    "name": 100,
    "phone": 40,
    "email": 200,
    "company": 200,
    "title": 100,
    "source": 60,
    "message": 4000,
}


def form_create(
    *,
    name: str,
    code: str = "website",
    required_fields: list[str] | None = None,
    field_mapping: dict[str, str] | None = None,
    default_source: str = "",
    allowed_origins: list[str] | None = None,
    team: Team | None = None,
    actor: User | None,
    now: datetime | None = None,
) -> IntakeForm:
    """Create a website form with an unguessable public key."""
    unknown = sorted(set(required_fields or []) - set(INTAKE_FIELDS))
    wrong_targets = sorted(v for v in (field_mapping or {}).values() if v not in INTAKE_FIELDS)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["请填写表单名称 / A name is required."]
    if unknown:
        errors["required_fields"] = [f"未知字段 / unknown fields: {', '.join(unknown)}"]
    if wrong_targets:
        errors["field_mapping"] = [f"未知目标字段 / unknown lead fields: {', '.join(wrong_targets)}"]
    if errors:
        raise FieldErrors(errors)
    now = now or clock.now()
    with transaction.atomic():
        form = IntakeForm(
            name=name.strip(),
            code=code,
            key=secrets.token_urlsafe(24),
            required_fields=required_fields or [],
            field_mapping=field_mapping or {},
            default_source=default_source,
            allowed_origins=allowed_origins or [],
            team=team,
            created_at=now,
        )
        attach_actor(form, actor, now)
        form.save()
        events.record(
            name="intake_form.created",
            subject=form,
            actor=actor,
            occurred_at=now,
            payload={"name": form.name, "code": code},
        )
    return form


def _clean(form: IntakeForm, raw: dict[str, Any]) -> dict[str, Any]:
    """Map, validate and type the submitted fields; FieldErrors names every bad field."""
    _number, pack = active_pack()
    data: dict[str, Any] = {}
    for key, value in raw.items():
        target = form.field_mapping.get(key, key)
        if target in INTAKE_FIELDS and value not in (None, ""):
            data[target] = value if not isinstance(value, str) else value.strip()
    required = form_required(form)
    errors: dict[str, list[str]] = {}
    for field in sorted(required):
        if not data.get(field):
            errors.setdefault(field, []).append(f"请填写{field_label(field)} / This field is required.")
    for field, limit in MAX_LENGTHS.items():
        if field in data and (not isinstance(data[field], str) or len(data[field]) > limit):
            errors.setdefault(field, []).append(
                f"应为不超过 {limit} 字的文本 / Text of at most {limit} characters."
            )
    for field in TAG_FIELDS:
        dictionary = pack.dictionary(field)
        if field in data and dictionary is not None:
            codes = [c.code for c in dictionary.choices]
            if data[field] not in codes:
                errors.setdefault(field, []).append(
                    f"“{data[field]}” 不在「{dictionary.name}」中 / not a choice ({', '.join(codes)})."
                )
    if "email" in data and not errors.get("email"):
        try:
            validate_email(data["email"])
        except ValidationError:
            errors.setdefault("email", []).append("邮箱格式不正确 / Not a valid e-mail address.")
    if "phone" in data and not errors.get("phone") and len(normalize.phone(data["phone"])) < 7:
        errors.setdefault("phone", []).append("电话号码不完整 / Not a complete phone number.")
    if "budget" in data:
        try:
            budget = Decimal(str(data["budget"]).replace(",", "").replace("¥", ""))
            if budget < 0 or budget >= Decimal("1e12"):
                raise InvalidOperation
            data["budget"] = budget.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors.setdefault("budget", []).append("预算应为金额，例如 480000 / Budget must be an amount.")
    if errors:
        raise FieldErrors(errors)
    return data


def _find_duplicate(phone_key: str, email_key: str, company_key: str) -> Lead | None:
    match = Q(pk__in=[])
    if phone_key:
        match |= Q(phone_key=phone_key)
    if email_key:
        match |= Q(email_key=email_key)
    if company_key:
        match |= Q(company_key=company_key)
    return Lead.objects.select_for_update().filter(match, status__in=OPEN_STATUSES).order_by("id").first()


def intake_submit(
    *, form: IntakeForm, data: dict[str, Any], client: str, now: datetime | None = None
) -> tuple[Lead | None, bool]:
    """A website submission: throttled, validated, deduped, scored, assigned — in one transaction.

    Returns (lead, merged); (None, False) when the honeypot was filled (accepted silently).
    """
    now = now or clock.now()
    if not form.active:
        raise NotFound("表单不存在 / No such form.")
    throttle.hit(
        slots=[
            throttle.Slot(f"intake:ip:{client}", settings.SALESFLOW_INTAKE_LIMIT_PER_IP),
            throttle.Slot(f"intake:key:{form.pk}", settings.SALESFLOW_INTAKE_LIMIT_PER_FORM),
        ],
        window_seconds=60,
        now=now,
    )
    if data.get(form.honeypot_field):
        return None, False  # a bot filled the hidden field: look accepted, keep nothing
    clean = _clean(form, data)
    utm = {k: str(clean.pop(k)) for k in UTM_FIELDS if k in clean}
    keys = _dedupe_keys(clean)
    # Its events (the lead's, the timers', the notice's) go in with one INSERT at the end.
    with transaction.atomic(), events.one_insert():
        existing = _find_duplicate(**keys)
        if existing is not None:
            return _merge(existing, clean, utm, form=form, now=now), True
        clean["source"] = clean.get("source") or form.default_source
        lead = _new_lead(clean, keys, actor=None, now=now, form=form, utm=utm, route=_Route(team=form.team))
    return lead, False


def _dedupe_keys(clean: dict[str, Any]) -> dict[str, str]:
    """The normalised phone, e-mail and company a new lead is matched on (duplicates, customers)."""
    return {
        "phone_key": normalize.phone(clean.get("phone", "")),
        "email_key": normalize.email(clean.get("email", "")),
        "company_key": normalize.company(clean.get("company", "")),
    }


@dataclass(frozen=True)
class _Route:
    """Where a new lead goes: to `owner` if named (with `why`), else to the owner of the customer
    it already is, else through the pack's assignment policy within `team` — or, with `assign`
    off, it waits in the pool without a word to anyone (imports)."""

    owner: User | None = None
    why: dict[str, Any] = dataclasses.field(default_factory=dict)
    team: Team | None = None
    assign: bool = True


def _new_lead(
    clean: dict[str, Any],
    keys: dict[str, str],
    *,
    actor: User | None,
    now: datetime,
    route: _Route,
    form: IntakeForm | None = None,
    utm: dict[str, str] | None = None,
) -> Lead:
    """Save a new lead (scored, linked to the customer it already is) with its owner decided
    first by `route`, so it is written once, and record it: `lead.created`, then `lead.assigned`
    (whose rules start the SLA timers) or `lead.pooled`, and tell the owner or the managers."""
    lead = Lead(
        **clean,
        **keys,
        utm=utm or {},
        form=form,
        status=LeadStatus.POOLED,
        created_at=now,
        customer=_existing_customer(**keys),
    )
    _rescore(lead, now=now, save=False)
    customer = lead.customer if lead.customer is not None and lead.customer.owner_id else None
    owner, why, assign_actor, attached = route.owner, route.why, actor, False
    if owner is None and customer is not None:
        owner, attached = customer.owner, True
        why, assign_actor = {"strategy": "existing_customer", "customer": customer.pk}, None
    elif owner is None and route.assign:
        _number, pack = active_pack()
        owner, why = assignment.choose_owner(lead, policy=pack.assignment, team=route.team, now=now)
    if owner is not None:
        workload_move(from_id=None, to_id=owner.pk)
        lead.owner, lead.status, lead.assigned_at = owner, LeadStatus.ASSIGNED, now
    attach_actor(lead, actor, now)
    lead.save()
    timers.inserted_now(lead)
    payload: dict[str, Any] = {"source": lead.source, "score": lead.score}
    if form is not None:
        payload = {"form": form.pk, **payload}
    entries: list[tuple[str, dict[str, Any]]] = [("lead.created", payload)]
    if owner is not None and assign_actor is actor:
        entries.append(("lead.assigned", {"owner": owner.pk, **why}))
    elif owner is None and route.assign:
        entries.append(("lead.pooled", why))
    recorded = events.record_many(subject=lead, actor=actor, occurred_at=now, entries=entries)
    if owner is None:
        if route.assign:
            _tell_managers_pooled(lead, team=route.team, actor=actor, now=now)
        return lead
    if attached:
        assert customer is not None
        events.record(
            name="customer.lead_attached",
            subject=customer,
            actor=None,
            occurred_at=now,
            payload={"lead": lead.pk, "name": lead.name},
        )
    if assign_actor is not actor:  # the customer's owner gets it on nobody's say-so
        recorded = [
            events.record(
                name="lead.assigned",
                subject=lead,
                actor=None,
                occurred_at=now,
                payload={"owner": owner.pk, **why},
            )
        ]
    _tell_new_owner(lead, owner, assigned=recorded[-1], actor=assign_actor, now=now)
    return lead


def _existing_customer(phone_key: str, email_key: str, company_key: str) -> Customer | None:
    """The customer this lead already is: same company name (the oldest such customer), else
    the customer of the oldest contact with the same phone or e-mail — in one query.

    The rows read are the name matches and that one contact's customer, oldest first: at most
    one of them is not a name match, so the first two rows hold the answer.
    """
    from salesflow.customers.models import Contact

    contact_match = Q(pk__in=[])
    if phone_key:
        contact_match |= Q(phone_key=phone_key)
    if email_key:
        contact_match |= Q(email_key=email_key)
    match = Q(pk__in=[])
    if company_key:
        match |= Q(name_key=company_key)
    if phone_key or email_key:
        oldest_contact = Contact.objects.filter(contact_match).order_by("id").values("customer_id")[:1]
        match |= Q(pk__in=oldest_contact)
    elif not company_key:
        return None
    # With its owner and their team: a lead of an owned customer goes to that owner, who is told.
    rows = list(Customer.objects.filter(match).select_related("owner__team").order_by("id")[:2])
    by_name = [c for c in rows if company_key and c.name_key == company_key]
    if by_name:
        return by_name[0]
    return rows[0] if rows else None


def _merge(
    lead: Lead, clean: dict[str, Any], utm: dict[str, str], *, form: IntakeForm, now: datetime
) -> Lead:
    """Fill the existing lead's gaps with the new submission and note the merge on its timeline."""
    filled = {}
    for field, value in clean.items():
        if field != "message" and not getattr(lead, field):
            setattr(lead, field, value)
            filled[field] = str(value)
    if clean.get("message"):
        lead.message = f"{lead.message}\n---\n{clean['message']}".strip()
    lead.phone_key = lead.phone_key or normalize.phone(lead.phone)
    lead.email_key = lead.email_key or normalize.email(lead.email)
    lead.company_key = lead.company_key or normalize.company(lead.company)
    _rescore(lead, now=now, save=False)
    attach_actor(lead, None, now)
    lead.save()
    events.record(
        name="lead.merged",
        subject=lead,
        actor=None,
        occurred_at=now,
        payload={"form": form.pk, "filled": filled, "utm": utm},
    )
    if lead.owner_id:
        notify.notify(
            recipients=[lead.owner] if lead.owner else [],
            kind="lead.merged",
            title=f"线索再次提交：{lead}",
            body="客户通过网站表单再次留言。",
            subject=lead,
            actor=None,
            now=now,
        )
    return lead


def _rescore(lead: Lead, *, now: datetime, save: bool = True) -> Lead:
    _number, pack = active_pack()
    behaviours = list(lead.behaviours.all()) if lead.pk else []
    value, factors = scoring.score(lead, behaviours, pack.scoring, now=now)
    crossed = value >= pack.scoring.mql_threshold and lead.mql_at is None
    lead.score, lead.score_factors = value, [f.as_dict() for f in factors]
    if crossed:
        lead.mql_at = now
    if save:
        attach_actor(lead, None, now)
        lead.save(update_fields=["score", "score_factors", "mql_at"])
    if crossed and lead.pk:
        events.record(
            name="lead.mql",
            subject=lead,
            actor=None,
            occurred_at=now,
            payload={"score": value, "threshold": pack.scoring.mql_threshold},
        )
    return lead


def _tell_managers_pooled(lead: Lead, *, team: Team | None, actor: User | None, now: datetime) -> None:
    """Nobody could take the lead: the managers (of `team`) are asked to claim it or fix the policy."""
    managers = User.objects.filter(role=Role.MANAGER, is_active=True)
    if team is not None:
        managers = managers.filter(team__path__startswith=team.path)
    notify.notify(
        recipients=list(managers.select_related("team")),
        kind="lead.pooled",
        title=f"线索进入线索池：{lead}",
        body="没有可分配的销售（休假或已满负荷），请认领或调整分单规则。",
        subject=lead,
        actor=actor,
        now=now,
    )


def workload_move(*, from_id: int | None, to_id: int | None, count: int = 1) -> None:
    """Keep reps' open-lead counters (read by 智能分单) in step with an ownership change.

    Rows are updated in user-id order, so two opposite moves at once (A→B and B→A) never
    deadlock. A rep's first counter row may be being inserted by another transaction right
    now: ON CONFLICT DO NOTHING waits for it, and the update then adds to whichever row won
    (a plain INSERT failed there with an IntegrityError: a 500 at intake).
    """
    if from_id == to_id:
        return
    moves = sorted((user_id, delta) for user_id, delta in ((from_id, -count), (to_id, count)) if user_id)
    for user_id, delta in moves:
        counters = RepWorkload.objects.filter(user_id=user_id)
        if not counters.update(open_leads=F("open_leads") + delta) and delta > 0:
            RepWorkload.objects.bulk_create(
                [RepWorkload(user_id=user_id, open_leads=0)], ignore_conflicts=True
            )
            counters.update(open_leads=F("open_leads") + delta)


def refresh_timer_keys(*, lead_ids: list[int]) -> None:
    """Recompute the list keys (`next_due_at`, `sla_breached`) of these leads from their
    deadlines, in one UPDATE; the timers call it whenever a lead's deadlines start, stop or fire."""
    Lead.objects.filter(pk__in=lead_ids).update(**timer_key_values())


def _give(lead: Lead, owner: User, *, actor: User | None, now: datetime, why: dict[str, Any]) -> None:
    previous = lead.owner_id if lead.status in OWNED_OPEN_STATUSES else None
    workload_move(from_id=previous, to_id=owner.pk)
    lead.owner, lead.status, lead.assigned_at, lead.acknowledged_at = owner, LeadStatus.ASSIGNED, now, None
    # The deadlines of the old assignment no longer count; this one's timers start below.
    lead.next_due_at, lead.sla_breached = None, False
    attach_actor(lead, actor, now)
    lead.save(
        update_fields=["owner", "status", "assigned_at", "acknowledged_at", "next_due_at", "sla_breached"]
    )
    # The rules engine starts the unread / first-contact / 48 h timers on this event.
    assigned = events.record(
        name="lead.assigned", subject=lead, actor=actor, occurred_at=now, payload={"owner": owner.pk, **why}
    )
    _tell_new_owner(lead, owner, assigned=assigned, actor=actor, now=now)


def _tell_new_owner(lead: Lead, owner: User, *, assigned: Any, actor: User | None, now: datetime) -> None:
    """The new owner hears of the lead with the deadlines its `lead.assigned` event started."""
    due = sorted(assigned.started_deadlines, key=lambda d: d.due_at)[:3]
    steps = "；".join(f"{d.step_name} {clock.to_local(d.due_at):%H:%M}" for d in due)
    notify.notify(
        recipients=[owner],
        kind="lead.assigned",
        title=f"新线索：{lead}",
        body=f"评分 {lead.score}。" + (f"时限：{steps}" if steps else ""),
        subject=lead,
        actor=actor,
        now=now,
    )


def lead_claim(*, lead: Lead, actor: User, now: datetime | None = None) -> Lead:
    """A rep takes a pooled lead; when someone was faster, Conflict names them."""
    now = now or clock.now()
    if actor.role != Role.REP and not actor.is_superuser:
        raise PermissionDenied("只有销售可以认领线索 / Only sales reps claim leads.")
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.owner_id is not None:
            owner = User.objects.get(pk=locked.owner_id)
            raise Conflict(
                f"线索已被 {owner} 认领 / Already claimed by {owner.username}.",
                owner={"id": owner.pk, "username": owner.username},
            )
        if locked.status not in OPEN_STATUSES:
            raise Conflict("线索已关闭 / This lead is closed.", status=locked.status)
        _give(locked, actor, actor=actor, now=now, why={"strategy": "claim"})
    return locked


def lead_reassign(*, lead: Lead, to: User, reason: str, actor: User, now: datetime | None = None) -> Lead:
    """A manager moves a lead to another rep, with a reason on the timeline."""
    now = now or clock.now()
    if not reason.strip():
        raise FieldErrors({"reason": ["请填写改派原因 / A reason is required."]})
    if to.role != Role.REP or not to.is_active:
        raise FieldErrors({"to": ["只能改派给在职销售 / Reassign to an active sales rep."]})
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.status not in OPEN_STATUSES:
            raise Conflict("线索已关闭 / This lead is closed.", status=locked.status)
        events.record(
            name="lead.reassigned",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"from": locked.owner_id, "to": to.pk, "reason": reason.strip()},
        )
        _give(locked, to, actor=actor, now=now, why={"strategy": "manual", "reason": reason.strip()})
    return locked


# What an import's update may change on a lead (the columns of imports/spec.py).
LEAD_EDITABLE = (
    "name",
    "phone",
    "email",
    "company",
    "title",
    "industry_segment",
    "customer_tier",
    "product_line",
    "buying_stage",
    "company_size",
    "budget",
    "source",
    "message",
)


def lead_update(
    *,
    lead: Lead,
    changes: dict[str, Any],
    actor: User | None,
    owner: User | None = None,
    now: datetime | None = None,
) -> Lead:
    """Write the fields an import found changed (a history row and `lead.updated`), rescore.

    A different `owner` is a reassignment (`lead.reassigned`, the pack's timers restart for
    the new owner), as a manager's 改派.
    """
    now = now or clock.now()
    unknown = sorted(set(changes) - set(LEAD_EDITABLE))
    if unknown:
        raise FieldErrors({f: ["不能通过导入修改 / Not editable by an import."] for f in unknown})
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if changes:
            for name, value in changes.items():
                setattr(locked, name, value)
            locked.phone_key = normalize.phone(locked.phone)
            locked.email_key = normalize.email(locked.email)
            locked.company_key = normalize.company(locked.company)
            attach_actor(locked, actor, now)
            locked.save(update_fields=[*changes, "phone_key", "email_key", "company_key"])
            events.record(
                name="lead.updated",
                subject=locked,
                actor=actor,
                occurred_at=now,
                payload={
                    "fields": sorted(changes),
                    "changed": "、".join(
                        str(getattr(Lead._meta.get_field(f), "verbose_name", f)) for f in sorted(changes)
                    ),
                    "via": "import",
                },
            )
            _rescore(locked, now=now)
        if owner is not None and owner.pk != locked.owner_id:
            if locked.status not in OPEN_STATUSES:
                raise Conflict("线索已关闭 / This lead is closed.", status=locked.status)
            events.record(
                name="lead.reassigned",
                subject=locked,
                actor=actor,
                occurred_at=now,
                payload={"from": locked.owner_id, "to": owner.pk, "reason": "Excel 导入"},
            )
            _give(locked, owner, actor=actor, now=now, why={"strategy": "import"})
    return locked


def lead_acknowledge(*, lead: Lead, actor: User, now: datetime | None = None) -> Lead:
    """The owner has seen the assignment (stops the 3-minute unread escalation)."""
    now = now or clock.now()
    if lead.owner_id != actor.pk:
        return lead  # only the owner's look counts; managers browsing do not acknowledge
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.acknowledged_at is not None:
            return locked
        locked.acknowledged_at = now
        if locked.status == LeadStatus.ASSIGNED:
            locked.status = LeadStatus.ACKNOWLEDGED
        attach_actor(locked, actor, now)
        locked.save(update_fields=["acknowledged_at", "status"])
        events.record(name="lead.viewed", subject=locked, actor=actor, occurred_at=now, payload={})
    return locked


def lead_behaviour_add(
    *, lead: Lead, kind: str, at: datetime, url: str = "", dwell_seconds: int = 0, now: datetime | None = None
) -> Lead:
    """Record a website / mail behaviour and rescore at once."""
    now = now or clock.now()
    _number, pack = active_pack()
    kinds = {b.kind for b in pack.scoring.behaviour} | {
        k for c in pack.scoring.combinations for k in c.require
    }
    errors: dict[str, list[str]] = {}
    if kind not in kinds:
        errors["kind"] = [f"“{kind}” 不是规则包中的行为 / not a behaviour kind ({', '.join(sorted(kinds))})."]
    if at > now:
        errors["at"] = ["不能晚于当前时间 / Must not be in the future."]
    if dwell_seconds < 0:
        errors["dwell_seconds"] = ["不能为负数 / Must not be negative."]
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        LeadBehaviour.objects.create(
            lead=locked, kind=kind, at=at, url=url[:500], dwell_seconds=dwell_seconds
        )
        _rescore(locked, now=now)
        events.record(
            name="lead.behaviour",
            subject=locked,
            actor=None,
            occurred_at=now,
            payload={"kind": kind, "score": locked.score},
        )
    return locked


def lead_lock_for_conversion(*, lead: Lead, actor: User) -> Lead:
    """The lead, locked, once the actor may convert it and it is open; else why not (409 / 403).

    Call inside the conversion's transaction.
    """
    if lead.owner_id != actor.pk and not answers_for(actor, lead.owner_id):
        raise PermissionDenied("只有负责人或其上级可以转化线索 / Only the owner or their managers.")
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.status == LeadStatus.CONVERTED:
        opportunity = getattr(locked, "opportunity", None)
        raise Conflict(
            "线索已转化 / This lead was converted already.",
            opportunity=opportunity.pk if opportunity else None,
            customer=locked.customer_id,
        )
    if locked.status not in OPEN_STATUSES:
        raise Conflict("线索已关闭 / This lead is closed.", status=locked.status)
    return locked


def lead_mark_converted(
    *, lead: Lead, customer: Customer, opportunity_id: int, new_customer: bool, actor: User, now: datetime
) -> Lead:
    """The lead (locked by `lead_lock_for_conversion`) became `customer` and an opportunity."""
    with transaction.atomic():
        workload_move(from_id=lead.owner_id if lead.status in OWNED_OPEN_STATUSES else None, to_id=None)
        lead.status, lead.customer, lead.converted_at = LeadStatus.CONVERTED, customer, now
        attach_actor(lead, actor, now)
        lead.save(update_fields=["status", "customer", "converted_at"])
        events.record(
            name="lead.converted",
            subject=lead,
            actor=actor,
            occurred_at=now,
            payload={"customer": customer.pk, "opportunity": opportunity_id, "new_customer": new_customer},
        )
        events.record(
            name="customer.lead_attached",
            subject=customer,
            actor=actor,
            occurred_at=now,
            payload={"lead": lead.pk, "name": lead.name, "converted": True},
        )
    return lead


def lead_activity_record(
    *,
    lead: Lead,
    occurred_at: datetime,
    effective: bool,
    payload: dict[str, Any],
    actor: User,
    now: datetime,
) -> Lead:
    """An activity was logged on the lead: its last activity, and an effective one is first contact."""
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        locked.last_activity_at = max(filter(None, [locked.last_activity_at, occurred_at]))
        first_contact = effective and locked.first_contact_at is None
        if first_contact:
            locked.first_contact_at = occurred_at
            if locked.status in (LeadStatus.ASSIGNED, LeadStatus.ACKNOWLEDGED):
                locked.status = LeadStatus.CONTACTED
        attach_actor(locked, actor, now)
        locked.save(update_fields=["last_activity_at", "first_contact_at", "status"])
        # Recorded on the lead so its timeline shows it and its timers can stop.
        entries = [("activity.logged", payload)]
        if effective:
            entries.append(("lead.contacted", {"activity": payload.get("activity"), "first": first_contact}))
        events.record_many(subject=locked, actor=actor, occurred_at=now, entries=entries)
    return locked


def leads_hand_over(*, user: User, to: User | None, actor: User, now: datetime) -> int:
    """Move `user`'s open leads to `to` (None: the pool) with an event each; the count."""
    with transaction.atomic():
        moved = list(
            Lead.objects.select_for_update().filter(owner=user, status__in=OPEN_STATUSES).order_by("id")
        )
        for lead in moved:
            events.record(
                name="lead.handed_over",
                subject=lead,
                actor=actor,
                occurred_at=now,
                payload={"from": user.pk, "to": to.pk if to else None},
            )
            if to is not None:
                _give(lead, to, actor=actor, now=now, why={"strategy": "handover"})
            else:
                workload_move(from_id=user.pk if lead.status in OWNED_OPEN_STATUSES else None, to_id=None)
                lead.owner, lead.status = None, LeadStatus.POOLED
                attach_actor(lead, actor, now)
                lead.save(update_fields=["owner", "status"])
                events.record(
                    name="lead.pooled",
                    subject=lead,
                    actor=actor,
                    occurred_at=now,
                    payload={"reason": "handover"},
                )
    return len(moved)


def lead_create(
    *,
    name: str,
    actor: User | None,
    phone: str = "",
    email: str = "",
    company: str = "",
    title: str = "",
    industry_segment: str = "",
    customer_tier: str = "",
    product_line: str = "",
    buying_stage: str = "",
    company_size: str = "",
    budget: Decimal | str | None = None,
    source: str = "import",
    message: str = "",
    owner: User | None = None,
    now: datetime | None = None,
) -> Lead:
    """A lead entered by hand or imported: validated like intake, scored, given to `owner` or pooled.

    An open lead with the same phone or e-mail is a Conflict naming it (imports report it as a
    duplicate). Without an owner the lead waits in the pool, or goes to the owner of the customer
    it already is; no round-robin, so a big import does not flood reps with notifications.
    """
    now = now or clock.now()
    raw: dict[str, Any] = {
        "name": name,
        "phone": phone,
        "email": email,
        "company": company,
        "title": title,
        "industry_segment": industry_segment,
        "customer_tier": customer_tier,
        "product_line": product_line,
        "buying_stage": buying_stage,
        "company_size": company_size,
        "source": source,
        "message": message,
    }
    if budget not in (None, ""):
        raw["budget"] = budget
    # An unsaved form stands for "entered by hand / import": the pack's required fields for
    # the `import` (or `default`) form apply, and nothing is mapped.
    clean = _clean(IntakeForm(code="import", required_fields=[], field_mapping={}), raw)
    keys = _dedupe_keys(clean)
    with transaction.atomic():
        match = Q(pk__in=[])
        if keys["phone_key"]:
            match |= Q(phone_key=keys["phone_key"])
        if keys["email_key"]:
            match |= Q(email_key=keys["email_key"])
        existing = Lead.objects.filter(match, status__in=OPEN_STATUSES).order_by("id").first()
        if existing is not None:
            raise Conflict(
                f"已有相同电话或邮箱的线索：{existing} / An open lead with this phone or e-mail exists.",
                lead={"id": existing.pk, "name": existing.name},
            )
        route = _Route(owner=owner, why={"strategy": "import"}, assign=False)
        lead = _new_lead(clean, keys, actor=actor, now=now, route=route)
    return lead


# Who may type a lead in by hand: the sales line (reps up to the GM) and the ops admin.
LEAD_ENTERERS = {Role.REP, Role.MANAGER, Role.DIRECTOR, Role.GM, Role.COO, Role.OPS_ADMIN}
# The quick form's three fields; the pack's `manual` / `default` required fields add to them.
MANUAL_REQUIRED = ["name", "phone", "company"]
MANUAL_SOURCE = "manual"


def may_enter_leads(user: User) -> bool:
    """Whether `user` may create a lead by hand (线索 → 新建线索, POST /api/v1/leads)."""
    return bool(user.is_authenticated and (user.is_superuser or user.role in LEAD_ENTERERS))


def field_label(field: str) -> str:
    """A lead field's Chinese name, for messages that must say which field is wrong."""
    try:
        model_field = Lead._meta.get_field(field)
    except FieldDoesNotExist:  # a UTM key: shown as given
        return field
    return str(getattr(model_field, "verbose_name", field))


def lead_enter(*, data: dict[str, Any], actor: User, now: datetime | None = None) -> Lead:
    """A lead typed in by a person: the website intake's validation, dedupe, scoring and timers.

    `data` holds intake field names (name, phone, company required; e-mail, title, the tag
    fields, budget, source from the pack's `lead_source` dictionary, message optional). The
    same `_clean` checks them, under the pack's `manual` (or `default`) required fields.

    A duplicate (an open lead with the same phone, e-mail or company, as intake matches) is a
    Conflict rather than intake's silent merge: the person is at the keyboard and should know.
    It names the lead only when `actor` may see it, so the form cannot probe other teams' leads.

    A rep keeps what they enter (the first-contact timers start at once); anyone else's entry
    goes through the pack's assignment policy within their own team, as a website lead does.
    """
    now = now or clock.now()
    if not may_enter_leads(actor):
        raise PermissionDenied("你的角色不能新建线索 / Your role cannot create leads.")
    _number, pack = active_pack()
    raw = {k: v for k, v in data.items() if k in INTAKE_FIELDS and k not in UTM_FIELDS}
    raw["source"] = raw.get("source") or MANUAL_SOURCE
    errors: dict[str, list[str]] = {}
    for field in MANUAL_REQUIRED:
        if not str(raw.get(field) or "").strip():
            errors[field] = [f"请填写{field_label(field)} / {field} is required."]
    sources = pack.dictionary("lead_source")
    if sources is not None and raw["source"] not in {c.code for c in sources.choices}:
        errors["source"] = [f"来源应为「{sources.name}」中的一项 / not a lead source."]
    try:
        clean = _clean(IntakeForm(code="manual", required_fields=MANUAL_REQUIRED, field_mapping={}), raw)
    except FieldErrors as exc:
        for field, messages in exc.errors.items():
            errors.setdefault(field, messages)
    if errors:
        raise FieldErrors(errors)
    keys = _dedupe_keys(clean)
    # Its events (the lead's, the timers', the notice's) go in with one INSERT at the end.
    with transaction.atomic(), events.one_insert():
        existing = _find_duplicate(**keys)
        if existing is not None:
            raise _duplicate(existing, actor)
        if actor.role == Role.REP:
            route = _Route(owner=actor, why={"strategy": "manual_entry"})
        else:
            route = _Route(team=actor.team if actor.role != Role.OPS_ADMIN else None)
        lead = _new_lead(clean, keys, actor=actor, now=now, route=route)
    return lead


def _duplicate(existing: Lead, actor: User) -> Conflict:
    """The 409 for a duplicate entry: the lead named if `actor` may see it, else a neutral note."""
    if leads_visible_to(actor).filter(pk=existing.pk).exists():
        return Conflict(
            f"已有相同电话、邮箱或公司的线索：{existing} / "
            "An open lead with this phone, e-mail or company exists.",
            lead={"id": existing.pk, "name": existing.name},
        )
    return Conflict(
        "已有相同电话、邮箱或公司的线索，由其他同事跟进；请联系主管 / "
        "An open lead with this phone, e-mail or company exists (not in your view)."
    )
