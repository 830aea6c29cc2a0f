"""Website intake: validation, dedupe, scoring and assignment inside the request."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings

from salesflow.core import clock
from salesflow.core.testing import Trio, api_client_for
from salesflow.leads.models import IntakeForm, Lead
from salesflow.notify.models import Notification
from salesflow.timers import sweeper
from salesflow.timers.models import Deadline

GOOD = {
    "name": "李明",
    "phone": "+86 138-1234-5678",
    "company": "杭州瑞康医疗器械有限公司",
    "industry_segment": "hospital_public",
    "customer_tier": "tier3a",
    "product_line": "joint",
    "buying_stage": "budget_approved",
    "budget": "480000",
    "utm_source": "baidu",
}


def post(client: Client, form: IntakeForm, data: Mapping[str, object], **kwargs: Any) -> Any:
    return client.post(f"/api/v1/intake/{form.key}", data, content_type="application/json", **kwargs)


def submit(client: Client, form: IntakeForm, data: Mapping[str, object]) -> Lead:
    """Post as the website does; it hears an acknowledgement only, so the lead is read from the DB."""
    response = post(client, form, data)
    assert response.status_code == 201 and response.json() == {"received": True}
    return Lead.objects.latest("id")


def test_intake_assigns_scores_notifies_and_starts_timers(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    response = post(client, website, GOOD)
    assert response.status_code == 201
    # The website hears an acknowledgement only; owner, score and dedupe stay behind login.
    assert response.json() == {"received": True}
    lead = Lead.objects.get()
    # Weighted policy: tier and product line fit rep "owner" (joint, tier3a).
    assert lead.owner == trio.owner
    assert lead.score == 40  # tier3a 20 + budget approved 20
    assert {f["factor"] for f in lead.score_factors} == {
        "customer_tier = tier3a",
        "buying_stage = budget_approved",
    }
    assert Notification.objects.filter(recipient=trio.owner, kind="lead.assigned").count() == 1
    assert sorted(Deadline.objects.filter(subject_id=lead.pk).values_list("policy", flat=True)) == [
        "lead_first_contact",
        "lead_follow_up",
        "lead_unread",
    ]
    assert lead.utm == {"utm_source": "baidu"} and lead.phone_key == "13812345678"


def test_form_encoded_and_schema(trio: Trio, website: IntakeForm, client: Client) -> None:
    schema = client.get(f"/api/v1/intake/{website.key}").json()
    by_name = {f["name"]: f for f in schema["fields"]}
    assert by_name["industry_segment"]["required"] is True and by_name["industry_segment"]["type"] == "choice"
    assert {"value": "hospital_public", "label": "公立医院"} in by_name["industry_segment"]["choices"]
    response = client.post(
        f"/api/v1/intake/{website.key}",
        {"name": "王芳", "phone": "13900001111", "industry_segment": "clinic"},
    )
    assert response.status_code == 201


def test_bad_input_names_each_field_and_writes_nothing(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    response = post(
        client, website, {"phone": "12", "industry_segment": "bakery", "budget": "lots", "email": "not-mail"}
    )
    assert response.status_code == 422
    fields = {e["loc"][1] for e in response.json()["detail"]}
    assert fields == {"name", "phone", "industry_segment", "budget", "email"}
    assert Lead.objects.count() == 0
    missing_segment = post(client, website, {"name": "李明", "phone": "13812345678"})
    assert [e["loc"][1] for e in missing_segment.json()["detail"]] == ["industry_segment"]
    assert (
        client.post(f"/api/v1/intake/{website.key}", "[1,2]", content_type="application/json").status_code
        == 422
    )


def test_unknown_key_honeypot_and_rate_limit(trio: Trio, website: IntakeForm, client: Client) -> None:
    assert post(client, IntakeForm(key="nope"), GOOD).status_code == 404
    # The limit counts in fixed windows: the clock stands still so a slow run cannot cross one.
    with time_machine.travel(clock.now(), tick=False):
        trap = post(client, website, {**GOOD, "hp_website": "http://spam"})
        assert trap.status_code == 201 and trap.json() == {"received": True}
        assert Lead.objects.count() == 0
        with override_settings(SALESFLOW_INTAKE_LIMIT_PER_IP=2):
            assert post(client, website, {**GOOD, "phone": "13800000001", "company": "甲"}).status_code == 201
            limited = post(client, website, {**GOOD, "phone": "13800000002", "company": "乙"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0


def test_duplicates_merge_into_the_open_lead(trio: Trio, website: IntakeForm, client: Client) -> None:
    first = post(client, website, GOOD)
    again = post(
        client,
        website,
        {
            "name": "李明",
            "phone": "138 1234 5678",
            "industry_segment": "hospital_public",
            "email": "li@ruikang.cn",
            "message": "请尽快报价",
        },
    )
    # A duplicate gets the very same answer as a new lead: the form tells nobody what is on file.
    assert (again.status_code, again.json()) == (first.status_code, first.json()) == (201, {"received": True})
    by_company = post(
        client,
        website,
        {
            "name": "张伟",
            "company": "杭州瑞康医疗器械股份有限公司",
            "phone": "13700000000",
            "industry_segment": "hospital_public",
        },
    )
    assert (by_company.status_code, by_company.json()) == (201, {"received": True})
    lead = Lead.objects.get()
    assert lead.email == "li@ruikang.cn" and "请尽快报价" in lead.message
    assert Notification.objects.filter(recipient=trio.owner, kind="lead.merged").count() == 2


def test_nobody_eligible_goes_to_pool_and_manager_is_told(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    from salesflow.org import services as org

    for rep in (trio.owner, trio.teammate, trio.outsider):
        org.user_update(user=rep, actor=trio.admin, max_open_workload=0)
    assert submit(client, website, GOOD).owner is None
    assert Lead.objects.get().status == "pooled"
    assert Notification.objects.filter(kind="lead.pooled", recipient__role="manager").count() == 2


def test_unread_assignment_escalates_to_manager_after_3_minutes(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    start = clock.now()
    lead_id = submit(client, website, GOOD).pk
    sweeper.sweep(now=start + timedelta(minutes=2, seconds=50))
    assert not Notification.objects.filter(recipient=trio.manager, kind="sla.escalated").exists()
    sweeper.sweep(now=start + timedelta(minutes=3, seconds=5))
    escalation = Notification.objects.get(recipient=trio.manager, kind="sla.escalated")
    assert escalation.subject_id == lead_id


def test_acknowledging_in_time_stops_the_unread_escalation(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    start = clock.now()
    lead_id = submit(client, website, GOOD).pk
    teammate_view = api_client_for(trio.teammate).post(f"/api/v1/leads/{lead_id}/acknowledge")
    assert teammate_view.status_code == 404  # not visible to a teammate
    manager_view = api_client_for(trio.manager).post(f"/api/v1/leads/{lead_id}/acknowledge").json()
    assert manager_view["acknowledged_at"] is None  # a manager looking is not the owner acknowledging
    owner_view = api_client_for(trio.owner).post(f"/api/v1/leads/{lead_id}/acknowledge").json()
    assert owner_view["acknowledged_at"] and owner_view["status"] == "acknowledged"
    sweeper.sweep(now=start + timedelta(minutes=16))
    assert not Notification.objects.filter(kind="sla.escalated").exists()  # unread: stopped in time
    assert Notification.objects.filter(kind="sla.breached", recipient=trio.owner).exists()  # 15 min passed
    detail = api_client_for(trio.owner).get(f"/api/v1/leads/{lead_id}").json()
    states = {t["policy"]: t["state"] for t in detail["sla"]}
    assert states == {"lead_unread": "stopped", "lead_first_contact": "breached", "lead_follow_up": "running"}
    assert detail["light"] == "red"


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_lead_detail_trio(trio: Trio, website: IntakeForm, client: Client, who: str) -> None:
    lead_id = submit(client, website, GOOD).pk
    assert api_client_for(trio.owner).get(f"/api/v1/leads/{lead_id}").status_code == 200
    assert api_client_for(trio.manager).get(f"/api/v1/leads/{lead_id}").status_code == 200
    assert api_client_for(getattr(trio, who)).get(f"/api/v1/leads/{lead_id}").status_code == 404
    mine = api_client_for(trio.owner).get("/api/v1/leads", {"owner": "me"}).json()
    assert [item["id"] for item in mine["items"]] == [lead_id]


def test_the_published_schema_of_the_intake_answer_is_the_acknowledgement_only(client: Client) -> None:
    spec = client.get("/api/openapi.json").json()
    answer = spec["paths"]["/api/v1/intake/{key}"]["post"]["responses"]["201"]["content"]["application/json"]
    ref = answer["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][ref]["properties"]) == {"received"}
