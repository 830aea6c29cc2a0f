"""Delivery to real loopback servers: each platform's payload and signature, retries, e-mail."""

from __future__ import annotations

import base64
import email
import email.header
import email.policy
import hashlib
import hmac
import json
import socket
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
import time_machine
from django.test import Client, override_settings

from salesflow.core import clock
from salesflow.core.testing import Trio, api_client_for, run_ready_tasks
from salesflow.notify import channels, services
from salesflow.notify.models import Channel, Delivery
from salesflow.notify.tests.conftest import Recorder, SMTPServer, url

PINNED = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _by_path(server: Recorder) -> dict[str, dict[str, Any]]:
    return {urlsplit(r["path"]).path: r for r in server.requests}


def test_each_robot_gets_the_payload_and_signature_its_platform_expects(
    trio: Trio, http_server: Recorder
) -> None:
    owner = trio.owner
    for kind, name, secret, path in [
        ("wecom", "企微", "", "/wecom?key=k"),
        ("dingtalk", "钉钉", "SECdingtalk", "/ding?access_token=t"),
        ("feishu", "飞书", "feishu-secret", "/feishu"),
        ("webhook", "ERP", "s" * 20, "/hook"),
    ]:
        services.channel_create(
            actor=owner, kind=kind, name=name, secret=secret, target=url(http_server, path), user=owner
        )
    [note] = services.notify(
        recipients=[owner], kind="sla.escalated", title="工单超时", body="请处理", subject=owner, actor=None
    )
    with time_machine.travel(PINNED, tick=False):
        assert run_ready_tasks() == ["sent"] * 4
    requests = _by_path(http_server)
    assert set(requests) == {"/wecom", "/ding", "/feishu", "/hook"}

    wecom = requests["/wecom"]
    assert urlsplit(wecom["path"]).query == "key=k"
    assert wecom["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(wecom["body"]) == {
        "msgtype": "markdown",
        "markdown": {"content": "**工单超时**\n\n请处理"},
    }

    # DingTalk: timestamp in ms and sign = urlencoded base64(HMAC-SHA256(secret, "ts\nsecret")).
    ding = requests["/ding"]
    query = parse_qs(urlsplit(ding["path"]).query)
    timestamp_ms = int(PINNED.timestamp() * 1000)
    assert query["timestamp"] == [str(timestamp_ms)] and query["access_token"] == ["t"]
    expected = base64.b64encode(
        hmac.new(b"SECdingtalk", f"{timestamp_ms}\nSECdingtalk".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]  # parse_qs undid the URL encoding
    assert (
        urlsplit(ding["path"]).query == f"access_token=t&timestamp={timestamp_ms}&sign={quote_plus(expected)}"
    )
    assert json.loads(ding["body"]) == {
        "msgtype": "markdown",
        "markdown": {"title": "工单超时", "text": "**工单超时**\n\n请处理"},
    }

    # Feishu: timestamp in s (a string) and sign = base64(HMAC-SHA256(key="ts\nsecret", msg="")).
    feishu = json.loads(requests["/feishu"]["body"])
    timestamp_s = int(PINNED.timestamp())
    expected = base64.b64encode(
        hmac.new(f"{timestamp_s}\nfeishu-secret".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert feishu == {
        "timestamp": str(timestamp_s),
        "sign": expected,
        "msg_type": "text",
        "content": {"text": "工单超时\n请处理"},
    }

    # Generic webhook: hex HMAC-SHA256(secret, "ts.body") over the exact bytes received.
    hook = requests["/hook"]
    assert hook["headers"]["X-Salesflow-Timestamp"] == str(timestamp_s)
    signature = hmac.new(b"s" * 20, f"{timestamp_s}.".encode() + hook["body"], hashlib.sha256).hexdigest()
    assert hook["headers"]["X-Salesflow-Signature"] == f"sha256={signature}"
    delivery = Delivery.objects.get(channel__kind="webhook")
    assert hook["headers"]["X-Salesflow-Delivery"] == str(delivery.pk)
    assert json.loads(hook["body"]) == {
        "id": note.pk,
        "kind": "sla.escalated",
        "title": "工单超时",
        "body": "请处理",
        "subject": {"type": "org.user", "id": owner.pk},
        "created_at": note.created_at.isoformat(),
    }
    assert set(Delivery.objects.values_list("status", "response_code", "attempts")) == {("sent", 200, 1)}
    assert set(Delivery.objects.values_list("sent_at", flat=True)) == {PINNED}


def test_robots_without_a_secret_are_not_signed(trio: Trio, http_server: Recorder) -> None:
    for kind, path in [("dingtalk", "/ding?access_token=t"), ("feishu", "/feishu")]:
        services.channel_create(
            actor=trio.owner, kind=kind, name=kind, target=url(http_server, path), user=trio.owner
        )
    services.notify(recipients=[trio.owner], kind="k", title="t", body="b", subject=None, actor=None)
    assert run_ready_tasks() == ["sent", "sent"]
    requests = _by_path(http_server)
    assert urlsplit(requests["/ding"]["path"]).query == "access_token=t"
    assert json.loads(requests["/feishu"]["body"]) == {"msg_type": "text", "content": {"text": "t\nb"}}


def test_a_long_message_is_cut_to_the_wecom_limit(trio: Trio, http_server: Recorder) -> None:
    services.channel_create(
        actor=trio.owner, kind="wecom", name="群", target=url(http_server, "/w"), user=trio.owner
    )
    services.notify(
        recipients=[trio.owner], kind="k", title="长消息", body="字" * 5000, subject=None, actor=None
    )
    assert run_ready_tasks() == ["sent"]
    content = json.loads(http_server.requests[0]["body"])["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.startswith("**长消息**") and content.endswith("…")


def test_a_team_robot_posts_once_per_message_naming_its_recipients(trio: Trio, http_server: Recorder) -> None:
    # The owner also points a personal channel at the team's robot: still one post, naming everyone.
    services.channel_create(
        actor=trio.owner, kind="wecom", name="我的", target=url(http_server, "/team"), user=trio.owner
    )
    services.channel_create(
        actor=trio.admin, kind="wecom", name="上海一组群", target=url(http_server, "/team"), team=trio.team
    )
    services.notify(
        recipients=[trio.owner, trio.teammate, trio.outsider, trio.owner],
        kind="k",
        title="新线索",
        body="请跟进",
        subject=None,
        actor=None,
    )
    assert run_ready_tasks() == ["sent"]
    [request] = http_server.requests
    content = json.loads(request["body"])["markdown"]["content"]
    assert content.startswith("**新线索**\n\n请跟进") and "接收人：owner、teammate" in content
    assert "outsider" not in content  # another team: this robot does not hear about them


def test_a_company_robot_hears_every_team_below_it(trio: Trio, http_server: Recorder) -> None:
    assert trio.admin.team is not None
    services.channel_create(
        actor=trio.admin, kind="wecom", name="全公司", target=url(http_server, "/all"), team=trio.admin.team
    )
    services.notify(recipients=[trio.outsider], kind="k", title="t", body="", subject=None, actor=None)
    assert run_ready_tasks() == ["sent"]
    assert "接收人：outsider" in json.loads(http_server.requests[0]["body"])["markdown"]["content"]


def test_kinds_filter_and_disabled_channels_decide_what_is_queued(trio: Trio, http_server: Recorder) -> None:
    services.channel_create(
        actor=trio.owner,
        kind="wecom",
        name="只收升级",
        target=url(http_server, "/esc"),
        kinds=["sla.escalated"],
        user=trio.owner,
    )
    services.channel_create(
        actor=trio.owner,
        kind="wecom",
        name="停用",
        target=url(http_server, "/off"),
        enabled=False,
        user=trio.owner,
    )
    services.notify(
        recipients=[trio.owner], kind="lead.assigned", title="a", body="", subject=None, actor=None
    )
    assert not Delivery.objects.exists()
    services.notify(
        recipients=[trio.owner], kind="sla.escalated", title="b", body="", subject=None, actor=None
    )
    assert list(Delivery.objects.values_list("channel__name", flat=True)) == ["只收升级"]


def test_a_channel_disabled_after_queueing_does_not_send_but_a_test_message_does(
    trio: Trio, http_server: Recorder
) -> None:
    channel = services.channel_create(
        actor=trio.owner, kind="wecom", name="群", target=url(http_server, "/w"), user=trio.owner
    )
    services.notify(recipients=[trio.owner], kind="k", title="t", body="", subject=None, actor=None)
    services.channel_update(channel=channel, actor=trio.owner, enabled=False)
    assert run_ready_tasks() == ["disabled"]
    assert http_server.requests == []
    assert Delivery.objects.get().status == "failed"
    services.channel_send_test(channel=channel, actor=trio.owner)
    assert run_ready_tasks() == ["sent"]
    assert "Salesflow 测试消息" in json.loads(http_server.requests[0]["body"])["markdown"]["content"]


@pytest.mark.parametrize(
    ("kind", "reply", "error"),
    [
        ("dingtalk", (200, {"errcode": 310000, "errmsg": "keywords not in content"}), "errcode=310000"),
        ("wecom", (200, {"errcode": 93000, "errmsg": "invalid webhook url"}), "errcode=93000"),
        ("feishu", (200, {"code": 19021, "msg": "sign match fail"}), "code=19021"),
        ("webhook", (500, {"error": "boom"}), "HTTP 500"),
    ],
)
def test_a_refusing_endpoint_is_retried_with_backoff_then_failed_and_visible(
    trio: Trio, http_server: Recorder, client: Client, kind: str, reply: tuple[int, Any], error: str
) -> None:
    http_server.reply = reply
    services.channel_create(
        actor=trio.owner,
        kind=kind,
        name="会失败",
        secret="k" * 16,
        target=url(http_server, "/x?a=1"),
        user=trio.owner,
    )
    services.notify(recipients=[trio.owner], kind="k", title="超时", body="", subject=None, actor=None)
    outcomes = run_ready_tasks()
    ran_at = clock.now()
    for delay in [1, 5, 30, 120]:  # minutes
        delivery = Delivery.objects.get()
        assert delivery.status == "pending" and delivery.next_attempt_at is not None
        assert abs((delivery.next_attempt_at - ran_at) - timedelta(minutes=delay)) < timedelta(seconds=5)
        with time_machine.travel(delivery.next_attempt_at - timedelta(seconds=10), tick=False):
            assert run_ready_tasks() == []  # not before its time
        ran_at = delivery.next_attempt_at + timedelta(seconds=1)
        with time_machine.travel(ran_at, tick=False):
            outcomes += run_ready_tasks()
    assert outcomes == ["retrying"] * 4 + ["failed"]
    assert len(http_server.requests) == 5
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 5, None)
    assert error in delivery.last_error and delivery.response_code == reply[0]

    failed = api_client_for(trio.admin).get("/api/v1/deliveries", {"status": "failed"}).json()["items"]
    assert [(d["id"], d["attempts"]) for d in failed] == [(delivery.pk, 5)]
    assert error in failed[0]["last_error"]
    client.force_login(trio.admin)
    page = client.get("/settings/channels/").content.decode()
    assert 'data-testid="failed-deliveries"' in page and error in page
    client.force_login(trio.owner)  # the owner sees their own channel's last error, not the admin log
    page = client.get("/settings/channels/").content.decode()
    assert error in page and 'data-testid="failed-deliveries"' not in page


def test_an_unreachable_robot_and_a_crashing_sender_are_recorded_not_lost(
    trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.channel_create(
        actor=trio.owner,
        kind="wecom",
        name="关着的端口",
        target=f"http://127.0.0.1:{_closed_port()}/x",
        user=trio.owner,
    )
    services.notify(recipients=[trio.owner], kind="k", title="t", body="", subject=None, actor=None)
    assert run_ready_tasks() == ["retrying"]
    delivery = Delivery.objects.get()
    assert "cannot reach 127.0.0.1" in delivery.last_error and delivery.response_code is None

    def crash(channel: Channel, message: channels.Message, now: datetime) -> int:
        raise ValueError("unexpected reply")

    monkeypatch.setitem(channels.SENDERS, "wecom", crash)
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        assert run_ready_tasks() == ["retrying"]
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_error == "ValueError: unexpected reply"


def _smtp_settings(server: SMTPServer) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=server.server_address[1],
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        DEFAULT_FROM_EMAIL="salesflow@example.cn",
    )


def test_email_goes_through_a_real_smtp_server(trio: Trio, smtp_server: SMTPServer) -> None:
    services.channel_create(
        actor=trio.owner, kind="email", name="邮箱", target="owner@example.cn", user=trio.owner
    )
    services.notify(
        recipients=[trio.owner],
        kind="k",
        title="报价 72 小时无反馈",
        body="请二次触达",
        subject=None,
        actor=None,
    )
    with _smtp_settings(smtp_server):
        assert run_ready_tasks() == ["sent"]
    [sent] = smtp_server.messages
    assert sent["from"] == "<salesflow@example.cn>" and sent["to"] == ["<owner@example.cn>"]
    message = email.message_from_bytes(sent["data"], policy=email.policy.default)
    assert message["Subject"] == "[Salesflow] 报价 72 小时无反馈"
    assert message["To"] == "owner@example.cn"
    assert message.get_content().strip() == "请二次触达"
    assert Delivery.objects.get().response_code == 250


def test_an_unreachable_smtp_server_is_a_failed_attempt(trio: Trio, smtp_server: SMTPServer) -> None:
    services.channel_create(
        actor=trio.owner, kind="email", name="邮箱", target="o@example.cn", user=trio.owner
    )
    services.notify(recipients=[trio.owner], kind="k", title="t", body="", subject=None, actor=None)
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=_closed_port(),
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
    ):
        assert run_ready_tasks() == ["retrying"]
    assert Delivery.objects.get().last_error.startswith("SMTP:")
