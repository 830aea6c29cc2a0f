"""今日战报: panel numbers against a hand-computed day, scope per caller, the TV link, the API.

The day is Thursday 2026-12-10, 15:00 Asia/Shanghai; the owner's team is 上海一组 (owner,
teammate, their manager), the outsider is in 杭州组. Pack: lead red after 48 h without
follow-up, opportunity red after 7 days without update.

    Won today        W1 owner ¥120,000 at 09:30 · W2 teammate ¥30,000 at 11:00
                     (W3 owner ¥50,000 won yesterday; W4 outsider ¥999 today; L1 owner lost today)
    → 今日成交 2 deals, ¥150,000, newest first W2, W1
    → this month's won 120,000 + 30,000 + 50,000 = ¥200,000 of the ¥1,000,000 target: 20.0 %,
      gap ¥800,000; the 10th of a 31-day month is 10/31 = 32.3 % of it
    Actions today    owner 3 effective activities + 1 evidence = 4 (a non-effective one and
                     yesterday's do not count); teammate 1; outsider 5 (other team)
    → total 5, ranking owner 4 (1st), teammate 1 (2nd)
    Leads            LR owner assigned Dec 7 10:00, no activity → red (77 h);
                     LY owner assigned Dec 9 10:00 → not yet; LF owner assigned Dec 1, followed
                     Dec 2 → not red by the follow-up rule; LO outsider's red lead (other team)
    → 1 red lead
    Open deals       O1 owner last update Dec 1 → red; O3 teammate entered Nov 25, never updated
                     → red; O2 owner updated Dec 8, its stall timer fired in this stage → stalled;
                     O4 outsider red (other team)
    → 2 red (O3 then O1, oldest first), 1 stalled (O2)
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from salesflow.activities.models import Activity
from salesflow.analytics import battle, battle_services
from salesflow.analytics import services as analytics_services
from salesflow.analytics.testing import at, deal
from salesflow.core.errors import FieldErrors, NotFound, PermissionDenied
from salesflow.core.models import PublicLink, PublicLinkAccess
from salesflow.core.public_links import LinkGone, ip_hash, public_link_resolve
from salesflow.core.testing import Trio, api_client_for, make_user
from salesflow.leads.models import Lead
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline.models import Evidence, Opportunity
from salesflow.timers.models import Deadline

pytestmark = pytest.mark.django_db

NOW = at(12, 10, 15)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _won(owner: User, title: str, amount: str, closed: datetime) -> Opportunity:
    return deal(
        owner,
        title,
        created=at(11, 1),
        stays=[("lead_registered", at(11, 1), at(11, 5)), ("contract_signed", at(11, 5), closed)],
        status="won",
        amount=amount,
    )


def _open(owner: User, title: str, entered: datetime, last_update: datetime | None) -> Opportunity:
    o = deal(owner, title, created=at(11, 1), stays=[("first_contact", entered, None)], amount="10000")
    Opportunity.objects.filter(pk=o.pk).update(last_update_at=last_update)
    return o


def _lead(owner: User, name: str, assigned: datetime, last_activity: datetime | None = None) -> Lead:
    return Lead.objects.create(
        name=name,
        status="assigned",
        owner=owner,
        assigned_at=assigned,
        acknowledged_at=assigned,
        last_activity_at=last_activity,
        created_at=assigned,
    )


def _act(actor: User, when: datetime, effective: bool = True) -> None:
    Activity.objects.create(kind="call", occurred_at=when, effective=effective, actor=actor, created_at=when)


def make_day(trio: Trio) -> dict[str, Opportunity]:
    """Write the day described in this module's docstring."""
    made = {
        "W1": _won(trio.owner, "W1", "120000", at(12, 10, 9, 30)),
        "W2": _won(trio.teammate, "W2", "30000", at(12, 10, 11)),
        "W3": _won(trio.owner, "W3", "50000", at(12, 9, 16)),
        "W4": _won(trio.outsider, "W4", "999", at(12, 10, 10)),
    }
    deal(
        trio.owner,
        "L1",
        created=at(11, 1),
        stays=[("lead_registered", at(11, 1), at(12, 10, 10))],
        status="lost",
        amount="70000",
    )
    for hour in (9, 10, 11):
        _act(trio.owner, at(12, 10, hour))
    _act(trio.owner, at(12, 10, 12), effective=False)
    _act(trio.owner, at(12, 9, 12))
    _act(trio.teammate, at(12, 10, 14))
    for minute in range(5):
        _act(trio.outsider, at(12, 10, 13, minute))
    Evidence.objects.create(
        requirement="requirements_doc", kind="file", uploaded_by=trio.owner, uploaded_at=at(12, 10, 13)
    )
    _lead(trio.owner, "LR", at(12, 7))
    _lead(trio.owner, "LY", at(12, 9))
    _lead(trio.owner, "LF", at(12, 1), last_activity=at(12, 2))
    _lead(trio.outsider, "LO", at(12, 1))
    made["O1"] = _open(trio.owner, "O1", at(11, 28), at(12, 1))
    made["O3"] = _open(trio.teammate, "O3", at(11, 25), None)
    made["O2"] = _open(trio.owner, "O2", at(12, 2), at(12, 8))
    made["O4"] = _open(trio.outsider, "O4", at(11, 20), None)
    Deadline.objects.create(
        subject_type="pipeline.opportunity",
        subject_id=made["O2"].pk,
        policy="opportunity_stall",
        step=0,
        due_at=at(12, 7),
        status=Deadline.Status.FIRED,
        created_at=at(12, 2),
        fired_at=at(12, 7),
    )
    analytics_services.target_set(
        actor=trio.admin, month=date(2026, 12, 1), amount=Decimal("1000000"), team=trio.team, now=at(12, 1)
    )
    return made


