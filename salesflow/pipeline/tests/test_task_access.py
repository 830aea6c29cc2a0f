"""Cross-department access through work: an open task about a record lets its holder read it (issue 10).

The circuit breaker's to-dos send presales and legal to an opportunity of another department;
they may open it while the task is open, every such read is logged, and completing the task
ends the access.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for, make_user
from salesflow.customers import services as customers
from salesflow.notify import services as notify
from salesflow.notify.models import Task
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline import services
from salesflow.pipeline.models import Evidence, Opportunity
from salesflow.timers import sweeper

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _breaker_fired(trio: Trio) -> Opportunity:
    """An opportunity of the owner's, stuck in 技术方案确认 past the breaker's 5 working days."""
    start = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    customer = customers.customer_create(name="宁波市第二医院", actor=None, owner=trio.owner, now=start)
    opportunity = services.opportunity_create(
        customer=customer,
        title="关节耗材采购",
        pipeline="hospital_visit",
        owner=trio.owner,
        actor=trio.owner,
        now=start,
    )
    Evidence.objects.bulk_create(
        [
            Evidence(
                opportunity=opportunity,
                stage="hospital_visit",
                requirement=code,
                kind=kind,
                text=text,
                uploaded_by=trio.owner,
                uploaded_at=start,
            )
            for code, kind, text in (
                ("door_plate_photo", "photo", ""),
                ("trial_confirmation", "signed_pdf", ""),
                ("need_points", "need_points", "price\ndelivery\ntraining"),
            )
        ]
    )
    services.opportunity_advance(
        opportunity=opportunity, to_stage="hospital_visit", actor=trio.owner, now=start
    )
    services.opportunity_advance(
        opportunity=opportunity, to_stage="tech_solution", actor=trio.owner, now=start
    )
    sweeper.sweep(now=datetime(2026, 11, 10, 10, 1, tzinfo=SHANGHAI))
    return opportunity


def _presales(trio: Trio) -> tuple[User, User]:
    """A presales engineer in the owner's team (the breaker's) and one in another team."""
    return (
        make_user("presales", Role.PRESALES, trio.team, None),
        make_user("presales2", Role.PRESALES, trio.other_team, None),
    )


def _page(user: User, opportunity: Opportunity) -> int:
    client = Client()
    client.force_login(user)
    return client.get(f"/opportunities/{opportunity.pk}/").status_code


def _api(user: User, opportunity: Opportunity) -> int:
    return api_client_for(user).get(f"/api/v1/opportunities/{opportunity.pk}").status_code


def test_presales_with_an_open_breaker_task_reads_the_opportunity_until_the_task_is_done(trio: Trio) -> None:
    presales, other_presales = _presales(trio)
    opportunity = _breaker_fired(trio)
    task = Task.objects.get(assignee=presales, subject_id=opportunity.pk, status=Task.Status.OPEN)
    assert task.subject_type == "pipeline.opportunity"

    assert _page(presales, opportunity) == 200
    assert _api(presales, opportunity) == 200
    assert _page(other_presales, opportunity) == 404
    assert _api(other_presales, opportunity) == 404

    notify.task_complete(task=task, actor=presales, note="已提交技术方案意见")
    assert _page(presales, opportunity) == 404
    assert _api(presales, opportunity) == 404


def test_each_read_through_a_task_is_logged_and_reads_in_scope_are_not(trio: Trio) -> None:
    presales, _other = _presales(trio)
    opportunity = _breaker_fired(trio)
    task = Task.objects.get(assignee=presales, subject_id=opportunity.pk, status=Task.Status.OPEN)
    _page(presales, opportunity)
    _api(presales, opportunity)
    _page(trio.owner, opportunity)  # the owner's own reads are no cross-department access
    _page(trio.manager, opportunity)  # the manager holds a breaker task too, but in scope anyway
    reads = list(Event.objects.filter(name="record.read_through_task").order_by("id"))
    assert [(e.subject_type, e.subject_id, e.actor_id) for e in reads] == [
        ("pipeline.opportunity", opportunity.pk, presales.pk)
    ] * 2
    assert all(e.payload["task"] == task.pk for e in reads)
    owner = Client()
    owner.force_login(trio.owner)
    timeline = owner.get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert "通过待办查看" in timeline


def test_a_task_about_a_lead_or_customer_opens_it_too(trio: Trio) -> None:
    from salesflow.leads import services as leads

    legal = make_user("legal", Role.LEGAL, trio.other_team, None)
    customer = customers.customer_create(name="台州医院", actor=None, owner=trio.owner)
    lead = leads.lead_create(name="王五", phone="13900000009", owner=trio.owner, actor=None)
    api = api_client_for(legal)
    assert api.get(f"/api/v1/customers/{customer.pk}").status_code == 404
    assert api.get(f"/api/v1/leads/{lead.pk}").status_code == 404
    notify.task_create(assignee=legal, title="审阅客户条款", subject=customer)
    notify.task_create(assignee=legal, title="核实线索", subject=lead)
    assert api.get(f"/api/v1/customers/{customer.pk}").status_code == 200
    assert api.get(f"/api/v1/leads/{lead.pk}").status_code == 200
    assert Event.objects.filter(name="record.read_through_task", actor=legal).count() == 2
