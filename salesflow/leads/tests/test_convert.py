"""Conversion (lead → customer + contact + opportunity) and dedupe against existing customers."""

from __future__ import annotations

import pytest
from django.test import Client

from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customers
from salesflow.customers.models import Contact, Customer
from salesflow.leads.models import IntakeForm, Lead
from salesflow.leads.tests.test_intake import GOOD, submit
from salesflow.notify.models import Notification
from salesflow.pipeline.models import Opportunity

pytestmark = pytest.mark.django_db


def test_convert_creates_customer_contact_and_opportunity_and_keeps_the_timeline(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    lead_id = submit(client, website, GOOD).pk
    lead = Lead.objects.get(pk=lead_id)
    owner = api_client_for(lead.owner)  # type: ignore[arg-type]
    events_before = set(
        Event.objects.filter(subject_type="leads.lead", subject_id=lead_id).values_list("id", flat=True)
    )
    response = owner.post(
        f"/api/v1/leads/{lead_id}/convert",
        {"opportunity_title": "关节置换耗材年度采购"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get(pk=body["customer"])
    assert customer.name == "杭州瑞康医疗器械有限公司" and customer.owner == lead.owner
    assert customer.industry_segment == "hospital_public" and customer.customer_tier == "tier3a"
    assert list(Contact.objects.filter(customer=customer).values_list("name", flat=True)) == ["李明"]
    opportunity = Opportunity.objects.get(pk=body["opportunity"])
    assert opportunity.title == "关节置换耗材年度采购" and opportunity.lead_id == lead_id
    assert str(opportunity.amount) == "480000.00"  # the lead's budget
    assert opportunity.pipeline == "hospital_visit"  # the joint product line's pipeline in the pack
    detail = owner.get(f"/api/v1/leads/{lead_id}").json()
    assert detail["status"] == "converted" and detail["customer"] == customer.pk
    lead_events = Event.objects.filter(subject_type="leads.lead", subject_id=lead_id)
    assert events_before <= set(lead_events.values_list("id", flat=True))  # the lead keeps its timeline
    assert set(lead_events.exclude(id__in=events_before).values_list("name", flat=True)) == {
        "lead.converted",
        "timer.stopped",  # conversion stops the 48 h follow-up timer
    }
    assert Event.objects.filter(
        subject_type="customers.customer", subject_id=customer.pk, name="customer.lead_attached"
    ).exists()


def test_a_lead_converts_once(trio: Trio, website: IntakeForm, client: Client) -> None:
    lead_id = submit(client, website, GOOD).pk
    owner = api_client_for(Lead.objects.get(pk=lead_id).owner)  # type: ignore[arg-type]
    first = owner.post(f"/api/v1/leads/{lead_id}/convert", {}, content_type="application/json")
    again = owner.post(f"/api/v1/leads/{lead_id}/convert", {}, content_type="application/json")
    assert first.status_code == 201 and again.status_code == 409
    assert again.json()["opportunity"] == first.json()["opportunity"]
    assert Opportunity.objects.count() == 1 and Customer.objects.count() == 1


def test_convert_permissions_owner_teammate_outsider(trio: Trio, website: IntakeForm, client: Client) -> None:
    lead_id = submit(client, website, GOOD).pk
    lead = Lead.objects.get(pk=lead_id)
    others = [u for u in (trio.owner, trio.teammate, trio.outsider) if u != lead.owner]
    for user in others:
        response = api_client_for(user).post(
            f"/api/v1/leads/{lead_id}/convert", {}, content_type="application/json"
        )
        assert response.status_code == 404, user.username
    assert not Customer.objects.exists()


def test_convert_into_a_named_customer_validates_it(trio: Trio, website: IntakeForm, client: Client) -> None:
    lead_id = submit(client, website, GOOD).pk
    owner = api_client_for(Lead.objects.get(pk=lead_id).owner)  # type: ignore[arg-type]
    bad = owner.post(
        f"/api/v1/leads/{lead_id}/convert", {"customer": 999999}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "customer"
    assert Lead.objects.get(pk=lead_id).status != "converted"


def test_a_lead_from_an_owned_customer_goes_to_its_owner_who_is_told(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    customer = customers.customer_create(name="杭州瑞康医疗器械股份有限公司", actor=None)
    customers.customer_claim(customer=customer, actor=trio.outsider)
    lead = submit(client, website, GOOD)
    assert lead.owner == trio.outsider
    assert lead.customer == customer
    assert Notification.objects.filter(recipient=trio.outsider, kind="lead.assigned").exists()
    assert Event.objects.filter(name="customer.lead_attached", subject_id=customer.pk).exists()


def test_a_lead_matching_a_contacts_phone_attaches_to_that_customer(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    customer = customers.customer_create(name="温州康宁医院", actor=None)
    customers.contact_add(customer=customer, name="李明", phone="13812345678", actor=None)
    lead = submit(client, website, {**GOOD, "company": "", "phone": "0086 138 1234 5678"})
    assert lead.customer == customer


def test_a_company_name_match_beats_a_contact_match_and_the_oldest_contact_decides(trio: Trio) -> None:
    from salesflow.leads.services import _existing_customer

    by_contact_old = customers.customer_create(name="宁波第一医院", actor=None)
    by_contact_new = customers.customer_create(name="宁波第二医院", actor=None)
    by_name = customers.customer_create(name="杭州瑞康医疗器械股份有限公司", actor=None)
    # The younger customer's contact was entered first: the oldest contact decides, not the customer.
    customers.contact_add(customer=by_contact_new, name="王芳", phone="13700001111", actor=None)
    customers.contact_add(customer=by_contact_old, name="王芳", email="wf@example.cn", actor=None)
    company = by_name.name_key
    assert (
        _existing_customer(phone_key="13700001111", email_key="wf@example.cn", company_key=company) == by_name
    )
    assert (
        _existing_customer(phone_key="13700001111", email_key="wf@example.cn", company_key="")
        == by_contact_new
    )
    assert (
        _existing_customer(phone_key="", email_key="wf@example.cn", company_key="无此公司") == by_contact_old
    )
    assert _existing_customer(phone_key="", email_key="", company_key="无此公司") is None


def test_lead_list_filters_by_sla_state(trio: Trio, website: IntakeForm, client: Client) -> None:
    from datetime import timedelta

    from salesflow.core import clock
    from salesflow.timers import sweeper

    start = clock.now()
    first = submit(client, website, GOOD)
    second = submit(client, website, {**GOOD, "phone": "13900002222", "company": "另一家医院"})
    sweeper.sweep(now=start + timedelta(minutes=16))
    owner_api = api_client_for(first.owner)  # type: ignore[arg-type]
    breached = owner_api.get("/api/v1/leads?sla=breached").json()["items"]
    assert first.pk in [lead["id"] for lead in breached]
    manager = api_client_for(trio.manager)
    both = {lead["id"] for lead in manager.get("/api/v1/leads?sla=breached").json()["items"]}
    running = {lead["id"] for lead in manager.get("/api/v1/leads?sla=running").json()["items"]}
    assert {first.pk, second.pk} <= both  # 15 minutes passed for both
    assert {first.pk, second.pk} <= running  # the 48 h follow-up still runs
    bad = manager.get("/api/v1/leads?sla=late")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "sla"
