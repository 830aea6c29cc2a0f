"""Writes of the calendar: a user's secret feed link (reset) and its use by a calendar app.

The link is the generic public link of `core.public_links` (purpose `calendar_feed`, payload
{"user": id}): only the SHA-256 of its token is stored, the raw URL is returned once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from salesflow.calendars.selectors import FEED_PURPOSE
from salesflow.core import clock
from salesflow.core.errors import NotFound
from salesflow.core.models import PublicLink
from salesflow.core.public_links import LinkGone, public_link_issue, public_link_resolve, public_link_revoke
from salesflow.org.models import User

# A subscription has no natural end: a phone keeps polling the same URL for years. The link
# ends when its owner resets it (or leaves: the feed of an inactive user answers 404); this
# long expiry only satisfies the public-link mechanism, which wants one.
FEED_LINK_LIFETIME = timedelta(days=3650)


def calendar_feed_reset(*, user: User, now: datetime | None = None) -> tuple[PublicLink, str]:
    """Give `user` a new secret feed URL: every earlier one stops working at once (404).

    Returns the new link and its raw token, which is not stored and cannot be shown again.
    Only the user themself resets their feed (the caller passes the signed-in user).
    """
    now = now or clock.now()
    with transaction.atomic():
        # Lock the user's row so two resets at once leave exactly one live link.
        User.objects.select_for_update().filter(pk=user.pk).first()
        for link in PublicLink.objects.filter(
            purpose=FEED_PURPOSE, payload__user=user.pk, revoked_at__isnull=True
        ):
            public_link_revoke(link=link, actor=user, now=now)
        return public_link_issue(
            purpose=FEED_PURPOSE,
            payload={"user": user.pk},
            created_by=user,
            expires_at=now + FEED_LINK_LIFETIME,
            label=str(user)[:100],
            now=now,
        )


def calendar_feed_open(
    *, token: str, ip: str = "", user_agent: str = "", now: datetime | None = None
) -> User:
    """The owner of the live feed link `token`, its use logged (as a poll: calendar apps refresh
    every few minutes). NotFound for an unknown, revoked or expired token and for an inactive
    owner: a reset URL must look exactly like one that never existed."""
    try:
        link = public_link_resolve(
            token=token, purpose=FEED_PURPOSE, ip=ip, user_agent=user_agent, kind="poll", now=now
        )
    except LinkGone:  # revoked (reset) or expired: reads as unknown
        raise NotFound("链接不存在 / No such link.") from None
    owner = User.objects.filter(pk=link.payload.get("user"), is_active=True).first()
    if owner is None:
        raise NotFound("链接不存在 / No such link.")
    return owner
