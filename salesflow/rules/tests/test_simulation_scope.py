"""Simulation is for rule editors, shows only their scope, and stops at its limits (issue 10)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.test import Client
from django.utils.timezone import localtime

from salesflow.core import clock
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for, make_user
from salesflow.org import services as org
from salesflow.org.choices import Role
from salesflow.rules import packs, selectors, simulation
from salesflow.rules.models import RuleFiring


def _leaves(trio: Trio) -> tuple[str, str]:
    """A leave in the manager's team (owner) and one in another team (outsider); the period."""
    base = clock.now() + timedelta(days=2)
    trio.outsider.display_name = "外组销售甲"
    trio.outsider.save(update_fields=["display_name"])
    org.leave_add(
        user=trio.owner,
        starts_on=date(2026, 12, 20),
        ends_on=date(2026, 12, 21),
        reason="",
        actor=trio.owner,
        now=base,
    )
    org.leave_add(
        user=trio.outsider,
        starts_on=date(2026, 12, 22),
        ends_on=date(2026, 12, 23),
        reason="",
        actor=trio.outsider,
        now=base + timedelta(hours=1),
    )
    org.leave_add(
        user=trio.outsider,
        starts_on=date(2026, 12, 28),
        ends_on=date(2026, 12, 29),
        reason="",
        actor=trio.outsider,
        now=base + timedelta(hours=2),
    )
    return str(base.date()), str((base + timedelta(days=3)).date())


def _simulate(api: Client, period: tuple[str, str], **extra: Any) -> Any:
    body = {"rule": "leave_notice_to_manager", "start": period[0], "end": period[1], **extra}
    return api.post("/api/v1/rules/simulate", body, content_type="application/json")


def test_reps_and_finance_may_not_simulate_in_the_api_or_the_page(trio: Trio, client: Client) -> None:
    period = _leaves(trio)
    finance = make_user("fin", Role.FINANCE, trio.team, None)
    draft = "name: probe\nrules:\n  - {code: p, name: p, trigger: user.leave_added, subject: user}\n"
    for user in (trio.owner, finance):
        api = api_client_for(user)
        assert _simulate(api, period).status_code == 403
        assert _simulate(api, period, yaml=draft, rule=None).status_code == 403
        client.force_login(user)
        page = client.get("/settings/rules/simulate/", {"from": period[0], "to": period[1], "run": "1"})
        assert page.status_code == 403
        assert "外组销售甲" not in page.content.decode()


def test_a_manager_sees_only_their_scope_and_the_ops_admin_everything(trio: Trio, client: Client) -> None:
    period = _leaves(trio)
    mine = _simulate(api_client_for(trio.manager), period)
    assert mine.status_code == 200
    body = mine.json()
    outcome = body["outcomes"][0]
    # Out-of-scope firings are not replayed at all: no names, no counts, no aggregate.
    assert outcome["count"] == 1 and outcome["by_person"] == {"owner": 1}
    assert "外组销售甲" not in mine.content.decode() and "outsider" not in mine.content.decode()
    assert body["scoped"] is True and body["truncated"] is False and body["message"]
    everything = _simulate(api_client_for(trio.admin), period).json()
    assert everything["outcomes"][0]["by_person"] == {"owner": 1, "outsider": 2}
    assert everything["scoped"] is False
    client.force_login(trio.manager)
    page = client.get(
        "/settings/rules/simulate/", {"rule": "leave_notice_to_manager", "from": period[0], "to": period[1]}
    )
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="count-leave_notice_to_manager">1<' in html
    assert "外组销售甲" not in html and 'data-testid="simulation-scoped"' in html


