"""The nightly customer pass, set-based: it writes what `tag_set` writes, in a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from salesflow.core import clock
from salesflow.core.models import Event
from salesflow.core.testing import Trio
from salesflow.customers import services
from salesflow.customers.models import Customer, Order
from salesflow.notify.models import Channel, Delivery, Notification
from salesflow.org.models import User

pytestmark = pytest.mark.django_db


def _customers(n: int, *, owner: User | None, big: bool = True, prefix: str = "客户") -> list[Customer]:
    """`n` customers with two orders in the last 90 days (one ≥ ¥50,000 when `big`), written directly:
    `order_add` would already propose the tag, and the nightly pass is what is tested here."""
    now = clock.now()
    today = clock.to_local(now).date()
    made = Customer.objects.bulk_create(
        [
            Customer(name=f"{prefix}{i}", name_key=f"{prefix}{i}", owner=owner, created_at=now)
            for i in range(n)
        ]
    )
    amounts = (Decimal("60000.00") if big else Decimal("1000.00"), Decimal("1000.00"))
    Order.objects.bulk_create(
        [
            Order(customer=c, ordered_on=today - timedelta(days=d), amount=a, created_at=now)
            for c in made
            for d, a in zip((5, 40), amounts, strict=True)
        ]
    )
    return made


def _robot(user: User) -> Channel:
    # Written directly: the channel service checks the robot's address, which is not the point here.
    return Channel.objects.create(
        kind="wecom", name="我的群", target="https://robot.example.com/hook", user=user
    )


def _story(customer: Customer) -> list[tuple[str, Any, Any]]:
    rows = Event.objects.filter(subject_type="customers.customer", subject_id=customer.pk).order_by("id")
    return [(e.name, e.actor_id, e.payload) for e in rows]


def test_nightly_proposal_writes_what_tag_set_writes(trio: Trio) -> None:
    now = clock.now()
    [owned] = _customers(1, owner=trio.owner, prefix="甲")
    [pooled] = _customers(1, owner=None, prefix="乙")
    [small] = _customers(1, owner=trio.owner, big=False, prefix="丙")
    [already] = _customers(1, owner=trio.owner, prefix="丁")
    Customer.objects.filter(pk=already.pk).update(customer_class="a")
    [twin] = _customers(1, owner=trio.owner, prefix="戊")
    Order.objects.filter(customer=twin).delete()  # not swept: the reference `tag_set` runs on it
    services.tag_set(customer=twin, dictionary="customer_class", value="a", propose=True, actor=None, now=now)

    result = services.customers_nightly(now=now)

    assert result == {"customers": 4, "tagged": 2}
    assert {c.pk: c.proposed_class for c in Customer.objects.exclude(pk=twin.pk)} == {
        owned.pk: "a",
        pooled.pk: "",
        small.pk: "",
        already.pk: "",
    } | {pooled.pk: "a"}
    # The same events, inbox row and history row as `tag_set` (the twin), name for name.
    twin_story = _story(twin)
    assert [(n, a) for n, a, _p in twin_story] == [
        ("customer.tag_proposed", None),
        ("notification.sent", None),
    ]
    assert _story(owned) == [
        (name, actor, payload | {"title": f"请确认客户分级：{owned.name}"} if "title" in payload else payload)
        for name, actor, payload in twin_story
    ]
    assert _story(pooled) == [twin_story[0]]  # no owner: nobody to tell
    assert _story(small) == [] and _story(already) == []
    note = Notification.objects.get(subject_type="customers.customer", subject_id=owned.pk)
    reference = Notification.objects.get(subject_type="customers.customer", subject_id=twin.pk)
    assert (note.recipient_id, note.kind, note.body, note.created_at, note.task_id) == (
        reference.recipient_id,
        reference.kind,
        reference.body,
        reference.created_at,
        reference.task_id,
    )
    assert note.title == f"请确认客户分级：{owned.name}"
    last = owned.history.order_by("-history_id").first()
    expected = twin.history.order_by("-history_id").first()
    assert last is not None and expected is not None
    assert (
        last.history_type,
        last.history_user_id,
        last.history_date,
        last.history_change_reason,
        last.proposed_class,
    ) == (
        expected.history_type,
        expected.history_user_id,
        expected.history_date,
        expected.history_change_reason,
        expected.proposed_class,
    )
    stored = Customer.objects.get(pk=owned.pk)
    assert last.health_score == stored.health_score > 0
    assert stored.health_score == round(sum(f["points"] for f in stored.health_factors))
    assert [f["factor"] for f in stored.health_factors] == [
        "purchase_frequency",
        "amount_trend",
        "service_requests",
        "interaction_density",
    ]
    # A second night proposes nothing new.
    assert services.customers_nightly(now=now)["tagged"] == 0
    assert len(_story(owned)) == 2


def test_nightly_deliveries_are_one_task_per_batch_not_one_per_message(trio: Trio) -> None:
    _robot(trio.owner)
    _customers(3, owner=trio.owner)
    services.customers_nightly(now=clock.now())
    deliveries = list(Delivery.objects.order_by("id"))
    assert len(deliveries) == 3 and len({d.notification_id for d in deliveries}) == 3
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "salesflow.notify.tasks.deliver_many"
    assert queued.args_kwargs == {"args": [[d.pk for d in deliveries]], "kwargs": {}}


def test_record_prepared_feeds_the_listeners_like_record(trio: Trio) -> None:
    from django.db import transaction

    from salesflow.core import events

    seen: list[tuple[str, int]] = []

    def listener(event: Event) -> None:
        assert event.pk is not None  # saved before the listeners hear of it
        seen.append((event.name, event.subject_id))

    [a, b] = _customers(2, owner=None)
    events.subscribe(listener)
    try:
        with transaction.atomic():
            events.record_prepared(
                [
                    events.prepare(name="demo.ping", subject=c, actor=None, occurred_at=clock.now())
                    for c in (a, b)
                ]
            )
    finally:
        events._listeners.remove(listener)
    assert seen == [("demo.ping", a.pk), ("demo.ping", b.pk)]


# Every customer here is proposed A-class with a notification and a delivery: the worst night.
# PostgreSQL runs 19 queries for 50 and for 200 customers alike; SQLite 19 and 27, because
# Django splits a bulk INSERT there at 999 parameters (~50 history rows), not per customer.
NIGHTLY_QUERY_BOUND = 30


@pytest.mark.parametrize("n", [50, 200])
def test_nightly_queries_do_not_grow_with_the_customers(
    trio: Trio, n: int, django_assert_max_num_queries: Any
) -> None:
    _robot(trio.owner)
    _customers(n, owner=trio.owner)
    now = clock.now()
    with django_assert_max_num_queries(NIGHTLY_QUERY_BOUND):
        result = services.customers_nightly(now=now)
    assert result == {"customers": n, "tagged": n}
    assert Customer.objects.filter(proposed_class="a").count() == n
    assert Notification.objects.filter(kind="customer.tag_proposed").count() == n
    assert Delivery.objects.count() == n
