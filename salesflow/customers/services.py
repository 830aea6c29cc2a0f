"""Writes of customers: create, contacts, orders, claim and release, notes, tags, health, handover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from pypinyin import Style, lazy_pinyin

from salesflow.core import clock, events, normalize
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.customers.choices import ReleaseReason
from salesflow.customers.models import Contact, Customer, CustomerNote, Order
from salesflow.notify import services as notify
from salesflow.org.choices import Role
from salesflow.org.models import Team, User
from salesflow.org.selectors import managers_above, visible_owner_ids
from salesflow.rules.schema import CustomerHealth
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration

TEXT_LIMITS = {"name": 200, "address": 300, "payment_term": 100}
CONTACT_LIMITS = {"name": 100, "title": 100, "phone": 40, "email": 200}


def search_keys(name: str, contacts: list[tuple[str, str]]) -> tuple[str, str]:
    """(search_text, initials) of a customer: name, full pinyin, contacts' names, pinyin and phones."""
    full = "".join(lazy_pinyin(name)).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
    parts = [name.lower().replace(" ", ""), full, initials]
    for contact_name, phone in contacts:
        parts += [contact_name.lower(), "".join(lazy_pinyin(contact_name)).lower(), normalize.phone(phone)]
    return " ".join(p for p in parts if p), initials


def _refresh_search(customer: Customer) -> None:
    contacts = list(Contact.objects.filter(customer=customer).values_list("name", "phone"))
    customer.search_text, customer.initials = search_keys(customer.name, contacts)
    Customer.objects.filter(pk=customer.pk).update(
        search_text=customer.search_text, initials=customer.initials
    )


def _check_tags(values: dict[str, str], errors: dict[str, list[str]]) -> None:
    _number, pack = active_pack()
    for field, value in values.items():
        dictionary = pack.dictionary(field)
        if value and dictionary is not None and value not in [c.code for c in dictionary.choices]:
            codes = ", ".join(c.code for c in dictionary.choices)
            errors.setdefault(field, []).append(
                f"“{value}” 不在「{dictionary.name}」中 / not a choice ({codes})."
            )


def _check_lengths(values: dict[str, Any], limits: dict[str, int], errors: dict[str, list[str]]) -> None:
    for field, limit in limits.items():
        value = values.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors.setdefault(field, []).append(f"应为不超过 {limit} 字的文本 / At most {limit} characters.")


def duplicate_of(name: str) -> Customer | None:
    """The existing customer with the same normalised company name, if any."""
    key = normalize.company(name)
    return Customer.objects.filter(name_key=key).order_by("id").first() if key else None


def customer_create(
    *,
    name: str,
    actor: User | None,
    owner: User | None = None,
    region: Team | None = None,
    industry_segment: str = "",
    customer_tier: str = "",
    address: str = "",
    payment_term: str = "",
    now: datetime | None = None,
) -> Customer:
    """Create a customer (a duplicate company name is a Conflict naming the existing one)."""
    now = now or clock.now()
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["必填 / This field is required."]
    _check_lengths({"name": name, "address": address, "payment_term": payment_term}, TEXT_LIMITS, errors)
    _check_tags({"industry_segment": industry_segment, "customer_tier": customer_tier}, errors)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        existing = duplicate_of(name)
        if existing is not None:
            raise Conflict(
                f"客户已存在：{existing.name} / This customer exists already.",
                customer={"id": existing.pk, "name": existing.name},
            )
        customer = Customer(
            name=name,
            name_key=normalize.company(name),
            region=region,
            industry_segment=industry_segment,
            customer_tier=customer_tier,
            address=address,
            payment_term=payment_term,
            owner=owner,
            claimed_at=now if owner else None,
            created_at=now,
        )
        customer.search_text, customer.initials = search_keys(name, [])
        attach_actor(customer, actor, now)
        customer.save()
        events.record(
            name="customer.created", subject=customer, actor=actor, occurred_at=now, payload={"name": name}
        )
        if owner is not None:
            # The commitment clock (one effective interaction a week) starts with ownership.
            events.record(
                name="customer.claimed",
                subject=customer,
                actor=actor,
                occurred_at=now,
                payload={"owner": owner.pk, "via": "create"},
            )
    return customer


