"""Hardening: the Content-Security-Policy, templates it can hold to, production TLS and keys."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from salesflow.core.testing import Trio
from salesflow.settings.base import DEVELOPMENT_SECRET_KEY
from salesflow.settings.keycheck import secret_key_problem


def _policy(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {part.split(" ", 1)[0]: part for part in (p.strip() for p in header.split(";"))}


@pytest.mark.parametrize(
    "url", ["/login/", "/today/", "/settings/", "/api/v1/me", "/admin/login/", "/no-such-page/"]
)
def test_every_response_carries_a_strict_policy(trio: Trio, client: Client, url: str) -> None:
    client.force_login(trio.owner)
    policy = _policy(client.get(url))
    assert policy["script-src"] == "script-src 'self'"
    assert policy["style-src"] == "style-src 'self'"
    assert policy["object-src"] == "object-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe" not in " ".join(policy.values())


def test_the_api_docs_get_the_same_strict_policy_and_local_assets(db: None, client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["style-src"] == "style-src 'self'" and policy["script-src"] == "script-src 'self'"
    assert "cdn" not in response.content.decode()  # Swagger UI comes from /static


_INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "<style> element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_relies_on_what_the_policy_blocks() -> None:
    found = []
    for path in sorted(Path(settings.PACKAGE_DIR).rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        found += [f"{path}: {what}" for what, pattern in _INLINE.items() if pattern.search(text)]
    assert found == []


def test_the_scan_finds_each_kind_of_inline_code() -> None:
    samples = {
        "inline <script>": "<script>alert(1)</script>",
        "event handler attribute": '<select onchange="x()">',
        "style attribute": '<div style="width: 1%">',
        "<style> element": "<style>p{}</style>",
        "javascript: URL": '<a href="javascript:history.back()">',
    }
    for what, sample in samples.items():
        assert _INLINE[what].search(sample)
    assert not _INLINE["inline <script>"].search('<script src="/static/x.js" defer></script>')


# Keys are made inside the tests: random parameters would give each xdist worker other test ids.
WEAK_KEYS = {
    "the development key": lambda: DEVELOPMENT_SECRET_KEY,
    "django's insecure prefix": lambda: "django-insecure-" + secrets.token_urlsafe(40),
    "short": lambda: secrets.token_urlsafe(16),
    "one character": lambda: "k" * 64,
    "few distinct characters": lambda: "abababababcdcdcdcdcdababababab" * 2,
    "a repeated pattern": lambda: "Xy7#pQ2!mZ9$kL4&" * 4,
    "a run": lambda: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "short and a phrase": lambda: "correct-horse-battery-staple!",
}
RANDOM_KEYS = {
    "urlsafe 32": lambda: secrets.token_urlsafe(32),
    "urlsafe 50": lambda: secrets.token_urlsafe(50),
    "hex 32": lambda: secrets.token_hex(32),
}


@pytest.mark.parametrize("kind", sorted(WEAK_KEYS))
def test_weak_keys_are_refused(kind: str) -> None:
    assert secret_key_problem(WEAK_KEYS[kind](), development_key=DEVELOPMENT_SECRET_KEY) is not None


@pytest.mark.parametrize("kind", sorted(RANDOM_KEYS))
def test_random_keys_are_accepted(kind: str) -> None:
    assert secret_key_problem(RANDOM_KEYS[kind](), development_key=DEVELOPMENT_SECRET_KEY) is None


_SHOW = (
    "from django.conf import settings as s; "
    "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
)


def _production(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SHOW],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "salesflow.settings.production",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


def test_tls_flag_turns_on_redirect_hsts_proxy_header_and_secure_cookies() -> None:
    on = _production({"SALESFLOW_TLS": "true", "SESSION_COOKIE_SECURE": "false"})
    assert on.returncode == 0, on.stderr
    assert on.stdout.split() == ["True", "31536000", "('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "True"]
    off = _production({})
    assert off.returncode == 0, off.stderr
    # Without the flag nothing trusts X-Forwarded-Proto (a client could send it itself).
    assert off.stdout.split()[:3] == ["False", "0", "None"]


def test_production_refuses_a_weak_key_naming_the_problem() -> None:
    weak = _production({"SECRET_KEY": "Xy7#pQ2!mZ9$kL4&" * 4})
    assert weak.returncode != 0 and "SECRET_KEY repeats a shorter pattern" in weak.stderr
