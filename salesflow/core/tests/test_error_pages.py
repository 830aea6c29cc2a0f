"""403, 404, CSRF and 500 pages: inside the layout, in Chinese (English by choice), JSON under /api/."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path

from salesflow import urls as product_urls
from salesflow.core import error_views
from salesflow.core.testing import Trio


def _boom(request: HttpRequest) -> HttpResponse:
    raise DatabaseError("database is locked")


# The product's URLs plus two views that crash, one page and one under /api/.
urlpatterns = [path("boom/", _boom), path("api/v1/boom", _boom), *product_urls.urlpatterns]
handler403 = product_urls.handler403
handler404 = product_urls.handler404
handler500 = product_urls.handler500


def test_permission_denied_page_says_why_inside_the_layout(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    response = client.get("/settings/forms/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "只有运营管理员可以管理网站表单" in html
    assert 'id="sidebar"' in html  # the navigation stays
    assert 'data-testid="error-home"' in html and "首页" in html and "返回" in html


def test_permission_denied_page_in_english_by_choice(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    client.cookies["django_language"] = "en"
    html = client.get("/settings/forms/").content.decode()
    assert "Only the ops admin can manage website forms" in html
    assert "Permission denied" in html
    assert "只有运营管理员" not in html


def test_not_found_page_is_chinese_and_links_back(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/customers/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "找不到页面" in html and "页面或记录不存在，或你无权查看。" in html
    assert 'href="http://testserver/customers/"' in html  # 返回 goes where the user came from
    assert 'id="sidebar"' in html


def test_not_found_record_does_not_leak_internal_wording(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    response = client.get(f"/settings/users/{trio.outsider.pk}/")  # raises Http404("Not visible")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not visible" not in html
    assert "页面或记录不存在，或你无权查看。" in html


def test_anonymous_not_found_offers_login(db: None, client: Client) -> None:
    html = client.get("/no-such-page/").content.decode()
    assert "找不到页面" in html and "登录" in html
    assert 'id="sidebar"' not in html


def test_foreign_referer_is_not_offered_as_the_way_back(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    html = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/").content.decode()
    assert "evil.example" not in html
    assert "data-history-back" in html


def test_domain_errors_on_pages_use_the_language_of_the_page(trio: Trio, client: Client) -> None:
    request = RequestFactory().get("/x/")
    request.user = trio.owner
    from salesflow.core.errors import PermissionDenied
    from salesflow.core.middleware import DomainErrorMiddleware

    middleware = DomainErrorMiddleware(lambda r: HttpResponse())
    response = middleware.process_exception(
        request, PermissionDenied("只有负责人或其上级可以推进商机 / Only the owner or their managers.")
    )
    assert response is not None and response.status_code == 403
    html = response.content.decode()
    assert "只有负责人或其上级可以推进商机" in html and "Only the owner" not in html


def test_api_routes_keep_answering_json(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_csrf_failure_is_the_products_page(trio: Trio) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(trio.admin)
    response = client.post("/settings/forms/", {"name": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "页面已过期" in html and "请刷新页面后再提交一次" in html


@override_settings(ROOT_URLCONF=__name__)
def test_server_error_page_is_standalone_and_chinese(trio: Trio) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(trio.owner)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器出错了" in html and 'href="/"' in html
    assert "salesflow/salesflow.css" in html  # still looks like the product
    assert "database is locked" not in html  # no internals shown


@override_settings(ROOT_URLCONF=__name__)
def test_server_error_under_api_is_json(trio: Trio) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(trio.owner)
    response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "服务器内部错误，请稍后重试。"}


def test_server_error_page_needs_no_database(db: None, django_assert_num_queries) -> None:
    request = RequestFactory().get("/anything/")
    with django_assert_num_queries(0):
        response = error_views.server_error(request)
    assert response.status_code == 500


def test_refused_request_is_one_log_line(
    trio: Trio, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(trio.owner)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/settings/forms/")
    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert refusals, "the 403 is logged"
    assert all(r.exc_info is None for r in refusals)
    assert "Forbidden" in caplog.text and "Traceback" not in caplog.text


@override_settings(ROOT_URLCONF=__name__)
def test_crash_keeps_its_traceback_in_the_log(trio: Trio, caplog: pytest.LogCaptureFixture) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(trio.owner)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        client.get("/boom/")
    assert any(r.exc_info for r in caplog.records if r.name == "django.request")


def test_favicon_is_served(db: None, client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("salesflow/favicon.svg")
    svg = finders.find("salesflow/favicon.svg")
    assert svg and Path(svg).read_text(encoding="utf-8").startswith("<svg")
    assert 'rel="icon"' in client.get("/login/").content.decode()