def _panels(scope: battle.BattleScope) -> dict[str, dict[str, Any]]:
    return {p.code: p.data for p in battle.battle_report(scope, now=NOW)}


def test_panel_numbers_match_the_hand_computed_day(trio: Trio) -> None:
    make_day(trio)
    data = _panels(battle.BattleScope(team=trio.team, name=trio.team.name))

    deals = data["deals_today"]
    assert (deals["count"], deals["amount"]) == (2, Decimal("150000"))
    assert [d["title"] for d in deals["items"]] == ["W2", "W1"]

    actions = data["actions"]
    assert (actions["total"], actions["people"], actions["idle"]) == (5, 2, 0)
    assert [(r["rank"], r["name"], r["count"]) for r in actions["items"]] == [
        (1, "owner", 4),
        (2, "teammate", 1),
    ]

    leads = data["red_leads"]
    assert leads["count"] == 1
    assert [(lead["name"], lead["waiting"]) for lead in leads["items"]] == [("LR", timedelta(hours=77))]
    assert leads["limit"] == timedelta(hours=48)

    red = data["red_opportunities"]
    assert red["count"] == 2
    assert [o["title"] for o in red["items"]] == ["O3", "O1"]
    assert red["items"][1]["waiting"] == timedelta(days=9, hours=5)

    stalled = data["stalled"]
    assert stalled["count"] == 1
    assert stalled["items"][0]["title"] == "O2"
    assert stalled["items"][0]["stage"] == "初步接触"

    target = data["target"]
    assert target["won"] == Decimal("200000")
    assert target["target"] == Decimal("1000000")
    assert target["pct"] == 20.0
    assert target["gap"] == Decimal("800000")
    assert target["elapsed_pct"] == 32.3


def test_the_company_report_adds_every_team_and_a_region_its_teams(trio: Trio) -> None:
    make_day(trio)
    company = _panels(battle.BattleScope(team=None, name="公司"))
    assert (company["deals_today"]["count"], company["deals_today"]["amount"]) == (3, Decimal("150999"))
    assert company["red_leads"]["count"] == 2
    assert company["red_opportunities"]["count"] == 3
    assert company["actions"]["total"] == 10
    region = trio.team.parent
    assert region is not None
    by_region = _panels(battle.BattleScope(team=region, name=region.name))
    assert by_region["deals_today"]["count"] == 3
    # No target for the other team: the region's is its teams' added up (only 上海一组 has one).
    assert by_region["target"]["target"] == Decimal("1000000")


def test_a_panel_joins_with_one_registration(trio: Trio) -> None:
    try:
        battle.register_battle_panel(
            "extra_panel",
            lambda ctx: {"count": 3},
            "analytics/battle/panel_stalled.html",
            title="新面板",
            order=900,
        )
        battle.register_battle_panel(
            "hidden", lambda ctx: None, "analytics/battle/panel_stalled.html", title="隐藏", order=80
        )
        codes = [p.code for p in battle.battle_report(battle.BattleScope(team=trio.team, name=""), now=NOW)]
        assert codes[-1] == "extra_panel" and "hidden" not in codes
    finally:
        battle._panels.pop("extra_panel", None)
        battle._panels.pop("hidden", None)


