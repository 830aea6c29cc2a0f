"""Delivery to real loopback servers: each platform's payload and signature, retries, e-mail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from salesflow.core.testing import Trio, api_client_for
from salesflow.notify import services
from salesflow.notify.models import Delivery
from salesflow.notify.tasks import deliver


class Recorder(HTTPServer):
    """A loopback HTTP server that records requests and answers with a configurable body."""

    requests: list[dict[str, Any]]
    reply: tuple[int, dict[str, Any]]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server: Recorder = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status, reply = server.reply
        payload = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[Recorder]:
    server = Recorder(("127.0.0.1", 0), _Handler)
    server.requests, server.reply = [], (200, {"errcode": 0, "errmsg": "ok"})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _url(server: Recorder, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def _run_queued() -> list[str]:
    """Run every queued delivery task once, as the worker would."""
    results = []
    for task in DBTaskResult.objects.filter(status="READY").order_by("enqueued_at"):
        args = task.args_kwargs["args"]
        task.delete()
        results.append(deliver.call(*args))
    return results


def test_wecom_dingtalk_feishu_and_webhook_payloads(trio: Trio, http_server: Recorder) -> None:
    owner = trio.owner
    services.channel_create(
        actor=owner, kind="wecom", name="企微", target=_url(http_server, "/wecom?key=k"), user=owner
    )
    services.channel_create(
        actor=owner,
        kind="dingtalk",
        name="钉钉",
        secret="SECdingtalk",
        target=_url(http_server, "/ding?access_token=t"),
        user=owner,
    )
    services.channel_create(
        actor=owner,
        kind="feishu",
        name="飞书",
        secret="feishu-secret",
        target=_url(http_server, "/feishu"),
        user=owner,
    )
    services.channel_create(
        actor=owner,
        kind="webhook",
        name="ERP",
        secret="s" * 20,
        target=_url(http_server, "/hook"),
        user=owner,
    )
    [note] = services.notify(
        recipients=[owner],
        kind="sla.escalated",
        title="工单超时",
        body="请处理",
        subject=owner,
        actor=None,
    )
    assert sorted(_run_queued()) == ["sent"] * 4
    by_path = {urlsplit(r["path"]).path: r for r in http_server.requests}

    wecom = json.loads(by_path["/wecom"]["body"])
    assert wecom == {"msgtype": "markdown", "markdown": {"content": "**工单超时**\n\n请处理"}}

    ding = by_path["/ding"]
    query = parse_qs(urlsplit(ding["path"]).query)
    expected = base64.b64encode(
        hmac.new(b"SECdingtalk", f"{query['timestamp'][0]}\nSECdingtalk".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected] and query["access_token"] == ["t"]
    assert json.loads(ding["body"])["markdown"]["title"] == "工单超时"

    feishu = json.loads(by_path["/feishu"]["body"])
    expected = base64.b64encode(
        hmac.new(f"{feishu['timestamp']}\nfeishu-secret".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert feishu["sign"] == expected and feishu["msg_type"] == "text"
    assert feishu["content"]["text"] == "工单超时\n请处理"

    hook = by_path["/hook"]
    timestamp = hook["headers"]["X-Salesflow-Timestamp"]
    signature = hmac.new(b"s" * 20, f"{timestamp}.".encode() + hook["body"], hashlib.sha256).hexdigest()
    assert hook["headers"]["X-Salesflow-Signature"] == f"sha256={signature}"
    payload = json.loads(hook["body"])
    assert payload["id"] == note.pk and payload["subject"] == {"type": "org.user", "id": owner.pk}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_team_robot_reaches_members_once(trio: Trio, http_server: Recorder) -> None:
    services.channel_create(
        actor=trio.admin,
        kind="wecom",
        name="上海一组群",
        target=_url(http_server, "/team"),
        team=trio.team,
    )
    services.notify(
        recipients=[trio.owner, trio.teammate, trio.outsider],
        kind="k",
        title="t",
        body="",
        subject=None,
        actor=None,
    )
    _run_queued()
    assert len(http_server.requests) == 2  # owner and teammate; the outsider's team has no robot


def test_platform_error_is_retried_with_backoff_then_failed_and_visible(
    trio: Trio, http_server: Recorder
) -> None:
    http_server.reply = (200, {"errcode": 310000, "errmsg": "keywords not in content"})
    services.channel_create(
        actor=trio.owner,
        kind="dingtalk",
        name="钉钉",
        target=_url(http_server, "/ding?x=1"),
        user=trio.owner,
    )
    services.notify(recipients=[trio.owner], kind="k", title="t", body="", subject=None, actor=None)
    outcomes: list[str] = []
    delays: list[int] = []
    for _ in range(6):
        queued = DBTaskResult.objects.filter(status="READY").order_by("enqueued_at").first()
        if queued is None:
            break
        if outcomes:  # retries wait: 1 min, 5 min, 30 min, 2 h
            delays.append(round((queued.run_after - queued.enqueued_at).total_seconds() / 60))
        outcomes.extend(_run_queued())
    assert outcomes == ["retrying"] * 4 + ["failed"]
    assert delays == [1, 5, 30, 120]
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 5 and "310000" in delivery.last_error
    failed = api_client_for(trio.admin).get("/api/v1/deliveries", {"status": "failed"}).json()
    assert failed[0]["last_error"].startswith("errcode=310000")
    assert api_client_for(trio.owner).get("/api/v1/deliveries").status_code == 403


def test_http_500_counts_as_failure(trio: Trio, http_server: Recorder) -> None:
    http_server.reply = (500, {"error": "boom"})
    services.channel_create(
        actor=trio.owner,
        kind="webhook",
        name="ERP",
        secret="k" * 16,
        target=_url(http_server, "/h"),
        user=trio.owner,
    )
    services.notify(recipients=[trio.owner], kind="k", title="t", body="", subject=None, actor=None)
    assert _run_queued() == ["retrying"]
    delivery = Delivery.objects.get()
    assert delivery.response_code == 500 and "HTTP 500" in delivery.last_error


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: Any = self.server
        self.wfile.write(b"220 loopback ESMTP\r\n")
        data_mode = False
        lines: list[bytes] = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data_mode:
                if line in (b".\r\n", b".\n"):
                    server.messages.append(b"".join(lines))
                    data_mode = False
                    lines = []
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line)
                continue
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 loopback\r\n")
            elif command == b"DATA":
                data_mode = True
                self.wfile.write(b"354 go ahead\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_email_through_a_real_smtp_server(trio: Trio) -> None:
    server: Any = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=server.server_address[1],
            EMAIL_USE_TLS=False,
        ):
            services.channel_create(
                actor=trio.owner,
                kind="email",
                name="邮箱",
                target="owner@example.cn",
                user=trio.owner,
            )
            services.notify(
                recipients=[trio.owner],
                kind="k",
                title="报价 72 小时无反馈",
                body="请二次触达",
                subject=None,
                actor=None,
            )
            assert _run_queued() == ["sent"]
    finally:
        server.shutdown()
    [raw] = server.messages
    text = raw.decode()
    assert "owner@example.cn" in text and "Subject:" in text
    assert Delivery.objects.get().response_code == 250


def test_channel_validation_names_fields_and_permissions(trio: Trio) -> None:
    api = api_client_for(trio.owner)
    bad = api.post(
        "/api/v1/channels",
        {"kind": "webhook", "name": "", "target": "ftp://x", "secret": "short"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {e["loc"][1] for e in bad.json()["detail"]} == {"name", "target", "secret"}
    team_channel = api.post(
        "/api/v1/channels",
        {"kind": "wecom", "name": "群", "target": "http://127.0.0.1:9/x", "team": trio.team.pk},
        content_type="application/json",
    )
    assert team_channel.status_code == 403
    mine = api.post(
        "/api/v1/channels",
        {"kind": "wecom", "name": "群", "target": "http://127.0.0.1:9/x"},
        content_type="application/json",
    )
    assert mine.status_code == 201
    channel_id = mine.json()["id"]
    assert (
        api_client_for(trio.teammate)
        .patch(f"/api/v1/channels/{channel_id}", {"enabled": False}, content_type="application/json")
        .status_code
        == 404
    )
    assert api.post(f"/api/v1/channels/{channel_id}/test").status_code == 202
    assert api_client_for(trio.admin).delete(f"/api/v1/channels/{channel_id}").status_code == 204
