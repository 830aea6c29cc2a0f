"""Senders for each channel kind: the payload each platform expects, signed where required."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail

from salesflow.notify.models import Channel

TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The platform refused or could not be reached; the message says why."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Message:
    """What to send: title, body and, for webhooks, the record it is about."""

    id: int
    kind: str
    title: str
    body: str
    subject_type: str
    subject_id: int | None
    created_at: str


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk robot signature: base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu robot signature: base64(HMAC-SHA256(key="<timestamp>\\n<secret>", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_sign(secret: str, timestamp_s: int, body: bytes) -> str:
    """Our generic webhook signature: hex HMAC-SHA256(secret, "<timestamp>.<body>")."""
    return hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()


def _post(
    url: str, payload: dict[str, Any] | bytes, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is validated to be http(s) on save
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}: {exc.read()[:300]!r}", status=exc.code) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"cannot reach {urllib.parse.urlsplit(url).netloc}: {exc}") from None


def _check_robot_reply(status: int, raw: bytes, code_keys: tuple[str, ...]) -> int:
    # Robots answer HTTP 200 with an error code in the body when they refuse a message.
    try:
        reply = json.loads(raw or b"{}")
    except ValueError:
        return status
    for key in code_keys:
        code = reply.get(key) if isinstance(reply, dict) else None
        if code not in (None, 0):
            raise DeliveryFailed(f"{key}={code}: {reply.get('errmsg') or reply.get('msg')}", status=status)
    return status


def _markdown(message: Message) -> str:
    return f"**{message.title}**\n\n{message.body}".strip()


def send_email(channel: Channel, message: Message) -> int:
    """E-mail through Django's configured backend (SMTP in production)."""
    try:
        send_mail(
            f"[Salesflow] {message.title}",
            message.body or message.title,
            settings.DEFAULT_FROM_EMAIL,
            [channel.target],
            fail_silently=False,
        )
    except OSError as exc:
        raise DeliveryFailed(f"SMTP: {exc}") from None
    return 250


def send_wecom(channel: Channel, message: Message) -> int:
    """WeCom (企业微信) group robot: markdown message."""
    status, raw = _post(channel.target, {"msgtype": "markdown", "markdown": {"content": _markdown(message)}})
    return _check_robot_reply(status, raw, ("errcode",))


def send_dingtalk(channel: Channel, message: Message) -> int:
    """DingTalk (钉钉) group robot: markdown message, signed when the robot has a secret."""
    url = channel.target
    if channel.secret:
        timestamp = int(time.time() * 1000)
        sign = urllib.parse.quote_plus(dingtalk_sign(channel.secret, timestamp))
        url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={sign}"
    status, raw = _post(
        url,
        {"msgtype": "markdown", "markdown": {"title": message.title, "text": _markdown(message)}},
    )
    return _check_robot_reply(status, raw, ("errcode",))


def send_feishu(channel: Channel, message: Message) -> int:
    """Feishu (飞书) robot: text message, signed when the robot has a secret."""
    payload: dict[str, Any] = {
        "msg_type": "text",
        "content": {"text": f"{message.title}\n{message.body}".strip()},
    }
    if channel.secret:
        timestamp = int(time.time())
        payload = {
            "timestamp": str(timestamp),
            "sign": feishu_sign(channel.secret, timestamp),
            **payload,
        }
    status, raw = _post(channel.target, payload)
    return _check_robot_reply(status, raw, ("code", "StatusCode"))


def send_webhook(channel: Channel, message: Message) -> int:
    """Generic webhook: JSON body signed with HMAC-SHA256 over "<timestamp>.<body>"."""
    body = json.dumps(
        {
            "id": message.id,
            "kind": message.kind,
            "title": message.title,
            "body": message.body,
            "subject": {"type": message.subject_type, "id": message.subject_id},
            "created_at": message.created_at,
        },
        ensure_ascii=False,
    ).encode()
    timestamp = int(time.time())
    status, _raw = _post(
        channel.target,
        body,
        headers={
            "X-Salesflow-Timestamp": str(timestamp),
            "X-Salesflow-Signature": f"sha256={webhook_sign(channel.secret, timestamp, body)}",
        },
    )
    return status


SENDERS: dict[str, Callable[[Channel, Message], int]] = {
    Channel.Kind.EMAIL: send_email,
    Channel.Kind.WECOM: send_wecom,
    Channel.Kind.DINGTALK: send_dingtalk,
    Channel.Kind.FEISHU: send_feishu,
    Channel.Kind.WEBHOOK: send_webhook,
}
