"""The battle report's red and stalled deals equal the 商机 list's light computed per deal."""

from __future__ import annotations

from datetime import datetime

import pytest

from salesflow.analytics import battle
from salesflow.analytics.testing import at, deal
from salesflow.core.testing import Trio
from salesflow.leads import selectors as lead_selectors
from salesflow.leads import services as lead_services
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.pipeline import selectors as pipeline_selectors
from salesflow.pipeline.models import Opportunity
from salesflow.timers.models import Deadline

pytestmark = pytest.mark.django_db

NOW = at(12, 10, 15)


def _open(owner: User, title: str, entered: datetime, last_update: datetime | None) -> Opportunity:
    o = deal(owner, title, created=at(11, 1), stays=[("first_contact", entered, None)], amount="10000")
    Opportunity.objects.filter(pk=o.pk).update(last_update_at=last_update)
    return o


def _timer(o: Opportunity, policy: str, status: str, created: datetime) -> None:
    Deadline.objects.create(
        subject_type="pipeline.opportunity",
        subject_id=o.pk,
        policy=policy,
        step=0,
        due_at=created,
        status=status,
        created_at=created,
        fired_at=created if status != Deadline.Status.PENDING else None,
    )


def _deals(trio: Trio) -> None:
    """Deals on every branch of the light: stale or fresh, with a stall timer or a stage breaker
    fired (or failed) in the current stage or before it, pending, and closed."""
    fired, failed, pending = Deadline.Status.FIRED, Deadline.Status.FAILED, Deadline.Status.PENDING
    people = (trio.owner, trio.teammate, trio.outsider)
    for i, (entered, update) in enumerate(
        [
            (at(11, 20), None),  # stale since it entered
            (at(11, 28), at(12, 1)),  # stale
            (at(12, 2), at(12, 8)),  # fresh
            (at(12, 5), None),  # fresh, never updated
            (at(12, 9), at(12, 9, 10)),  # fresh
            (at(11, 10), at(12, 3)),  # on the line's other side
        ]
    ):
        for j, (policy, status, started) in enumerate(
            [
                ("", "", None),
                ("opportunity_stall", fired, at(12, 9, 12)),  # in this stage
                ("opportunity_stall", failed, at(12, 9, 12)),
                ("opportunity_stall", fired, at(11, 1)),  # before this stage
                ("tech_solution_breaker", fired, at(12, 9, 12)),
                ("tech_solution_breaker", fired, at(11, 1)),
                ("opportunity_stall", pending, at(12, 9, 12)),
            ]
        ):
            o = _open(people[(i + j) % 3], f"O{i}{j}", entered, update)
            if started is not None:
                _timer(o, policy, status, started)
    # A breaker that fired before this stage with a timer of the same policy started in it.
    o = _open(trio.owner, "OX", at(12, 5), at(12, 9))
    _timer(o, "tech_solution_breaker", fired, at(11, 1))
    _timer(o, "tech_solution_breaker", pending, at(12, 6))
    closed = _open(trio.owner, "C", at(11, 1), None)
    Opportunity.objects.filter(pk=closed.pk).update(status="lost")
    _timer(closed, "tech_solution_breaker", fired, at(12, 9, 12))


def _per_deal(scope: battle.BattleScope, rank: int, order: str) -> tuple[int, list[int]]:
    """What the panels showed before: the light of every open deal of the scope."""
    qs = pipeline_selectors.with_list_keys(
        Opportunity.objects.filter(scope.q(), status="open"), now=NOW
    ).filter(**{"light_rank": rank})
    return qs.count(), list(qs.order_by(order, "id").values_list("pk", flat=True)[: battle.LIST_ROWS])


