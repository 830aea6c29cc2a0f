"""Channels reach only https on public addresses, or what the operator allow-lists (no SSRF)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from salesflow.core.testing import Trio, api_client_for, run_ready_tasks
from salesflow.notify import egress, services
from salesflow.notify.models import Channel, Delivery
from salesflow.notify.tests.conftest import Recorder, url

PUBLIC_IP = "93.184.215.14"


@pytest.fixture
def nothing_allowed(settings: Any) -> None:
    """The default policy: no on-premise exceptions."""
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = []


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Answer `getaddrinfo` for the given names (the rest fail); returns the names asked, in order."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host.replace(".", "").isdigit():  # socket.create_connection to the pinned address
            return real(host, port, *args, **kwargs)
        asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(egress.socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.usefixtures("nothing_allowed")
@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:8000/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://169.254.169.254/latest/meta-data",  # cloud metadata, link-local
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "https://[::ffff:a9fe:a9fe]/hook",  # IPv4-mapped 169.254.169.254
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 for 169.254.169.254
        f"http://{PUBLIC_IP}/hook",  # public, but not https
        "ftp://example.com/hook",
        "https://user:pw@robot.example.com/hook",
    ],
)
def test_saving_a_private_loopback_or_plain_http_target_is_422_naming_the_address(
    trio: Trio, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_dns(monkeypatch, {"localhost": ["127.0.0.1"], "robot.example.com": [PUBLIC_IP]})
    response = api_client_for(trio.owner).post(
        "/api/v1/channels",
        {"kind": "wecom", "name": "群", "target": target},
        content_type="application/json",
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "target"] and "Webhook 地址不可用" in error["msg"]
    assert not Channel.objects.exists()


@pytest.mark.usefixtures("nothing_allowed")
def test_a_host_name_that_resolves_to_a_private_address_is_refused_on_save_and_on_the_page(
    trio: Trio, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_dns(monkeypatch, {"robot.example.com": [PUBLIC_IP, "10.0.0.8"]})  # one bad answer is enough
    client.force_login(trio.owner)
    response = client.post(
        "/settings/channels/", {"kind": "wecom", "name": "群", "target": "https://robot.example.com/x"}
    )
    assert response.status_code == 422
    assert "已拒绝：地址不允许" in response.content.decode()
    assert not Channel.objects.exists()


@pytest.mark.usefixtures("nothing_allowed")
def test_https_to_a_public_address_is_accepted(trio: Trio, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"qyapi.weixin.qq.com": [PUBLIC_IP]})
    channel = services.channel_create(
        actor=trio.owner,
        kind="wecom",
        name="群",
        target="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        user=trio.owner,
    )
    assert channel.pk


def test_a_target_allowed_once_is_refused_at_send_time_when_it_no_longer_is(
    trio: Trio, http_server: Recorder, settings: Any, client: Client
) -> None:
    channel = services.channel_create(
        actor=trio.owner, kind="wecom", name="群", target=url(http_server, "/w"), user=trio.owner
    )
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = []
    services.channel_send_test(channel=channel, actor=trio.owner)
    assert run_ready_tasks() == ["failed"]  # refused for good: waiting will not change it
    assert http_server.requests == []
    delivery = Delivery.objects.get()
    assert delivery.last_error.startswith("已拒绝：地址不允许") and delivery.attempts == 1
    client.force_login(trio.owner)
    assert "已拒绝：地址不允许" in client.get("/settings/channels/").content.decode()


def test_dns_rebinding_to_loopback_after_the_save_check_is_refused(
    trio: Trio, http_server: Recorder, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = []
    answers = {"robot.example.com": [PUBLIC_IP]}
    _fake_dns(monkeypatch, answers)
    port = http_server.server_address[1]
    channel = services.channel_create(
        actor=trio.owner,
        kind="wecom",
        name="群",
        target=f"https://robot.example.com:{port}/w",
        user=trio.owner,
    )
    answers["robot.example.com"] = ["127.0.0.1"]  # the attacker's DNS now answers loopback
    services.channel_send_test(channel=channel, actor=trio.owner)
    assert run_ready_tasks() == ["failed"]
    assert http_server.requests == []
    assert "已拒绝：地址不允许" in Delivery.objects.get().last_error


def test_an_allow_listed_host_name_is_reached_at_its_checked_address_with_its_own_host_header(
    trio: Trio, http_server: Recorder, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = ["robot.corp.internal"]
    asked = _fake_dns(monkeypatch, {"robot.corp.internal": ["127.0.0.1"]})
    port = http_server.server_address[1]
    channel = services.channel_create(
        actor=trio.owner,
        kind="wecom",
        name="内网机器人",
        target=f"http://robot.corp.internal:{port}/w?key=1",
        user=trio.owner,
    )
    services.channel_send_test(channel=channel, actor=trio.owner)
    assert run_ready_tasks() == ["sent"]
    [request] = http_server.requests
    assert request["path"] == "/w?key=1"
    assert request["headers"]["Host"] == f"robot.corp.internal:{port}"
    assert asked == ["robot.corp.internal"]  # resolved once, at send time, and that address used


def test_an_allow_listed_network_lets_an_on_premise_target_through(
    trio: Trio, http_server: Recorder, settings: Any
) -> None:
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = ["127.0.0.0/8"]
    channel = services.channel_create(
        actor=trio.owner, kind="wecom", name="群", target=url(http_server, "/w"), user=trio.owner
    )
    services.channel_send_test(channel=channel, actor=trio.owner)
    assert run_ready_tasks() == ["sent"]
    assert Delivery.objects.get().response_code == 200


def test_a_redirect_is_not_followed(trio: Trio, http_server: Recorder) -> None:
    http_server.reply = (302, {})
    http_server.reply_headers = {"Location": url(http_server, "/elsewhere")}
    channel = services.channel_create(
        actor=trio.owner, kind="wecom", name="群", target=url(http_server, "/w"), user=trio.owner
    )
    services.channel_send_test(channel=channel, actor=trio.owner)
    assert run_ready_tasks() == ["failed"]
    assert [r["path"] for r in http_server.requests] == ["/w"]
    delivery = Delivery.objects.get()
    assert delivery.response_code == 302 and delivery.last_error.startswith("HTTP 302")


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        ((500, {"internal": "DB_PASSWORD=hunter2"}), "HTTP 500"),
        ((200, {"errcode": 40001, "errmsg": "DB_PASSWORD=hunter2"}), "平台拒绝：errcode=40001"),
        ((200, {"errcode": "DB_PASSWORD=hunter2"}), "平台拒绝：errcode=?"),
    ],
)
def test_the_reply_body_is_never_shown_only_a_status(
    trio: Trio, http_server: Recorder, client: Client, reply: tuple[int, Any], shown: str
) -> None:
    http_server.reply = reply
    channel = services.channel_create(
        actor=trio.owner, kind="wecom", name="群", target=url(http_server, "/w"), user=trio.owner
    )
    services.channel_send_test(channel=channel, actor=trio.owner)
    run_ready_tasks()
    assert Delivery.objects.get().last_error == shown
    for viewer in (trio.owner, trio.admin):
        client.force_login(viewer)
        page = client.get("/settings/channels/").content.decode()
        assert shown in page and "hunter2" not in page
    log = api_client_for(trio.admin).get("/api/v1/deliveries").content.decode()
    assert "hunter2" not in log


def test_a_sent_delivery_shows_its_http_status_on_the_channels_page(
    trio: Trio, http_server: Recorder, client: Client
) -> None:
    channel = services.channel_create(
        actor=trio.owner, kind="wecom", name="群", target=url(http_server, "/w"), user=trio.owner
    )
    services.channel_send_test(channel=channel, actor=trio.owner)
    assert run_ready_tasks() == ["sent"]
    client.force_login(trio.owner)
    assert 'data-testid="last-code">HTTP 200<' in client.get("/settings/channels/").content.decode()


@pytest.fixture
def hello_catcher() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback TCP server keeping the first bytes each client sends (a TLS ClientHello here)."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        conn, _addr = server.accept()
        with conn:
            conn.settimeout(5)
            received.append(conn.recv(4096))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    thread.join(timeout=5)
    server.close()


@pytest.mark.django_db  # the allow-list includes the ops admin's in-app entries
def test_https_connects_to_the_checked_address_but_sends_the_host_name_as_sni(
    hello_catcher: tuple[int, list[bytes]], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, received = hello_catcher
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = ["robot.corp.internal"]
    _fake_dns(monkeypatch, {"robot.corp.internal": ["127.0.0.1"]})
    connection, _target = egress.open_connection(f"https://robot.corp.internal:{port}/w", timeout=5)
    with pytest.raises(OSError):  # the catcher is no TLS server; the handshake is what we look at
        connection.request("POST", "/w", body=b"{}")
    connection.close()
    [hello] = received
    assert hello[:1] == b"\x16"  # a TLS handshake record reached the pinned loopback address
    assert b"robot.corp.internal" in hello  # SNI carries the host name, not the IP


def test_the_ops_admin_sees_the_allow_list_on_the_channels_page_and_reps_do_not(
    trio: Trio, client: Client, settings: Any
) -> None:
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = ["robot.corp.internal", "10.20.0.0/16"]
    client.force_login(trio.admin)
    page = client.get("/settings/channels/").content.decode()
    assert 'data-testid="allowed-targets"' in page
    assert "robot.corp.internal" in page and "10.20.0.0/16" in page
    client.force_login(trio.owner)
    page = client.get("/settings/channels/").content.decode()
    assert 'data-testid="allowed-targets"' not in page and "10.20.0.0/16" not in page
    assert "只允许 https:// 公网地址" in page  # the form's hint says what is accepted