def contact_add(
    *,
    customer: Customer,
    name: str,
    actor: User | None,
    title: str = "",
    phone: str = "",
    email: str = "",
    now: datetime | None = None,
) -> Contact:
    """Add a person at the customer; the customer's search keys learn their name and phone."""
    now = now or clock.now()
    values = {
        "name": (name or "").strip(),
        "title": title.strip(),
        "phone": phone.strip(),
        "email": email.strip(),
    }
    errors: dict[str, list[str]] = {}
    if not values["name"]:
        errors["name"] = ["必填 / This field is required."]
    _check_lengths(values, CONTACT_LIMITS, errors)
    if values["phone"] and len(normalize.phone(values["phone"])) < 7:
        errors.setdefault("phone", []).append("电话号码不完整 / Not a complete phone number.")
    if values["email"] and "@" not in values["email"]:
        errors.setdefault("email", []).append("邮箱格式不正确 / Not a valid e-mail address.")
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        contact = Contact(
            customer=customer,
            **values,
            phone_key=normalize.phone(values["phone"]),
            email_key=normalize.email(values["email"]),
            created_at=now,
        )
        attach_actor(contact, actor, now)
        contact.save()
        _refresh_search(customer)
        events.record(
            name="customer.contact_added",
            subject=customer,
            actor=actor,
            occurred_at=now,
            payload={"contact": contact.pk, "name": contact.name},
        )
    return contact


def _amount(raw: Any, errors: dict[str, list[str]], field: str = "amount") -> Decimal:
    try:
        value = Decimal(str(raw).replace(",", "").replace("¥", "").strip())
        if value < 0 or value >= Decimal("1e12"):
            raise InvalidOperation
        return value.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append("应为金额，例如 50000.00 / Must be an amount.")
        return Decimal("0")


def order_add(
    *,
    customer: Customer,
    ordered_on: date,
    amount: Decimal | str,
    actor: User | None,
    product_lines: list[str] | None = None,
    models_bought: str = "",
    payment_term: str = "",
    reference: str = "",
    now: datetime | None = None,
) -> Order:
    """Record a purchase; the pack's tag rules and the health score are evaluated at once."""
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    value = _amount(amount, errors)
    if ordered_on > clock.to_local(now).date():
        errors["ordered_on"] = ["不能晚于今天 / Must not be in the future."]
    _number, pack = active_pack()
    lines = product_lines or []
    dictionary = pack.dictionary("product_line")
    unknown = [p for p in lines if dictionary and p not in [c.code for c in dictionary.choices]]
    if unknown:
        errors["product_lines"] = [f"未知产品线 / unknown product lines: {', '.join(unknown)}"]
    _check_lengths(
        {"models_bought": models_bought, "payment_term": payment_term},
        {"models_bought": 300, "payment_term": 100},
        errors,
    )
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        order = Order(
            customer=customer,
            ordered_on=ordered_on,
            amount=value,
            product_lines=lines,
            models_bought=models_bought,
            payment_term=payment_term,
            reference=reference[:60],
            created_at=now,
        )
        attach_actor(order, actor, now)
        order.save()
        events.record(
            name="customer.order_added",
            subject=customer,
            actor=actor,
            occurred_at=now,
            payload={"order": order.pk, "amount": str(value), "ordered_on": ordered_on.isoformat()},
        )
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        tags_evaluate(customer=locked, now=now)
        health_recompute(customer=locked, now=now)
    return order


