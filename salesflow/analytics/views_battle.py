"""今日战报 pages: the wall for a signed-in person, the same wall by a TV link without a login,
the fragment both poll, and the page where managers create and revoke TV links."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from salesflow.analytics import battle, battle_services
from salesflow.analytics.battle import BattleScope
from salesflow.core import clock
from salesflow.core.errors import DomainError, FieldErrors, NotFound, user_message
from salesflow.core.public_links import LinkGone, public_link_resolve
from salesflow.org.models import Team, User
from salesflow.org.selectors import current_user
from salesflow.rules.selectors import active_pack


def _no_store(response: HttpResponse, *, public: bool = False) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    if public:
        # The token is in the URL: never send it onwards as a referrer, never index it.
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _panels_context(scope: BattleScope) -> dict[str, Any]:
    now = clock.now()
    return {
        "scope": scope,
        "panels": battle.battle_report(scope, now=now),
        "generated_at": now,
        "refresh_seconds": battle.refresh_seconds(),
    }


def _render_panels(request: HttpRequest, scope: BattleScope, *, public: bool = False) -> HttpResponse:
    context = _panels_context(scope)
    response = render(request, "analytics/battle/panels.html", context)
    response["X-Refresh-Seconds"] = str(context["refresh_seconds"])
    return _no_store(response, public=public)


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"title": _("无法打开今日战报"), "message": user_message(exc)},
        status=exc.status_code,
    )


def _team_choices(user: User) -> list[tuple[int | str, str]]:
    teams = battle.battle_teams_for(user)
    if teams is None:
        return [("", battle.company_name()), *Team.objects.order_by("path").values_list("pk", "name")]
    return [(t.pk, t.name) for t in teams] if len(teams) > 1 else []


@login_required
@require_GET
def battle_page(request: HttpRequest) -> HttpResponse:
    """GET /battle/?team= — the battle report of the caller's scope on the full screen."""
    me = current_user(request)
    try:
        scope = battle.battle_scope_for(me, request.GET.get("team"))
    except DomainError as exc:
        return _refused(request, exc)
    poll = reverse("battle-panels")
    if scope.team is not None and request.GET.get("team"):
        poll += f"?team={scope.team.pk}"
    context = {
        **_panels_context(scope),
        "poll_url": poll,
        "teams": _team_choices(me),
        "chosen_team": scope.team.pk if scope.team else "",
        "can_manage": battle.can_manage_tv_links(me),
        "signed_in": True,
    }
    return _no_store(render(request, "analytics/battle/wall.html", context))


@login_required
@require_GET
def battle_panels(request: HttpRequest) -> HttpResponse:
    """GET /battle/panels/?team= — the panels as an HTML fragment (what the wall polls)."""
    me = current_user(request)
    try:
        scope = battle.battle_scope_for(me, request.GET.get("team"))
    except FieldErrors as exc:
        return HttpResponse(user_message(exc), status=400, content_type="text/plain; charset=utf-8")
    except DomainError as exc:
        return HttpResponse(
            user_message(exc), status=exc.status_code, content_type="text/plain; charset=utf-8"
        )
    return _render_panels(request, scope)


def _tv_scope(request: HttpRequest, token: str, kind: str) -> BattleScope:
    link = public_link_resolve(
        token=token,
        purpose=battle.TV_PURPOSE,
        kind=kind,
        ip=str(request.META.get("REMOTE_ADDR", "")),
        user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
    )
    scope = battle.scope_of_link(link.payload)
    if scope is None:
        raise LinkGone(_("该链接对应的团队已不存在。"))
    return scope


def _tv_gone(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = render(
        request,
        "analytics/battle/gone.html",
        {"message": user_message(exc), "gone": exc.status_code == 410},
        status=exc.status_code,
    )
    return _no_store(response, public=True)


@require_GET
def tv_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET /tv/<token>/ — a team's battle report by a TV link, read-only, without a login;
    a revoked or expired link answers 410, an unknown one 404, both with a page in Chinese."""
    try:
        scope = _tv_scope(request, token, "open")
    except (NotFound, LinkGone) as exc:
        return _tv_gone(request, exc)
    context = {
        **_panels_context(scope),
        "poll_url": reverse("battle-tv-panels", args=[token]),
        "signed_in": False,
    }
    return _no_store(render(request, "analytics/battle/wall.html", context), public=True)


@require_GET
def tv_panels(request: HttpRequest, token: str) -> HttpResponse:
    """GET /tv/<token>/panels/ — the fragment the TV polls (410/404 once the link stops working)."""
    try:
        scope = _tv_scope(request, token, "poll")
    except (NotFound, LinkGone) as exc:
        response = HttpResponse(
            user_message(exc), status=exc.status_code, content_type="text/plain; charset=utf-8"
        )
        return _no_store(response, public=True)
    return _render_panels(request, scope, public=True)


def _links_context(me: User) -> dict[str, Any]:
    links = list(battle_services.tv_links_visible_to(me)[:200])
    names = dict(
        Team.objects.filter(pk__in={link.payload.get("team") for link in links}).values_list("pk", "name")
    )
    now = clock.now()
    _number, pack = active_pack()
    teams = battle.battle_teams_for(me)
    choices = (
        list(Team.objects.order_by("path").values_list("pk", "name"))
        if teams is None
        else [(t.pk, t.name) for t in teams]
    )
    return {
        "nav": "battle",
        "links": [
            {
                "link": link,
                "team": names.get(link.payload.get("team"), "—"),
                "state": "revoked" if link.revoked_at else ("expired" if link.expires_at <= now else "live"),
            }
            for link in links
        ],
        "team_choices": choices,
        "longest_days": pack.settings.battle_tv_link_days,
    }


@login_required
def tv_links_page(request: HttpRequest) -> HttpResponse:
    """GET /battle/links/ — the TV links of the caller's teams with their last use; POST creates
    one and shows its address once (only its digest is stored)."""
    me = current_user(request)
    try:
        context = _links_context(me)
    except DomainError as exc:
        return _refused(request, exc)
    if request.method != "POST":
        return render(request, "analytics/battle/links.html", context)
    errors: dict[str, list[str]] = {}
    team = None
    raw_team = str(request.POST.get("team") or "").strip()
    if raw_team.isdigit() and len(raw_team) <= 12:
        team = Team.objects.filter(pk=int(raw_team)).first()
    if team is None:
        errors["team"] = [_("请选择团队。")]
    raw_days = str(request.POST.get("days") or "").strip()
    days = int(raw_days) if raw_days.isdigit() and len(raw_days) <= 5 else None
    if raw_days and days is None:
        errors["days"] = [_("有效期应为天数。")]
    if not errors:
        assert team is not None
        try:
            _link, token = battle_services.tv_link_create(
                actor=me, team=team, days=days, label=str(request.POST.get("label") or "")[:100]
            )
        except FieldErrors as exc:
            errors = exc.errors
        else:
            context = _links_context(me)
            context["new_url"] = request.build_absolute_uri(reverse("battle-tv", args=[token]))
            return _no_store(render(request, "analytics/battle/links.html", context, status=201))
    context["errors"] = errors
    return render(request, "analytics/battle/links.html", context, status=400)


@login_required
@require_POST
def tv_link_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    """POST /battle/links/<id>/revoke/ — stop a TV link at once."""
    me = current_user(request)
    try:
        battle_services.tv_link_revoke(actor=me, link_id=link_id)
    except DomainError as exc:
        return _refused(request, exc)
    return redirect("battle-links")