# ---------------------------------------------------------------------------------------------
# Scope


@time_machine.travel(NOW, tick=False)
def test_scope_per_caller(trio: Trio) -> None:
    make_day(trio)
    owner = _client(trio.owner).get("/battle/").content.decode()
    # A rep sees their team's wall (the one their office's TV shows), teammate's deal included.
    assert ">W2<" in owner and ">W1<" in owner and ">W4<" not in owner
    outsider = _client(trio.outsider).get("/battle/").content.decode()
    assert ">W4<" in outsider and ">W1<" not in outsider
    # …but no other team's, and no picker.
    assert _client(trio.outsider).get(f"/battle/?team={trio.team.pk}").status_code == 422
    assert _client(trio.outsider).get(f"/battle/panels/?team={trio.team.pk}").status_code == 400
    assert 'id="battle-team-select"' not in owner
    manager = _client(trio.manager)
    assert manager.get(f"/battle/?team={trio.other_team.pk}").status_code == 422
    assert ">W1<" in manager.get("/battle/").content.decode()
    director = _client(trio.director).get(f"/battle/?team={trio.other_team.pk}")
    assert director.status_code == 200 and ">W4<" in director.content.decode()
    admin = _client(trio.admin).get("/battle/").content.decode()
    assert ">W1<" in admin and ">W4<" in admin and 'id="battle-team-select"' in admin
    finance = make_user("fin", Role.FINANCE, trio.team.parent, None)
    refused = _client(finance).get("/battle/")
    assert refused.status_code == 403 and "今日战报面向销售团队" in refused.content.decode()
    assert Client().get("/battle/").status_code == 302


@time_machine.travel(NOW, tick=False)
def test_the_fragment_and_the_api(trio: Trio, django_assert_max_num_queries: object) -> None:
    make_day(trio)
    client = _client(trio.manager)
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        response = client.get("/battle/panels/")
    assert response.status_code == 200
    assert response["X-Refresh-Seconds"] == "15"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert 'data-testid="panel-deals_today"' in html and "¥15 万" in html
    body = api_client_for(trio.manager).get("/api/v1/analytics/battle").json()
    assert body["team"] == trio.team.pk and body["refresh_seconds"] == 15
    panels = {p["code"]: p["data"] for p in body["panels"]}
    assert panels["deals_today"]["amount"] == "150000.00"
    assert panels["red_leads"]["items"][0]["waiting"] == 77 * 3600
    bad = api_client_for(trio.outsider).get(f"/api/v1/analytics/battle?team={trio.team.pk}")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "team"]


def test_the_query_count_does_not_grow_with_the_data(
    trio: Trio, django_assert_max_num_queries: object
) -> None:
    make_day(trio)
    scope = battle.BattleScope(team=trio.team, name="")
    for n in range(30):
        _won(trio.owner, f"X{n}", "1000", at(12, 10, 8))
        _lead(trio.teammate, f"LX{n}", at(12, 1))
        _act(trio.teammate, at(12, 10, 8))
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        battle.battle_report(scope, now=NOW)


# ---------------------------------------------------------------------------------------------
# TV links


