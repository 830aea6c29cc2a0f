"""Activities: effective contact per the pack stops first-contact and 48 h timers; trio checks."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from salesflow.core import clock
from salesflow.core.testing import Trio, api_client_for
from salesflow.leads import services as leads
from salesflow.leads.models import IntakeForm, Lead
from salesflow.notify.models import Notification
from salesflow.org import services as org
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline

DATA = {
    "name": "李明",
    "phone": "13812345678",
    "industry_segment": "hospital_public",
    "customer_tier": "tier3a",
    "product_line": "joint",
}


def _lead(trio: Trio) -> Lead:
    org.user_set_skills(user=trio.owner, actor=None, product_lines=["joint"], customer_tiers=["tier3a"])
    form = leads.form_create(name="官网", actor=trio.admin)
    lead, _merged = leads.intake_submit(form=form, data=DATA, client="t")
    assert lead is not None and lead.owner == trio.owner
    return lead


def _states(lead: Lead) -> dict[str, str]:
    return dict(
        Deadline.objects.filter(subject_id=lead.pk, subject_type="leads.lead").values_list("policy", "status")
    )


def test_short_call_is_not_a_contact_but_a_follow_up(trio: Trio) -> None:
    lead = _lead(trio)
    response = api_client_for(trio.owner).post(
        "/api/v1/activities",
        {
            "lead": lead.pk,
            "kind": "call",
            "occurred_at": clock.now().isoformat(),
            "duration_seconds": 20,
        },
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["effective"] is False
    states = _states(lead)
    assert states["lead_first_contact"] == "pending" and states["lead_follow_up"] == "cancelled"


def test_effective_call_stops_first_contact_and_marks_contacted(trio: Trio) -> None:
    lead = _lead(trio)
    start = clock.now()
    response = api_client_for(trio.owner).post(
        "/api/v1/activities",
        {
            "lead": lead.pk,
            "kind": "call",
            "occurred_at": start.isoformat(),
            "duration_seconds": 95,
            "note": "需求确认",
        },
        content_type="application/json",
    )
    assert response.json()["effective"] is True
    assert _states(lead)["lead_first_contact"] == "cancelled"
    lead.refresh_from_db()
    assert lead.status == "contacted" and lead.first_contact_at is not None
    sweeper.sweep(now=start + timedelta(hours=49))
    assert not Notification.objects.filter(kind="sla.breached").exists()
    detail = api_client_for(trio.owner).get(f"/api/v1/leads/{lead.pk}").json()
    assert detail["light"] in ("green", "yellow")


def test_no_follow_up_for_48_hours_turns_red_and_alerts(trio: Trio) -> None:
    lead = _lead(trio)
    start = clock.now()
    sweeper.sweep(now=start + timedelta(hours=48, minutes=1))
    assert Notification.objects.filter(
        kind="sla.escalated", recipient=trio.manager, title="线索 48 小时无跟进记录"
    ).exists()
    detail = api_client_for(trio.owner).get(f"/api/v1/leads/{lead.pk}").json()
    assert detail["light"] == "red"


def test_activity_input_errors_and_trio(trio: Trio) -> None:
    lead = _lead(trio)
    bad = api_client_for(trio.owner).post(
        "/api/v1/activities",
        {
            "lead": lead.pk,
            "kind": "fax",
            "occurred_at": (clock.now() + timedelta(days=1)).isoformat(),
            "duration_seconds": -1,
        },
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {e["loc"][1] for e in bad.json()["detail"]} == {"kind", "occurred_at", "duration_seconds"}
    body = {"lead": lead.pk, "kind": "visit", "occurred_at": clock.now().isoformat()}
    assert (
        api_client_for(trio.teammate)
        .post("/api/v1/activities", body, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        api_client_for(trio.outsider)
        .post("/api/v1/activities", body, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        api_client_for(trio.manager)
        .post("/api/v1/activities", body, content_type="application/json")
        .status_code
        == 201
    )
    assert (
        api_client_for(trio.owner)
        .post(
            "/api/v1/activities",
            {"kind": "visit", "occurred_at": clock.now().isoformat()},
            content_type="application/json",
        )
        .status_code
        == 422
    )


def test_log_call_from_the_lead_page(trio: Trio, client: Client) -> None:
    lead = _lead(trio)
    client.force_login(trio.owner)
    assert "记录跟进" in client.get(f"/leads/{lead.pk}/").content.decode()
    response = client.post(
        f"/leads/{lead.pk}/activities/", {"kind": "call", "duration_minutes": "2", "note": "约下周拜访"}
    )
    assert response.status_code == 302
    assert _states(lead)["lead_first_contact"] == "cancelled"


def test_the_pack_decides_what_is_effective(trio: Trio) -> None:
    from salesflow.rules import packs
    from salesflow.rules import services as rules

    document = packs.to_document(packs.load_default())
    document["effective_contacts"] = [{"kind": "call", "min_duration_seconds": 10}]
    rules.pack_version_create(pack=packs.validate(document), actor=None)
    lead = _lead(trio)
    response = api_client_for(trio.owner).post(
        "/api/v1/activities",
        {
            "lead": lead.pk,
            "kind": "call",
            "occurred_at": clock.now().isoformat(),
            "duration_seconds": 20,
        },
        content_type="application/json",
    )
    assert response.json()["effective"] is True
    form = IntakeForm.objects.get()
    assert form.name == "官网"


def test_a_late_first_contact_turns_the_light_back_from_red(trio: Trio) -> None:
    lead = _lead(trio)
    start = clock.now()
    sweeper.sweep(now=start + timedelta(minutes=20))
    assert api_client_for(trio.owner).get(f"/api/v1/leads/{lead.pk}").json()["light"] == "red"
    api_client_for(trio.owner).post(
        "/api/v1/activities",
        {
            "lead": lead.pk,
            "kind": "visit",
            "occurred_at": clock.now().isoformat(),
        },
        content_type="application/json",
    )
    assert api_client_for(trio.owner).get(f"/api/v1/leads/{lead.pk}").json()["light"] != "red"
