"""Senders for each channel kind: the payload each platform expects, signed where required.

Each sender takes the channel, the message and the instant of sending (from `core.clock`, so
signatures are reproducible in tests), POSTs with a 10-second timeout and answers the
platform's status code, or raises `DeliveryFailed` with a reason the ops admin can act on.
Robots answer HTTP 200 with an error code in the body when they refuse a message (bad
signature, keyword filter, rate limit); that counts as a failure too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import get_connection, send_mail

from salesflow.notify import egress
from salesflow.notify.models import Channel

logger = logging.getLogger("salesflow.notify")

TIMEOUT_SECONDS = 10
# A robot's reply is a few bytes of JSON; never read an unbounded body from a third party.
MAX_REPLY_BYTES = 64 * 1024
# Platform limits on one message (UTF-8 bytes): WeCom markdown 4096; DingTalk and Feishu
# accept more, but a chat message longer than this is unreadable anyway.
WECOM_MAX_BYTES = 4096
ROBOT_MAX_BYTES = 16 * 1024
USER_AGENT = "Salesflow-Notify/1"


class DeliveryFailed(Exception):
    """The platform refused or could not be reached; the message says why."""

    def __init__(self, message: str, *, status: int | None = None, retry: bool = True) -> None:
        super().__init__(message)
        self.status = status
        # A refused address or a redirect will not change by waiting: no retries.
        self.retry = retry


@dataclass(frozen=True)
class Message:
    """What to send: title, body and, for webhooks, the record it is about."""

    id: int
    delivery_id: int
    kind: str
    title: str
    body: str
    subject_type: str
    subject_id: int | None
    created_at: str


Sender = Callable[[Channel, Message, datetime], int]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk robot signature: base64(HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu robot signature: base64(HMAC-SHA256(key="<timestamp>\\n<secret>", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_sign(secret: str, timestamp_s: int, body: bytes) -> str:
    """Our generic webhook signature: hex HMAC-SHA256(secret, "<timestamp>.<body>")."""
    return hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()


def clip_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes on a character boundary, marked with “…”."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - len("…".encode())].decode(errors="ignore") + "…"


def _post(
    url: str, payload: dict[str, Any] | bytes, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """POST to the checked, pinned address; answers (status, the first bytes of the reply).

    Only the status reaches the delivery log: a reply body may be anything the target chooses
    to say (an internal page, a token), so it is never shown to the channel's owner.
    """
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    try:
        connection, target = egress.open_connection(url, timeout=TIMEOUT_SECONDS)
    except egress.TargetRefused as exc:
        raise DeliveryFailed(str(exc), retry=False) from None
    except OSError as exc:
        raise DeliveryFailed(f"cannot reach {_host(url)}: {exc}") from None
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                **(headers or {}),
            },
        )
        response = connection.getresponse()
        status = response.status
        raw = response.read(MAX_REPLY_BYTES) if 200 <= status < 300 else b""
    except (http.client.HTTPException, OSError) as exc:
        # The exception's name only: its text can quote the reply (a non-HTTP service's banner).
        raise DeliveryFailed(f"cannot reach {target.host}: {type(exc).__name__}") from None
    finally:
        connection.close()
    if 300 <= status < 400:
        # Following a redirect would let any public URL bounce the request into the intranet.
        raise DeliveryFailed(f"HTTP {status}：不跟随重定向", status=status, retry=False)
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status}", status=status)
    return status, raw


def _host(url: str) -> str:
    try:
        return urllib.parse.urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def _check_robot_reply(status: int, raw: bytes, code_keys: tuple[str, ...]) -> int:
    try:
        reply = json.loads(raw or b"{}")
    except ValueError:
        return status
    if not isinstance(reply, dict):
        return status
    for key in code_keys:
        code = reply.get(key)
        if code not in (None, 0):
            # The platform's own words go to the server log only: the delivery log shows the
            # channel's owner a code, never text taken from the reply.
            reason = reply.get("errmsg") or reply.get("msg") or reply.get("StatusMessage")
            logger.info("robot refused the message: %s=%r %r", key, code, str(reason)[:300])
            shown = code if isinstance(code, int) and not isinstance(code, bool) else "?"
            raise DeliveryFailed(f"平台拒绝：{key}={shown}", status=status)
    return status


def _markdown(message: Message) -> str:
    return f"**{message.title}**\n\n{message.body}".strip()


def send_email(channel: Channel, message: Message, now: datetime) -> int:
    """E-mail through Django's configured backend (SMTP from `EMAIL_URL` in production)."""
    subject = " ".join(f"[Salesflow] {message.title}".split())  # a header never holds a newline
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or TIMEOUT_SECONDS
    try:
        send_mail(
            subject,
            message.body or message.title,
            settings.DEFAULT_FROM_EMAIL,
            [channel.target],
            fail_silently=False,
            connection=get_connection(timeout=timeout),
        )
    except OSError as exc:  # smtplib's errors are OSErrors too
        raise DeliveryFailed(f"SMTP: {exc}") from None
    return 250