def customer_claim(*, customer: Customer, actor: User, now: datetime | None = None) -> Customer:
    """A rep takes a pool customer, up to the pack's claim limit; a faster colleague is named."""
    now = now or clock.now()
    if actor.role != Role.REP and not actor.is_superuser:
        raise PermissionDenied("只有销售可以认领客户 / Only sales reps claim customers.")
    _number, pack = active_pack()
    limit = int(pack.settings.get("customer_claim_limit", 0) or 0)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.owner_id is not None:
            owner = User.objects.get(pk=locked.owner_id)
            raise Conflict(
                f"客户已被 {owner} 认领 / Already owned by {owner.username}.",
                owner={"id": owner.pk, "username": owner.username},
            )
        if limit and Customer.objects.filter(owner=actor).count() >= limit:
            raise Conflict(
                f"已达认领上限 {limit} 家，请先释放不再跟进的客户 / Claim limit of {limit} reached.",
                limit=limit,
            )
        locked.owner, locked.claimed_at = actor, now
        attach_actor(locked, actor, now)
        locked.save(update_fields=["owner", "claimed_at"])
        # The rules engine starts the commitment timer (day-5 warning, day-7 release) on this event.
        events.record(
            name="customer.claimed", subject=locked, actor=actor, occurred_at=now, payload={"owner": actor.pk}
        )
    return locked


def _may_manage(actor: User, owner_id: int | None) -> bool:
    owners = visible_owner_ids(actor)
    return owners is None or owner_id in owners


def may_hand_over(*, actor: User, user: User) -> bool:
    """Whether `actor` may see and move `user`'s book: a manager above them or a company-wide role."""
    company_wide = actor.is_superuser or actor.role in (Role.OPS_ADMIN, Role.GM, Role.COO)
    return company_wide or (actor.pk != user.pk and _may_manage(actor, user.pk))


def customer_release(
    *,
    customer: Customer,
    reason: str,
    actor: User | None,
    reason_code: str = ReleaseReason.MANUAL,
    now: datetime | None = None,
) -> Customer:
    """Return a customer to the pool with a reason on its timeline; the owner's manager is told."""
    now = now or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors({"reason": ["请填写释放原因 / A reason is required."]})
    if len(reason) > 300:
        raise FieldErrors({"reason": ["原因最多 300 字 / At most 300 characters."]})
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.owner_id is None:
            raise Conflict("客户已在客户池中 / The customer is in the pool already.")
        if actor is not None and not _may_manage(actor, locked.owner_id):
            raise PermissionDenied("只有负责人或其上级可以释放客户 / Only the owner or their managers.")
        former = User.objects.get(pk=locked.owner_id)
        locked.owner, locked.claimed_at = None, None
        attach_actor(locked, actor, now)
        locked.save(update_fields=["owner", "claimed_at"])
        events.record(
            name="customer.released",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"from": former.pk, "reason": reason, "reason_code": str(reason_code)},
        )
        if reason_code == ReleaseReason.MANUAL:
            # Automatic releases are announced by the pack's own ladder step.
            notify.notify(
                recipients=managers_above(former)[:1],
                kind="customer.released",
                title=f"客户已退回客户池：{locked.name}",
                body=f"{former} 释放了该客户：{reason}",
                subject=locked,
                actor=actor,
                now=now,
            )
    return locked


def customer_interaction(
    *, customer: Customer, actor: User, occurred_at: datetime, now: datetime | None = None
) -> Customer:
    """An effective interaction with the customer: restarts the 7-day commitment clock."""
    now = now or clock.now()
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        locked.last_interaction_at = max(filter(None, [locked.last_interaction_at, occurred_at]))
        attach_actor(locked, actor, now)
        locked.save(update_fields=["last_interaction_at"])
        if locked.owner_id is not None:
            events.record(
                name="customer.interaction_logged",
                subject=locked,
                actor=actor,
                occurred_at=now,
                payload={"at": occurred_at.isoformat()},
            )
        health_recompute(customer=locked, now=now)
    return locked