def test_a_tv_link_opens_without_a_login_and_is_stored_as_a_digest(trio: Trio) -> None:
    make_day(trio)
    with time_machine.travel(NOW, tick=False):
        link, token = battle_services.tv_link_create(actor=trio.manager, team=trio.team, label="三楼大屏")
        assert link.token_digest == hashlib.sha256(token.encode()).hexdigest()
        stored = PublicLink.objects.filter(pk=link.pk).values().get()
        assert token not in [str(v) for v in stored.values()]
        assert link.expires_at == NOW + timedelta(days=90)
        anon = Client(REMOTE_ADDR="10.0.0.9", HTTP_USER_AGENT="WallTV/1.0")
        page = anon.get(f"/tv/{token}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert ">W1<" in html and ">W4<" not in html and "电视链接" not in html
        assert page["Referrer-Policy"] == "no-referrer"
        # Polls write the access log once an hour per address (an open always).
        for _ in range(3):
            assert anon.get(f"/tv/{token}/panels/").status_code == 200
    log = PublicLinkAccess.objects.filter(link=link).order_by("id")
    # The address is kept as a keyed hash, never as typed; a wall TV's browser is no phone.
    assert list(log.values_list("kind", "ip_hash", "device", "user_agent")) == [
        ("open", ip_hash("10.0.0.9"), "other", "WallTV/1.0")
    ]
    assert "10.0.0.9" not in str(list(log.values()))
    link.refresh_from_db()
    assert link.last_used_at == NOW
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        assert anon.get(f"/tv/{token}/panels/").status_code == 200
        assert anon.get(f"/tv/{token}/panels/").status_code == 200
    assert list(log.values_list("kind", flat=True)) == ["open", "poll"]
    link.refresh_from_db()
    assert link.last_used_at == NOW + timedelta(minutes=61)


def test_a_revoked_an_expired_and_an_unknown_link_are_refused(trio: Trio) -> None:
    link, token = battle_services.tv_link_create(actor=trio.manager, team=trio.team, days=7)
    anon = Client()
    with time_machine.travel(link.expires_at + timedelta(seconds=1)):
        expired = anon.get(f"/tv/{token}/")
        assert expired.status_code == 410 and "该链接已过期" in expired.content.decode()
        with pytest.raises(LinkGone):
            public_link_resolve(token=token, purpose=battle.TV_PURPOSE)
    assert anon.get(f"/tv/{token}/").status_code == 200
    battle_services.tv_link_revoke(actor=trio.manager, link_id=link.pk)
    revoked = anon.get(f"/tv/{token}/")
    assert revoked.status_code == 410 and "该链接已被撤销" in revoked.content.decode()
    assert anon.get(f"/tv/{token}/panels/").status_code == 410
    unknown = anon.get("/tv/not-a-token/")
    assert unknown.status_code == 404 and "没有这个战报链接" in unknown.content.decode()
    # The token of another purpose does not open the battle report.
    with pytest.raises(NotFound):
        public_link_resolve(token=token, purpose="quote_share")


def test_who_manages_tv_links(trio: Trio) -> None:
    with pytest.raises(PermissionDenied):
        battle_services.tv_link_create(actor=trio.owner, team=trio.team)
    with pytest.raises(FieldErrors):
        battle_services.tv_link_create(actor=trio.manager, team=trio.other_team)
    with pytest.raises(FieldErrors):
        battle_services.tv_link_create(actor=trio.manager, team=trio.team, days=91)
    other, _token = battle_services.tv_link_create(actor=trio.other_manager, team=trio.other_team)
    mine, _token = battle_services.tv_link_create(actor=trio.manager, team=trio.team)
    assert list(battle_services.tv_links_visible_to(trio.manager)) == [mine]
    assert set(battle_services.tv_links_visible_to(trio.director)) == {mine, other}
    with pytest.raises(NotFound):
        battle_services.tv_link_revoke(actor=trio.manager, link_id=other.pk)
    battle_services.tv_link_revoke(actor=trio.admin, link_id=other.pk)
    other.refresh_from_db()
    assert other.revoked_at is not None and other.revoked_by == trio.admin


def test_the_links_page_and_api(trio: Trio) -> None:
    client = _client(trio.manager)
    created = client.post("/battle/links/", {"team": trio.team.pk, "label": "前台", "days": "30"})
    assert created.status_code == 201
    html = created.content.decode()
    assert 'data-testid="tv-link-url"' in html and "/tv/" in html
    link = PublicLink.objects.get()
    assert client.get("/battle/links/").content.decode().count('data-testid="tv-link-row"') == 1
    assert client.post("/battle/links/", {"team": trio.other_team.pk}).status_code == 400
    assert client.post(f"/battle/links/{link.pk}/revoke/").status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert _client(trio.owner).get("/battle/links/").status_code == 403

    api = api_client_for(trio.director)
    made = api.post(
        "/api/v1/analytics/battle/links",
        {"team": trio.other_team.pk, "days": 3},
        content_type="application/json",
    )
    assert made.status_code == 201 and "/tv/" in made.json()["url"]
    listed = api.get("/api/v1/analytics/battle/links").json()
    assert [row["state"] for row in listed] == ["live", "revoked"]
    assert "url" not in listed[0]
    revoked = api.post(f"/api/v1/analytics/battle/links/{made.json()['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert api_client_for(trio.owner).get("/api/v1/analytics/battle/links").status_code == 403
