"""临时授权 (temporary grants): who may grant and revoke, bad input named by field, the pack's
period and limit, expiry through the timers engine, the customer page card and the API."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from salesflow.catalog.tests.helpers import edit_pack
from salesflow.core import clock
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for, make_user
from salesflow.customers import services
from salesflow.customers.models import Customer, CustomerGrant, GrantRead
from salesflow.notify.models import Notification
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.rules import packs
from salesflow.rules.models import RulePackVersion
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline

pytestmark = pytest.mark.django_db


def _presales(trio: Trio) -> User:
    return make_user("presales", Role.PRESALES, trio.admin.team, None, display_name="售前小李")


def _customer(trio: Trio, name: str = "仁和医院") -> Customer:
    return services.customer_create(name=name, actor=None, owner=trio.owner)


def _grant(trio: Trio, customer: Customer, grantee: User, **kwargs: Any) -> CustomerGrant:
    return services.grant_create(
        customer=customer,
        grantee=grantee,
        actor=kwargs.pop("actor", trio.owner),
        reason="协助技术方案",
        **kwargs,
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_owner_grants_a_colleague_for_the_packs_default_period_and_the_timer_runs(trio: Trio) -> None:
    customer, presales = _customer(trio), _presales(trio)
    now = clock.now()
    grant = _grant(trio, customer, presales, now=now)
    assert grant.expires_at == now + timedelta(days=7) and grant.is_live(now)
    deadline = Deadline.objects.get(subject_type="customers.customergrant", subject_id=grant.pk)
    assert deadline.policy == "customer_grant_expiry" and deadline.due_at == grant.expires_at
    granted = Event.objects.get(name="customer.access_granted", subject_id=customer.pk)
    assert granted.payload["grantee"] == "售前小李" and granted.payload["reason"] == "协助技术方案"
    told = Notification.objects.get(recipient=presales, kind="customer.access_granted")
    assert customer.name in told.title and "报价" in told.body
    # The owner's manager may grant too, for a chosen number of days.
    other = make_user("presales2", Role.PRESALES, trio.admin.team, None)
    by_manager = _grant(trio, customer, other, actor=trio.manager, days=3, now=now)
    assert by_manager.expires_at == now + timedelta(days=3) and by_manager.granted_by == trio.manager


def test_only_the_owner_and_their_managers_grant(trio: Trio) -> None:
    customer, presales = _customer(trio), _presales(trio)
    for actor in (trio.teammate, trio.outsider, trio.other_manager, trio.admin, presales):
        with pytest.raises(PermissionDenied):
            _grant(trio, customer, make_user(f"x_{actor.username}", Role.PRESALES, None, None), actor=actor)
    pooled = services.customer_create(name="公海医院", actor=None, owner=None)
    with pytest.raises(PermissionDenied):
        _grant(trio, pooled, presales)
    assert not CustomerGrant.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 31}, "days"),
        ({"days": "三天"}, "days"),
        ({"reason": "  "}, "reason"),
        ({"reason": "长" * 201}, "reason"),
        ({"grantee": None}, "grantee"),
        ({"grantee": "self"}, "grantee"),
        ({"grantee": "inactive"}, "grantee"),
        ({"grantee": "manager"}, "grantee"),
        ({"scope": "contacts"}, "scope"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(trio: Trio, change: dict[str, Any], field: str) -> None:
    customer, presales = _customer(trio), _presales(trio)
    grantee: Any = change.pop("grantee", presales)
    if grantee == "self":
        grantee = trio.owner
    elif grantee == "inactive":
        presales.is_active = False
        presales.save()
        grantee = presales
    elif grantee == "manager":  # already reads the customer in their own right
        grantee = trio.manager
    arguments: dict[str, Any] = {"reason": "协助技术方案", **change}
    with pytest.raises(FieldErrors) as refused:
        services.grant_create(customer=customer, grantee=grantee, actor=trio.owner, **arguments)
    assert field in refused.value.errors
    assert not CustomerGrant.objects.exists() and not Deadline.objects.filter(policy="customer_grant_expiry")


def test_a_second_live_grant_to_the_same_colleague_is_refused_until_the_first_ends(trio: Trio) -> None:
    customer, presales = _customer(trio), _presales(trio)
    first = _grant(trio, customer, presales)
    with pytest.raises(FieldErrors) as refused:
        _grant(trio, customer, presales)
    assert "grantee" in refused.value.errors
    services.grant_revoke(grant=first, actor=trio.owner)
    assert _grant(trio, customer, presales).is_live(clock.now())


def test_the_period_and_its_limit_come_from_the_rule_pack(trio: Trio) -> None:
    def shorter(document: dict[str, Any]) -> None:
        document["grants"] = {"default_days": 2, "max_days": 5}

    edit_pack(shorter)
    customer, presales = _customer(trio), _presales(trio)
    with pytest.raises(FieldErrors) as refused:
        _grant(trio, customer, presales, days=6)
    assert "5" in refused.value.errors["days"][0]
    now = clock.now()
    assert _grant(trio, customer, presales, now=now).expires_at == now + timedelta(days=2)


def test_a_default_longer_than_the_limit_is_an_invalid_pack() -> None:
    document = packs.to_document(packs.load_default())
    document["grants"] = {"default_days": 40, "max_days": 30}
    with pytest.raises(Exception, match="default_days"):
        packs.validate(document)


def test_revoking_ends_the_grant_at_once_stops_its_timer_and_tells_the_grantee(trio: Trio) -> None:
    customer, presales = _customer(trio), _presales(trio)
    grant = _grant(trio, customer, presales)
    with pytest.raises(PermissionDenied):
        services.grant_revoke(grant=grant, actor=trio.teammate)
    with pytest.raises(PermissionDenied):  # the grantee cannot extend or end it themself
        services.grant_revoke(grant=grant, actor=presales)
    revoked = services.grant_revoke(grant=grant, actor=trio.manager)
    assert revoked.revoked_by == trio.manager and not revoked.is_live(clock.now())
    assert Deadline.objects.get(subject_id=grant.pk, policy="customer_grant_expiry").status == "cancelled"
    assert Event.objects.filter(name="customer.access_revoked", subject_id=customer.pk).exists()
    assert Notification.objects.filter(recipient=presales, kind="customer.access_revoked").exists()
    with pytest.raises(Conflict):
        services.grant_revoke(grant=grant, actor=trio.owner)


def test_a_grant_ends_when_its_customer_goes_to_the_pool_or_is_handed_over(trio: Trio) -> None:
    presales = _presales(trio)
    released, handed, kept = _customer(trio), _customer(trio, "康宁医院"), _customer(trio, "华山医院")
    grants = {c.pk: _grant(trio, c, presales) for c in (released, handed)}
    services.customer_release(customer=released, reason="客户暂停采购", actor=trio.owner)
    grant = CustomerGrant.objects.get(pk=grants[released.pk].pk)
    assert not grant.is_live(clock.now()) and grant.revoked_by == trio.owner
    assert Deadline.objects.get(subject_id=grant.pk, policy="customer_grant_expiry").status == "cancelled"
    told = Notification.objects.filter(recipient=presales, kind="customer.access_revoked")
    assert told.count() == 1 and "客户已退回客户池" in told.get().body
    Customer.objects.filter(pk=kept.pk).update(owner=trio.teammate)  # not the leaver's
    _grant(trio, kept, presales, actor=trio.teammate)
    services.customers_hand_over(user=trio.owner, to=trio.teammate, actor=trio.manager, now=clock.now())
    assert not CustomerGrant.objects.get(pk=grants[handed.pk].pk).is_live(clock.now())
    assert CustomerGrant.objects.get(customer=kept).is_live(clock.now())
    assert told.count() == 2


def test_the_timers_engine_expires_the_grant_when_its_period_is_over(trio: Trio) -> None:
    customer, presales = _customer(trio), _presales(trio)
    start = clock.now()
    grant = _grant(trio, customer, presales, days=2, now=start)
    sweeper.sweep(now=start + timedelta(days=2) - timedelta(minutes=1))
    grant.refresh_from_db()
    assert grant.expired_at is None
    sweeper.sweep(now=start + timedelta(days=2, minutes=1))
    grant.refresh_from_db()
    assert grant.expired_at == start + timedelta(days=2, minutes=1)
    assert Event.objects.filter(name="customer.access_expired", subject_id=customer.pk).exists()
    told = set(
        Notification.objects.filter(kind="customer.access_expired").values_list("recipient", flat=True)
    )
    assert told == {presales.pk, trio.owner.pk}
    # Expiring again (a retried step) changes nothing.
    assert services.grant_expire(grant=grant, now=start + timedelta(days=3)) is False


def test_a_read_is_logged_only_through_a_live_grant(trio: Trio) -> None:
    customer, presales = _customer(trio), _presales(trio)
    assert services.grant_reads_log(reader=presales, customer_ids=[customer.pk], kind="quote") == []
    grant = _grant(trio, customer, presales)
    (read,) = services.grant_reads_log(
        reader=presales, customer_ids=[customer.pk], kind="quote", object_id=7, object_label="BJ-1"
    )
    assert read.grant == grant and read.reader == presales and read.object_label == "BJ-1"
    assert services.grant_reads_log(reader=trio.owner, customer_ids=[customer.pk], kind="quote") == []
    services.grant_revoke(grant=grant, actor=trio.owner)
    assert services.grant_reads_log(reader=presales, customer_ids=[customer.pk], kind="quote") == []
    assert GrantRead.objects.count() == 1


# --- The customer page card ------------------------------------------------------------------


def test_the_card_shows_to_the_owner_and_managers_only(trio: Trio) -> None:
    customer, presales = _customer(trio), _presales(trio)
    _grant(trio, customer, presales)
    owner_page = _client(trio.owner).get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="grants-card"' in owner_page and "售前小李" in owner_page and "撤销" in owner_page
    assert (
        'data-testid="grants-card"'
        in _client(trio.manager).get(f"/customers/{customer.pk}/").content.decode()
    )
    # The ops admin sees the customer but does not manage its grants.
    assert (
        'data-testid="grants-card"'
        not in _client(trio.admin).get(f"/customers/{customer.pk}/").content.decode()
    )
    for outsider in (trio.teammate, trio.outsider, presales):
        assert _client(outsider).get(f"/customers/{customer.pk}/").status_code == 404


def test_granting_and_revoking_on_the_customer_page(trio: Trio) -> None:
    customer, presales = _customer(trio), _presales(trio)
    client = _client(trio.owner)
    bad = client.post(
        f"/customers/{customer.pk}/grants/", {"grantee": presales.pk, "days": "99", "reason": "x"}
    )
    assert bad.status_code == 302 and not CustomerGrant.objects.exists()
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "1–30 天" in page  # the refusal names the limit
    client.post(
        f"/customers/{customer.pk}/grants/", {"grantee": presales.pk, "days": "3", "reason": "方案评审"}
    )
    grant = CustomerGrant.objects.get()
    assert grant.grantee == presales and grant.reason == "方案评审"
    assert (
        _client(trio.teammate).post(f"/customers/{customer.pk}/grants/{grant.pk}/revoke/").status_code == 404
    )
    grant.refresh_from_db()
    assert grant.revoked_at is None
    client.post(f"/customers/{customer.pk}/grants/{grant.pk}/revoke/")
    grant.refresh_from_db()
    assert grant.revoked_by == trio.owner
    assert "已撤销" in client.get(f"/customers/{customer.pk}/").content.decode()


# --- The API ---------------------------------------------------------------------------------


def test_the_grants_api_for_owner_teammate_and_outsider(trio: Trio) -> None:
    customer, presales = _customer(trio), _presales(trio)
    body = {"grantee_id": presales.pk, "days": 5, "reason": "协助投标"}
    for who, status in ((trio.teammate, 404), (trio.outsider, 404), (trio.admin, 403), (presales, 404)):
        api = api_client_for(who)
        assert (
            api.post(f"/api/v1/customers/{customer.pk}/grants", body, "application/json").status_code
            == status
        )
        assert api.get(f"/api/v1/customers/{customer.pk}/grants").status_code == status
    owner = api_client_for(trio.owner)
    made = owner.post(f"/api/v1/customers/{customer.pk}/grants", body, "application/json")
    assert made.status_code == 201
    grant = made.json()
    assert grant["grantee"]["username"] == "presales" and grant["live"] and grant["scope_label"] == "报价记录"
    listed = api_client_for(trio.manager).get(f"/api/v1/customers/{customer.pk}/grants").json()
    assert [g["id"] for g in listed] == [grant["id"]]
    services.grant_reads_log(reader=presales, customer_ids=[customer.pk], kind="list")
    for who in (trio.teammate, trio.outsider, presales):
        assert api_client_for(who).get(f"/api/v1/grants/{grant['id']}/reads").status_code == 404
    reads = owner.get(f"/api/v1/grants/{grant['id']}/reads").json()
    assert [(r["reader"]["username"], r["kind_label"]) for r in reads] == [("presales", "报价列表")]
    for who, status in ((trio.teammate, 404), (trio.outsider, 404), (presales, 403)):
        assert api_client_for(who).post(f"/api/v1/grants/{grant['id']}/revoke").status_code == status
    revoked = owner.post(f"/api/v1/grants/{grant['id']}/revoke")
    assert revoked.status_code == 200 and not revoked.json()["live"] and revoked.json()["revoked_at"]
    assert owner.post(f"/api/v1/grants/{grant['id']}/revoke").status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 31}, "days"),
        ({"reason": ""}, "reason"),
        ({"grantee_id": None}, "grantee"),
        ({"grantee_id": 999999}, "grantee"),
        ({"scope": "notes"}, "scope"),
    ],
)
def test_the_api_answers_422_naming_the_field(trio: Trio, body: dict[str, Any], field: str) -> None:
    customer, presales = _customer(trio), _presales(trio)
    payload = {"grantee_id": presales.pk, "days": 5, "reason": "协助投标", **body}
    answer = api_client_for(trio.owner).post(
        f"/api/v1/customers/{customer.pk}/grants", payload, "application/json"
    )
    assert answer.status_code == 422
    assert field in [d["loc"][-1] for d in answer.json()["detail"]]
    assert not CustomerGrant.objects.exists()


def test_an_older_stored_pack_gets_the_grants_section_and_the_expiry_timer() -> None:
    ship = importlib.import_module("salesflow.customers.migrations.0004_ship_grant_policy").ship_grant_policy
    document = packs.to_document(packs.load_default())
    old = {k: v for k, v in document.items() if k != "grants"}
    old["sla_policies"] = [p for p in old["sla_policies"] if p["code"] != "customer_grant_expiry"]
    edited = {**document, "grants": {"default_days": 3, "max_days": 10}}
    RulePackVersion.objects.all().delete()
    older = RulePackVersion.objects.create(number=1, document=old, is_active=False, created_at=clock.now())
    newer = RulePackVersion.objects.create(number=2, document=edited, is_active=True, created_at=clock.now())
    ship(apps, None)
    older.refresh_from_db()
    newer.refresh_from_db()
    pack = packs.validate(older.document)
    assert pack.grants.max_days == 30 and pack.policy("customer_grant_expiry") is not None
    assert newer.document["grants"] == {"default_days": 3, "max_days": 10}
