"""The rule pack as the only source: working hours, settings, purposes, messages, regions, bands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.customers import selectors as customer_selectors
from salesflow.customers import services as customers
from salesflow.customers.models import Customer
from salesflow.leads import selectors as lead_selectors
from salesflow.leads import services as leads
from salesflow.notify.models import Notification, Task
from salesflow.org import services as org
from salesflow.pipeline import selectors as pipeline_selectors
from salesflow.pipeline import services as pipeline
from salesflow.rules import actions, engine, messages, packs, selectors, services
from salesflow.rules.simulation import simulate
from salesflow.timers import services as timers
from salesflow.timers import sweeper
from salesflow.timers.durations import parse_duration
from salesflow.timers.management.commands.timers import parse_now
from salesflow.timers.models import Deadline

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday without statutory data (weekends-only applies), half an hour before 16:00.
MONDAY_1530 = datetime(2027, 1, 4, 15, 30, tzinfo=SHANGHAI)
TUESDAY_1030 = datetime(2027, 1, 5, 10, 30, tzinfo=SHANGHAI)
MONDAY_1630 = datetime(2027, 1, 4, 16, 30, tzinfo=SHANGHAI)


def _document(mutator: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = packs.to_document(packs.load_default())
    mutator(document)
    return document


def _activate(mutator: Callable[[dict[str, Any]], None]) -> None:
    services.pack_version_create(pack=packs.validate(_document(mutator)), actor=None, note="test")


def _policy(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(p for p in document["sla_policies"] if p["code"] == code)


# --- working hours ---------------------------------------------------------------------------


def _ten_to_four(document: dict[str, Any]) -> None:
    document["working_hours"] = {"start": "10:00", "end": "16:00"}
    document["sla_policies"].append(
        {
            "code": "leave_cover",
            "name": "休假交接",
            "subject": "user",
            "start_events": ["user.leave_added"],
            "steps": [{"name": "一个工作小时", "after": "1wh", "recipients": ["owner_manager"]}],
        }
    )


def test_the_engine_and_the_deadline_service_count_the_packs_working_hours(trio: Trio) -> None:
    _activate(_ten_to_four)
    org.leave_add(
        user=trio.owner,
        starts_on=date(2027, 1, 11),
        ends_on=date(2027, 1, 11),
        reason="",
        actor=trio.owner,
        now=MONDAY_1530,
    )
    # 30 minutes left on Monday (until 16:00), 30 more from Tuesday's 10:00 opening.
    assert Deadline.objects.get(policy="leave_cover").due_at == TUESDAY_1030
    # The timers service called without a calendar uses the same company calendar.
    started = timers.timer_start(
        subject=trio.teammate,
        policy_code="by_hand",
        policy_name="by hand",
        steps=[timers.StepSpec(name="1wh", after=parse_duration("1wh"))],
        started_at=MONDAY_1530,
    )
    assert started[0].due_at == TUESDAY_1030


def test_simulation_uses_the_simulated_packs_working_hours(trio: Trio) -> None:
    with time_machine.travel(MONDAY_1530 - timedelta(days=1)):
        org.user_update(user=trio.owner, actor=trio.manager, seniority=4)
    org.leave_add(
        user=trio.owner,
        starts_on=date(2027, 1, 11),
        ends_on=date(2027, 1, 11),
        reason="",
        actor=trio.owner,
        now=MONDAY_1530,
    )
    day_start, evening = MONDAY_1530.replace(hour=0, minute=0), MONDAY_1530.replace(hour=17, minute=0)

    def fired(document: dict[str, Any]) -> int:
        outcomes = simulate(
            packs.validate(document), start=day_start, end=evening, rule_codes={"leave_cover"}
        )
        return next(o["count"] for o in outcomes.outcomes if o["code"] == "leave_cover/一个工作小时")

    assert fired(_document(_ten_to_four)) == 0  # due Tuesday 10:30 under 10:00–16:00

    def nine_to_six(document: dict[str, Any]) -> None:
        _ten_to_four(document)
        document["working_hours"] = {"start": "09:00", "end": "18:00"}

    assert fired(_document(nine_to_six)) == 1  # due Monday 16:30 under 09:00–18:00


def test_task_due_dates_follow_the_packs_working_hours(trio: Trio) -> None:
    _activate(_ten_to_four)
    ctx = actions.ActionContext(subject=trio.owner, actor=None, now=MONDAY_1530, rule_code="test")
    actions.run_action(
        {"type": "create_task", "params": {"to": ["owner"], "title": "交接", "due": "1wh"}}, ctx
    )
    assert Task.objects.get(title="交接").due_at == TUESDAY_1030


def test_the_timers_cli_adds_working_time_on_the_packs_hours(trio: Trio) -> None:
    with time_machine.travel(MONDAY_1530, tick=False):
        assert parse_now("+1wh") == MONDAY_1630  # the shipped 09:00–18:00
        _activate(_ten_to_four)
        assert parse_now("+1wh") == TUESDAY_1030


# --- settings ---------------------------------------------------------------------------------


def test_a_misspelt_setting_is_an_error_with_its_path() -> None:
    def typo(document: dict[str, Any]) -> None:
        document["settings"]["customer_claim_limt"] = 1

    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(_document(typo))
    assert any(e.startswith("settings.customer_claim_limt:") for e in err.value.errors)

    def wrong_type(document: dict[str, Any]) -> None:
        document["settings"]["customer_claim_limit"] = "fifty"

    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(_document(wrong_type))
    assert any(e.startswith("settings.customer_claim_limit:") for e in err.value.errors)


def test_the_default_pack_keeps_the_spec_settings() -> None:
    settings = packs.load_default().settings
    assert settings.customer_claim_limit == 50
    assert settings.customer_nightly_at == "02:00"
    assert settings.battle_report_refresh_seconds == 15


# --- purposes ---------------------------------------------------------------------------------


def _rename(old: str, new: str, purpose: str | None = None) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        policy = _policy(document, old)
        policy["code"] = new
        if purpose is not None:
            policy["purpose"] = purpose

    return mutate


def _unread_lead(trio: Trio, now: datetime) -> Any:
    lead = leads.lead_create(name="王主任", phone="13800000001", actor=trio.owner, owner=trio.owner, now=now)
    sweeper.sweep(now=now + timedelta(minutes=4))  # the unread nudge fires, first contact not yet
    return lead


@pytest.mark.parametrize(
    ("purpose", "light"),
    [("lead_unread", "yellow"), ("general", "red")],
)
def test_a_renamed_unread_policy_keeps_its_meaning_by_purpose(trio: Trio, purpose: str, light: str) -> None:
    _activate(_rename("lead_unread", "unread_nudge", purpose))
    now = clock.now()
    lead = _unread_lead(trio, now)
    assert Deadline.objects.get(subject_id=lead.pk, policy="unread_nudge").status == Deadline.Status.FIRED
    later = now + timedelta(minutes=5)
    assert lead_selectors.light(lead, lead_selectors.timers_of([lead])[lead.pk], now=later) == light
    breached = lead_selectors.with_sla_state(lead_selectors.leads_visible_to(trio.owner), "breached")
    assert breached.filter(pk=lead.pk).exists() == (light == "red")


def test_a_renamed_commitment_policy_still_gives_the_release_date(trio: Trio) -> None:
    _activate(_rename("customer_commitment", "claim_promise"))
    customer = customers.customer_create(name="温州医科大学附属医院", actor=None)
    now = clock.now()
    customers.customer_claim(customer=customer, actor=trio.owner, now=now)
    assert customer_selectors.release_due_of(Customer.objects.get(pk=customer.pk)) == now + timedelta(days=7)


def test_a_renamed_breaker_still_turns_the_opportunity_red(trio: Trio) -> None:
    _activate(_rename("tech_solution_breaker", "stage_fuse"))
    customer = customers.customer_create(name="宁波市第二医院", actor=None, owner=trio.owner)
    opportunity = pipeline.opportunity_create(
        customer=customer, title="关节耗材", owner=trio.owner, actor=trio.owner, pipeline="standard"
    )
    now = clock.now()
    fired = Deadline(policy="stage_fuse", status=Deadline.Status.FIRED, created_at=now, due_at=now)
    other = Deadline(policy="opportunity_stall", status=Deadline.Status.FIRED, created_at=now, due_at=now)
    assert pipeline_selectors.light(opportunity, [fired], now=now) == "red"
    assert pipeline_selectors.light(opportunity, [other], now=now) == "yellow"


def test_an_unknown_purpose_is_an_error_with_its_path() -> None:
    def bad(document: dict[str, Any]) -> None:
        _policy(document, "lead_unread")["purpose"] = "unread"

    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(_document(bad))
    assert any(e.startswith("sla_policies[0].purpose:") for e in err.value.errors)


# --- messages ---------------------------------------------------------------------------------


def test_a_longer_first_contact_limit_changes_the_breach_message(trio: Trio) -> None:
    def twenty_minutes(document: dict[str, Any]) -> None:
        _policy(document, "lead_first_contact")["steps"][0]["after"] = "20m"

    _activate(twenty_minutes)
    now = clock.now()
    lead = leads.lead_create(name="李科长", phone="13800000002", actor=trio.owner, owner=trio.owner, now=now)
    sweeper.sweep(now=now + timedelta(minutes=16))
    assert not Notification.objects.filter(kind="sla.breached", subject_id=lead.pk).exists()
    sweeper.sweep(now=now + timedelta(minutes=21))
    titles = set(Notification.objects.filter(kind="sla.breached").values_list("title", flat=True))
    assert titles == {"线索 20 分钟内未首次联系"}


def test_the_default_pack_renders_the_spec_texts() -> None:
    pack = packs.load_default()
    policy = pack.policy("customer_commitment")
    assert policy is not None
    warning = policy.steps[0]
    values = messages.step_values(policy, warning, None)
    assert messages.render(warning.actions[0].params["title"], values) == "客户将在 2 天后退回客户池"
    assert (
        messages.render(warning.actions[0].params["body"], values) == "7 天内没有有效互动的客户会退回公共池。"
    )


def test_an_unknown_placeholder_is_an_error_with_its_path() -> None:
    def bad(document: dict[str, Any]) -> None:
        _policy(document, "lead_first_contact")["steps"][0]["actions"][0]["params"]["title"] = "超时 {afterr}"
        document["rules"][0]["actions"][0]["params"]["body"] = "{name.__class__} 报价"

    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(_document(bad))
    assert any(
        e.startswith("sla_policies[1].steps[0].actions[0].params.title: unknown placeholder {afterr}")
        for e in err.value.errors
    )
    assert any(
        e.startswith("rules[0].actions[0].params.body: unknown placeholder {name.__class__}")
        for e in err.value.errors
    )


def test_rendering_substitutes_plain_strings_once() -> None:
    values = {"name": "{owner} 医院", "owner": "张三"}
    # A record name that looks like a placeholder is not expanded again; unknown ones stay literal.
    assert (
        messages.render("{name}：{owner}，{x.__class__} {0}", values)
        == "{owner} 医院：张三，{x.__class__} {0}"
    )


def test_a_gate_message_names_the_record(trio: Trio) -> None:
    def gate(document: dict[str, Any]) -> None:
        document["rules"].append(
            {
                "code": "no_leave_for_seniors",
                "name": "资深销售不能请假",
                "trigger": "user.leave_added",
                "subject": "user",
                "condition": {"field": "seniority", "op": "gte", "value": 1},
                "gate": True,
                "message": "{name} 由「{rule}」拦截",
            }
        )

    _activate(gate)
    with pytest.raises(engine.GateRefused) as refused:
        org.leave_add(
            user=trio.owner,
            starts_on=date(2027, 1, 11),
            ends_on=date(2027, 1, 11),
            reason="",
            actor=trio.owner,
        )
    assert str(refused.value) == f"{trio.owner} 由「资深销售不能请假」拦截"


def test_the_ladder_form_edits_a_steps_texts(trio: Trio) -> None:
    client = Client()
    client.force_login(trio.admin)
    url = "/settings/rules/policies/lead_first_contact/"
    page = client.get(url)
    assert page.status_code == 200 and "{after}" in page.content.decode()
    body = {
        "enabled": "on",
        "s0-after": "20m",
        "s0-recipients": ["owner"],
        "s0-a0-title": "超过 {after} 未联系",
    }
    refused = client.post(url, {**body, "s0-a0-title": "超过 {afer}"})
    assert refused.status_code == 422 and "{afer}" in refused.content.decode()
    assert client.post(url, body).status_code == 302
    policy = selectors.active_pack()[1].policy("lead_first_contact")
    assert policy is not None and policy.steps[0].actions[0].params["title"] == "超过 {after} 未联系"


# --- stage templates per region ---------------------------------------------------------------


def _regional(document: dict[str, Any]) -> None:
    stages = document["stage_templates"][0]["stages"]
    document["stage_templates"] += [
        {"code": "east", "name": "华东流程", "region": "华东大区", "stages": stages},
        {"code": "hangzhou", "name": "杭州组流程", "region": "杭州组", "stages": stages},
        {"code": "south", "name": "华南流程", "region": "华南大区", "stages": stages},
    ]


def test_a_teams_region_picks_its_stage_template(trio: Trio) -> None:
    _activate(_regional)
    loner = org.user_create(
        username="loner", display_name="独行", role="rep", team=None, manager=None, actor=None
    )

    def pipeline_of(owner: Any, name: str, product_lines: list[str] | None = None) -> str:
        customer = customers.customer_create(name=name, actor=None, owner=owner)
        return pipeline.opportunity_create(
            customer=customer, title="采购", owner=owner, actor=None, product_lines=product_lines
        ).pipeline

    assert pipeline_of(trio.owner, "上海医院") == "east"  # 上海一组 → 华东大区
    assert pipeline_of(trio.outsider, "杭州医院") == "hangzhou"  # the team's own beats its region's
    assert pipeline_of(loner, "无团队医院") == "standard"  # no region: the general template
    assert pipeline_of(trio.owner, "关节医院", ["joint"]) == "hospital_visit"  # a product line's first


# --- customer health bands --------------------------------------------------------------------


def test_health_colours_follow_the_packs_bands(trio: Trio) -> None:
    customer = customers.customer_create(name="丽水市中心医院", actor=None, owner=trio.owner)
    factors = [{"factor": "purchase_frequency", "points": 80, "detail": ""}]
    Customer.objects.filter(pk=customer.pk).update(health_score=80, health_factors=factors)
    client = Client()
    client.force_login(trio.owner)

    def badge() -> str:
        html = client.get(f"/customers/{customer.pk}/").content.decode()
        start = html.index('data-testid="health"')
        return html[html.rindex("<span", 0, start) : start]

    assert "bg-green-lt" in badge()
    _activate(lambda d: d["lights"].update(customer_health_green_from=90, customer_health_yellow_from=80))
    assert "bg-yellow-lt" in badge()
    assert customer_selectors.health_light(79) == "red"


def test_health_bands_must_be_in_order() -> None:
    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(_document(lambda d: d["lights"].update(customer_health_yellow_from=95)))
    assert any(e.startswith("lights:") or e.startswith("lights.") for e in err.value.errors)


def test_packs_stored_before_purposes_get_the_shipped_ones() -> None:
    import importlib

    from django.apps import apps as django_apps

    from salesflow.rules.models import RulePackVersion

    migration = importlib.import_module("salesflow.rules.migrations.0003_declare_policy_purposes")
    document = packs.to_document(packs.load_default())
    for policy in document["sla_policies"]:
        del policy["purpose"]
    document["sla_policies"][0]["purpose"] = "general"  # a purpose already declared is kept
    version = RulePackVersion.objects.create(number=99, name="old", document=document, created_at=clock.now())
    migration.declare_purposes(django_apps, None)
    version.refresh_from_db()
    stored = packs.validate(version.document)
    assert stored.policy_codes_for("customer_commitment") == ["customer_commitment"]
    assert stored.policy_codes_for("stage_breaker") == ["tech_solution_breaker"]
    assert stored.policy_codes_for("lead_unread") == []


def test_no_default_rule_waits_for_an_event_nothing_records() -> None:
    from salesflow.core.labels import known_event_names

    # `lead.submitted` was such a trigger: its gate never ran (required_fields does that job).
    recorded = {name for name, _label in known_event_names()}
    installed = [r for r in packs.load_default().rules if r.subject in ("lead", "customer", "user")]
    assert installed and all(r.trigger in recorded for r in installed)
