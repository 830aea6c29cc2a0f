"""Writes of customers: create, contacts, orders, claim and release, notes, tags, health, handover."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Sum
from pypinyin import Style, lazy_pinyin
from simple_history.utils import bulk_create_with_history

from salesflow.core import clock, events, normalize
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.core.lookups import InArray
from salesflow.core.models import Event
from salesflow.customers.choices import GrantScope, ReleaseReason
from salesflow.customers.models import Contact, Customer, CustomerGrant, CustomerNote, GrantRead, Order
from salesflow.notify import services as notify
from salesflow.org.choices import MANAGING_ROLES, Role
from salesflow.org.models import Team, User
from salesflow.org.selectors import managers_above, visible_owner_ids
from salesflow.rules import services as rules_services
from salesflow.rules.schema import CustomerHealth, TagRule
from salesflow.rules.selectors import active_pack, is_frozen
from salesflow.timers.durations import parse_duration

TEXT_LIMITS = {"name": 200, "address": 300, "payment_term": 100}
CONTACT_LIMITS = {"name": 100, "title": 100, "phone": 40, "email": 200}


def search_keys(name: str, contacts: list[tuple[str, str]]) -> tuple[str, str, str]:
    """(search_text, initials, initials_grams) of a customer: name, full pinyin, contacts' names,
    pinyin and phones; the pinyin initials; and the initials' anchored skip-trigrams."""
    full = "".join(lazy_pinyin(name)).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
    parts = [name.lower().replace(" ", ""), full, initials]
    for contact_name, phone in contacts:
        parts += [contact_name.lower(), "".join(lazy_pinyin(contact_name)).lower(), normalize.phone(phone)]
    return " ".join(p for p in parts if p), initials, initials_grams(initials)


def initials_grams(initials: str) -> str:
    """The initials' first letter followed by any two later letters in order, space-separated.

    Initials match as a subsequence anchored at the first letter (`hzyl` finds hzbjylqxyxgs),
    which no substring index can serve. Every such match holds each `first + t[i] + t[i+1]` of
    the term among these three-letter words, so the trigram index over them narrows the
    customers the subsequence test then checks. At most 26 × 26 words per customer.
    """
    if not initials or not ("a" <= initials[0] <= "z"):
        return ""
    first, later = initials[0], [ch for ch in initials[1:] if "a" <= ch <= "z"]
    grams = {first + a + b for i, a in enumerate(later) for b in later[i + 1 :]}
    return " ".join(sorted(grams))


def _refresh_search(customer: Customer) -> None:
    contacts = list(Contact.objects.filter(customer=customer).values_list("name", "phone"))
    customer.search_text, customer.initials, customer.initials_grams = search_keys(customer.name, contacts)
    Customer.objects.filter(pk=customer.pk).update(
        search_text=customer.search_text, initials=customer.initials, initials_grams=customer.initials_grams
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
        customer.search_text, customer.initials, customer.initials_grams = search_keys(name, [])
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


# What an import's update may change, per record (the columns of imports/spec.py).
CUSTOMER_EDITABLE = (
    "name",
    "region",
    "industry_segment",
    "customer_tier",
    "customer_class",
    "address",
    "payment_term",
    "owner",
)
CONTACT_EDITABLE = ("name", "title", "phone", "email")
ORDER_EDITABLE = ("ordered_on", "amount", "product_lines", "models_bought", "payment_term")


def _changed_fields(changes: dict[str, Any], editable: tuple[str, ...]) -> list[str]:
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise FieldErrors({f: ["不能通过导入修改 / Not editable by an import."] for f in unknown})
    return list(changes)


def changed_labels(model: Any, fields: list[str]) -> str:
    """The changed fields as a person reads them on the timeline ("地址、客户等级")."""
    return "、".join(str(model._meta.get_field(f).verbose_name) for f in fields)


def customer_update(
    *, customer: Customer, changes: dict[str, Any], actor: User | None, now: datetime | None = None
) -> Customer:
    """Write the fields an import found changed (a history row and `customer.updated`).

    A new owner is a claim by that owner (`claimed_at` and `customer.claimed`, which starts the
    pack's commitment clock), as when an import creates an owned customer.
    """
    now = now or clock.now()
    fields = _changed_fields(changes, CUSTOMER_EDITABLE)
    if not fields:
        return customer
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        for name, value in changes.items():
            setattr(locked, name, value)
        update = list(fields)
        if "name" in changes:
            locked.name_key = normalize.company(locked.name)
            update.append("name_key")
        if "owner" in changes:
            locked.claimed_at = now
            update.append("claimed_at")
        attach_actor(locked, actor, now)
        locked.save(update_fields=update)
        if "name" in changes:
            _refresh_search(locked)
        events.record(
            name="customer.updated",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"fields": fields, "changed": changed_labels(Customer, fields), "via": "import"},
        )
        if "owner" in changes and locked.owner_id is not None:
            events.record(
                name="customer.claimed",
                subject=locked,
                actor=actor,
                occurred_at=now,
                payload={"owner": locked.owner_id, "via": "import"},
            )
    return locked


