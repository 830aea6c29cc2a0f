"""A rep who claims a pool customer a colleague has just taken hears 409 naming the owner."""

from __future__ import annotations

import pytest
from django.test import Client

from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services
from salesflow.customers.models import Customer
from salesflow.workflows import services as workflows

pytestmark = pytest.mark.django_db


def _taken_from_the_pool(trio: Trio) -> Customer:
    customer = services.customer_create(name="杭州市第一医疗器械有限公司", actor=None)
    return services.customer_claim(customer=customer, actor=trio.owner)


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_api_claim_of_a_customer_a_colleague_just_took_is_409_naming_the_owner(trio: Trio, who: str) -> None:
    customer = _taken_from_the_pool(trio)
    response = api_client_for(getattr(trio, who)).post(f"/api/v1/customers/{customer.pk}/claim")
    assert response.status_code == 409
    body = response.json()
    assert body["owner"] == {"id": trio.owner.pk, "username": "owner"}
    assert str(trio.owner) in body["detail"]
    customer.refresh_from_db()
    assert customer.owner == trio.owner


def test_the_claim_button_shows_the_same_message_and_returns_to_the_pool(trio: Trio) -> None:
    customer = _taken_from_the_pool(trio)
    client = Client()
    client.force_login(trio.teammate)
    response = client.post(f"/customers/{customer.pk}/claim/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/customers/?pool=1"
    assert f"客户已被 {trio.owner} 认领" in response.content.decode()


def test_customers_never_in_the_pool_stay_invisible_to_a_claiming_rep(trio: Trio) -> None:
    created_owned = services.customer_create(name="宁波第二医院", actor=trio.owner, owner=trio.owner)
    handed = _taken_from_the_pool(trio)
    workflows.user_handover(user=trio.owner, to=trio.outsider, actor=trio.admin)
    for customer in (created_owned, handed):
        customer.refresh_from_db()
        response = api_client_for(trio.teammate).post(f"/api/v1/customers/{customer.pk}/claim")
        assert response.status_code == 404, customer.name  # ownership did not come from the pool
        assert "owner" not in response.json()


def test_someone_who_does_not_claim_still_gets_404_for_what_they_cannot_see(trio: Trio) -> None:
    customer = _taken_from_the_pool(trio)
    response = api_client_for(trio.other_manager).post(f"/api/v1/customers/{customer.pk}/claim")
    assert response.status_code == 404
