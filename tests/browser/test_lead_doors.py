"""Leads from every door: 新建线索 on a phone, and the hosted website form (also inside an iframe)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from salesflow.leads import services as leads
from salesflow.leads.models import IntakeForm, Lead
from salesflow.org.models import User
from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser


def _no_wider_than_the_viewport(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide"


def test_quick_entry_on_a_phone_creates_a_lead_and_lands_on_it(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    log_in(page, "rep1")
    page.goto("/leads/")
    page.get_by_test_id("lead-new").click()
    expect(page).to_have_url(re.compile(r"/leads/new/$"))
    # Three fields in view; the rest folded behind 更多.
    expect(page.locator("#fld-name")).to_be_visible()
    expect(page.locator("#fld-phone")).to_be_visible()
    expect(page.locator("#fld-company")).to_be_visible()
    expect(page.locator("#fld-email")).to_be_hidden()
    page.fill("#fld-name", "林晓")
    page.fill("#fld-company", "台州恩泽医院")
    page.get_by_test_id("lead-new-submit").click()
    error = page.get_by_test_id("error-phone")
    expect(error).to_have_text(re.compile("请填写手机"))
    expect(page.locator("#fld-name")).to_have_value("林晓")
    _no_wider_than_the_viewport(page)
    shot(page, "missing-phone")
    page.fill("#fld-phone", "138 5555 0101")
    page.get_by_text("更多").click()
    page.select_option("#fld-industry_segment", label="公立医院")
    page.select_option("#fld-source", label="展会")
    page.get_by_test_id("lead-new-submit").click()
    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))
    expect(page.locator(".page-title")).to_contain_text("林晓")
    lead = Lead.objects.select_related("owner").get(phone_key="13855550101")
    assert page.url.endswith(f"/leads/{lead.pk}/")
    assert lead.owner is not None and lead.owner.username == "rep1"
    assert lead.source == "expo" and lead.industry_segment == "hospital_public"
    _no_wider_than_the_viewport(page)
    shot(page, "created")


def test_quick_entry_on_a_desktop(page: Page, shot: Shot) -> None:
    log_in(page, "rep1")
    page.goto("/leads/new/")
    page.get_by_text("更多").click()
    expect(page.locator("#fld-budget")).to_be_visible()
    shot(page)


def _form() -> IntakeForm:
    return leads.form_create(
        name="官网咨询", actor=User.objects.get(username="admin"), default_source="website"
    )


def test_hosted_form_on_a_phone_shows_the_missed_field_then_thanks(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    form = _form()
    page.goto(f"/f/{form.key}/")
    expect(page.get_by_role("heading", name="官网咨询")).to_be_visible()
    page.fill("#fld-name", "高敏")
    page.fill("#fld-phone", "13966660202")
    page.fill("#fld-company", "湖州中心医院")
    page.get_by_test_id("hosted-submit").click()
    error = page.get_by_test_id("error-industry_segment")
    expect(error).to_have_text(re.compile("请填写行业细分"))
    expect(page.locator("body")).not_to_contain_text("This field is required")
    expect(page.locator("body")).not_to_contain_text('"detail"')
    # Next to the field: right below its select, not in a banner somewhere else.
    select_box = page.locator("#fld-industry_segment").bounding_box()
    error_box = error.bounding_box()
    assert select_box and error_box
    assert 0 <= error_box["y"] - (select_box["y"] + select_box["height"]) < 30
    expect(page.locator("#fld-name")).to_have_value("高敏")
    _no_wider_than_the_viewport(page)
    shot(page, "error")
    page.select_option("#fld-industry_segment", label="民营医院")
    page.get_by_test_id("hosted-submit").click()
    expect(page.get_by_test_id("hosted-thanks")).to_contain_text("提交成功")
    shot(page, "thanks")
    lead = Lead.objects.get(phone_key="13966660202")
    assert lead.form_id == form.pk and lead.industry_segment == "hospital_private"


@contextmanager
def partner_site(html: str) -> Iterator[str]:
    """Another website on 127.0.0.1 (another site than the live server's localhost) serving `html`.

    A real local server: chromium refuses a local frame inside a page it cannot place on the
    local network (a page Playwright fulfils itself is such a page).
    """
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_hosted_form_works_inside_another_site_s_iframe(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    form = _form()
    src = f"{live_server.url}/f/{form.key}/"
    assert "//localhost:" in src  # so the partner on 127.0.0.1 is another site
    html = (
        '<!doctype html><meta charset="utf-8"><h1>合作网站</h1>'
        f'<iframe src="{src}" width="380" height="760"></iframe>'
    )
    with partner_site(html) as partner:
        page.goto(partner)
        frame = page.frame_locator("iframe")
        frame.locator("#fld-name").fill("方园")
        frame.locator("#fld-phone").fill("13977770303")
        frame.locator("#fld-industry_segment").select_option(label="诊所")
        # Cross-site, the browser sends the frame no cookies: the post needs no CSRF cookie.
        frame.get_by_test_id("hosted-submit").click()
        expect(frame.get_by_test_id("hosted-thanks")).to_be_visible()
        shot(page)
    assert Lead.objects.filter(phone_key="13977770303", form=form).exists()


def test_unknown_hosted_form_is_a_chinese_404(page: Page) -> None:
    response = page.goto("/f/not-a-key/")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("error-message")).to_contain_text("请回到原网站")