def test_a_draft_condition_cannot_query_records_outside_the_scope(trio: Trio) -> None:
    period = _leaves(trio)
    document = packs.to_document(selectors.active_pack()[1])
    document["rules"].append(
        {
            "code": "probe",
            "name": "probe",
            "trigger": "user.leave_added",
            "subject": "user",
            "condition": {"field": "display_name", "op": "eq", "value": "外组销售甲"},
            "actions": [{"type": "notify", "params": {"to": ["owner"], "title": "x"}}],
        }
    )
    draft = packs.to_yaml(document)

    def probe(user: Any) -> dict[str, Any]:
        answer = _simulate(api_client_for(user), period, yaml=draft, rule=None)
        assert answer.status_code == 200, answer.content
        return next(o for o in answer.json()["outcomes"] if o["code"] == "probe")

    assert probe(trio.admin)["count"] == 2  # the condition does match the other team's rep
    assert probe(trio.manager)["count"] == 0


def test_the_replay_stops_at_the_event_limit_and_says_so(trio: Trio, client: Client, settings: Any) -> None:
    period = _leaves(trio)
    settings.SALESFLOW_SIMULATION_MAX_EVENTS = 1
    body = _simulate(api_client_for(trio.admin), period).json()
    assert body["truncated"] is True and body["truncated_by"] == "events"
    assert body["events_examined"] == 1 and body["outcomes"][0]["count"] == 1
    assert "停止" in body["message"]
    client.force_login(trio.admin)
    page = client.get(
        "/settings/rules/simulate/", {"rule": "leave_notice_to_manager", "from": period[0], "to": period[1]}
    )
    assert 'data-testid="simulation-truncated"' in page.content.decode()


def test_the_replay_stops_at_the_time_budget(trio: Trio, settings: Any) -> None:
    period = _leaves(trio)
    settings.SALESFLOW_SIMULATION_MAX_SECONDS = 1e-9
    body = _simulate(api_client_for(trio.admin), period).json()
    assert body["truncated"] is True and body["truncated_by"] == "time"
    assert body["outcomes"][0]["count"] < 3


def test_simulations_beyond_the_concurrency_limit_are_refused(trio: Trio, settings: Any) -> None:
    period = _leaves(trio)
    settings.SALESFLOW_SIMULATION_MAX_CONCURRENT = 1
    with simulation.slot():
        busy = _simulate(api_client_for(trio.admin), period)
    assert busy.status_code == 429 and "Retry-After" in busy.headers
    assert _simulate(api_client_for(trio.admin), period).status_code == 200


def _firing(subject: Any, code: str) -> None:
    RuleFiring.objects.create(
        pack_version=1,
        rule_code=code,
        trigger="user.leave_added",
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        fired_at=clock.now(),
        outcome="acted",
    )


def test_recent_firings_follow_the_viewers_scope(trio: Trio, client: Client) -> None:
    _firing(trio.owner, "fired_on_my_team")
    _firing(trio.outsider, "fired_on_other_team")
    pages = {}
    for user in (trio.owner, trio.manager, trio.admin):
        client.force_login(user)
        pages[user.username] = client.get("/settings/rules/").content.decode()
    assert "fired_on_my_team" not in pages["owner"] and 'data-testid="recent-firings"' not in pages["owner"]
    assert "fired_on_my_team" in pages["mgr"] and "fired_on_other_team" not in pages["mgr"]
    assert "fired_on_my_team" in pages["ops"] and "fired_on_other_team" in pages["ops"]


def test_the_page_names_people_and_shows_local_times(trio: Trio, client: Client) -> None:
    period = _leaves(trio)
    client.force_login(trio.admin)
    html = client.get(
        "/settings/rules/simulate/", {"rule": "leave_notice_to_manager", "from": period[0], "to": period[1]}
    ).content.decode()
    # The API keys people by username; the page shows their names and Asia/Shanghai times.
    assert "外组销售甲 2" in html and ">outsider 2<" not in html
    first = Event.objects.filter(name="user.leave_added", subject_id=trio.owner.pk).get().occurred_at
    assert localtime(first).strftime("%Y-%m-%d %H:%M") in html
    assert first.isoformat()[:16] not in html
