"""Quotes through a temporary grant (临时授权): the grantee reads one customer's quotes (list, page,
PDF, API, export) while the grant is live, read-only, every read logged; after revocation or
expiry, for other customers and for the customer's other records, they see nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from salesflow.catalog.models import Product
from salesflow.core import clock
from salesflow.core.testing import Trio, api_client_for, make_user
from salesflow.customers import services as customers
from salesflow.customers.models import CustomerGrant, GrantRead
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.quotes.models import Quote
from salesflow.timers import sweeper

from .helpers import SECRET_COST, deal, products, quote, send

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _world(trio: Trio) -> tuple[User, Quote, Quote, CustomerGrant]:
    """A presales engineer granted 仁和医院's quotes (one sent), and another customer's quote."""
    hip, screw = products(trio)
    customer, opportunity = deal(trio)
    sent = send(quote(opportunity, trio.owner, (hip, 1, 0), (screw, 2, 0)), trio.owner)
    _other_customer, other_opportunity = deal(trio, name="协和医院")
    other = quote(other_opportunity, trio.owner, (screw, 1, 0))
    presales = make_user("presales", Role.PRESALES, trio.admin.team, None, display_name="售前小李")
    grant = customers.grant_create(
        customer=customer, grantee=presales, actor=trio.owner, reason="技术评审", days=3
    )
    return presales, sent, other, grant


def _reads(grant: CustomerGrant) -> list[tuple[str, str]]:
    return [(r.kind, r.object_label) for r in GrantRead.objects.filter(grant=grant).order_by("id")]


def test_the_grantee_reads_the_customers_quotes_on_the_pages_and_each_read_is_logged(trio: Trio) -> None:
    presales, sent, other, grant = _world(trio)
    client = _client(presales)
    listing = client.get("/quotes/").content.decode()
    assert sent.number in listing and other.number not in listing
    assert 'data-testid="grant-badge"' in listing and "临时授权" in listing
    assert clock.to_local(grant.expires_at).strftime("%Y-%m-%d %H:%M") in listing
    page = client.get(f"/quotes/{sent.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="grant-banner"' in body and "仁和医院" in body
    # Read-only: no work buttons, no link to the deal, no cost.
    for marker in (
        'data-testid="quote-revise"',
        'data-testid="feedback-form"',
        'data-testid="opportunity-link"',
    ):
        assert marker not in body
    assert str(SECRET_COST) not in body and "4,321.87" not in body
    pdf = client.get(f"/quotes/{sent.pk}/versions/1.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert _reads(grant) == [("list", sent.number), ("quote", sent.number), ("pdf", f"{sent.number} v1")]


def test_the_grantee_reads_through_the_api_and_the_export_and_each_read_is_logged(trio: Trio) -> None:
    presales, sent, other, grant = _world(trio)
    api = api_client_for(presales)
    items = api.get("/api/v1/quotes").json()["items"]
    assert [i["number"] for i in items] == [sent.number] and items[0]["grant_expires_at"]
    detail = api.get(f"/api/v1/quotes/{sent.pk}").json()
    assert detail["number"] == sent.number and detail["version"]["lines"][0]["unit_cost"] is None
    assert api.get(f"/api/v1/quotes/{sent.pk}/versions/1/pdf").status_code == 200
    assert api.get(f"/api/v1/quotes/{other.pk}").status_code == 404
    assert _client(presales).get("/quotes/export.xlsx").status_code == 200
    assert [kind for kind, _label in _reads(grant)] == ["list", "quote", "pdf", "export"]
    # The owner's own reads are not grant reads.
    api_client_for(trio.owner).get(f"/api/v1/quotes/{sent.pk}")
    _client(trio.owner).get("/quotes/")
    assert GrantRead.objects.filter(reader=trio.owner).count() == 0
    assert "grant_expires_at" in api_client_for(trio.owner).get("/api/v1/quotes").json()["items"][0]
    assert api_client_for(trio.owner).get("/api/v1/quotes").json()["items"][0]["grant_expires_at"] is None


def test_the_grantee_never_sees_other_quotes_or_the_customers_other_records(trio: Trio) -> None:
    presales, sent, other, _grant = _world(trio)
    client, api = _client(presales), api_client_for(presales)
    assert client.get(f"/quotes/{other.pk}/").status_code == 404
    for path in (
        f"/customers/{sent.customer_id}/",
        f"/opportunities/{sent.opportunity_id}/",
        f"/records/customer/{sent.customer_id}/timeline/",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/api/v1/customers/{sent.customer_id}",
        f"/api/v1/customers/{sent.customer_id}/notes",
        f"/api/v1/opportunities/{sent.opportunity_id}",
        f"/api/v1/timeline/customer/{sent.customer_id}",
    ):
        assert api.get(path).status_code == 404, path
    assert api.get("/api/v1/customers").json()["items"] == []


def test_the_grantee_never_works_on_a_quote(trio: Trio) -> None:
    presales, sent, _other, _grant = _world(trio)
    client, api = _client(presales), api_client_for(presales)
    state = (sent.state, sent.current_version)
    client.post(f"/quotes/{sent.pk}/revise/")
    client.post(f"/quotes/{sent.pk}/feedback/", {"outcome": "accepted", "note": "客户同意"})
    client.post(f"/quotes/{sent.pk}/versions/1/revoke/")
    assert client.get(f"/quotes/{sent.pk}/edit/").status_code == 302
    assert api.post(f"/api/v1/quotes/{sent.pk}/revise").status_code == 403
    assert (
        api.post(
            f"/api/v1/quotes/{sent.pk}/feedback", {"outcome": "accepted", "note": "同意"}, "application/json"
        ).status_code
        == 403
    )
    sent.refresh_from_db()
    assert (sent.state, sent.current_version) == state
    link = sent.versions.get(number=1).share_link
    assert link is not None and link.revoked_at is None


def test_after_revocation_the_grantee_gets_404(trio: Trio) -> None:
    presales, sent, _other, grant = _world(trio)
    client, api = _client(presales), api_client_for(presales)
    assert client.get(f"/quotes/{sent.pk}/").status_code == 200
    customers.grant_revoke(grant=grant, actor=trio.owner)
    assert client.get(f"/quotes/{sent.pk}/").status_code == 404
    assert client.get(f"/quotes/{sent.pk}/versions/1.pdf").status_code == 404
    assert api.get(f"/api/v1/quotes/{sent.pk}").status_code == 404
    assert api.get("/api/v1/quotes").json()["items"] == []
    assert sent.number not in client.get("/quotes/").content.decode()
    assert [kind for kind, _label in _reads(grant)] == ["quote"]


def test_after_the_timer_expires_the_grant_the_grantee_gets_404(trio: Trio) -> None:
    presales, sent, _other, grant = _world(trio)
    sweeper.sweep(now=grant.expires_at + timedelta(minutes=1))
    grant.refresh_from_db()
    assert grant.expired_at is not None
    assert _client(presales).get(f"/quotes/{sent.pk}/").status_code == 404
    assert api_client_for(presales).get(f"/api/v1/quotes/{sent.pk}").status_code == 404


def test_a_grant_past_its_end_reads_nothing_even_before_the_timer_fires(trio: Trio) -> None:
    presales, sent, _other, grant = _world(trio)
    with time_machine.travel(grant.expires_at - timedelta(minutes=1), tick=False):
        assert _client(presales).get(f"/quotes/{sent.pk}/").status_code == 200
    with time_machine.travel(grant.expires_at + timedelta(seconds=1), tick=False):
        assert _client(presales).get(f"/quotes/{sent.pk}/").status_code == 404
    grant.refresh_from_db()
    assert grant.expired_at is None  # the worker has not swept yet


def test_the_list_of_a_grantee_stays_a_flat_query_count(
    trio: Trio, django_assert_max_num_queries: Any
) -> None:
    presales, _sent, _other, grant = _world(trio)
    hip = Product.objects.get(sku="HIP-52")
    for _i in range(5):
        quote(grant.customer.opportunities.get(), trio.owner, (hip, 1, 0))
    client = _client(presales)
    client.get("/quotes/")
    with django_assert_max_num_queries(14):
        assert client.get("/quotes/").status_code == 200


def test_the_grantee_finds_what_was_granted_to_them_on_the_quote_list_and_through_the_api(trio: Trio) -> None:
    presales, sent, other, grant = _world(trio)
    listing = _client(presales).get("/quotes/").content.decode()
    assert 'data-testid="received-grants"' in listing and "同事授权你查看的客户" in listing
    assert f'href="?customer={grant.customer_id}"' in listing and "技术评审" in listing
    narrowed = _client(presales).get(f"/quotes/?customer={grant.customer_id}").content.decode()
    assert sent.number in narrowed and 'data-testid="customer-filter"' in narrowed and "仁和医院" in narrowed
    # The owner, who granted nothing to themself, sees no such card.
    assert 'data-testid="received-grants"' not in _client(trio.owner).get("/quotes/").content.decode()

    received = api_client_for(presales).get("/api/v1/grants/received")
    assert received.status_code == 200
    rows = [(g["id"], g["customer_name"], g["live"]) for g in received.json()]
    assert rows == [(grant.pk, "仁和医院", True)]
    assert api_client_for(trio.teammate).get("/api/v1/grants/received").json() == []
    by_customer = api_client_for(presales).get(f"/api/v1/quotes?customer={grant.customer_id}").json()
    assert [q["number"] for q in by_customer["items"]] == [sent.number]
    assert api_client_for(trio.owner).get(f"/api/v1/quotes?customer={other.customer_id}").json()["items"]
    bad = api_client_for(presales).get("/api/v1/quotes?customer=x")
    assert bad.status_code == 422 and "customer" in bad.content.decode()

    customers.grant_revoke(grant=grant, actor=trio.owner)
    assert 'data-testid="received-grants"' not in _client(presales).get("/quotes/").content.decode()
    ended = api_client_for(presales).get("/api/v1/grants/received").json()
    assert [(g["id"], g["live"]) for g in ended] == [(grant.pk, False)]
    assert api_client_for(presales).get(f"/api/v1/quotes?customer={grant.customer_id}").json()["items"] == []
