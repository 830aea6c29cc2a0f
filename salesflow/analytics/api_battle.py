"""REST endpoints of 今日战报: the panels as JSON, and the TV links (create, list, revoke)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema
from ninja.responses import Status

from salesflow.analytics import battle, battle_services
from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.core.models import PublicLink
from salesflow.org.api import current_user
from salesflow.org.models import Team

router = Router(tags=["analytics"])


def jsonable(value: Any) -> Any:
    """Panel data as JSON reads it: money as a decimal string, spans in seconds, instants in ISO."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class BattlePanelOut(Schema):
    code: str
    title: str
    size: str
    data: dict[str, Any]


class BattleOut(Schema):
    team: int | None
    team_name: str
    generated_at: datetime
    refresh_seconds: int
    panels: list[BattlePanelOut]


@router.get("/analytics/battle", response=BattleOut)
def battle_report(request: HttpRequest, team: str | None = None) -> BattleOut:
    """今日战报 of the caller's scope (a rep: their team; a manager or director: a team of
    theirs; company-wide roles: any team, or the company without `team`). Amounts are decimal
    strings (¥), spans (`waiting`, `in_stage`, `limit`) seconds."""
    me = current_user(request)
    scope = battle.battle_scope_for(me, team)
    now = clock.now()
    return BattleOut(
        team=scope.team.pk if scope.team else None,
        team_name=scope.name,
        generated_at=now,
        refresh_seconds=battle.refresh_seconds(),
        panels=[
            BattlePanelOut(code=p.code, title=str(p.panel.title), size=p.panel.size, data=jsonable(p.data))
            for p in battle.battle_report(scope, now=now)
        ],
    )


class TvLinkOut(Schema):
    id: int
    label: str
    team: int | None
    team_name: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    state: str = Field(description="live, revoked or expired")


class TvLinkCreated(TvLinkOut):
    url: str = Field(description="The link's address with its token: shown only this once.")


class TvLinkIn(Schema):
    team: int
    days: int | None = Field(default=None, description="Validity in days (default and maximum: the pack's).")
    label: str = Field(default="", max_length=100)


def _link_out(link: PublicLink, names: dict[int, str]) -> dict[str, Any]:
    team = link.payload.get("team")
    now = clock.now()
    return {
        "id": link.pk,
        "label": link.label,
        "team": team,
        "team_name": names.get(team, "") if isinstance(team, int) else "",
        "created_by": str(link.created_by) if link.created_by else "",
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "last_used_at": link.last_used_at,
        "state": "revoked" if link.revoked_at else ("expired" if link.expires_at <= now else "live"),
    }


@router.get("/analytics/battle/links", response=list[TvLinkOut])
def tv_links(request: HttpRequest) -> list[TvLinkOut]:
    """The TV links of the teams in the caller's scope, newest first (managers, directors and
    company-wide roles; others 403)."""
    links = list(battle_services.tv_links_visible_to(current_user(request))[:200])
    names = dict(
        Team.objects.filter(pk__in={link.payload.get("team") for link in links}).values_list("pk", "name")
    )
    return [TvLinkOut(**_link_out(link, names)) for link in links]


@router.post("/analytics/battle/links", response={201: TvLinkCreated})
def tv_link_create(request: HttpRequest, payload: TvLinkIn) -> Status:
    """A read-only TV link to a team's battle report; the answer's `url` holds the token, which
    is stored only as a digest and cannot be shown again."""
    me = current_user(request)
    team = Team.objects.filter(pk=payload.team).first()
    if team is None:
        raise FieldErrors({"team": ["没有这个团队 / No such team."]})
    link, token = battle_services.tv_link_create(actor=me, team=team, days=payload.days, label=payload.label)
    url = request.build_absolute_uri(reverse("battle-tv", args=[token]))
    return Status(201, TvLinkCreated(**_link_out(link, {team.pk: team.name}), url=url))


@router.post("/analytics/battle/links/{link_id}/revoke", response=TvLinkOut)
def tv_link_revoke(request: HttpRequest, link_id: int) -> TvLinkOut:
    """Revoke a TV link at once (404 for a link outside the caller's teams)."""
    link = battle_services.tv_link_revoke(actor=current_user(request), link_id=link_id)
    names = dict(Team.objects.filter(pk=link.payload.get("team")).values_list("pk", "name"))
    return TvLinkOut(**_link_out(link, names))