def note_add(
    *, customer: Customer, author: User, text: str, private: bool, now: datetime | None = None
) -> CustomerNote:
    """A note; a private one is readable by its author alone (its event carries no text)."""
    now = now or clock.now()
    text = (text or "").strip()
    if not text:
        raise FieldErrors({"text": ["请填写备注内容 / The note is empty."]})
    if len(text) > 4000:
        raise FieldErrors({"text": ["备注最多 4000 字 / At most 4000 characters."]})
    with transaction.atomic():
        note = CustomerNote.objects.create(
            customer=customer, author=author, text=text, private=private, created_at=now
        )
        # A private note's event hangs on the note itself, so no one else's customer timeline shows it.
        events.record(
            name="customer.note_added",
            subject=note if private else customer,
            actor=author,
            occurred_at=now,
            payload={"note": note.pk, "private": private},
        )
    return note


def tag_set(
    *, customer: Customer, dictionary: str, value: str, propose: bool, actor: User | None, now: datetime
) -> Customer:
    """Set a tag field, or propose it for the owner to confirm (as the pack's rule says)."""
    errors: dict[str, list[str]] = {}
    _check_tags({dictionary: value}, errors)
    if dictionary not in ("customer_class", "customer_tier", "industry_segment"):
        errors[dictionary] = ["客户没有该标签 / Customers carry no such tag."]
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if propose and dictionary == "customer_class":
            if value in (locked.customer_class, locked.proposed_class):
                return locked
            locked.proposed_class = value
            fields = ["proposed_class"]
        else:
            if getattr(locked, dictionary) == value:
                return locked
            setattr(locked, dictionary, value)
            fields = [dictionary]
        attach_actor(locked, actor, now)
        locked.save(update_fields=fields)
        events.record(
            name="customer.tag_proposed" if propose else "customer.tag_set",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"dictionary": dictionary, "value": value},
        )
        if propose and locked.owner_id:
            notify.notify(
                recipients=[locked.owner],
                kind="customer.tag_proposed",
                title=f"请确认客户分级：{locked.name}",
                body="系统根据订单记录建议调整分级，请在客户页确认。",
                subject=locked,
                actor=None,
                now=now,
            )
    return locked


def tag_confirm(*, customer: Customer, accept: bool, actor: User, now: datetime | None = None) -> Customer:
    """The owner confirms or dismisses the proposed class."""
    now = now or clock.now()
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if not locked.proposed_class:
            raise Conflict("没有待确认的分级 / Nothing to confirm.")
        if locked.owner_id != actor.pk and not _may_manage(actor, locked.owner_id):
            raise PermissionDenied("只有负责人可以确认 / Only the owner confirms.")
        value, locked.proposed_class = locked.proposed_class, ""
        if accept:
            locked.customer_class = value
        attach_actor(locked, actor, now)
        locked.save(update_fields=["customer_class", "proposed_class"])
        events.record(
            name="customer.tag_set" if accept else "customer.tag_dismissed",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"dictionary": "customer_class", "value": value},
        )
    return locked


def tags_evaluate(*, customer: Customer, now: datetime) -> list[str]:
    """Apply the pack's tag rules to one customer (on a new order and nightly); the codes that matched."""
    _number, pack = active_pack()
    matched = [code for code, ids in _tag_matches([customer.pk], now=now).items() if customer.pk in ids]
    for rule in (r for r in pack.tag_rules if r.code in matched):
        tag_set(
            customer=customer,
            dictionary=rule.tag,
            value=rule.value,
            propose=rule.mode == "propose",
            actor=None,
            now=now,
        )
    return matched


@dataclass(frozen=True)
class HealthInputs:
    """What the health formula reads for one customer."""

    recent_orders: int = 0
    recent_total: Decimal = Decimal("0")
    before_total: Decimal = Decimal("0")
    interactions: int = 0
    service_requests: int = 0  # work orders of this customer join when the work-order app lands


