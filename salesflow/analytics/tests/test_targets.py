"""Sales targets: a node without its own target adds up its sub-teams; who may set which."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from salesflow.analytics.selectors import months_between, person_target, team_target
from salesflow.analytics.services import target_set
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.core.testing import Trio

pytestmark = pytest.mark.django_db

DEC = date(2026, 12, 1)


def test_months_between_crosses_a_year() -> None:
    assert months_between(date(2026, 11, 15), date(2027, 1, 2)) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]


def test_a_region_without_a_target_adds_up_its_teams_and_its_own_overrides(trio: Trio) -> None:
    region = trio.team.parent
    assert region is not None
    assert team_target(region, DEC, date(2026, 12, 31)) is None
    target_set(actor=trio.admin, team=trio.team, month=DEC, amount=Decimal("300000"))
    target_set(actor=trio.admin, team=trio.other_team, month=DEC, amount=Decimal("200000"))
    assert team_target(region, DEC, date(2026, 12, 31)) == Decimal("500000")
    # Setting the region's own target replaces the sum; setting again replaces the value.
    target_set(actor=trio.admin, team=region, month=date(2026, 12, 17), amount=Decimal("450000"))
    target_set(actor=trio.director, team=region, month=DEC, amount=Decimal("480000"))
    assert team_target(region, DEC, date(2026, 12, 31)) == Decimal("480000")
    # Two months: each month counted on its own.
    target_set(actor=trio.admin, team=trio.team, month=date(2027, 1, 1), amount=Decimal("100000"))
    assert team_target(region, DEC, date(2027, 1, 31)) == Decimal("580000")
    assert team_target(trio.team, DEC, date(2026, 12, 31)) == Decimal("300000")


def test_a_manager_sets_their_team_and_reps_but_not_another_team(trio: Trio) -> None:
    target_set(actor=trio.manager, team=trio.team, month=DEC, amount=Decimal("1"))
    target_set(actor=trio.manager, person=trio.owner, month=DEC, amount=Decimal("50000"))
    assert person_target(trio.owner, DEC, date(2026, 12, 31)) == Decimal("50000")
    with pytest.raises(PermissionDenied):
        target_set(actor=trio.manager, team=trio.other_team, month=DEC, amount=Decimal("1"))
    with pytest.raises(PermissionDenied):
        target_set(actor=trio.manager, person=trio.outsider, month=DEC, amount=Decimal("1"))
    with pytest.raises(PermissionDenied):
        target_set(actor=trio.owner, person=trio.owner, month=DEC, amount=Decimal("1"))


def test_bad_targets_name_the_field(trio: Trio) -> None:
    with pytest.raises(FieldErrors) as negative:
        target_set(actor=trio.admin, team=trio.team, month=DEC, amount=Decimal("-1"))
    assert "amount" in negative.value.errors
    with pytest.raises(FieldErrors) as both:
        target_set(actor=trio.admin, team=trio.team, person=trio.owner, month=DEC, amount=Decimal("1"))
    assert "team" in both.value.errors