def contact_update(
    *, contact: Contact, changes: dict[str, Any], actor: User | None, now: datetime | None = None
) -> Contact:
    """Write a contact's changed fields; the customer's search keys follow its name and phone."""
    now = now or clock.now()
    fields = _changed_fields(changes, CONTACT_EDITABLE)
    if not fields:
        return contact
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.phone_key = normalize.phone(locked.phone)
        locked.email_key = normalize.email(locked.email)
        attach_actor(locked, actor, now)
        locked.save(update_fields=[*fields, "phone_key", "email_key"])
        _refresh_search(locked.customer)
        events.record(
            name="customer.contact_updated",
            subject=locked.customer,
            actor=actor,
            occurred_at=now,
            payload={
                "contact": locked.pk,
                "fields": fields,
                "changed": changed_labels(Contact, fields),
                "via": "import",
            },
        )
    return locked


def order_update(
    *, order: Order, changes: dict[str, Any], actor: User | None, now: datetime | None = None
) -> Order:
    """Write an order's changed fields; the customer's tags and health follow, as on `order_add`."""
    now = now or clock.now()
    fields = _changed_fields(changes, ORDER_EDITABLE)
    if not fields:
        return order
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        for name, value in changes.items():
            setattr(locked, name, value)
        attach_actor(locked, actor, now)
        locked.save(update_fields=fields)
        events.record(
            name="customer.order_updated",
            subject=locked.customer,
            actor=actor,
            occurred_at=now,
            payload={
                "order": locked.pk,
                "fields": fields,
                "changed": changed_labels(Order, fields),
                "via": "import",
            },
        )
        customer = Customer.objects.select_for_update().get(pk=locked.customer_id)
        tags_evaluate(customer=customer, now=now)
        health_recompute(customer=customer, now=now)
    return locked


def customer_claim(*, customer: Customer, actor: User, now: datetime | None = None) -> Customer:
    """A rep takes a pool customer, up to the pack's claim limit; a faster colleague is named."""
    now = now or clock.now()
    if actor.role != Role.REP and not actor.is_superuser:
        raise PermissionDenied("只有销售可以认领客户 / Only sales reps claim customers.")
    _number, pack = active_pack()
    limit = pack.settings.customer_claim_limit
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
        _end_grants([locked.pk], actor=actor, now=now, why=f"客户已退回客户池：{reason}")
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
    *,
    customer: Customer,
    actor: User,
    occurred_at: datetime,
    now: datetime | None = None,
    clock_from: datetime | None = None,
) -> Customer:
    """An effective interaction with the customer: restarts the 7-day commitment clock.

    The clock restarts now, or at `clock_from` when the interaction is older than the
    customer's ownership (a converted lead's call: the week counts from that call).
    """
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
                occurred_at=clock_from or now,
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


TAG_FIELDS = ("customer_class", "customer_tier", "industry_segment")
# What the owner hears of a proposed class, from `tag_set` and from the nightly pass alike.
PROPOSAL_TITLE = "请确认客户分级：{name}"
PROPOSAL_BODY = "系统根据订单记录建议调整分级，请在客户页确认。"


def _check_tag(dictionary: str, value: str) -> None:
    """Refuse a tag value outside its pack dictionary, or a tag customers do not carry."""
    errors: dict[str, list[str]] = {}
    _check_tags({dictionary: value}, errors)
    if dictionary not in TAG_FIELDS:
        errors[dictionary] = ["客户没有该标签 / Customers carry no such tag."]
    if errors:
        raise FieldErrors(errors)


def tag_set(
    *, customer: Customer, dictionary: str, value: str, propose: bool, actor: User | None, now: datetime
) -> Customer:
    """Set a tag field, or propose it for the owner to confirm (as the pack's rule says)."""
    _check_tag(dictionary, value)
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
                title=PROPOSAL_TITLE.format(name=locked.name),
                body=PROPOSAL_BODY,
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
    service_requests: int = 0  # service-request work orders (complaints …) in the window


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


# Counts of effective interactions per customer since a time, by the apps that log them (the
# activities app registers one in its AppConfig.ready): customers sit below those apps and must
# not import them.
InteractionCounter = Callable[[list[int], datetime], dict[int, int]]
_interaction_counters: list[InteractionCounter] = []


def register_interaction_counter(counter: InteractionCounter) -> None:
    """Let an app above customers add its effective interactions to the health formula."""
    if counter not in _interaction_counters:
        _interaction_counters.append(counter)


# Service requests (customer complaints …) per customer since a time: the work-order app
# registers its counter, as activities register interactions.
_service_request_counters: list[InteractionCounter] = []


