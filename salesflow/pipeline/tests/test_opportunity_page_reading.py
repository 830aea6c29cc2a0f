"""The opportunity page reads right for whoever opens it: the comparison names the owner; 推进 goes on."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client

from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.customers import services as customers
from salesflow.org.models import User
from salesflow.pipeline import services
from salesflow.pipeline.models import Evidence, Opportunity

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _opportunity(trio: Trio, title: str, *, now: datetime | None = None) -> Opportunity:
    customer = customers.customer_create(name=f"{title}医院", actor=None, owner=trio.owner, now=now)
    return services.opportunity_create(
        customer=customer, title=title, pipeline="standard", owner=trio.owner, actor=trio.owner, now=now
    )


def _behind_the_team(trio: Trio) -> Opportunity:
    """The team spent 3 days in 初步接触 on average; this one has been there for 10."""
    base = clock.now() - timedelta(days=10)
    for days in (2, 4):
        done = _opportunity(trio, f"历史商机{days}", now=base)
        services.opportunity_advance(opportunity=done, to_stage="first_contact", actor=trio.owner, now=base)
        Evidence.objects.create(
            opportunity=done,
            stage="first_contact",
            requirement="x",
            kind="document",
            uploaded_by=trio.owner,
            uploaded_at=base,
        )
        services.opportunity_advance(
            opportunity=done,
            to_stage="lead_registered",
            reason="回退",
            actor=trio.owner,
            now=base + timedelta(days=days),
        )
    current = _opportunity(trio, "当前商机", now=base)
    return services.opportunity_advance(
        opportunity=current, to_stage="first_contact", actor=trio.owner, now=base
    )


def _comparison(html: str) -> str:
    found = re.search(r'data-testid="comparison">(?:<i[^>]*></i>)?([^<]*)<', html)
    assert found, "the comparison is shown"
    return found.group(1)


def test_manager_reads_the_comparison_about_the_owner_by_name(trio: Trio) -> None:
    User.objects.filter(pk=trio.owner.pk).update(display_name="田彬")
    opportunity = _behind_the_team(trio)
    html = _client(trio.manager).get(f"/opportunities/{opportunity.pk}/").content.decode()
    text = _comparison(html)
    assert text.startswith("田彬在本阶段已落后团队均值 7.")
    assert "你" not in text


def test_owner_still_reads_you(trio: Trio) -> None:
    opportunity = _behind_the_team(trio)
    html = _client(trio.owner).get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert _comparison(html).startswith("你在本阶段已落后团队均值 7.")


def test_comparison_in_english_names_the_owner(trio: Trio) -> None:
    User.objects.filter(pk=trio.owner.pk).update(display_name="Tian Bin")
    opportunity = _behind_the_team(trio)
    client = _client(trio.manager)
    client.cookies["django_language"] = "en"
    html = client.get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert _comparison(html).startswith("Tian Bin is 7.")


def _selected(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="to_stage".*?</select>', html, re.S)
    assert select, "the advance form is shown"
    return re.findall(r'<option value="([^"]*)" selected', select.group(0))


def _options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="to_stage".*?</select>', html, re.S)
    assert select
    return re.findall(r'<option value="([^"]*)"', select.group(0))


def test_advance_select_defaults_to_the_next_stage_not_backwards(trio: Trio) -> None:
    opportunity = _opportunity(trio, "推进默认")
    opportunity = services.opportunity_advance(
        opportunity=opportunity, to_stage="first_contact", actor=trio.owner
    )
    html = _client(trio.manager).get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert _selected(html) == ["needs_confirmed"]
    # Forward stages come first; the stage behind is offered last, under 退回到.
    assert _options(html)[0] == "needs_confirmed" and _options(html)[-1] == "lead_registered"


def test_advance_select_on_the_last_stage_does_not_preselect_a_step_back(trio: Trio) -> None:
    opportunity = _opportunity(trio, "最后阶段")
    Opportunity.objects.filter(pk=opportunity.pk).update(stage="delivery_payment")
    html = _client(trio.owner).get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert _selected(html) == [""]
    assert "已是最后阶段" in html


def test_the_api_comparison_speaks_to_its_reader(trio: Trio) -> None:
    from salesflow.core.testing import api_client_for

    User.objects.filter(pk=trio.owner.pk).update(display_name="田彬")
    opportunity = _behind_the_team(trio)
    about = api_client_for(trio.manager).get(f"/api/v1/opportunities/{opportunity.pk}").json()["comparison"]
    own = api_client_for(trio.owner).get(f"/api/v1/opportunities/{opportunity.pk}").json()["comparison"]
    assert about.startswith("田彬在本阶段已落后团队均值 7.")
    assert own.startswith("你在本阶段已落后团队均值 7.")
