"""Lead pages: list, detail (which acknowledges for the owner), pool claim, 今日, forms settings."""

from __future__ import annotations

from django.test import Client

from salesflow.core.testing import Trio
from salesflow.leads import services
from salesflow.leads.models import IntakeForm, Lead

DATA = {
    "name": "李明",
    "phone": "13812345678",
    "industry_segment": "hospital_public",
    "customer_tier": "tier3a",
    "product_line": "joint",
}


def test_rep_sees_new_lead_on_today_and_opening_it_acknowledges(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    lead, _merged = services.intake_submit(form=website, data=DATA, client="t")
    assert lead is not None and lead.owner == trio.owner
    client.force_login(trio.owner)
    today = client.get("/today/").content.decode()
    assert "待响应的新线索" in today and "李明" in today and "data-countdown" in today
    listing = client.get("/leads/", {"owner": "me"}).content.decode()
    assert f"/leads/{lead.pk}/" in listing
    detail = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "客户等级：三甲" in detail and "customer_tier = tier3a" not in detail and "分配负责人" in detail
    lead.refresh_from_db()
    assert lead.acknowledged_at is not None and lead.status == "acknowledged"


def test_outsider_cannot_open_and_manager_does_not_acknowledge(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    lead, _merged = services.intake_submit(form=website, data=DATA, client="t")
    assert lead is not None
    client.force_login(trio.outsider)
    assert client.get(f"/leads/{lead.pk}/").status_code == 404
    client.force_login(trio.manager)
    assert client.get(f"/leads/{lead.pk}/").status_code == 200
    lead.refresh_from_db()
    assert lead.acknowledged_at is None


def test_pool_page_claim(trio: Trio, client: Client) -> None:
    from salesflow.core import clock

    lead = Lead.objects.create(name="池中线索", status="pooled", created_at=clock.now())
    client.force_login(trio.teammate)
    assert "池中线索" in client.get("/leads/pool/").content.decode()
    response = client.post(f"/leads/{lead.pk}/claim/")
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == trio.teammate
    client.force_login(trio.owner)
    # No longer in the pool: the button says who was faster, as the API's 409 does.
    late = client.post(f"/leads/{lead.pk}/claim/", follow=True)
    assert late.redirect_chain[-1][0] == "/leads/pool/"
    assert f"线索已被 {trio.teammate} 认领" in late.content.decode()


def test_forms_settings_ops_admin_only(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    assert client.get("/settings/forms/").status_code == 403
    client.force_login(trio.admin)
    assert client.post("/settings/forms/", {"name": "展会表单", "code": "expo"}).status_code == 302
    form = IntakeForm.objects.get(name="展会表单")
    assert form.key in client.get("/settings/forms/").content.decode()
    assert client.post("/settings/forms/", {"name": ""}).status_code == 422


def test_assignment_settings_preview_and_save(trio: Trio, website: IntakeForm, client: Client) -> None:
    from salesflow.rules.models import RulePackVersion
    from salesflow.rules.selectors import active_pack

    lead, _merged = services.intake_submit(form=website, data=DATA, client="t")
    assert lead is not None
    versions = RulePackVersion.objects.count()
    client.force_login(trio.owner)
    assert client.post("/settings/assignment/", {"strategy": "round_robin"}).status_code == 403
    client.force_login(trio.manager)
    page = client.get("/settings/assignment/").content.decode()
    assert "李明" in page and 'data-testid="assignment-preview"' in page
    bad = client.post(
        "/settings/assignment/",
        {"strategy": "lottery", "senior_score_threshold": "80", "senior_min_level": "9"},
    )
    assert bad.status_code == 422 and "strategy" in bad.content.decode()
    assert RulePackVersion.objects.count() == versions
    ok = client.post(
        "/settings/assignment/",
        {
            "strategy": "round_robin",
            "senior_score_threshold": "70",
            "senior_min_level": "3",
            "skip_on_leave": "on",
            "respect_workload_cap": "on",
            "w-open_workload": "1",
        },
    )
    assert ok.status_code == 302
    _number, pack = active_pack()
    assert pack.assignment.strategy == "round_robin" and pack.assignment.senior_score_threshold == 70
    assert lead.owner is not None  # the preview changed nothing
    lead.refresh_from_db()
    assert lead.owner == trio.owner


def test_assignment_page_is_for_rule_editors_and_previews_only_their_scope(
    trio: Trio, client: Client
) -> None:
    services.lead_create(name="本组线索", phone="13800000001", owner=trio.owner, actor=None)
    services.lead_create(name="外组线索", phone="13800000002", owner=trio.outsider, actor=None)
    for user in (trio.owner, trio.outsider):
        client.force_login(user)
        assert client.get("/settings/assignment/").status_code == 403
        assert "/settings/assignment/" not in client.get("/settings/rules/").content.decode()
    client.force_login(trio.manager)
    page = client.get("/settings/assignment/").content.decode()
    assert "本组线索" in page and "外组线索" not in page
    client.force_login(trio.admin)
    page = client.get("/settings/assignment/").content.decode()
    assert "本组线索" in page and "外组线索" in page
