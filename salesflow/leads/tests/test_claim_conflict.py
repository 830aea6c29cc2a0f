"""A rep who claims a pooled lead a colleague has just taken hears 409 naming the owner."""

from __future__ import annotations

import pytest
from django.test import Client

from salesflow.core import clock
from salesflow.core.testing import Trio, api_client_for
from salesflow.leads import services
from salesflow.leads.models import IntakeForm, Lead
from salesflow.leads.tests.test_intake import GOOD, submit

pytestmark = pytest.mark.django_db


def _taken_from_the_pool(trio: Trio) -> Lead:
    lead = Lead.objects.create(name="周先生", status="pooled", created_at=clock.now())
    return services.lead_claim(lead=lead, actor=trio.owner)


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_api_claim_of_a_lead_a_colleague_just_took_is_409_naming_the_owner(trio: Trio, who: str) -> None:
    lead = _taken_from_the_pool(trio)
    response = api_client_for(getattr(trio, who)).post(f"/api/v1/leads/{lead.pk}/claim")
    assert response.status_code == 409
    body = response.json()
    assert body["owner"] == {"id": trio.owner.pk, "username": "owner"}
    assert str(trio.owner) in body["detail"]
    lead.refresh_from_db()
    assert lead.owner == trio.owner


def test_the_claim_button_shows_the_same_message_and_returns_to_the_pool(trio: Trio) -> None:
    lead = _taken_from_the_pool(trio)
    client = Client()
    client.force_login(trio.outsider)
    response = client.post(f"/leads/{lead.pk}/claim/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/leads/pool/"
    assert f"线索已被 {trio.owner} 认领" in response.content.decode()


def test_a_lead_assigned_straight_to_a_colleague_stays_invisible(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    lead = submit(client, website, GOOD)  # assigned by the rules, never in the pool
    assert lead.owner == trio.owner
    response = api_client_for(trio.outsider).post(f"/api/v1/leads/{lead.pk}/claim")
    assert response.status_code == 404 and "owner" not in response.json()
    page = Client()
    page.force_login(trio.outsider)
    assert page.post(f"/leads/{lead.pk}/claim/").status_code == 404


def test_someone_who_does_not_claim_still_gets_404_for_what_they_cannot_see(trio: Trio) -> None:
    lead = _taken_from_the_pool(trio)
    assert api_client_for(trio.other_manager).post(f"/api/v1/leads/{lead.pk}/claim").status_code == 404
