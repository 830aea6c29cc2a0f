"""The hosted website form /f/<key>/: standalone, frameable, errors by the fields, intake behind it."""

from __future__ import annotations

import time_machine
from django.test import Client, override_settings

from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.leads import services
from salesflow.leads.models import IntakeForm, Lead

VISITOR = {"name": "陈静", "phone": "13912345678", "company": "嘉兴第一医院", "industry_segment": "clinic"}


def url(form: IntakeForm) -> str:
    return f"/f/{form.key}/"


def test_the_page_is_standalone_and_shows_the_form_s_fields(website: IntakeForm, client: Client) -> None:
    response = client.get(url(website))
    assert response.status_code == 200
    html = response.content.decode()
    assert "官网表单" in html
    # The pack requires 行业细分 on website forms: it is shown, as a choice with Chinese labels.
    assert 'name="industry_segment"' in html and "公立医院" in html and "hospital_public</option>" not in html
    assert 'name="hp_website"' in html  # the honeypot
    assert "navbar" not in html and "/logout/" not in html  # not the app shell


def test_the_page_may_be_framed_but_the_app_may_not(website: IntakeForm, client: Client) -> None:
    response = client.get(url(website))
    assert "X-Frame-Options" not in response.headers
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https: http:" in policy and "script-src 'self'" in policy
    other = client.get("/login/")
    assert other.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]


def test_allowed_origins_limit_who_may_frame_it(trio: Trio, client: Client) -> None:
    form = services.form_create(
        name="合作站",
        actor=trio.admin,
        allowed_origins=["https://www.partner.cn", "https://evil.example; script-src *"],
    )
    policy = client.get(url(form)).headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors 'self' https://www.partner.cn")
    assert "evil" not in policy


def test_a_missed_field_is_shown_next_to_it_in_chinese(website: IntakeForm, client: Client) -> None:
    response = client.post(url(website), {k: v for k, v in VISITOR.items() if k != "industry_segment"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="error-industry_segment"' in html and "请填写行业细分" in html
    assert "This field is required" not in html and "{" not in html.split("<body", 1)[1].split("</form>")[0]
    assert 'value="陈静"' in html  # the visitor's typing is kept
    assert not Lead.objects.exists()


def test_a_good_submission_thanks_the_visitor_and_becomes_an_assigned_lead(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    # No CSRF token: the page posts from inside other sites' iframes (see the view's docstring).
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(url(website) + "?utm_source=x", {**VISITOR, "utm_source": "wechat_ad"})
    assert response.status_code == 302 and response["Location"] == url(website) + "?sent=1"
    thanks = strict.get(response["Location"])
    assert 'data-testid="hosted-thanks"' in thanks.content.decode()
    lead = Lead.objects.get()
    assert lead.form == website and lead.source == "website" and lead.owner is not None
    assert lead.utm == {"utm_source": "wechat_ad"}


def test_utm_parameters_of_the_page_are_carried(website: IntakeForm, client: Client) -> None:
    html = client.get(url(website) + "?utm_campaign=spring").content.decode()
    assert 'name="utm_campaign" value="spring"' in html


def test_the_honeypot_is_thanked_and_forgotten(website: IntakeForm, client: Client) -> None:
    response = client.post(url(website), {**VISITOR, "hp_website": "http://spam"})
    assert response.status_code == 302
    assert not Lead.objects.exists()


@override_settings(SALESFLOW_INTAKE_LIMIT_PER_IP=2)
def test_the_throttle_applies(website: IntakeForm, client: Client) -> None:
    # Time stands still: the three posts must fall in one minute's window even on a slow machine.
    with time_machine.travel(clock.now(), tick=False):
        for _ in range(2):
            client.post(url(website), {"name": ""})
        response = client.post(url(website), VISITOR)
    assert response.status_code == 429
    assert "请一分钟后再试" in response.content.decode()
    assert not Lead.objects.exists()


def test_unknown_or_disabled_key_is_a_chinese_404(website: IntakeForm, client: Client) -> None:
    missing = client.get("/f/no-such-key/")
    assert missing.status_code == 404 and "表单不存在或已停用" in missing.content.decode()
    website.active = False
    website.save()
    assert client.get(url(website)).status_code == 404
    assert client.post(url(website), VISITOR).status_code == 404
    assert not Lead.objects.exists()


def test_the_forms_page_shows_the_hosted_url_and_an_iframe_snippet(
    trio: Trio, website: IntakeForm, client: Client
) -> None:
    client.force_login(trio.admin)
    html = client.get("/settings/forms/").content.decode()
    assert f"http://testserver/f/{website.key}/" in html
    assert f'&lt;iframe src="http://testserver/f/{website.key}/"' in html
