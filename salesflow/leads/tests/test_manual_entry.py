"""新建线索 by hand (POST /api/v1/leads and /leads/new/): intake's validation, dedupe, scoring, timers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from salesflow.core.testing import Trio, api_client_for, make_user
from salesflow.leads import services
from salesflow.leads.models import Lead
from salesflow.org.choices import Role
from salesflow.timers.models import Deadline

QUICK = {"name": "周婷", "phone": "139 0000 1111", "company": "宁波康复医院"}


def create(user: Any, body: dict[str, Any]) -> Any:
    return api_client_for(user).post("/api/v1/leads", body, content_type="application/json")


def test_a_rep_enters_a_lead_keeps_it_and_its_timers_start(trio: Trio) -> None:
    response = create(
        trio.owner,
        {**QUICK, "customer_tier": "tier3a", "buying_stage": "budget_approved", "source": "expo"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert body["owner"]["id"] == trio.owner.pk and lead.owner == trio.owner
    assert lead.status == "assigned" and lead.source == "expo"
    # Scored as intake scores: tier3a 20 + budget approved 20.
    assert lead.score == 40 and body["score"] == 40
    policies = set(
        Deadline.objects.filter(subject_id=lead.pk, status="pending").values_list("policy", flat=True)
    )
    assert {"lead_first_contact", "lead_follow_up"} <= policies
    # The actor is recorded: the history row and the created event name the rep.
    assert lead.history.earliest().history_user == trio.owner
    from salesflow.core.events import events_for

    created = events_for(lead).get(name="lead.created")
    assert created.actor_id == trio.owner.pk and created.payload["source"] == "expo"


def test_without_a_source_the_lead_is_recorded_as_entered_by_hand(trio: Trio) -> None:
    response = create(trio.owner, QUICK)
    assert response.status_code == 201
    assert Lead.objects.get(pk=response.json()["id"]).source == services.MANUAL_SOURCE


def test_a_manager_s_entry_goes_through_the_assignment_policy(trio: Trio) -> None:
    response = create(trio.manager, QUICK)
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["id"])
    # Assigned within the manager's own team, not kept by the manager.
    assert lead.owner in (trio.owner, trio.teammate)
    assert lead.status == "assigned"


@pytest.mark.parametrize(("field", "label"), [("name", "姓名"), ("phone", "手机"), ("company", "公司")])
def test_each_missing_required_field_is_a_422_naming_it_in_chinese(
    trio: Trio, field: str, label: str
) -> None:
    response = create(trio.owner, {k: v for k, v in QUICK.items() if k != field})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", field]]
    assert label in detail[0]["msg"]
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"email": "不是邮箱"}, "email"),
        ({"industry_segment": "spaceships"}, "industry_segment"),
        ({"source": "carrier_pigeon"}, "source"),
        ({"phone": "12"}, "phone"),
        ({"budget": "-5"}, "budget"),
        ({"name": "长" * 101}, "name"),
    ],
)
def test_bad_optional_values_are_422_naming_the_field(trio: Trio, extra: dict[str, Any], field: str) -> None:
    response = create(trio.owner, {**QUICK, **extra})
    assert response.status_code == 422, response.content
    assert {d["loc"][1] for d in response.json()["detail"]} == {field}


def test_a_duplicate_the_user_sees_is_a_409_naming_the_lead(trio: Trio) -> None:
    first = create(trio.owner, QUICK).json()
    again = create(trio.owner, {**QUICK, "name": "周婷婷", "company": "另一家医院"})
    assert again.status_code == 409
    assert again.json()["lead"] == {"id": first["id"], "name": "周婷"}
    assert "周婷" in again.json()["detail"]
    assert Lead.objects.count() == 1


def test_a_duplicate_out_of_scope_is_a_neutral_409(trio: Trio) -> None:
    create(trio.owner, QUICK)
    again = create(trio.outsider, {**QUICK, "name": "另一位"})
    assert again.status_code == 409
    body = again.json()
    assert "lead" not in body
    # Neither the lead's name nor its company leaks to a rep of another team.
    assert "周婷" not in again.content.decode() and "宁波康复医院" not in body["detail"]
    # The same company counts as intake counts it.
    by_company = create(trio.outsider, {"name": "王五", "phone": "13700000000", "company": "宁波康复医院"})
    assert by_company.status_code == 409


@pytest.mark.parametrize("role", [Role.FINANCE, Role.PRESALES, Role.LEGAL, Role.INTEGRATION])
def test_roles_outside_sales_may_not_create(trio: Trio, role: Role) -> None:
    user = make_user(f"u-{role}", role, trio.team, None)
    response = create(user, QUICK)
    assert response.status_code == 403
    assert not Lead.objects.exists()


@pytest.mark.parametrize("who", ["director", "admin"])
def test_director_and_ops_may_create(trio: Trio, who: str) -> None:
    response = create(getattr(trio, who), QUICK)
    assert response.status_code == 201, response.content


def test_gm_may_create(trio: Trio) -> None:
    gm = make_user("gm", Role.GM, trio.team.parent, None)
    assert create(gm, QUICK).status_code == 201


def test_anonymous_is_401(db: None) -> None:
    assert Client().post("/api/v1/leads", QUICK, content_type="application/json").status_code == 401


# --- the page -------------------------------------------------------------------------------


def test_quick_form_creates_and_lands_on_the_lead(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    page = client.get("/leads/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "更多" in html and 'name="phone"' in html and "手工录入" in html
    response = client.post("/leads/new/", {**QUICK, "industry_segment": "", "source": "manual"})
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert lead.owner == trio.owner and lead.source == "manual"


def test_quick_form_shows_the_missing_field_next_to_it(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    response = client.post("/leads/new/", {"name": "周婷", "company": "宁波康复医院"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="error-phone"' in html and "请填写手机" in html
    assert 'value="周婷"' in html  # what was typed is kept
    assert not Lead.objects.exists()


def test_quick_form_duplicate_links_the_visible_lead(trio: Trio, client: Client) -> None:
    existing = services.lead_enter(data=QUICK, actor=trio.owner)
    client.force_login(trio.owner)
    response = client.post("/leads/new/", {**QUICK, "name": "重复"})
    assert response.status_code == 409
    assert f'href="/leads/{existing.pk}/"' in response.content.decode()
    client.force_login(trio.outsider)
    hidden = client.post("/leads/new/", {**QUICK, "name": "重复"}).content.decode()
    assert f"/leads/{existing.pk}/" not in hidden and "其他同事" in hidden


def test_leads_page_offers_the_button_to_those_who_may_create(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    assert 'data-testid="lead-new"' in client.get("/leads/").content.decode()
    finance = make_user("fin", Role.FINANCE, trio.team, None)
    client.force_login(finance)
    assert 'data-testid="lead-new"' not in client.get("/leads/").content.decode()
    assert client.get("/leads/new/").status_code == 403
