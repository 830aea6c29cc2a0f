"""Simulation replays history without side effects; the API and pages enforce who may edit."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.test import Client

from salesflow.core import clock
from salesflow.core.testing import Trio, api_client_for
from salesflow.notify.models import Notification
from salesflow.org import services as org
from salesflow.rules import packs, selectors
from salesflow.rules.models import RuleFiring, RulePackVersion
from salesflow.rules.simulation import simulate


def _base() -> datetime:
    # After the trio's creation, so every record has a history row before the replayed events.
    return clock.now() + timedelta(days=2)


def _history(trio: Trio) -> None:
    PAST = _base()
    org.user_update(user=trio.owner, actor=trio.manager, seniority=4, now=PAST - timedelta(hours=1))
    org.leave_add(
        user=trio.owner,
        starts_on=date(2026, 10, 12),
        ends_on=date(2026, 10, 13),
        reason="年假",
        actor=trio.owner,
        now=PAST,
    )
    org.leave_add(
        user=trio.teammate,
        starts_on=date(2026, 10, 20),
        ends_on=date(2026, 10, 21),
        reason="",
        actor=trio.teammate,
        now=PAST + timedelta(days=5),
    )
    # Promoted after the second leave: the snapshot at that time still says seniority 1.
    org.user_update(user=trio.teammate, actor=trio.manager, seniority=5, now=PAST + timedelta(days=6))


def _draft_rule() -> dict:
    return {
        "code": "senior_leave",
        "name": "资深销售休假提醒总监",
        "trigger": "user.leave_added",
        "subject": "user",
        "condition": {"field": "seniority", "op": "gte", "value": 3},
        "actions": [{"type": "notify", "params": {"to": ["owner_director"], "title": "资深销售休假"}}],
        "enabled": False,
    }


def test_simulation_counts_per_rule_and_person_and_changes_nothing(trio: Trio) -> None:
    _history(trio)
    PAST = _base()
    notifications, firings = Notification.objects.count(), RuleFiring.objects.count()
    _n, pack = selectors.active_pack()
    document = packs.to_document(pack)
    document["rules"].append(_draft_rule())
    draft = packs.validate(document)
    results = {
        r["code"]: r
        for r in simulate(draft, start=PAST - timedelta(days=30), end=PAST + timedelta(days=20)).outcomes
    }
    assert results["senior_leave"]["count"] == 1
    assert results["senior_leave"]["by_person"] == {"owner": 1}
    assert results["leave_notice_to_manager"]["count"] == 2
    assert (Notification.objects.count(), RuleFiring.objects.count()) == (notifications, firings)


def test_api_simulate_and_pack_permissions(trio: Trio) -> None:
    _history(trio)
    rep, manager = api_client_for(trio.owner), api_client_for(trio.manager)
    assert rep.get("/api/v1/rules/pack").json()["version"] == 1
    saved = manager.put("/api/v1/rules/rules/senior_leave", _draft_rule(), content_type="application/json")
    assert saved.status_code == 200 and saved.json()["number"] == 2
    assert (
        rep.put(
            "/api/v1/rules/rules/senior_leave", _draft_rule(), content_type="application/json"
        ).status_code
        == 403
    )
    sim = manager.post(
        "/api/v1/rules/simulate",
        {
            "rule": "senior_leave",
            "start": str(_base().date()),
            "end": str((_base() + timedelta(days=20)).date()),
        },
        content_type="application/json",
    )
    assert sim.status_code == 200 and sim.json()["outcomes"][0]["count"] == 1
    bad = manager.post(
        "/api/v1/rules/import",
        {"yaml": "name: x\nsla_policies: [{code: a}]"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    locs = [tuple(e["loc"]) for e in bad.json()["detail"]]
    assert ("body", "sla_policies[0].name") in locs
    assert RulePackVersion.objects.count() == 2
    assert api_client_for(trio.outsider).post("/api/v1/rules/rollback").status_code == 403
    assert manager.post("/api/v1/rules/rollback").json()["number"] == 1


def test_bad_rule_via_api_names_the_field(trio: Trio) -> None:
    rule = _draft_rule()
    rule["condition"] = {"field": "seniority", "op": "gte", "value": "high"}
    rule["actions"][0]["params"]["to"] = ["nobody"]
    response = api_client_for(trio.manager).put(
        "/api/v1/rules/rules/senior_leave", rule, content_type="application/json"
    )
    assert response.status_code == 422
    fields = {e["loc"][1] for e in response.json()["detail"]}
    assert "condition.value" in fields
    assert any(f.startswith("actions[0]") for f in fields)


def test_manager_builds_simulates_and_switches_on_a_rule_in_the_ui(trio: Trio, client: Client) -> None:
    _history(trio)
    client.force_login(trio.manager)
    form = {
        "name": "资深销售休假提醒总监",
        "code": "senior_leave",
        "subject": "user",
        "trigger": "user.leave_added",
        "combinator": "all",
        "condition_rows": "1",
        "c0-field": "seniority",
        "c0-op": "gte",
        "c0-value": "3",
        "action_rows": "1",
        "a0-type": "notify",
        "a0-to": ["owner_director"],
        "a0-title": "资深销售休假",
    }
    response = client.post("/settings/rules/new/", form)
    assert response.status_code == 302 and response["Location"] == "/settings/rules/r/senior_leave/simulate/"
    _n, pack = selectors.active_pack()
    saved = pack.rule("senior_leave")
    assert saved is not None and not saved.enabled
    assert saved.condition == {"field": "seniority", "op": "gte", "value": 3}
    page = client.get(
        "/settings/rules/r/senior_leave/simulate/",
        {"from": str(_base().date()), "to": str((_base() + timedelta(days=20)).date())},
    )
    assert page.status_code == 200
    assert 'data-testid="count-senior_leave">1<' in page.content.decode()
    client.post("/settings/rules/r/senior_leave/toggle/")
    _n, pack = selectors.active_pack()
    assert pack.rule("senior_leave").enabled  # type: ignore[union-attr]
    versions = client.get("/settings/rules/versions/").content.decode()
    assert "v3" in versions and "v2" in versions


def test_builder_shows_field_errors_and_saves_nothing(trio: Trio, client: Client) -> None:
    client.force_login(trio.manager)
    response = client.post(
        "/settings/rules/new/",
        {
            "name": "",
            "code": "Bad Code",
            "subject": "user",
            "trigger": "user.leave_added",
            "combinator": "all",
            "condition_rows": "1",
            "c0-field": "seniority",
            "c0-op": "contains",
            "c0-value": "x",
            "action_rows": "1",
            "a0-type": "notify",
            "a0-title": "",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    # The field is named as the form names it (条件), not by its path (condition.op).
    assert "规则未保存" in html and "<li>条件：" in html and "condition.op" not in html
    assert RulePackVersion.objects.count() == 1


def test_reps_cannot_open_the_builder(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    assert client.get("/settings/rules/").status_code == 200
    assert client.get("/settings/rules/new/").status_code == 403
    assert client.post("/settings/rules/r/leave_notice_to_manager/toggle/").status_code == 403