def register_service_request_counter(counter: InteractionCounter) -> None:
    """Let an app above customers add its service requests to the health formula."""
    if counter not in _service_request_counters:
        _service_request_counters.append(counter)


def _health_inputs(customer_ids: list[int], *, now: datetime) -> dict[int, HealthInputs]:
    """The formula's inputs for many customers in two grouped queries (orders, interactions)."""
    _number, pack = active_pack()
    window = parse_duration(pack.customer_health.window).as_timedelta()
    current = clock.to_local(now).date() - window
    orders = (
        Order.objects.filter(InArray(F("customer_id"), customer_ids), ordered_on__gte=current - window)
        .values("customer_id")
        .annotate(
            n=Count("id", filter=Q(ordered_on__gte=current)),
            recent=Sum("amount", filter=Q(ordered_on__gte=current)),
            before=Sum("amount", filter=Q(ordered_on__lt=current)),
        )
    )
    touches: dict[int, int] = {}
    for counter in _interaction_counters:
        for cid, n in counter(customer_ids, now - window).items():
            touches[cid] = touches.get(cid, 0) + n
    requests: dict[int, int] = {}
    for counter in _service_request_counters:
        for cid, n in counter(customer_ids, now - window).items():
            requests[cid] = requests.get(cid, 0) + n
    by_order = {r["customer_id"]: r for r in orders}
    inputs = {}
    for cid in customer_ids:
        row = by_order.get(cid, {})
        inputs[cid] = HealthInputs(
            recent_orders=row.get("n") or 0,
            recent_total=row.get("recent") or Decimal("0"),
            before_total=row.get("before") or Decimal("0"),
            interactions=touches.get(cid, 0),
            service_requests=requests.get(cid, 0),
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
            Order.objects.filter(InArray(F("customer_id"), customer_ids), ordered_on__gte=since)
            .values("customer_id")
            .annotate(n=Count("id"), biggest=Max("amount"))
            .filter(n__gte=rule.min_orders, biggest__gte=rule.min_single_amount)
        )
        matches[rule.code] = {r["customer_id"] for r in rows}
    return matches


def customers_nightly(*, now: datetime | None = None, batch: int = 2000) -> dict[str, int]:
    """The nightly pass: tag rules and health for customers with recent orders or interactions.

    Set-based per batch: grouped queries read the inputs, one bulk update writes the scores,
    and the tag changes of the batch are written in bulk per rule (`_tags_apply`), so the
    queries of a batch do not grow with the customers it proposes tags for.
    """
    now = now or clock.now()
    _number, pack = active_pack()
    window = parse_duration(pack.customer_health.window).as_timedelta()
    since = clock.to_local(now - 2 * window).date()
    # Customers whose orders or interactions still fall in the windows the formula reads.
    active = Q(orders__ordered_on__gte=since) | Q(last_interaction_at__gte=now - 2 * window)
    ids = list(Customer.objects.filter(active).values_list("id", flat=True).distinct().order_by("id"))
    rules = [r for r in pack.tag_rules if r.subject == "customer"]
    tagged = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            inputs = _health_inputs(chunk, now=now)
            # Locked as `tag_set` locks the one it changes (a confirm in between must not be
            # overwritten); whole rows, because a tag change writes a history snapshot of them,
            # but for the search and duplicate keys and the factors, which the history does not
            # track and the pass does not read (it rewrites the factors).
            customers = list(
                Customer.objects.select_for_update(of=("self",))
                .filter(InArray(F("pk"), chunk))
                .defer("health_factors", "search_text", "initials", "initials_grams", "name_key")
            )
            for customer in customers:
                customer.health_factors = health_factors(inputs[customer.pk], pack.customer_health)
                customer.health_score = round(sum(f["points"] for f in customer.health_factors))
            # Writes the scores too, in the same UPDATE as the first tag change.
            tagged += _tags_apply(customers, _tag_matches(chunk, now=now), rules=rules, now=now)
    return {"customers": len(ids), "tagged": tagged}


# Rows per UPDATE of scores on SQLite: 4 parameters a row, under its limit of 999 per statement.
SCORES_BATCH = 200


