"""A lead posted to the public endpoint appears on the rep's 今日; the rep logs a call; the timer stops."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from salesflow.leads import services as leads
from salesflow.leads.models import Lead
from salesflow.org import services as org
from salesflow.org.models import User
from salesflow.timers.models import Deadline
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_web_lead_reaches_rep_who_logs_a_call(page: Page, live_server: LiveServer) -> None:
    rep = User.objects.get(username="rep1")
    org.user_set_skills(user=rep, actor=None, product_lines=["spine"], customer_tiers=["tier3a"])
    admin = User.objects.get(username="admin")
    form = leads.form_create(name="官网留言", actor=admin, default_source="website")
    body = json.dumps(
        {
            "name": "周医生",
            "phone": "+86 139-0000-1234",
            "company": "浙江省人民医院",
            "industry_segment": "hospital_public",
            "customer_tier": "tier3a",
            "product_line": "spine",
            "budget": "960000",
            "buying_stage": "budget_approved",
        }
    )
    request = urllib.request.Request(  # noqa: S310 - the live test server on loopback
        f"{live_server.url}/api/v1/intake/{form.key}",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 - the live test server on loopback
        # The website hears an acknowledgement only; who got the lead is read behind login.
        assert json.loads(response.read()) == {"received": True}
    lead = Lead.objects.select_related("owner").get(phone_key="13900001234")
    assert lead.owner is not None
    owner = lead.owner.username

    log_in(page, owner)
    card = page.locator("[data-testid=today-leads]")
    expect(card).to_contain_text("周医生")
    expect(card.locator("[data-countdown]").first).to_contain_text("还剩")
    screenshot(page, "today-new-lead")

    card.get_by_text("周医生").click()
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    expect(page.locator("[data-testid=score-factors]")).to_contain_text("客户等级：三甲")
    expect(page.locator("[data-testid=sla]")).to_contain_text("首次联系时限")
    page.check("#kind-call", force=True)
    page.fill("#duration-minutes", "3")
    page.fill("textarea[name=note]", "确认脊柱类需求，下周拜访")
    page.click("#save-activity")
    expect(page.locator(".alert-success")).to_contain_text("有效接触")
    expect(page.locator("[data-testid=sla]")).to_contain_text("已停止")
    screenshot(page, "lead-after-call")
    first_contact = Deadline.objects.get(subject_id=lead.pk, policy="lead_first_contact")
    assert first_contact.status == "cancelled"
