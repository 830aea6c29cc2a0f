"""Weighted proportional assignment matches the fit scores; round-robin stays fair at any size."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesflow.core import clock
from salesflow.core.testing import Trio, make_user
from salesflow.leads import assignment, services
from salesflow.leads.models import Lead
from salesflow.org import services as org
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.rules.schema import Assignment

# Percentage points a rep's share of 1,000 leads may differ from fit / sum(fits).
TOLERANCE_PP = 2.0

PROPORTIONAL = Assignment(
    strategy="weighted",
    selection="proportional",
    weights={"tier_fit": 0.5, "product_line_skill": 0.3, "seniority": 0.15, "open_workload": 0.05},
)


def _reps_with_fits(trio: Trio) -> dict[str, float]:
    """Four reps whose fit for a tier3a / joint lead is 0.8, 0.5, 0.3 and 0; caps out of the way."""
    rookie = make_user("rookie", Role.REP, trio.team, trio.manager)
    skills = {
        trio.owner: (["joint"], ["tier3a"]),  # tier 0.5 + product line 0.3
        trio.teammate: (["spine"], ["tier3a"]),  # tier 0.5
        trio.outsider: (["joint"], ["private"]),  # product line 0.3
        rookie: ([], []),  # no fit at all
    }
    for rep, (lines, tiers) in skills.items():
        org.user_set_skills(user=rep, actor=None, product_lines=lines, customer_tiers=tiers)
        org.user_update(user=rep, actor=None, max_open_workload=5000)
    return {"owner": 0.8, "teammate": 0.5, "outsider": 0.3, "rookie": 0.0}


def _give_out(count: int, policy: Assignment) -> Counter[str]:
    """`count` tier3a / joint leads through choose_owner, counters kept by the service; owners counted."""
    now = clock.now()
    made = []
    for i in range(count):
        lead = Lead(name=f"线索{i}", customer_tier="tier3a", product_line="joint", score=10, created_at=now)
        owner, why = assignment.choose_owner(lead, policy=policy, team=None, now=now)
        assert owner is not None, why
        lead.owner, lead.status = owner, "assigned"
        services.workload_move(from_id=None, to_id=owner.pk)
        made.append(lead)
    Lead.objects.bulk_create(made)
    return Counter(
        Lead.objects.filter(status="assigned").values_list("owner__username", flat=True).iterator()
    )


@pytest.mark.django_db
def test_proportional_shares_of_1000_leads_match_the_fit_scores_within_2_points(trio: Trio) -> None:
    fits = _reps_with_fits(trio)
    picks = _give_out(1000, PROPORTIONAL)
    assert sum(picks.values()) == 1000
    total_fit = sum(fits.values())
    for username, fit in fits.items():
        share_pp = 100 * picks.get(username, 0) / 1000
        expected_pp = 100 * fit / total_fit
        assert abs(share_pp - expected_pp) <= TOLERANCE_PP, (username, share_pp, expected_pp)
    assert picks.get("rookie", 0) == 0  # a fit of 0 is a share of 0 while others fit


@pytest.mark.django_db
def test_best_selection_stays_the_default_and_gives_everything_to_the_top_score(trio: Trio) -> None:
    _reps_with_fits(trio)
    best = Assignment(strategy="weighted", weights=PROPORTIONAL.weights)
    assert best.selection == "best"
    assert _give_out(50, best) == Counter({"owner": 50})


@pytest.mark.django_db
def test_proportional_counts_existing_workload_against_the_share(trio: Trio) -> None:
    """A rep already over their share gets nothing new until the team catches up."""
    _reps_with_fits(trio)
    services.workload_move(from_id=None, to_id=trio.owner.pk, count=40)
    picks = _give_out(20, PROPORTIONAL)
    assert picks.get("owner", 0) == 0 and sum(picks.values()) == 20


@pytest.mark.django_db
def test_proportional_with_no_fit_anywhere_is_equal_shares(trio: Trio) -> None:
    _reps_with_fits(trio)
    now = clock.now()
    lead = Lead(name="x", score=10, created_at=now)  # no tier, no product line: nobody fits
    pool = assignment.candidates(team=None, policy=PROPORTIONAL, now=now)
    assert set(assignment.fit_shares(lead, pool, PROPORTIONAL).values()) == {1 / len(pool)}


@pytest.mark.django_db
def test_preview_predicts_the_proportional_picks(trio: Trio) -> None:
    _reps_with_fits(trio)
    now = clock.now()
    leads = [
        Lead(name=f"p{i}", customer_tier="tier3a", product_line="joint", score=10, created_at=now)
        for i in range(32)
    ]
    predicted = [
        owner.username if owner else None
        for _lead, owner in assignment.preview(leads, policy=PROPORTIONAL, now=now)
    ]
    actual = []
    for lead in leads:
        owner, _why = assignment.choose_owner(lead, policy=PROPORTIONAL, team=None, now=now)
        assert owner is not None
        services.workload_move(from_id=None, to_id=owner.pk)
        actual.append(owner.username)
    assert predicted == actual
    assert Counter(actual) == Counter({"owner": 16, "teammate": 10, "outsider": 6})


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    extra_reps=st.integers(0, 4),
    leads=st.integers(1, 60),
    mode=st.sampled_from(["round_robin", "weighted_proportional_equal_fit"]),
)
def test_round_robin_is_fair_at_any_size(trio: Trio, extra_reps: int, leads: int, mode: str) -> None:
    """Counts differ by at most 1, for plain round-robin and for proportional with equal fits."""
    with transaction.atomic():
        for i in range(extra_reps):
            make_user(f"extra{i}", Role.REP, trio.team, trio.manager)
        User.objects.filter(role=Role.REP).update(max_open_workload=1000)
        if mode == "round_robin":
            policy = Assignment(strategy="round_robin")
        else:
            policy = Assignment(strategy="weighted", selection="proportional", weights={"open_workload": 1.0})
        picks: Counter[int] = Counter()
        for _ in range(leads):
            lead = Lead(name="x", created_at=clock.now())
            owner, _why = assignment.choose_owner(lead, policy=policy, team=None, now=clock.now())
            assert owner is not None
            services.workload_move(from_id=None, to_id=owner.pk)
            picks[owner.pk] += 1
        reps = list(User.objects.filter(role=Role.REP).values_list("pk", flat=True))
        counts = [picks.get(pk, 0) for pk in reps]
        assert sum(counts) == leads
        assert max(counts) - min(counts) <= 1
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_settings_page_saves_the_selection(trio: Trio, client: Client) -> None:
    from salesflow.rules.selectors import active_pack

    client.force_login(trio.manager)
    form = {
        "strategy": "weighted",
        "selection": "proportional",
        "senior_score_threshold": "80",
        "senior_min_level": "3",
        "skip_on_leave": "on",
        "respect_workload_cap": "on",
        "w-tier_fit": "0.5",
        "w-product_line_skill": "0.5",
    }
    assert client.post("/settings/assignment/", form).status_code == 302
    _number, pack = active_pack()
    assert pack.assignment.strategy == "weighted" and pack.assignment.selection == "proportional"
    page = client.get("/settings/assignment/").content.decode()
    assert '<option value="proportional" selected>' in page
    bad = client.post("/settings/assignment/", {**form, "selection": "lottery"})
    assert bad.status_code == 422 and "selection" in bad.content.decode()