def _scores_write(customers: list[Customer], *, tag: str | None = None) -> None:
    """Write the customers' health scores and factors, and with `tag` that tag field as it now
    stands on the instances: one UPDATE … FROM per batch (PostgreSQL) or per 200 rows (SQLite).

    Why not `bulk_update`: Django builds a CASE WHEN per row and field, and compiling those was
    two thirds of the pass in the profile after the tag writes went bulk (README, issue #15).
    PostgreSQL gets the rows as one JSON document (`jsonb_to_recordset`): with a VALUES list of
    thousands of placeholders, psycopg splitting the statement and quoting each value
    client-side cost more than the UPDATE itself. SQLite (≥ 3.33 has UPDATE … FROM) takes the
    VALUES form. No history rows, as with `bulk_update`: health is not tracked (the caller
    writes the history of a tag change).
    """
    table = connection.ops.quote_name(Customer._meta.db_table)
    sets = "health_score = v.score, health_factors = v.factors"
    if tag is not None:
        sets += f", {connection.ops.quote_name(tag)} = v.tag"  # a tag field is its own column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            rows = [
                {"id": c.pk, "score": c.health_score, "factors": c.health_factors}
                | ({"tag": getattr(c, tag)} if tag is not None else {})
                for c in customers
            ]
            columns = "id bigint, score integer, factors jsonb" + (", tag text" if tag is not None else "")
            # Only the table and column names are formatted in; the rows are one parameter.
            cursor.execute(
                f"UPDATE {table} SET {sets} "  # noqa: S608
                f"FROM jsonb_to_recordset(%s::jsonb) AS v({columns}) WHERE {table}.id = v.id",
                [json.dumps(rows)],
            )
            return
        factors = Customer._meta.get_field("health_factors")
        width = 3 if tag is None else 4
        row = "(" + ", ".join(["%s"] * width) + ")"
        for start in range(0, len(customers), SCORES_BATCH):
            batch = customers[start : start + SCORES_BATCH]
            params: list[Any] = []
            for c in batch:
                params += [c.pk, c.health_score, factors.get_db_prep_value(c.health_factors, connection)]
                if tag is not None:
                    params.append(getattr(c, tag))
            names = "id, score, factors" + (", tag" if tag is not None else "")
            # Only the table and column names and placeholders are formatted in; every value is a parameter.
            cursor.execute(
                f"WITH v({names}) AS (VALUES {', '.join([row] * len(batch))}) "  # noqa: S608
                f"UPDATE {table} SET {sets} FROM v WHERE {table}.id = v.id",
                params,
            )


def _tags_apply(
    customers: list[Customer], matches: dict[str, set[int]], *, rules: list[TagRule], now: datetime
) -> int:
    """What `tag_set` does for each matched customer of a batch, written in bulk rule by rule,
    and the batch's health scores (already on the instances).

    Per rule: one UPDATE of the changed tag with one history row per customer (as its
    `save` would write, actor None at `now`), one INSERT of the `customer.tag_set` /
    `customer.tag_proposed` events (listeners run), and the owners' notifications through
    `notify_many`. Rules apply in pack order to the customers as the earlier rules left them,
    as successive `tag_set` calls did; the count is of the customers each rule was applied to
    (their tags as read at the start of the batch lacked the rule's value), as before.

    The scores go in the first tag change's UPDATE (or alone if no tag changes), so a row
    whose tag changes is written once, not twice: each UPDATE of a customer row writes a new
    row version and an entry in every index of the table (ten on PostgreSQL, two of them
    trigram), most of the database's time in the pass (README, issue #15). Nothing reads the
    rows between the two writes this replaces, so what the listeners see is as before.
    """
    scores_written = False
    read = {c.pk: ({f: getattr(c, f) for f in TAG_FIELDS}, c.proposed_class) for c in customers}
    tagged = 0
    for rule in rules:
        matched = [c for c in customers if c.pk in matches.get(rule.code, set())]
        # The rule's value was missing when the batch was read: `tag_set` was called for these.
        called = [c for c in matched if rule.value not in (read[c.pk][0].get(rule.tag, ""), read[c.pk][1])]
        if not called:
            continue
        _check_tag(rule.tag, rule.value)
        tagged += len(called)
        propose = rule.mode == "propose"
        field = "proposed_class" if propose and rule.tag == "customer_class" else rule.tag
        changed = []
        for customer in called:
            if field == "proposed_class":
                if rule.value in (customer.customer_class, customer.proposed_class):
                    continue
            elif getattr(customer, field) == rule.value:
                continue
            setattr(customer, field, rule.value)
            attach_actor(customer, None, now)
            changed.append(customer)
        if not changed:
            continue
        if not scores_written:
            # The locked rows' tag as read, or this rule's value for the changed ones.
            _scores_write(customers, tag=field)
            scores_written = True
        else:
            # One value for all of them: a plain UPDATE (bulk_update's CASE WHEN per row cost
            # more than the write in the profile).
            Customer.objects.filter(pk__in=[c.pk for c in changed]).update(**{field: rule.value})
        # Their history rows as `save` writes them.
        Customer.history.bulk_history_create(
            changed, batch_size=500, update=True, default_change_reason=None, default_date=now
        )
        payload = {"dictionary": rule.tag, "value": rule.value}
        name = "customer.tag_proposed" if propose else "customer.tag_set"
        prepared = [
            events.prepare(name=name, subject=c, actor=None, occurred_at=now, payload=payload)
            for c in changed
        ]
        events.record_prepared(prepared)
        if propose:
            owned = [c for c in changed if c.owner_id]
            owners = User.objects.in_bulk({c.owner_id for c in owned})
            notify.notify_many(
                messages=[
                    notify.Message(
                        recipients=(owners.get(c.owner_id),),
                        title=PROPOSAL_TITLE.format(name=c.name),
                        body=PROPOSAL_BODY,
                        subject=c,
                    )
                    for c in owned
                ],
                kind="customer.tag_proposed",
                actor=None,
                now=now,
            )
    if not scores_written:
        _scores_write(customers)
    return tagged


