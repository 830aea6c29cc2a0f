"""Reads of customers, scoped to who is asking; private notes only ever reach their author."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max, Q, QuerySet

from salesflow.core import normalize
from salesflow.customers.models import Contact, Customer, CustomerNote, Order
from salesflow.notify.selectors import with_open_tasks
from salesflow.org.models import User
from salesflow.org.selectors import owner_scope_q
from salesflow.timers.models import Deadline


def customers_visible_to(user: User) -> QuerySet[Customer]:
    """Own customers, the pool, those one holds an open task about, and for managers their people's."""
    return Customer.objects.filter(with_open_tasks(user, owner_scope_q(user), Customer)).select_related(
        "owner", "region"
    )


def pool() -> QuerySet[Customer]:
    """Unowned customers (客户资源池)."""
    return Customer.objects.filter(owner__isnull=True)


def search(qs: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """Match Chinese name, full pinyin, pinyin initials (`hzyl` finds 杭州…医疗…), phone or contact.

    Initials match as a subsequence anchored at the first character, so the letters of the
    words one remembers are enough; every key lives in one indexed text column per customer.
    """
    text = text.strip().lower()
    if not text:
        return qs
    digits = normalize.phone(text)
    match = Q(search_text__contains=text.replace(" ", ""))
    if text.isascii() and text.isalpha():
        match |= Q(initials__startswith=text[0], initials__regex="^" + ".*".join(text))
    if len(digits) >= 4 and len(digits) >= len(text.replace(" ", "").replace("-", "")) - 3:
        match |= Q(search_text__contains=digits)
    return qs.filter(match)


def notes_visible_to(user: User, customer: Customer) -> QuerySet[CustomerNote]:
    """The customer's shared notes and the user's own private ones (never anyone else's)."""
    return (
        CustomerNote.objects.filter(customer=customer)
        .filter(Q(private=False) | Q(author=user))
        .select_related("author")
    )


def contacts_of(customer: Customer) -> QuerySet[Contact]:
    """The customer's contacts."""
    return Contact.objects.filter(customer=customer)


def orders_of(customer: Customer) -> QuerySet[Order]:
    """The customer's orders, newest first."""
    return Order.objects.filter(customer=customer)


def smart_fill(customer: Customer) -> dict[str, object]:
    """What a repeat customer's history pre-fills: models last bought, product lines, payment term."""
    last = Order.objects.filter(customer=customer).order_by("-ordered_on", "-id").first()
    if last is None:
        return {"models": "", "product_lines": [], "payment_term": customer.payment_term}
    return {
        "models": last.models_bought,
        "product_lines": list(last.product_lines),
        "payment_term": last.payment_term or customer.payment_term,
    }


# The pack's commitment ladder (claim → warning → release); its last pending step is the release.
COMMITMENT_POLICY = "customer_commitment"


def release_due(customer_ids: list[int]) -> dict[int, datetime]:
    """When each owned customer returns to the pool unless someone interacts (one grouped query)."""
    rows = (
        Deadline.objects.filter(
            subject_type=Customer._meta.label_lower,
            subject_id__in=customer_ids,
            policy=COMMITMENT_POLICY,
            status=Deadline.Status.PENDING,
        )
        .values("subject_id")
        .annotate(due=Max("due_at"))
    )
    return {r["subject_id"]: r["due"] for r in rows}


def release_due_of(customer: Customer) -> datetime | None:
    """When one customer returns to the pool, if its commitment ladder is running."""
    return release_due([customer.pk]).get(customer.pk) if customer.owner_id else None


def closest_to_release(user: User, *, limit: int = 5) -> list[tuple[Customer, datetime]]:
    """The user's customers that go back to the pool soonest (for 今日)."""
    owned = dict(Customer.objects.filter(owner=user).values_list("id", "name"))
    due = sorted(release_due(list(owned)).items(), key=lambda item: item[1])[:limit]
    customers = Customer.objects.in_bulk([cid for cid, _when in due])
    return [(customers[cid], when) for cid, when in due if cid in customers]
