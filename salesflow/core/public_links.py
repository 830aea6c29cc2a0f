"""Public links (公开链接): one mechanism for every view opened without a login.

DESIGN.md: "a random token stored as a digest, a purpose, an expiry, revocation, and an access
log". The TV battle report uses it first (purpose `battle_tv`); quote share links, calendar feeds
and hosted forms are meant to reuse it. The raw token is returned once, by `public_link_issue`;
only its SHA-256 is stored, so a database dump opens nothing. `public_link_resolve` answers the
same 404 for a token that never existed and 410 for one that was revoked or has expired, so a
TV shows a clear "this link no longer works" instead of a blank screen.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from salesflow.core import clock, events
from salesflow.core.errors import DomainError, NotFound
from salesflow.core.models import PublicLink, PublicLinkAccess

# 32 random bytes: 43 URL-safe characters, far beyond guessing.
TOKEN_BYTES = 32
# A link polled every few seconds is logged at most this often per address (the open is always
# logged): the access log says who uses the link, it is not a request log growing by the second.
POLL_LOG_EVERY = timedelta(hours=1)
# `last_used_at` is written at most this often for the same reason.
LAST_USED_EVERY = timedelta(minutes=1)


class LinkGone(DomainError):
    """The link existed but was revoked or has expired (HTTP 410 Gone)."""

    status_code = 410


def token_digest(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def public_link_issue(
    *,
    purpose: str,
    payload: dict[str, Any],
    created_by: Any,
    expires_at: datetime,
    label: str = "",
    now: datetime | None = None,
) -> tuple[PublicLink, str]:
    """Create a link for `purpose` showing what `payload` names; returns it with its raw token,
    which is not stored anywhere and cannot be shown again."""
    now = now or clock.now()
    if expires_at <= now:
        raise DomainError("有效期必须晚于现在 / The expiry must be in the future.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        link = PublicLink.objects.create(
            purpose=purpose,
            token_digest=token_digest(token),
            label=label[:100],
            payload=payload,
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
        events.record(
            name="public_link.issued",
            subject=link,
            actor=created_by,
            payload={"purpose": purpose, "expires_at": expires_at.isoformat(), **payload},
            occurred_at=now,
        )
    return link, token


def public_link_revoke(*, link: PublicLink, actor: Any, now: datetime | None = None) -> PublicLink:
    """Revoke `link` at once: its next use is refused (410). Revoking twice keeps the first time."""
    now = now or clock.now()
    with transaction.atomic():
        link = PublicLink.objects.select_for_update().get(pk=link.pk)
        if link.revoked_at is None:
            link.revoked_at = now
            link.revoked_by = actor
            link.save(update_fields=["revoked_at", "revoked_by"])
            events.record(
                name="public_link.revoked",
                subject=link,
                actor=actor,
                payload={"purpose": link.purpose},
                occurred_at=now,
            )
    return link


def ip_hash(ip: str) -> str:
    """A keyed hash of a visitor's address (HMAC-SHA256 with the site's secret): the same address
    gives the same value, but the address cannot be read back or looked up in a table."""
    if not ip:
        return ""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"public-link-ip:{ip[:45]}".encode(), hashlib.sha256).hexdigest()


_TABLETS = ("ipad", "tablet", "kindle", "silk", "playbook")
_PHONES = ("iphone", "ipod", "android", "mobile", "windows phone", "harmonyos", "micromessenger")


def device_class(user_agent: str) -> str:
    """phone / tablet / desktop / other from a User-Agent header (a coarse class, nothing more)."""
    text = user_agent.lower()
    if not text:
        return PublicLinkAccess.Device.OTHER
    if any(mark in text for mark in _TABLETS) or ("android" in text and "mobile" not in text):
        return PublicLinkAccess.Device.TABLET
    if any(mark in text for mark in _PHONES):
        return PublicLinkAccess.Device.PHONE
    if any(mark in text for mark in ("windows", "macintosh", "x11", "linux", "cros")):
        return PublicLinkAccess.Device.DESKTOP
    return PublicLinkAccess.Device.OTHER


def public_link_resolve(
    *,
    token: str,
    purpose: str,
    ip: str = "",
    user_agent: str = "",
    kind: str = "open",
    now: datetime | None = None,
) -> PublicLink:
    """The live link of `purpose` with `token`, its use written to the access log.

    NotFound when no such link exists (or it is of another purpose); LinkGone when it was
    revoked or has expired. `kind` is "open" for a page load (always logged) or "poll" for a
    periodic refresh (logged once an hour per address, see POLL_LOG_EVERY).
    """
    now = now or clock.now()
    if not token or len(token) > 200:
        raise NotFound("链接不存在 / No such link.")
    link = PublicLink.objects.filter(token_digest=token_digest(token), purpose=purpose).first()
    if link is None:
        raise NotFound("链接不存在 / No such link.")
    if link.revoked_at is not None:
        raise LinkGone("该链接已被撤销 / This link has been revoked.")
    if link.expires_at <= now:
        raise LinkGone("该链接已过期 / This link has expired.")
    address, user_agent = ip_hash(ip), user_agent[:200]
    with transaction.atomic():
        log = (
            kind != "poll"
            or not PublicLinkAccess.objects.filter(
                link=link, ip_hash=address, at__gt=now - POLL_LOG_EVERY
            ).exists()
        )
        if log:
            PublicLinkAccess.objects.create(
                link=link,
                at=now,
                ip_hash=address,
                device=device_class(user_agent),
                user_agent=user_agent,
                kind=kind,
            )
        if link.last_used_at is None or now - link.last_used_at >= LAST_USED_EVERY:
            PublicLink.objects.filter(pk=link.pk).update(last_used_at=now)
            link.last_used_at = now
    return link