def customers_hand_over(*, user: User, to: User | None, actor: User, now: datetime) -> int:
    """Move `user`'s customers to `to` (None: the pool), events on each; the count."""
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
        _end_grants([c.pk for c in customers], actor=actor, now=now, why="客户已移交给其他同事。")
    return len(customers)


# ---------------------------------------------------------------------------------------------
# Bulk paths for imports (imports/services.py runs a validated workbook through these).

# Rows per INSERT, and keys per IN (...) lookup.
BULK_BATCH = 1000
BULK_CHUNK = 5000


def _pack_reacts(subject: str, name: str) -> bool:
    """Whether the active pack has a rule or SLA timer on event `name` of `subject` records."""
    _number, pack = active_pack()
    return any(r.enabled and r.trigger == name and r.subject == subject for r in pack.rules) or any(
        p.enabled and p.subject == subject and (name in p.start_events or name in p.stop_events)
        for p in pack.sla_policies
    )


def _record_many(subject: str, prepared: list[Event], actor: User | None) -> None:
    """Append prepared events: in bulk when no rule listens, one by one (rules run) when one does."""
    by_name: dict[str, list[Event]] = {}
    for event in prepared:
        by_name.setdefault(event.name, []).append(event)
    for name, batch in by_name.items():
        if _pack_reacts(subject, name):
            for event in batch:
                events.record(
                    name=event.name,
                    subject=event.subject_model,  # type: ignore[attr-defined]
                    actor=actor,
                    payload=event.payload,
                    occurred_at=event.occurred_at,
                )
        else:
            events.bulk_record(batch)


def _event(name: str, subject: Any, actor: User | None, now: datetime, payload: dict[str, Any]) -> Event:
    event = Event(
        name=name,
        subject_type=events.subject_type_of(subject),
        subject_id=subject.pk,
        actor_id=getattr(actor, "pk", None),
        payload=payload,
        occurred_at=now,
    )
    event.subject_model = subject  # type: ignore[attr-defined]
    return event