def health_factors(inputs: HealthInputs, spec: CustomerHealth) -> list[dict[str, Any]]:
    """The pack's health formula: each factor's points (weight × 0–1 × 100) and what it saw."""
    if inputs.before_total > 0:
        trend = float(min(max(inputs.recent_total / inputs.before_total / 2, Decimal("0")), Decimal("1")))
    else:
        trend = 1.0 if inputs.recent_total > 0 else 0.0
    parts = {
        "purchase_frequency": (
            min(inputs.recent_orders / spec.orders_for_full_marks, 1.0),
            f"{inputs.recent_orders} 单",
        ),
        "amount_trend": (trend, f"¥{inputs.recent_total:,.2f} / ¥{inputs.before_total:,.2f}"),
        "service_requests": (
            1.0 - min(inputs.service_requests / spec.service_requests_for_zero, 1.0),
            f"{inputs.service_requests} 次",
        ),
        "interaction_density": (
            min(inputs.interactions / spec.interactions_for_full_marks, 1.0),
            f"{inputs.interactions} 次有效互动",
        ),
    }
    return [
        {"factor": name, "points": round(spec.weights.get(name, 0.0) * value * 100, 1), "detail": detail}
        for name, (value, detail) in parts.items()
    ]


def _health_inputs(customer_ids: list[int], *, now: datetime) -> dict[int, HealthInputs]:
    """The formula's inputs for many customers in two grouped queries (orders, interactions)."""
    from salesflow.activities.models import Activity  # activities import customers' services

    _number, pack = active_pack()
    window = parse_duration(pack.customer_health.window).as_timedelta()
    current = clock.to_local(now).date() - window
    orders = (
        Order.objects.filter(customer_id__in=customer_ids, ordered_on__gte=current - window)
        .values("customer_id")
        .annotate(
            n=Count("id", filter=Q(ordered_on__gte=current)),
            recent=Sum("amount", filter=Q(ordered_on__gte=current)),
            before=Sum("amount", filter=Q(ordered_on__lt=current)),
        )
    )
    touches = dict(
        Activity.objects.filter(customer_id__in=customer_ids, effective=True, occurred_at__gte=now - window)
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    by_order = {r["customer_id"]: r for r in orders}
    inputs = {}
    for cid in customer_ids:
        row = by_order.get(cid, {})
        inputs[cid] = HealthInputs(
            recent_orders=row.get("n") or 0,
            recent_total=row.get("recent") or Decimal("0"),
            before_total=row.get("before") or Decimal("0"),
            interactions=touches.get(cid, 0),
        )
    return inputs


def health_recompute(*, customer: Customer, now: datetime) -> Customer:
    """Health 0–100 from the pack's formula, stored with its factors (factor, points, detail)."""
    _number, pack = active_pack()
    factors = health_factors(_health_inputs([customer.pk], now=now)[customer.pk], pack.customer_health)
    customer.health_score = round(sum(f["points"] for f in factors))
    customer.health_factors = factors
    Customer.objects.filter(pk=customer.pk).update(health_score=customer.health_score, health_factors=factors)
    return customer


def _tag_matches(customer_ids: list[int], *, now: datetime) -> dict[str, set[int]]:
    """For each customer tag rule of the pack, the customers it matches (one grouped query per rule)."""
    _number, pack = active_pack()
    matches: dict[str, set[int]] = {}
    for rule in (r for r in pack.tag_rules if r.subject == "customer"):
        since = clock.to_local(now - parse_duration(rule.window).as_timedelta()).date()
        rows = (
            Order.objects.filter(customer_id__in=customer_ids, ordered_on__gte=since)
            .values("customer_id")
            .annotate(n=Count("id"), biggest=Max("amount"))
            .filter(n__gte=rule.min_orders, biggest__gte=rule.min_single_amount)
        )
        matches[rule.code] = {r["customer_id"] for r in rows}
    return matches


def customers_nightly(*, now: datetime | None = None, batch: int = 2000) -> dict[str, int]:
    """The nightly pass: tag rules and health for customers with recent orders or interactions.

    Set-based per batch: grouped queries read the inputs, one bulk update writes the scores,
    and only customers whose tag changes go through `tag_set` (events, notifications).
    """
    now = now or clock.now()
    _number, pack = active_pack()
    window = parse_duration(pack.customer_health.window).as_timedelta()
    since = clock.to_local(now - 2 * window).date()
    # Customers whose orders or interactions still fall in the windows the formula reads.
    active = Q(orders__ordered_on__gte=since) | Q(last_interaction_at__gte=now - 2 * window)
    ids = list(Customer.objects.filter(active).values_list("id", flat=True).distinct().order_by("id"))
    rules = {r.code: r for r in pack.tag_rules if r.subject == "customer"}
    tagged = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            inputs = _health_inputs(chunk, now=now)
            customers = list(Customer.objects.filter(pk__in=chunk).only(*_NIGHTLY_FIELDS))
            for customer in customers:
                customer.health_factors = health_factors(inputs[customer.pk], pack.customer_health)
                customer.health_score = round(sum(f["points"] for f in customer.health_factors))
            Customer.objects.bulk_update(customers, ["health_score", "health_factors"], batch_size=500)
            for code, matched in _tag_matches(chunk, now=now).items():
                rule = rules[code]
                for customer in customers:
                    current = {getattr(customer, rule.tag, ""), customer.proposed_class}
                    if customer.pk in matched and rule.value not in current:
                        tag_set(
                            customer=customer,
                            dictionary=rule.tag,
                            value=rule.value,
                            propose=rule.mode == "propose",
                            actor=None,
                            now=now,
                        )
                        tagged += 1
    return {"customers": len(ids), "tagged": tagged}


_NIGHTLY_FIELDS = ("id", "owner_id", "customer_class", "proposed_class", "customer_tier", "industry_segment")


def user_handover(*, user: User, to: User | None, actor: User, now: datetime | None = None) -> dict[str, int]:
    """A leaving rep's customers, open leads and open opportunities move to `to` (or the pool).

    Records keep their ids, so their timelines, notes and history stay attached; each moved
    record gets a `handed_over` event.
    """
    # Imported here: leads and pipeline import this module for conversion.
    from salesflow.leads import services as lead_services
    from salesflow.pipeline import services as pipeline_services

    now = now or clock.now()
    if not may_hand_over(actor=actor, user=user):
        raise PermissionDenied("只有上级或运营管理员可以交接 / Only a manager or the ops admin.")
    if to is not None and (to.pk == user.pk or not to.is_active or to.role != Role.REP):
        raise FieldErrors(
            {"to": ["请选择另一位在职销售，或客户池 / Choose another active rep, or the pool."]}
        )
    with transaction.atomic():
        customers = list(Customer.objects.select_for_update().filter(owner=user).order_by("id"))
        for customer in customers:
            customer.owner, customer.claimed_at = to, (now if to else None)
            attach_actor(customer, actor, now)
            customer.save(update_fields=["owner", "claimed_at"])
            payload = {"from": user.pk, "to": to.pk if to else None}
            events.record(
                name="customer.handed_over", subject=customer, actor=actor, occurred_at=now, payload=payload
            )
            if to is None:
                events.record(
                    name="customer.released",
                    subject=customer,
                    actor=actor,
                    occurred_at=now,
                    payload={**payload, "reason": "离职交接", "reason_code": ReleaseReason.HANDOVER},
                )
            else:
                events.record(
                    name="customer.claimed", subject=customer, actor=actor, occurred_at=now, payload=payload
                )
        leads = lead_services.leads_hand_over(user=user, to=to, actor=actor, now=now)
        opportunities = pipeline_services.opportunities_hand_over(user=user, to=to, actor=actor, now=now)
        if to is not None:
            notify.notify(
                recipients=[to],
                kind="org.handover",
                title=f"交接：{user} 的客户与线索",
                body=f"{len(customers)} 个客户、{leads} 条线索、{opportunities} 个商机已转给你。",
                subject=None,
                actor=actor,
                now=now,
            )
    return {"customers": len(customers), "leads": leads, "opportunities": opportunities}