def test_red_and_stalled_deals_equal_the_per_deal_light_for_every_scope(trio: Trio) -> None:
    _deals(trio)
    scopes = [
        battle.BattleScope(team=None, name="公司"),
        battle.BattleScope(team=trio.team, name=trio.team.name),
        battle.BattleScope(team=trio.other_team, name=trio.other_team.name),
    ]
    shown = 0
    for scope in scopes:
        ctx = battle.battle_context(scope, now=NOW)
        for rank, order in ((0, "last_update_key"), (1, "stage_entered_at")):
            count, rows = battle._opportunities(ctx, rank, order)
            assert (count, [o.pk for o in rows]) == _per_deal(scope, rank, order), (scope.name, rank)
            shown += count
    company = battle.battle_context(scopes[0], now=NOW)
    red, _rows = battle._opportunities(company, 0, "last_update_key")
    stalled, _rows = battle._opportunities(company, 1, "stage_entered_at")
    # Every branch is there: red without being stale, and stalled.
    assert 0 < stalled < red < Opportunity.objects.filter(status="open").count()
    assert shown


def _leads(trio: Trio) -> None:
    """Leads on every branch of the light: waiting past the limit or not, followed up, first
    contact made, a breached timer since or before the assignment, a nudge, closed, pooled."""
    fired, failed = Deadline.Status.FIRED, Deadline.Status.FAILED
    people = (trio.owner, trio.teammate, trio.outsider)
    n = 0
    for assigned in (at(12, 1), at(12, 8, 14), at(12, 10, 9), None):
        for last_activity, first_contact in ((None, None), (at(12, 9), None), (at(12, 9), at(12, 9))):
            for policy, status, created in (
                ("", "", None),
                ("lead_first_contact", fired, at(12, 10, 10)),
                ("lead_follow_up", failed, at(12, 10, 10)),
                ("lead_first_contact", fired, at(11, 1)),  # before the assignment
                ("lead_unread", fired, at(12, 10, 10)),  # a nudge: not red by itself
            ):
                for lead_status in ("assigned", "contacted", "converted"):
                    n += 1
                    lead = Lead.objects.create(
                        name=f"L{n}",
                        status=lead_status,
                        owner=people[n % 3],
                        assigned_at=assigned,
                        acknowledged_at=assigned,
                        last_activity_at=last_activity,
                        first_contact_at=first_contact,
                        created_at=at(11, 1),
                    )
                    if created is not None:
                        Deadline.objects.create(
                            subject_type="leads.lead",
                            subject_id=lead.pk,
                            policy=policy,
                            step=0,
                            due_at=created,
                            status=status,
                            created_at=created,
                            fired_at=created,
                        )
    Lead.objects.create(name="pooled", status="pooled", created_at=at(11, 1))
    # Written without the timers: bring the leads' list keys up to date as the timers do.
    lead_services.refresh_timer_keys(lead_ids=list(Lead.objects.values_list("pk", flat=True)))


def test_red_leads_equal_the_per_lead_light_for_every_scope(trio: Trio) -> None:
    _leads(trio)
    for scope in (
        battle.BattleScope(team=None, name="公司"),
        battle.BattleScope(team=trio.team, name=trio.team.name),
        battle.BattleScope(team=trio.other_team, name=trio.other_team.name),
    ):
        per_lead = lead_selectors.with_list_keys(Lead.objects.filter(scope.q()), now=NOW).filter(
            **{"light_rank": 0}
        )
        ctx = battle.battle_context(scope, now=NOW)
        red = battle.red_leads(ctx)
        assert red["count"] == per_lead.count(), scope.name
        shown = [item["name"] for item in red["items"]]
        assert shown == [lead.name for lead in per_lead.order_by("assigned_at", "id")[: battle.LIST_ROWS]]
    red = battle.red_leads(battle.battle_context(battle.BattleScope(team=None, name="公司"), now=NOW))
    # Red both ways (waiting; a breached timer with a recent assignment), not every open lead.
    assert 0 < red["count"] < Lead.objects.filter(status__in=["assigned", "contacted"]).count()
    assert any(item["name"] for item in red["items"])