def customers_bulk_create(
    *,
    rows: list[dict[str, Any]],
    actor: User | None,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> list[Customer]:
    """Create many validated customers at once: rows with search keys, history rows and events.

    Why not `customer_create` per row: it costs ~6 queries a customer (dedupe, insert, history,
    events), about 150 rows/s; 100,000 customers would take over ten minutes. Here each batch
    of 1,000 is one INSERT of customers, one of history and one of events, with exactly what
    `customer_create` writes (name_key, search keys, claimed_at, `customer.created` and
    `customer.claimed`). Events some pack rule or timer listens to (the 7-day commitment clock
    on `customer.claimed`) are recorded one by one so the rules engine sees them.
    The caller validated the rows (validation.py); duplicates are checked again here, inside
    the transaction, in case someone created one since.
    """
    with transaction.atomic():
        keys = [r["name_key"] for r in rows]
        for start in range(0, len(keys), BULK_CHUNK):
            clash = Customer.objects.filter(name_key__in=keys[start : start + BULK_CHUNK]).first()
            if clash is not None:
                raise Conflict(f"客户已存在：{clash.name} / This customer exists already.")
        created: list[Customer] = []
        for start in range(0, len(rows), BULK_BATCH):
            batch = []
            for values in rows[start : start + BULK_BATCH]:
                owner = values.get("owner") or None
                customer = Customer(
                    name=values["name"],
                    name_key=values["name_key"],
                    region=values.get("region") or None,
                    industry_segment=values.get("industry_segment") or "",
                    customer_tier=values.get("customer_tier") or "",
                    customer_class=values.get("customer_class") or "",
                    address=values.get("address") or "",
                    payment_term=values.get("payment_term") or "",
                    owner=owner,
                    claimed_at=now if owner else None,
                    created_at=now,
                )
                found_by = search_keys(values["name"], [])
                customer.search_text, customer.initials, customer.initials_grams = found_by
                batch.append(customer)
            saved = bulk_create_with_history(
                batch, Customer, batch_size=BULK_BATCH, default_user=actor, default_date=now
            )
            prepared = []
            for customer in saved:
                prepared.append(
                    _event("customer.created", customer, actor, now, {"name": customer.name, "via": "import"})
                )
                if customer.owner_id is not None:
                    payload = {"owner": customer.owner_id, "via": "import"}
                    prepared.append(_event("customer.claimed", customer, actor, now, payload))
            _record_many("customer", prepared, actor)
            created += saved
            if progress:
                progress(len(created), len(rows))
    return created


def contacts_bulk_add(
    *,
    rows: list[dict[str, Any]],
    actor: User | None,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> list[Contact]:
    """Add many validated contacts at once, with history and events; customers' search keys relearn."""
    with transaction.atomic():
        created: list[Contact] = []
        for start in range(0, len(rows), BULK_BATCH):
            batch = [
                Contact(
                    customer_id=values["customer_id"],
                    name=values["name"],
                    title=values.get("title") or "",
                    phone=values.get("phone") or "",
                    email=values.get("email") or "",
                    phone_key=values.get("phone_key") or "",
                    email_key=values.get("email_key") or "",
                    created_at=now,
                )
                for values in rows[start : start + BULK_BATCH]
            ]
            saved = bulk_create_with_history(
                batch, Contact, batch_size=BULK_BATCH, default_user=actor, default_date=now
            )
            prepared = [
                _event(
                    "customer.contact_added",
                    Customer(pk=c.customer_id),
                    actor,
                    now,
                    {"contact": c.pk, "name": c.name, "via": "import"},
                )
                for c in saved
            ]
            _record_many("customer", prepared, actor)
            created += saved
            if progress:
                progress(len(created), len(rows))
        _refresh_search_keys(sorted({c.customer_id for c in created}))
    return created


def _refresh_search_keys(customer_ids: list[int]) -> None:
    """Recompute customers' search keys from their names and all their contacts (set-based)."""
    for start in range(0, len(customer_ids), BULK_CHUNK):
        ids = customer_ids[start : start + BULK_CHUNK]
        people: dict[int, list[tuple[str, str]]] = {}
        for customer_id, name, phone in Contact.objects.filter(customer_id__in=ids).values_list(
            "customer_id", "name", "phone"
        ):
            people.setdefault(customer_id, []).append((name, phone))
        customers = list(Customer.objects.filter(pk__in=ids).only("id", "name"))
        for customer in customers:
            keys = search_keys(customer.name, people.get(customer.pk, []))
            customer.search_text, customer.initials, customer.initials_grams = keys
        Customer.objects.bulk_update(
            customers, ["search_text", "initials", "initials_grams"], batch_size=BULK_BATCH
        )


def orders_bulk_add(
    *,
    rows: list[dict[str, Any]],
    actor: User | None,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> list[Order]:
    """Add many validated orders, with history and events; tag rules and health run once per customer."""
    with transaction.atomic():
        created: list[Order] = []
        for start in range(0, len(rows), BULK_BATCH):
            batch = [
                Order(
                    customer_id=values["customer_id"],
                    ordered_on=values["ordered_on"],
                    amount=values["amount"],
                    product_lines=values.get("product_lines") or [],
                    models_bought=values.get("models_bought") or "",
                    payment_term=values.get("payment_term") or "",
                    reference=(values.get("reference") or "")[:60],
                    created_at=now,
                )
                for values in rows[start : start + BULK_BATCH]
            ]
            saved = bulk_create_with_history(
                batch, Order, batch_size=BULK_BATCH, default_user=actor, default_date=now
            )
            prepared = [
                _event(
                    "customer.order_added",
                    Customer(pk=o.customer_id),
                    actor,
                    now,
                    {
                        "order": o.pk,
                        "amount": str(o.amount),
                        "ordered_on": o.ordered_on.isoformat(),
                        "via": "import",
                    },
                )
                for o in saved
            ]
            _record_many("customer", prepared, actor)
            created += saved
            if progress:
                progress(len(created), len(rows))
        # What order_add does after each order, once per customer: the pack's tag rules, health.
        for customer in Customer.objects.select_for_update().filter(
            pk__in=sorted({o.customer_id for o in created})
        ):
            tags_evaluate(customer=customer, now=now)
            health_recompute(customer=customer, now=now)
    return created


# Who may lift a freeze by hand: the people who answer for the rule, over the records they see.
UNFREEZE_ROLES = MANAGING_ROLES


def may_unfreeze(actor: User, customer: Customer) -> bool:
    """A manager, director or GM whose scope holds the customer's owner (or the pool)."""
    if not (actor.is_superuser or actor.role in UNFREEZE_ROLES):
        return False
    return customer.owner_id is None or _may_manage(actor, customer.owner_id)


def customer_unfreeze(
    *, customer: Customer, reason: str, actor: User, scope: str = "quoting", now: datetime | None = None
) -> Customer:
    """Lift a freeze (e.g. 阶段熔断 on quoting) by hand, with a reason on the customer's timeline."""
    now = now or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors({"reason": ["请填写解除冻结的原因 / A reason is required."]})
    if len(reason) > 300:
        raise FieldErrors({"reason": ["原因最多 300 字 / At most 300 characters."]})
    if not may_unfreeze(actor, customer):
        raise PermissionDenied("只有主管、总监或总经理可以解除冻结 / Only managers, directors or the GM.")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if is_frozen(locked, scope) is None:
            raise Conflict("该客户没有被冻结 / The customer is not frozen.", scope=scope)
        rules_services.freeze_lift(record=locked, scope=scope, actor=actor, now=now, reason=reason)
    return locked


# ---------------------------------------------------------------------------------------------
# 临时授权 (temporary grants)

GRANT_REASON_MAX = 200


def _grant_days(days: Any) -> tuple[int | None, list[str]]:
    """The grant's length in days (the pack's default when empty), or the reason it is refused."""
    policy = active_pack()[1].grants
    if days is None or (isinstance(days, str) and not days.strip()):
        return policy.default_days, []
    if isinstance(days, bool):
        return None, [f"应为 1–{policy.max_days} 的整数天数 / Whole days from 1 to {policy.max_days}."]
    try:
        value = int(str(days).strip())
    except ValueError:
        return None, [f"应为 1–{policy.max_days} 的整数天数 / Whole days from 1 to {policy.max_days}."]
    if not 1 <= value <= policy.max_days:
        return None, [
            f"授权期限为 1–{policy.max_days} 天 / Between 1 and {policy.max_days} days (rule pack)."
        ]
    return value, []


def grant_create(
    *,
    customer: Customer,
    grantee: User | None,
    actor: User,
    reason: str,
    days: int | str | None = None,
    scope: str = GrantScope.QUOTES,
    now: datetime | None = None,
) -> CustomerGrant:
    """临时授权: let `grantee` read `customer`'s records of `scope` (its quote history) for `days`
    (the pack's `grants.default_days` when not given, at most `grants.max_days`). Only the
    customer's owner or a manager over them grants; the grantee is an active colleague who does
    not already read the customer. Starts the pack's expiry timer (`grant.created`), puts the
    grant on the customer's timeline and tells the grantee."""
    from datetime import timedelta

    from salesflow.customers.selectors import live_grants, may_grant

    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        errors["reason"] = ["请写明授权原因 / Say why the colleague needs access."]
    elif len(reason) > GRANT_REASON_MAX:
        errors["reason"] = [f"最多 {GRANT_REASON_MAX} 字 / At most {GRANT_REASON_MAX} characters."]
    length, day_errors = _grant_days(days)
    if day_errors:
        errors["days"] = day_errors
    if scope not in GrantScope.values:
        errors["scope"] = [f"未知授权范围“{scope}” / unknown scope (known: {', '.join(GrantScope.values)})"]
    with transaction.atomic():
        locked = Customer.objects.select_for_update(of=("self",)).select_related("owner").get(pk=customer.pk)
        if not may_grant(actor, locked):
            raise PermissionDenied(
                "只有客户负责人或其上级可以授权 / Only the customer's owner or their managers grant access."
            )
        if grantee is None or not grantee.is_active:
            errors["grantee"] = ["请选择一位在职同事 / Choose an active colleague."]
        elif grantee.pk == actor.pk:
            errors["grantee"] = ["不能授权给自己 / You cannot grant access to yourself."]
        else:
            owners = visible_owner_ids(grantee)
            if owners is None or locked.owner_id in owners:
                errors["grantee"] = [
                    f"{grantee} 已能查看该客户，无需授权 / {grantee.username} already reads this customer."
                ]
            elif live_grants(now).filter(customer=locked, grantee=grantee, scope=scope).exists():
                errors["grantee"] = [
                    f"{grantee} 已有有效授权，请先撤销 / {grantee.username} already holds a live grant."
                ]
        if errors:
            raise FieldErrors(errors)
        assert grantee is not None and length is not None
        grant = CustomerGrant(
            customer=locked,
            grantee=grantee,
            granted_by=actor,
            scope=scope,
            reason=reason,
            starts_at=now,
            expires_at=now + timedelta(days=length),
        )
        attach_actor(grant, actor, now)
        grant.save()
        payload = {
            "grantee": str(grantee),
            "scope": str(GrantScope(scope).label),
            "expires_on": clock.to_local(grant.expires_at).strftime("%Y-%m-%d %H:%M"),
            "reason": reason,
        }
        # On the grant (its expiry timer starts) and on the customer's timeline.
        events.record(name="grant.created", subject=grant, actor=actor, occurred_at=now, payload=payload)
        events.record(
            name="customer.access_granted", subject=locked, actor=actor, occurred_at=now, payload=payload
        )
        notify.notify(
            recipients=[grantee],
            kind="customer.access_granted",
            title=f"{actor} 授权你查看客户报价：{locked.name}",
            body=f"有效期至 {payload['expires_on']}（北京时间），可在“报价”列表中查看。原因：{reason}",
            subject=grant,
            actor=actor,
            now=now,
        )
    return grant


def grant_revoke(*, grant: CustomerGrant, actor: User, now: datetime | None = None) -> CustomerGrant:
    """撤销 a live grant at once: the customer's owner, a manager over them, or who granted it.
    Stops the expiry timer, notes it on the customer's timeline and tells the grantee."""
    from salesflow.customers.selectors import may_grant

    now = now or clock.now()
    with transaction.atomic():
        locked = (
            CustomerGrant.objects.select_for_update(of=("self",))
            .select_related("customer", "grantee")
            .get(pk=grant.pk)
        )
        if not (may_grant(actor, locked.customer) or (locked.granted_by_id == actor.pk and actor.is_active)):
            raise PermissionDenied(
                "只有客户负责人、其上级或授权人可以撤销 / Only the owner, managers or granter revoke."
            )
        if not locked.is_live(now):
            raise Conflict("该授权已结束 / This grant has already ended.", grant=locked.pk)
        _close_grant(locked, actor=actor, now=now, body=f"{actor} 撤销了你的查看授权。")
    return locked


def _close_grant(grant: CustomerGrant, *, actor: User | None, now: datetime, body: str) -> None:
    """Revoke a live grant (inside the caller's transaction): the timer stops on `grant.revoked`,
    the customer's timeline says so, and the grantee is told why."""
    grant.revoked_at, grant.revoked_by = now, actor
    attach_actor(grant, actor, now)
    grant.save(update_fields=["revoked_at", "revoked_by"])
    payload = {"grantee": str(grant.grantee)}
    events.record(name="grant.revoked", subject=grant, actor=actor, occurred_at=now, payload=payload)
    events.record(
        name="customer.access_revoked", subject=grant.customer, actor=actor, occurred_at=now, payload=payload
    )
    notify.notify(
        recipients=[grant.grantee],
        kind="customer.access_revoked",
        title=f"客户报价的临时授权已撤销：{grant.customer.name}",
        body=body,
        subject=grant,
        actor=actor,
        now=now,
    )


def _end_grants(customer_ids: list[int], *, actor: User | None, now: datetime, why: str) -> None:
    """End the live grants of customers that leave their owner (released to the pool or handed
    over): a grant is the former owner's to give, so it does not outlive their ownership."""
    live = (
        CustomerGrant.objects.select_for_update(of=("self",))
        .select_related("customer", "grantee")
        .filter(
            customer_id__in=customer_ids, revoked_at__isnull=True, expired_at__isnull=True, expires_at__gt=now
        )
    )
    for grant in live:
        _close_grant(grant, actor=actor, now=now, body=why)


def grant_expire(*, grant: CustomerGrant, now: datetime | None = None) -> bool:
    """End a grant whose period is over (the pack's `customer_grant_expiry` timer calls this):
    marks it expired, notes it on the customer's timeline and tells the grantee and the granter.
    False (nothing written) when it already ended or is not yet due."""
    now = now or clock.now()
    with transaction.atomic():
        locked = (
            CustomerGrant.objects.select_for_update(of=("self",))
            .select_related("customer", "grantee", "granted_by")
            .get(pk=grant.pk)
        )
        if locked.revoked_at is not None or locked.expired_at is not None or locked.expires_at > now:
            return False
        locked.expired_at = now
        attach_actor(locked, None, now)
        locked.save(update_fields=["expired_at"])
        payload = {"grantee": str(locked.grantee)}
        events.record(name="grant.expired", subject=locked, actor=None, occurred_at=now, payload=payload)
        events.record(
            name="customer.access_expired",
            subject=locked.customer,
            actor=None,
            occurred_at=now,
            payload=payload,
        )
        notify.notify(
            recipients=[locked.grantee, locked.granted_by],
            kind="customer.access_expired",
            title=f"客户报价的临时授权已到期：{locked.customer.name}",
            body=f"{locked.grantee} 查看该客户报价的授权已到期收回。",
            subject=locked,
            actor=None,
            now=now,
        )
    return True


def grant_reads_log(
    *,
    reader: User,
    customer_ids: list[int],
    kind: str,
    object_id: int | None = None,
    object_label: str = "",
    scope: str = GrantScope.QUOTES,
    now: datetime | None = None,
) -> list[GrantRead]:
    """Log that `reader` read records of `scope` of these customers through their live grants
    (one row per grant; none when no grant let them in, e.g. the owner reading their own)."""
    from salesflow.customers.selectors import live_grants

    if not customer_ids or not getattr(reader, "is_authenticated", False):
        return []
    now = now or clock.now()
    grant_ids = list(
        live_grants(now)
        .filter(grantee=reader, scope=scope, customer_id__in=set(customer_ids))
        .values_list("pk", flat=True)
    )
    if not grant_ids:
        return []
    with transaction.atomic():
        return GrantRead.objects.bulk_create(
            [
                GrantRead(
                    grant_id=grant_id,
                    reader=reader,
                    kind=kind,
                    object_id=object_id,
                    object_label=object_label[:100],
                    read_at=now,
                )
                for grant_id in grant_ids
            ]
        )