def send_wecom(channel: Channel, message: Message, now: datetime) -> int:
    """WeCom (企业微信) group robot: a markdown message of at most 4096 bytes."""
    content = clip_bytes(_markdown(message), WECOM_MAX_BYTES)
    status, raw = _post(channel.target, {"msgtype": "markdown", "markdown": {"content": content}})
    return _check_robot_reply(status, raw, ("errcode",))


def send_dingtalk(channel: Channel, message: Message, now: datetime) -> int:
    """DingTalk (钉钉) group robot: markdown, signed (`timestamp` ms + `sign`) when it has a secret."""
    url = channel.target
    if channel.secret:
        timestamp = int(now.timestamp() * 1000)
        sign = urllib.parse.quote_plus(dingtalk_sign(channel.secret, timestamp))
        url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={sign}"
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": message.title, "text": clip_bytes(_markdown(message), ROBOT_MAX_BYTES)},
    }
    status, raw = _post(url, payload)
    return _check_robot_reply(status, raw, ("errcode",))


def send_feishu(channel: Channel, message: Message, now: datetime) -> int:
    """Feishu (飞书) robot: a text message, signed (`timestamp` s + `sign`) when it has a secret."""
    text = clip_bytes(f"{message.title}\n{message.body}".strip(), ROBOT_MAX_BYTES)
    payload: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
    if channel.secret:
        timestamp = int(now.timestamp())
        payload = {"timestamp": str(timestamp), "sign": feishu_sign(channel.secret, timestamp), **payload}
    status, raw = _post(channel.target, payload)
    return _check_robot_reply(status, raw, ("code", "StatusCode"))


def send_webhook(channel: Channel, message: Message, now: datetime) -> int:
    """Generic webhook: JSON body signed with HMAC-SHA256 over "<timestamp>.<body>".

    `X-Salesflow-Delivery` stays the same across retries, so a receiver can drop repeats.
    """
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
    timestamp = int(now.timestamp())
    status, _raw = _post(
        channel.target,
        body,
        headers={
            "X-Salesflow-Delivery": str(message.delivery_id),
            "X-Salesflow-Timestamp": str(timestamp),
            "X-Salesflow-Signature": f"sha256={webhook_sign(channel.secret, timestamp, body)}",
        },
    )
    return status


SENDERS: dict[str, Sender] = {
    Channel.Kind.EMAIL: send_email,
    Channel.Kind.WECOM: send_wecom,
    Channel.Kind.DINGTALK: send_dingtalk,
    Channel.Kind.FEISHU: send_feishu,
    Channel.Kind.WEBHOOK: send_webhook,
}


def register_sender(kind: str, sender: Sender) -> None:
    """Add or replace the sender of a channel kind (the kind must be one of `Channel.Kind`)."""
    SENDERS[kind] = sender
