from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client

from salesflow.core import clock
from salesflow.core.testing import TEST_PASSWORD, Trio
from salesflow.org import services
from salesflow.org.models import ApiToken


def _token(client: Client, username: str, password: str) -> tuple[int, dict]:
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    return response.status_code, response.json()


def test_good_credentials_give_a_token_that_authenticates(trio: Trio, client: Client) -> None:
    status, body = _token(client, "owner", TEST_PASSWORD)
    assert status == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    data = me.json()
    assert data["username"] == "owner"
    assert data["role"] == "rep" and data["role_label"] == "销售"
    assert data["team"]["name"] == "上海一组"
    assert data["manager"]["username"] == "mgr"


def test_tokens_are_stored_hashed(trio: Trio, client: Client) -> None:
    _status, body = _token(client, "owner", TEST_PASSWORD)
    stored = ApiToken.objects.get(user=trio.owner)
    assert body["token"] not in (stored.digest, stored.prefix)
    assert len(stored.digest) == 64


def test_bad_credentials_are_401(trio: Trio, client: Client) -> None:
    assert _token(client, "owner", "wrong")[0] == 401
    assert _token(client, "nobody", TEST_PASSWORD)[0] == 401
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_bad_token_request_body_is_422_naming_fields(db: None, client: Client) -> None:
    response = client.post("/api/v1/auth/token", {"username": "x"}, content_type="application/json")
    assert response.status_code == 422
    assert any("password" in err["loc"] for err in response.json()["detail"])


def test_expired_and_revoked_tokens_are_refused(trio: Trio, client: Client) -> None:
    _status, body = _token(client, "owner", TEST_PASSWORD)
    header = {"Authorization": f"Bearer {body['token']}"}
    with time_machine.travel(clock.now() + timedelta(days=91)):
        assert client.get("/api/v1/me", headers=header).status_code == 401
    assert client.get("/api/v1/me", headers=header).status_code == 200
    services.api_token_revoke(token=ApiToken.objects.get(user=trio.owner), actor=trio.owner)
    assert client.get("/api/v1/me", headers=header).status_code == 401


def test_repeated_failures_are_throttled_then_released(trio: Trio, client: Client) -> None:
    for _ in range(5):
        assert _token(client, "owner", "wrong")[0] == 401
    response = client.post(
        "/api/v1/auth/token",
        {"username": "owner", "password": TEST_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    with time_machine.travel(clock.now() + timedelta(minutes=16)):
        assert _token(client, "owner", TEST_PASSWORD)[0] == 201


def test_inactive_user_token_stops_working(trio: Trio, client: Client) -> None:
    _status, body = _token(client, "owner", TEST_PASSWORD)
    services.user_update(user=trio.owner, actor=trio.admin, is_active=False)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 401


def test_session_login_and_logout_pages(trio: Trio, client: Client) -> None:
    page = client.get("/login/")
    assert page.status_code == 200 and "登录" in page.content.decode()
    bad = client.post("/login/", {"username": "owner", "password": "nope"})
    assert bad.status_code == 200 and "用户名或密码错误" in bad.content.decode()
    good = client.post("/login/", {"username": "owner", "password": TEST_PASSWORD})
    assert good.status_code == 302 and good["Location"] == "/today/"
    today = client.get("/today/")
    assert today.status_code == 200 and "今日待办" in today.content.decode()
    # The session also authenticates the API for the browser's own calls.
    assert client.get("/api/v1/me").json()["username"] == "owner"
    assert client.post("/logout/").status_code == 302
    assert client.get("/today/").status_code == 302


def test_pages_require_login(db: None, client: Client) -> None:
    for url in ["/today/", "/settings/", "/m/workorders/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
