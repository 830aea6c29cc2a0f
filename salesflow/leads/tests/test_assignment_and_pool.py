"""Assignment never exceeds a cap nor picks a rep on leave; round-robin is fair; pool claims race safely."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesflow.core import clock
from salesflow.core.errors import Conflict
from salesflow.core.testing import Trio, api_client_for, make_user
from salesflow.leads import assignment, services
from salesflow.leads.models import Lead
from salesflow.org import services as org
from salesflow.org.choices import Role
from salesflow.rules.schema import Assignment


def _lead(**fields: object) -> Lead:
    now = clock.now()
    return Lead.objects.create(name="x", created_at=now, **fields)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    caps=st.lists(st.integers(0, 3), min_size=3, max_size=3),
    on_leave=st.lists(st.booleans(), min_size=3, max_size=3),
    strategy=st.sampled_from(["round_robin", "capability", "weighted"]),
    leads=st.integers(1, 12),
)
def test_never_over_cap_never_on_leave(
    trio: Trio, caps: list[int], on_leave: list[bool], strategy: str, leads: int
) -> None:
    from django.db import transaction

    reps = [trio.owner, trio.teammate, trio.outsider]
    with transaction.atomic():
        today = clock.to_local(clock.now()).date()
        for rep, cap, away in zip(reps, caps, on_leave, strict=True):
            org.user_update(user=rep, actor=None, max_open_workload=cap)
            if away:
                org.leave_add(user=rep, starts_on=today, ends_on=today, reason="", actor=None)
        policy = Assignment(strategy=strategy, weights={"open_workload": 1.0})  # type: ignore[arg-type]
        for _ in range(leads):
            lead = _lead()
            owner, _why = assignment.choose_owner(lead, policy=policy, team=None, now=clock.now())
            if owner is not None:
                lead.owner, lead.status = owner, "assigned"
                lead.save()
                services.workload_move(from_id=None, to_id=owner.pk)
        counts = Counter(Lead.objects.exclude(owner=None).values_list("owner_id", flat=True))
        for rep, cap, away in zip(reps, caps, on_leave, strict=True):
            assert counts.get(rep.pk, 0) <= cap
            if away:
                assert counts.get(rep.pk, 0) == 0
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_round_robin_is_fair(trio: Trio) -> None:
    policy = Assignment(strategy="round_robin")
    picks: Counter[str] = Counter()
    for _ in range(30):
        owner, _why = assignment.choose_owner(_lead(), policy=policy, team=None, now=clock.now())
        assert owner is not None
        picks[owner.username] += 1
    assert picks == Counter({"owner": 10, "teammate": 10, "outsider": 10})


@pytest.mark.django_db
def test_capability_requires_the_skills_and_high_scores_go_to_seniors(trio: Trio) -> None:
    org.user_set_skills(user=trio.teammate, actor=None, product_lines=["spine"], customer_tiers=["tier3a"])
    capability = Assignment(strategy="capability")
    owner, _ = assignment.choose_owner(
        _lead(product_line="spine", customer_tier="tier3a"), policy=capability, team=None, now=clock.now()
    )
    assert owner == trio.teammate
    nobody, why = assignment.choose_owner(
        _lead(product_line="sports"), policy=capability, team=None, now=clock.now()
    )
    assert nobody is None and why["reason"] == "no eligible rep"
    senior = make_user("senior", Role.REP, trio.team, trio.manager, seniority=5)
    weighted = Assignment(strategy="weighted", weights={"seniority": 1.0}, senior_score_threshold=80)
    owner, _ = assignment.choose_owner(_lead(score=90), policy=weighted, team=None, now=clock.now())
    assert owner == senior


@pytest.mark.django_db
def test_team_scoped_form_assigns_inside_the_team(trio: Trio) -> None:
    policy = Assignment(strategy="round_robin")
    owners = {
        assignment.choose_owner(_lead(), policy=policy, team=trio.other_team, now=clock.now())[0]
        for _ in range(3)
    }
    assert owners == {trio.outsider}


@pytest.mark.django_db
def test_pool_claim_and_409_naming_the_owner(trio: Trio) -> None:
    lead = _lead(status="pooled")
    first = api_client_for(trio.owner).post(f"/api/v1/leads/{lead.pk}/claim")
    assert first.status_code == 200 and first.json()["owner"]["username"] == "owner"
    second = api_client_for(trio.outsider).post(f"/api/v1/leads/{lead.pk}/claim")
    assert second.status_code == 409  # taken from the pool first: the outsider hears by whom
    assert second.json()["owner"]["username"] == "owner"
    other = _lead(status="pooled")
    services.lead_claim(lead=other, actor=trio.owner)
    with pytest.raises(Conflict) as err:
        services.lead_claim(lead=other, actor=trio.teammate)
    assert err.value.context["owner"]["username"] == "owner"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_reps_claiming_at_once_exactly_one_wins(trio: Trio) -> None:
    lead = _lead(status="pooled")
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def claim(username: str, rep: object) -> None:
        client = api_client_for(rep)  # type: ignore[arg-type]
        barrier.wait()
        results[username] = client.post(f"/api/v1/leads/{lead.pk}/claim").status_code
        connections.close_all()

    threads = [threading.Thread(target=claim, args=(r.username, r)) for r in (trio.owner, trio.teammate)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [200, 409]
    lead.refresh_from_db()
    winner = next(name for name, status in results.items() if status == 200)
    assert lead.owner is not None and lead.owner.username == winner


@pytest.mark.django_db
def test_reassign_needs_a_manager_and_a_reason(trio: Trio) -> None:
    lead = _lead(status="pooled")
    services.lead_claim(lead=lead, actor=trio.owner)
    rep = api_client_for(trio.owner)
    assert (
        rep.post(
            f"/api/v1/leads/{lead.pk}/reassign",
            {"to": trio.teammate.pk, "reason": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )
    manager = api_client_for(trio.manager)
    no_reason = manager.post(
        f"/api/v1/leads/{lead.pk}/reassign",
        {"to": trio.teammate.pk, "reason": " "},
        content_type="application/json",
    )
    assert no_reason.status_code == 422
    moved = manager.post(
        f"/api/v1/leads/{lead.pk}/reassign",
        {"to": trio.teammate.pk, "reason": "客户在杭州"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["owner"]["username"] == "teammate"


@pytest.mark.django_db
def test_behaviour_rescores_with_decay_and_combinations(trio: Trio) -> None:
    integration = make_user("website-bot", Role.INTEGRATION, None, None)
    lead = _lead(status="pooled")
    api = api_client_for(integration)
    now = clock.now()
    for _ in range(3):
        api.post(
            f"/api/v1/leads/{lead.pk}/behaviour",
            {"kind": "competitor_comparison_view", "at": now.isoformat()},
            content_type="application/json",
        )
    api.post(
        f"/api/v1/leads/{lead.pk}/behaviour",
        {"kind": "whitepaper_download", "at": now.isoformat()},
        content_type="application/json",
    )
    body = api.post(
        f"/api/v1/leads/{lead.pk}/behaviour",
        {"kind": "maintenance_form", "at": now.isoformat()},
        content_type="application/json",
    ).json()
    assert body["score"] == 30 and body["score_factors"][0]["factor"].startswith("combination:")
    old = api.post(
        f"/api/v1/leads/{lead.pk}/behaviour",
        {"kind": "pricing_view", "at": (now - timedelta(days=14)).isoformat()},
        content_type="application/json",
    ).json()
    pricing = next(f for f in old["score_factors"] if f["factor"] == "behaviour: pricing_view")
    assert pricing["points"] == 4.0  # 8 points, one half-life (14 days) ago
    assert (
        api_client_for(trio.owner)
        .post(
            f"/api/v1/leads/{lead.pk}/behaviour",
            {"kind": "pricing_view", "at": now.isoformat()},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    bad = api.post(
        f"/api/v1/leads/{lead.pk}/behaviour",
        {"kind": "teleport", "at": now.isoformat()},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][1] == "kind"
