"""Customers: the pool (claim, 409, automatic release after 7 days), private notes, handover, search."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connections

from salesflow.activities import services as activities
from salesflow.core import clock
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import selectors, services
from salesflow.customers.models import Customer
from salesflow.leads.models import Lead
from salesflow.notify.models import Notification
from salesflow.pipeline import services as pipeline
from salesflow.pipeline.models import Opportunity
from salesflow.timers import sweeper

pytestmark = pytest.mark.django_db


def _pool_customer(name: str = "杭州市第一医疗器械有限公司") -> Customer:
    return services.customer_create(name=name, actor=None, industry_segment="distributor")


def test_pool_lists_unowned_customers_and_a_claim_returns_the_new_owner(trio: Trio) -> None:
    customer = _pool_customer()
    api = api_client_for(trio.owner)
    pool = api.get("/api/v1/customers?pool=true").json()
    assert [c["id"] for c in pool["items"]] == [customer.pk]
    claimed = api.post(f"/api/v1/customers/{customer.pk}/claim")
    assert claimed.status_code == 200
    assert claimed.json()["owner"]["username"] == "owner"
    assert claimed.json()["release_due_at"] is not None
    assert api.get("/api/v1/customers?pool=true").json()["items"] == []


def test_claiming_an_owned_customer_is_a_conflict_naming_the_owner(trio: Trio) -> None:
    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    response = api_client_for(trio.teammate).post(f"/api/v1/customers/{customer.pk}/claim")
    assert response.status_code == 409  # taken from the pool first: the teammate hears by whom
    assert response.json()["owner"]["username"] == "owner"
    response = api_client_for(trio.manager).post(f"/api/v1/customers/{customer.pk}/claim")
    assert response.status_code == 403  # managers do not claim


def test_claim_conflict_names_the_owner(trio: Trio) -> None:
    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    from salesflow.core.errors import Conflict

    with pytest.raises(Conflict) as caught:
        services.customer_claim(customer=customer, actor=trio.teammate)
    assert caught.value.context["owner"]["username"] == "owner"


def test_claim_limit_comes_from_the_pack(trio: Trio) -> None:
    from salesflow.rules import services as rules
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    pack.settings.customer_claim_limit = 1
    rules.pack_version_create(pack=pack, actor=trio.admin, note="limit 1")
    first, second = _pool_customer("甲医院"), _pool_customer("乙医院")
    api = api_client_for(trio.owner)
    assert api.post(f"/api/v1/customers/{first.pk}/claim").status_code == 200
    refused = api.post(f"/api/v1/customers/{second.pk}/claim")
    assert refused.status_code == 409 and refused.json()["limit"] == 1


def test_no_interaction_for_7_days_warns_on_day_5_and_returns_the_customer_on_day_7(trio: Trio) -> None:
    customer = _pool_customer()
    start = clock.now()
    services.customer_claim(customer=customer, actor=trio.owner, now=start)
    sweeper.sweep(now=start + timedelta(days=4, hours=23))
    assert not Notification.objects.filter(kind="customer.release_warning").exists()
    sweeper.sweep(now=start + timedelta(days=5, minutes=1))
    assert Notification.objects.filter(kind="customer.release_warning", recipient=trio.owner).exists()
    sweeper.sweep(now=start + timedelta(days=7, minutes=1))
    customer.refresh_from_db()
    assert customer.owner is None
    released = Event.objects.get(name="customer.released", subject_id=customer.pk)
    assert released.payload["reason_code"] == "no_interaction" and released.payload["reason"]
    assert Notification.objects.filter(kind="customer.released", recipient=trio.manager).exists()


def test_an_effective_interaction_restarts_the_7_day_clock(trio: Trio) -> None:
    customer = _pool_customer()
    start = clock.now()
    services.customer_claim(customer=customer, actor=trio.owner, now=start)
    day4 = start + timedelta(days=4)
    activities.activity_log(customer=customer, kind="visit", occurred_at=day4, actor=trio.owner, now=day4)
    sweeper.sweep(now=start + timedelta(days=7, minutes=1))
    customer.refresh_from_db()
    assert customer.owner == trio.owner  # 3 days since the visit
    sweeper.sweep(now=day4 + timedelta(days=7, minutes=1))
    customer.refresh_from_db()
    assert customer.owner is None


def test_a_short_call_is_not_an_effective_interaction(trio: Trio) -> None:
    customer = _pool_customer()
    start = clock.now()
    services.customer_claim(customer=customer, actor=trio.owner, now=start)
    day2 = start + timedelta(days=2)
    activities.activity_log(
        customer=customer, kind="call", duration_seconds=20, occurred_at=day2, actor=trio.owner, now=day2
    )
    sweeper.sweep(now=start + timedelta(days=7, minutes=1))
    customer.refresh_from_db()
    assert customer.owner is None


def test_manual_release_needs_a_reason_and_tells_the_manager(trio: Trio) -> None:
    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    api = api_client_for(trio.owner)
    missing = api.post(
        f"/api/v1/customers/{customer.pk}/release", {"reason": " "}, content_type="application/json"
    )
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "reason"
    done = api.post(
        f"/api/v1/customers/{customer.pk}/release",
        {"reason": "客户已转向竞品"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["owner"] is None
    assert Notification.objects.filter(kind="customer.released", recipient=trio.manager).exists()


def test_release_permissions_owner_teammate_outsider(trio: Trio) -> None:
    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    body = {"reason": "不再跟进"}
    for user in (trio.teammate, trio.outsider):
        response = api_client_for(user).post(
            f"/api/v1/customers/{customer.pk}/release", body, content_type="application/json"
        )
        assert response.status_code == 404
    assert (
        api_client_for(trio.manager)
        .post(f"/api/v1/customers/{customer.pk}/release", body, content_type="application/json")
        .status_code
        == 200
    )


# Private notes ------------------------------------------------------------------------------


def _customer_with_notes(trio: Trio) -> Customer:
    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    services.note_add(customer=customer, author=trio.owner, text="院长喜欢喝普洱 SECRET-NOTE", private=True)
    services.note_add(customer=customer, author=trio.owner, text="采购流程：先过设备科", private=False)
    return customer


def test_a_private_note_is_visible_to_its_author_only(trio: Trio) -> None:
    customer = _customer_with_notes(trio)
    own = api_client_for(trio.owner).get(f"/api/v1/customers/{customer.pk}/notes").json()
    assert {n["text"] for n in own} == {"院长喜欢喝普洱 SECRET-NOTE", "采购流程：先过设备科"}
    for viewer in (trio.manager, trio.director, trio.admin):
        notes = api_client_for(viewer).get(f"/api/v1/customers/{customer.pk}/notes").json()
        assert [n["text"] for n in notes] == ["采购流程：先过设备科"], viewer.username


def test_a_private_note_is_not_on_anyone_elses_timeline_history_or_search(trio: Trio) -> None:
    customer = _customer_with_notes(trio)
    for viewer in (trio.manager, trio.director, trio.admin):
        api = api_client_for(viewer)
        timeline = api.get(f"/api/v1/timeline/customer/{customer.pk}").content.decode()
        history = api.get(f"/api/v1/history/customer/{customer.pk}").content.decode()
        found = api.get("/api/v1/customers?q=SECRET").json()["items"]
        assert "SECRET" not in timeline and "普洱" not in timeline
        assert "SECRET" not in history
        assert found == []
        page = api_client_for(viewer)
        page.force_login(viewer)
        html = page.get(f"/customers/{customer.pk}/").content.decode()
        assert "SECRET" not in html and "普洱" not in html
    # The private note's event hangs on the note, not on the customer.
    assert not Event.objects.filter(subject_type="customers.customer", payload__private=True).exists()


def test_note_validation_names_the_field(trio: Trio) -> None:
    customer = _pool_customer()
    response = api_client_for(trio.owner).post(
        f"/api/v1/customers/{customer.pk}/notes", {"text": ""}, content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "text"


# Handover -----------------------------------------------------------------------------------


def test_handover_moves_every_customer_lead_and_opportunity_and_loses_nothing(trio: Trio) -> None:
    customers = [_pool_customer(f"客户{i}医院") for i in range(5)]
    for customer in customers:
        services.customer_claim(customer=customer, actor=trio.owner)
        services.note_add(customer=customer, author=trio.owner, text="交接前的备注", private=False)
    for i in range(3):
        pipeline.opportunity_create(
            customer=customers[i], title=f"商机{i}", owner=trio.owner, actor=trio.owner, amount="1000"
        )
    lead = Lead.objects.create(name="张三", owner=trio.owner, status="assigned", created_at=clock.now())
    from salesflow.leads import services as lead_services

    lead_services.workload_move(from_id=None, to_id=trio.owner.pk)
    events_before = Event.objects.count()
    counts_before = (Customer.objects.count(), Opportunity.objects.count(), Lead.objects.count())
    response = api_client_for(trio.manager).post(
        f"/api/v1/users/{trio.owner.pk}/handover", {"to": trio.teammate.pk}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"customers": 5, "leads": 1, "opportunities": 3, "contracts": 0}
    assert (Customer.objects.count(), Opportunity.objects.count(), Lead.objects.count()) == counts_before
    assert Customer.objects.filter(owner=trio.teammate).count() == 5
    assert Opportunity.objects.filter(owner=trio.teammate).count() == 3
    assert Lead.objects.get(pk=lead.pk).owner == trio.teammate
    assert Event.objects.count() > events_before  # one handed_over event per moved record, nothing removed
    # Every earlier event is still there and still on the same records.
    assert Event.objects.filter(name="customer.note_added", subject_type="customers.customer").count() == 5
    notes = api_client_for(trio.teammate).get(f"/api/v1/customers/{customers[0].pk}/notes").json()
    assert [n["text"] for n in notes] == ["交接前的备注"]


def test_handover_to_the_pool(trio: Trio) -> None:
    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    response = api_client_for(trio.admin).post(
        f"/api/v1/users/{trio.owner.pk}/handover", {"to": "pool"}, content_type="application/json"
    )
    assert response.json()["customers"] == 1
    customer.refresh_from_db()
    assert customer.owner is None


def test_handover_permissions_and_bad_target(trio: Trio) -> None:
    for user in (trio.owner, trio.teammate, trio.outsider):
        response = api_client_for(user).post(
            f"/api/v1/users/{trio.owner.pk}/handover", {"to": "pool"}, content_type="application/json"
        )
        assert response.status_code == 403, user.username
    bad = api_client_for(trio.manager).post(
        f"/api/v1/users/{trio.owner.pk}/handover", {"to": "nobody"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "to"


# Search, tags, health, smart fill --------------------------------------------------------------


def test_search_by_chinese_name_pinyin_initials_phone_and_contact(trio: Trio) -> None:
    target = _pool_customer("杭州滨江医疗器械有限公司")
    other = _pool_customer("上海骨科医院")
    services.contact_add(customer=other, name="李明", phone="+86 139-1234-5678", actor=None)
    visible = selectors.customers_visible_to(trio.owner)

    def found(text: str) -> list[int]:
        return list(selectors.search(visible, text).values_list("id", flat=True))

    assert found("滨江") == [target.pk]
    assert found("hangzhou") == [target.pk]
    assert found("hzyl") == [target.pk]  # 杭州…医疗…
    assert found("shgk") == [other.pk]
    assert found("13912345678") == [other.pk]
    assert found("李明") == [other.pk]
    assert found("liming") == [other.pk]


def test_a_class_tag_is_proposed_after_two_orders_with_one_over_50000(trio: Trio) -> None:
    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    today = clock.to_local(clock.now()).date()
    services.order_add(customer=customer, ordered_on=today - timedelta(days=40), amount="12000", actor=None)
    customer.refresh_from_db()
    assert customer.proposed_class == ""
    services.order_add(customer=customer, ordered_on=today, amount="50000.00", actor=None)
    customer.refresh_from_db()
    assert customer.proposed_class == "a" and customer.customer_class == ""
    assert Notification.objects.filter(kind="customer.tag_proposed", recipient=trio.owner).exists()
    confirmed = api_client_for(trio.owner).post(
        f"/api/v1/customers/{customer.pk}/tags/confirm", {"accept": True}, content_type="application/json"
    )
    assert confirmed.json()["customer_class"] == "a" and confirmed.json()["proposed_class"] == ""


def test_health_score_comes_with_its_factors(trio: Trio) -> None:
    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    today = clock.to_local(clock.now()).date()
    for days in (10, 30, 60):
        services.order_add(
            customer=customer, ordered_on=today - timedelta(days=days), amount="20000", actor=None
        )
    detail = api_client_for(trio.owner).get(f"/api/v1/customers/{customer.pk}").json()
    factors = {f["factor"]: f["points"] for f in detail["health_factors"]}
    assert set(factors) == {"purchase_frequency", "amount_trend", "service_requests", "interaction_density"}
    assert factors["purchase_frequency"] == 35.0  # 3 orders in 90 days = full marks × weight 0.35
    assert detail["health_score"] == round(sum(factors.values()))


def test_smart_fill_uses_the_last_order(trio: Trio) -> None:
    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    services.order_add(
        customer=customer,
        ordered_on=date(2026, 1, 5),
        amount="30000",
        product_lines=["joint"],
        models_bought="TKA-3 膝关节假体",
        payment_term="月结 60 天",
        actor=None,
    )
    detail = api_client_for(trio.owner).get(f"/api/v1/customers/{customer.pk}").json()
    assert detail["smart_fill"] == {
        "models": "TKA-3 膝关节假体",
        "product_lines": ["joint"],
        "payment_term": "月结 60 天",
    }


def test_create_customer_validates_fields_and_refuses_duplicates(trio: Trio) -> None:
    api = api_client_for(trio.owner)
    bad = api.post(
        "/api/v1/customers", {"name": "", "customer_tier": "gold"}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert {e["loc"][-1] for e in bad.json()["detail"]} == {"name", "customer_tier"}
    assert not Customer.objects.exists()
    first = api.post("/api/v1/customers", {"name": "宁波华美医院有限公司"}, content_type="application/json")
    assert first.status_code == 201 and first.json()["owner"]["username"] == "owner"
    again = api.post("/api/v1/customers", {"name": "宁波华美医院"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["customer"]["id"] == first.json()["id"]


def test_order_validation_names_each_field(trio: Trio) -> None:
    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    response = api_client_for(trio.owner).post(
        f"/api/v1/customers/{customer.pk}/orders",
        {"ordered_on": "2099-01-01", "amount": "-5", "product_lines": ["toys"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert {e["loc"][-1] for e in response.json()["detail"]} == {"ordered_on", "amount", "product_lines"}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_reps_claiming_at_once_exactly_one_wins(trio: Trio) -> None:
    from salesflow.core.errors import Conflict

    customer = _pool_customer()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(user_id: int) -> None:
        from salesflow.org.models import User

        try:
            user = User.objects.get(pk=user_id)
            barrier.wait()
            services.customer_claim(customer=Customer.objects.get(pk=customer.pk), actor=user)
            outcomes.append("won")
        except Conflict as exc:
            outcomes.append(f"conflict:{exc.context['owner']['username']}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(u.pk,)) for u in (trio.owner, trio.teammate)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    customer.refresh_from_db()
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "won"]
    loser = next(o for o in outcomes if o.startswith("conflict"))
    assert customer.owner is not None and loser == f"conflict:{customer.owner.username}"


def test_nightly_pass_runs_once_a_day_after_the_packs_hour(trio: Trio) -> None:
    from datetime import datetime

    from salesflow.core.models import DailyRun
    from salesflow.customers.apps import nightly_tick

    customer = _pool_customer()
    services.customer_claim(customer=customer, actor=trio.owner)
    services.order_add(customer=customer, ordered_on=date(2026, 11, 1), amount="60000", actor=None)
    services.order_add(customer=customer, ordered_on=date(2026, 11, 2), amount="1000", actor=None)
    Customer.objects.filter(pk=customer.pk).update(health_score=0, proposed_class="")
    shanghai = clock.to_local(clock.now()).tzinfo
    before = datetime(2026, 11, 20, 1, 30, tzinfo=shanghai)
    after = datetime(2026, 11, 20, 2, 5, tzinfo=shanghai)
    assert nightly_tick(before) is False
    assert nightly_tick(after) is True
    assert nightly_tick(after + timedelta(hours=3)) is False  # once a day
    customer.refresh_from_db()
    assert customer.health_score > 0 and customer.proposed_class == "a"
    assert DailyRun.objects.get(name="customers.nightly").result["customers"] == 1
    assert nightly_tick(after + timedelta(days=1)) is True
