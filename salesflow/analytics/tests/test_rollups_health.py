"""The CustomerPeople roll-up gives the live collaboration density (协作密度) and follows the events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from salesflow.activities import services as activity_services
from salesflow.activities.models import Activity
from salesflow.analytics import health, rollups
from salesflow.analytics.models import CustomerPeople, RollupState
from salesflow.analytics.testing import at, deal
from salesflow.core.testing import Trio, make_user
from salesflow.org.choices import Role
from salesflow.pipeline import services as pipeline_services
from salesflow.pipeline.models import Evidence, Opportunity

pytestmark = pytest.mark.django_db

DAYS = [date(2026, 11, 20) + timedelta(days=i) for i in range(30)]


def _won(owner: object, title: str, closed: int) -> Opportunity:
    return deal(
        owner,  # type: ignore[arg-type]
        title,
        created=at(10, 1),
        stays=[("lead_registered", at(10, 1), at(11, closed))],
        status="won",
        amount="1",
    )


def _history(trio: Trio) -> dict[str, Opportunity]:
    """Won customers acted on by different people in every way the indicator counts."""
    presales = make_user("presales", Role.PRESALES, trio.team.parent, None)
    made = {
        "A": _won(trio.owner, "A", 3),
        "B": _won(trio.teammate, "B", 10),
        "C": _won(trio.outsider, "C", 18),
        "D": _won(trio.owner, "D", 25),
    }
    a, b, c, d = made["A"], made["B"], made["C"], made["D"]
    Activity.objects.create(
        customer=a.customer, kind="visit", occurred_at=at(10, 20), actor=trio.teammate, created_at=at(10, 20)
    )
    Activity.objects.create(
        opportunity=a, kind="call", occurred_at=at(10, 21), actor=trio.manager, created_at=at(10, 21)
    )
    Evidence.objects.create(
        opportunity=b, requirement="photo", kind="photo", uploaded_by=presales, uploaded_at=at(10, 22)
    )
    Activity.objects.create(
        customer=c.customer, kind="call", occurred_at=at(10, 23), actor=trio.owner, created_at=at(10, 23)
    )
    # A second, open deal of D's customer owned by someone else: its owner counts too.
    second = deal(trio.outsider, "D2", created=at(10, 1), stays=[("lead_registered", at(10, 1), None)])
    Opportunity.objects.filter(pk=second.pk).update(customer=d.customer)
    made["D2"] = second
    return made


def _density(trio: Trio) -> dict[str, list[float | None]]:
    scopes = health.scopes_for(trio.admin)
    return health.daily_series("collaboration_density", scopes, DAYS, now=at(12, 30))


def test_the_rollup_gives_the_live_collaboration_density(trio: Trio) -> None:
    _history(trio)
    live = _density(trio)
    rollups.rebuild(now=at(12, 20))
    assert CustomerPeople.objects.exists()
    assert _density(trio) == live
    # Not trivial: more than one person on some customer, and the window moves.
    values = {v for series in live.values() for v in series if v is not None}
    assert len(values) > 2 and max(values) > 1


def test_a_refresh_takes_in_new_people_and_hand_overs(trio: Trio) -> None:
    made = _history(trio)
    rollups.rebuild(now=at(12, 20, 9))
    before = _density(trio)
    # The manager logs a call on B's customer, the director a visit on deal D; the owner hands
    # their deals to the teammate.
    activity_services.activity_log(
        kind="call", occurred_at=at(12, 20), actor=trio.manager, customer=made["B"].customer, now=at(12, 20)
    )
    activity_services.activity_log(
        kind="visit", occurred_at=at(12, 20), actor=trio.director, opportunity=made["D"], now=at(12, 20)
    )
    pipeline_services.opportunities_hand_over(
        user=trio.owner, to=trio.teammate, actor=trio.manager, now=at(12, 20)
    )
    assert _density(trio) == before  # until the refresh
    rollups.refresh(now=at(12, 20, 10))
    refreshed = _density(trio)
    counted = sorted(CustomerPeople.objects.values_list("customer_id", "people"))
    RollupState.objects.all().delete()  # read live again
    live = _density(trio)
    assert refreshed == live
    assert live != before
    rollups.rebuild(now=at(12, 20, 11))
    assert counted == sorted(CustomerPeople.objects.values_list("customer_id", "people"))
