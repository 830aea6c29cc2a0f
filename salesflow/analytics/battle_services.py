"""TV links of the battle report (战报电视链接): who may create, list and revoke them.

The link itself is the generic public link of `core.public_links` (purpose `battle_tv`, payload
{"team": id}); these services add the battle report's permission: sales management and the
company-wide roles, for teams in their scope. Kept apart from `services.py` (sales targets) so
the two slices of the cockpit stay in their own files.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet

from salesflow.analytics.battle import TV_PURPOSE, battle_teams_for, can_manage_tv_links
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, NotFound, PermissionDenied
from salesflow.core.models import PublicLink
from salesflow.core.public_links import public_link_issue, public_link_revoke
from salesflow.org.models import Team, User
from salesflow.rules.selectors import active_pack


def _refuse_unless_manager(actor: User) -> None:
    if not can_manage_tv_links(actor):
        raise PermissionDenied("只有销售主管、销售总监和公司级角色可以管理电视链接。")


def tv_links_visible_to(user: User) -> QuerySet[PublicLink]:
    """The TV links `user` may see and revoke: those of the teams in their battle-report scope."""
    _refuse_unless_manager(user)
    links = PublicLink.objects.filter(purpose=TV_PURPOSE).select_related("created_by", "revoked_by")
    teams = battle_teams_for(user)
    if teams is not None:
        links = links.filter(payload__team__in=[t.pk for t in teams])
    return links.order_by("-created_at", "-id")


def tv_link_create(
    *, actor: User, team: Team, days: int | None = None, label: str = "", now: datetime | None = None
) -> tuple[PublicLink, str]:
    """A read-only TV link to `team`'s battle report, valid `days` (at most, and by default, the
    pack's `settings.battle_tv_link_days`). Returns the link and its raw token (shown once)."""
    _refuse_unless_manager(actor)
    teams = battle_teams_for(actor)
    if teams is not None and team.pk not in {t.pk for t in teams}:
        raise FieldErrors({"team": ["不在你可管理的团队范围内 / Not a team in your scope."]})
    _number, pack = active_pack()
    longest = pack.settings.battle_tv_link_days
    days = longest if days is None else days
    if not 1 <= days <= longest:
        raise FieldErrors({"days": [f"有效期应为 1–{longest} 天 / Between 1 and {longest} days."]})
    now = now or clock.now()
    return public_link_issue(
        purpose=TV_PURPOSE,
        payload={"team": team.pk},
        created_by=actor,
        expires_at=now + timedelta(days=days),
        label=label.strip() or team.name,
        now=now,
    )


def tv_link_revoke(*, actor: User, link_id: int, now: datetime | None = None) -> PublicLink:
    """Revoke a TV link of a team in `actor`'s scope (NotFound for any other link)."""
    link = tv_links_visible_to(actor).filter(pk=link_id).first()
    if link is None:
        raise NotFound("没有这个电视链接 / No such TV link.")
    return public_link_revoke(link=link, actor=actor, now=now)
