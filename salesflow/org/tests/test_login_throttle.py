"""One login throttle for the token endpoint, the login page and the admin login."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connections
from django.test import Client
from pytest_django.fixtures import Settings

from salesflow.core import clock
from salesflow.core.errors import AuthenticationFailed, Throttled
from salesflow.core.testing import TEST_PASSWORD, Trio
from salesflow.org import services

LIMIT = 5  # SALESFLOW_LOGIN_FAILURE_LIMIT's default


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how often a password is hashed (to check or to set)."""

    calls: list[str] = []

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.calls.append(password)
        return super().encode(password, salt)


@pytest.fixture
def hashed(settings: Settings) -> list[str]:
    """The passwords hashed during the test, in order."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.calls = []
    return CountingHasher.calls


def _token(client: Client, username: str, password: str, **extra: Any) -> int:
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )
    return response.status_code


def _page_login(client: Client, url: str, username: str, password: str) -> tuple[int, str]:
    response = client.post(url, {"username": username, "password": password})
    return response.status_code, response.content.decode()


def test_wrong_passwords_on_the_login_page_are_throttled_and_then_the_right_one_too(
    trio: Trio, client: Client
) -> None:
    for _ in range(LIMIT):
        status, page = _page_login(client, "/login/", "owner", "wrong")
        assert status == 200 and "用户名或密码错误" in page
    for password in ["wrong"] * 10 + [TEST_PASSWORD]:
        status, page = _page_login(client, "/login/", "owner", password)
        assert status == 429 and "登录失败次数过多，请 " in page and "分钟后再试" in page
    assert client.get("/today/").status_code == 302  # not logged in


def test_the_throttle_message_is_translated(trio: Trio, client: Client) -> None:
    for _ in range(LIMIT):
        _page_login(client, "/login/", "owner", "wrong")
    client.cookies["django_language"] = "en"
    _status, page = _page_login(client, "/login/", "owner", TEST_PASSWORD)
    assert "Too many failed sign-in attempts; please try again in" in page


def test_a_name_locked_out_of_the_token_endpoint_cannot_log_in_through_the_pages(
    trio: Trio, client: Client
) -> None:
    for _ in range(LIMIT):
        assert _token(client, "owner", "wrong") == 401
    assert _token(client, "owner", TEST_PASSWORD) == 429
    status, page = _page_login(client, "/login/", "owner", TEST_PASSWORD)
    assert status == 429 and "登录失败次数过多" in page
    status, page = _page_login(client, "/admin/login/", "owner", TEST_PASSWORD)
    assert "登录失败次数过多" in page
    assert client.get("/today/").status_code == 302


def test_failures_at_the_admin_login_lock_the_token_endpoint(trio: Trio, client: Client) -> None:
    for _ in range(LIMIT):
        _page_login(client, "/admin/login/", "owner", "wrong")
    _status, page = _page_login(client, "/admin/login/", "owner", "wrong")
    assert "登录失败次数过多" in page
    assert _token(client, "owner", TEST_PASSWORD) == 429


def test_a_throttled_attempt_does_not_check_the_password(
    trio: Trio, client: Client, hashed: list[str]
) -> None:
    for _ in range(LIMIT):
        assert _token(client, "owner", "wrong") == 401
    assert len(hashed) == LIMIT
    assert _token(client, "owner", TEST_PASSWORD) == 429
    _page_login(client, "/login/", "owner", TEST_PASSWORD)
    _page_login(client, "/admin/login/", "owner", TEST_PASSWORD)
    assert len(hashed) == LIMIT


@pytest.mark.parametrize("way_in", ["token", "/login/", "/admin/login/"])
def test_an_unknown_name_costs_the_same_hashing_as_a_known_one(
    trio: Trio, client: Client, hashed: list[str], way_in: str
) -> None:
    def attempt(username: str) -> None:
        if way_in == "token":
            assert _token(client, username, "wrong") == 401
        else:
            _page_login(client, way_in, username, "wrong")

    attempt("owner")
    known = len(hashed)
    attempt("nobody-by-this-name")
    unknown = len(hashed) - known
    assert known == unknown == 1


def test_an_inactive_user_is_refused_after_the_same_hashing(
    trio: Trio, client: Client, hashed: list[str]
) -> None:
    services.user_update(user=trio.owner, actor=trio.admin, is_active=False)
    hashed.clear()
    assert _token(client, "owner", TEST_PASSWORD) == 401
    status, _page = _page_login(client, "/login/", "owner", TEST_PASSWORD)
    assert status == 200 and len(hashed) == 2


def test_the_right_password_clears_the_address_failures(trio: Trio, client: Client) -> None:
    for _ in range(LIMIT - 1):
        assert _token(client, "owner", "wrong") == 401
    assert _token(client, "owner", TEST_PASSWORD) == 201
    for _ in range(LIMIT):
        assert _token(client, "owner", "wrong") == 401
    assert _token(client, "owner", "wrong") == 429


def test_one_name_from_many_addresses_is_throttled(trio: Trio, client: Client, settings: Settings) -> None:
    settings.SALESFLOW_LOGIN_FAILURE_LIMIT_PER_USER = 8
    for n in range(8):
        assert _token(client, "owner", "wrong", REMOTE_ADDR=f"203.0.113.{n}") == 401
    assert _token(client, "owner", TEST_PASSWORD, REMOTE_ADDR="203.0.113.200") == 429
    # Other names from those addresses are not affected.
    assert _token(client, "teammate", TEST_PASSWORD, REMOTE_ADDR="203.0.113.1") == 201


def test_one_address_trying_many_names_is_throttled(trio: Trio, client: Client, settings: Settings) -> None:
    settings.SALESFLOW_LOGIN_FAILURE_LIMIT_PER_IP = 8
    for n in range(8):
        assert _token(client, f"guess{n}", "wrong", REMOTE_ADDR="198.51.100.7") == 401
    assert _token(client, "owner", TEST_PASSWORD, REMOTE_ADDR="198.51.100.7") == 429
    assert _token(client, "owner", TEST_PASSWORD, REMOTE_ADDR="198.51.100.8") == 201


def test_the_window_slides_instead_of_resetting_at_a_boundary(trio: Trio, client: Client) -> None:
    start = clock.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            assert _token(client, "owner", "wrong") == 401
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        for _ in range(2):
            assert _token(client, "owner", "wrong") == 401
    # A fixed 15-minute window would have reset somewhere in these 14 minutes.
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert _token(client, "owner", TEST_PASSWORD) == 429
    # The first three have slid out; the two later ones are still counted.
    with time_machine.travel(start + timedelta(minutes=16, seconds=30), tick=False):
        for _ in range(3):
            assert _token(client, "owner", "wrong") == 401
        assert _token(client, "owner", "wrong") == 429


def test_the_retry_after_says_when_the_oldest_failures_slide_out(trio: Trio) -> None:
    start = clock.now().replace(microsecond=0)
    for _ in range(LIMIT):
        with pytest.raises(AuthenticationFailed):
            services.login_check(username="owner", password="wrong", client="192.0.2.1", now=start)
    with pytest.raises(Throttled) as refused:
        services.login_check(username="owner", password=TEST_PASSWORD, client="192.0.2.1", now=start)
    assert 15 * 60 <= refused.value.retry_after <= 16 * 60


def test_odd_names_and_passwords_are_refused_or_wrong_never_errors(trio: Trio, client: Client) -> None:
    # NUL and lone surrogates are refused before any view runs, naming the field (400).
    response = client.post(
        "/api/v1/auth/token", {"username": "own\x00er", "password": "wrong"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"][-1] == "username"
    assert _token(client, "owner", "\ud800") == 400
    assert _token(client, "x" * 5000, "wrong") == 401
    # Callers that do not pass through the request check (the admin login's backend, scripts)
    # still get wrong credentials from the one login check, not a database error.
    for username, password in (("own\x00er", "wrong"), ("owner", "\ud800")):
        with pytest.raises(AuthenticationFailed):
            services.login_check(username=username, password=password, client="192.0.2.1")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_guesses_check_at_most_the_limit_of_passwords(trio: Trio, hashed: list[str]) -> None:
    """24 guesses at once from one address: at most LIMIT reach the password hasher."""
    guesses = 24
    barrier = threading.Barrier(guesses)
    outcomes: list[str] = []

    def guess(n: int) -> None:
        try:
            barrier.wait()
            services.login_check(username="owner", password=f"wrong{n}", client="192.0.2.9")
        except AuthenticationFailed:
            outcomes.append("wrong")
        except Throttled:
            outcomes.append("throttled")
        except BaseException as exc:  # any other failure is reported by the assert below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(outcomes)) == ["throttled", "wrong"]
    assert len(hashed) == outcomes.count("wrong") <= LIMIT
