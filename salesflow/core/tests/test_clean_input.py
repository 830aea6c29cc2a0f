"""NUL, lone surrogates and deep JSON anywhere in a request: a 400 naming the field, never a 500.

PostgreSQL is where NUL used to be a 500 (SQLite stores it), so these run on both engines and
matter most on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from salesflow.core.inputs import MAX_JSON_DEPTH
from salesflow.core.testing import TEST_PASSWORD, Trio, api_client_for
from salesflow.customers import services as customer_services
from salesflow.customers.models import Customer
from salesflow.leads import services as lead_services
from salesflow.leads.models import IntakeForm, Lead

pytestmark = pytest.mark.django_db


def _browser(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)  # type: ignore[attr-defined]
    return client


def _website(trio: Trio) -> IntakeForm:
    return lead_services.form_create(name="官网表单", actor=trio.admin, default_source="website")


def _names(response: Any, loc: list[Any]) -> None:
    """The API's refusal: 400, Ninja's error shape, the field's location."""
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [loc]
    assert detail[0]["type"] == "value_error" and detail[0]["msg"]


def test_nul_in_api_query_parameters_is_a_400_naming_the_parameter(trio: Trio) -> None:
    api = api_client_for(trio.owner)
    _names(api.get("/api/v1/customers", {"q": "甲\x00"}), ["query", "q"])
    _names(api.get("/api/v1/leads", {"status": "\x00"}), ["query", "status"])
    _names(api.get("/api/v1/opportunities", {"pipeline": "x\x00y"}), ["query", "pipeline"])


def test_nul_in_api_json_bodies_is_a_400_naming_the_field_and_writes_nothing(trio: Trio) -> None:
    api = api_client_for(trio.owner)
    created = api.post("/api/v1/customers", {"name": "甲医院\x00"}, content_type="application/json")
    _names(created, ["body", "name"])
    assert not Customer.objects.exists()
    token = Client().post(
        "/api/v1/auth/token", {"username": "owner\x00", "password": "x"}, content_type="application/json"
    )
    _names(token, ["body", "username"])


def test_nul_in_the_release_reason_is_refused_on_the_api_and_the_page(trio: Trio) -> None:
    customer = customer_services.customer_create(name="甲医院", actor=trio.owner, owner=trio.owner)
    api = api_client_for(trio.owner)
    released = api.post(
        f"/api/v1/customers/{customer.pk}/release", {"reason": "不做了\x00"}, content_type="application/json"
    )
    _names(released, ["body", "reason"])
    page = _browser(trio.owner).post(f"/customers/{customer.pk}/release/", {"reason": "不做了\x00"})
    assert page.status_code == 400
    assert "「reason」含有空字符（NUL）" in page.content.decode()
    customer.refresh_from_db()
    assert customer.owner_id == trio.owner.pk


def test_pages_answer_a_nul_query_with_a_chinese_400(trio: Trio) -> None:
    page = _browser(trio.owner).get("/customers/", {"q": "\x00"})
    assert page.status_code == 400
    assert "「q」含有空字符（NUL），请删除后重试。" in page.content.decode()


def test_public_intake_refuses_nul_surrogates_deep_json_and_a_nul_key(trio: Trio) -> None:
    website, client = _website(trio), Client()
    url = f"/api/v1/intake/{website.key}"
    _names(client.post(url, {"name": "李明\x00"}, content_type="application/json"), ["body", "name"])
    _names(client.post(url, {"name": "李明", "company": "甲\x00"}), ["form", "company"])
    # A lone surrogate as JSON escapes it (a raw one cannot even be encoded as UTF-8).
    surrogate = client.post(url, '{"name": "\\ud800"}', content_type="application/json")
    _names(surrogate, ["body", "name"])
    deep = client.post(url, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert deep.status_code == 400 and deep.json()["detail"][0]["loc"] == ["body"]
    _names(client.post("/api/v1/intake/ab%00cd", {"name": "李明"}, content_type="application/json"), ["path"])
    assert not Lead.objects.exists()


def test_json_deeper_than_the_limit_names_where_it_got_too_deep(trio: Trio) -> None:
    api = api_client_for(trio.owner)
    nested: Any = "x"
    for _ in range(MAX_JSON_DEPTH + 1):
        nested = {"a": nested}
    response = api.post(
        "/api/v1/customers", {"name": "甲医院", "extra": nested}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"][:4] == ["body", "extra", "a", "a"]
    assert not Customer.objects.exists()


def test_a_json_body_sent_as_text_is_checked_too(trio: Trio) -> None:
    # Django Ninja parses any body as JSON whatever its content type.
    api = api_client_for(trio.owner)
    response = api.post("/api/v1/customers", '{"name": "甲\\u0000"}', content_type="text/plain")
    _names(response, ["body", "name"])


def test_clean_text_and_escaped_backslashes_still_pass(trio: Trio) -> None:
    api = api_client_for(trio.owner)
    # A literal backslash followed by "u0000" is ordinary text, not a NUL.
    response = api.post("/api/v1/customers", '{"name": "甲医院\\\\u0000"}', content_type="application/json")
    assert response.status_code == 201, response.content
    assert Customer.objects.get().name == "甲医院\\u0000"
    assert api.get("/api/v1/customers", {"q": "甲医院"}).status_code == 200


def test_the_api_parser_checks_a_body_the_middleware_did_not_see() -> None:
    from django.test import RequestFactory

    from salesflow.core.inputs import BadInput, CheckedJSONParser

    parser = CheckedJSONParser()
    request = RequestFactory().post("/elsewhere", '{"a": ["\\u0000"]}', content_type="application/json")
    with pytest.raises(BadInput) as refused:
        parser.parse_body(request)
    assert refused.value.loc == ["body", "a", 0] and refused.value.field == "body.a[0]"
    deep = RequestFactory().post("/elsewhere", "[" * 100_000 + "]" * 100_000, content_type="application/json")
    with pytest.raises(BadInput):
        parser.parse_body(deep)
    assert parser.parse_body(RequestFactory().post("/x", '{"a": 1}', content_type="application/json")) == {
        "a": 1
    }


def test_anonymous_pages_refuse_too_without_a_500() -> None:
    client = Client()
    login = client.get("/login/", {"next": "/today/\x00"})
    assert login.status_code == 400 and "「next」含有空字符（NUL）" in login.content.decode()
    posted = client.post("/login/", {"username": "owner\x00", "password": "x"})
    assert posted.status_code == 400 and "「username」" in posted.content.decode()
