from __future__ import annotations

from datetime import date

from salesflow.core.testing import Trio, make_user
from salesflow.org import selectors, services
from salesflow.org.choices import Role, TeamKind


def test_who_manages_whom(trio: Trio) -> None:
    assert selectors.manager_of(trio.owner) == trio.manager
    assert selectors.managers_above(trio.owner) == [trio.manager, trio.director]
    assert selectors.managers_above(trio.director) == []


def test_reporting_subtree(trio: Trio) -> None:
    below_director = selectors.report_ids_below(trio.director)
    assert below_director == {
        trio.manager.pk,
        trio.other_manager.pk,
        trio.owner.pk,
        trio.teammate.pk,
        trio.outsider.pk,
    }
    assert selectors.report_ids_below(trio.manager) == {trio.owner.pk, trio.teammate.pk}
    assert selectors.report_ids_below(trio.owner) == set()
    assert set(selectors.users_in_subtree_of(trio.manager)) == {trio.owner, trio.teammate}


def test_team_subtree(trio: Trio) -> None:
    region = trio.team.parent
    assert region is not None and region.kind == TeamKind.REGION
    assert set(selectors.team_subtree(region)) == {region, trio.team, trio.other_team}
    assert set(selectors.users_in_team_subtree(trio.team)) == {
        trio.owner,
        trio.teammate,
        trio.manager,
    }


def test_role_holder_above_follows_line_then_team_tree(trio: Trio) -> None:
    assert selectors.role_holder_above(trio.owner, Role.MANAGER) == trio.manager
    assert selectors.role_holder_above(trio.owner, Role.DIRECTOR) == trio.director
    # Legal is not in the reporting line: found in the nearest enclosing team.
    company = trio.admin.team
    legal = make_user("legal", Role.LEGAL, company, None)
    assert selectors.role_holder_above(trio.owner, Role.LEGAL) == legal
    assert selectors.role_holder_above(trio.owner, Role.COO) is None


def test_data_scope_by_role(trio: Trio) -> None:
    assert selectors.visible_owner_ids(trio.owner) == {trio.owner.pk}
    assert selectors.visible_owner_ids(trio.manager) == {
        trio.manager.pk,
        trio.owner.pk,
        trio.teammate.pk,
    }
    assert trio.outsider.pk in (selectors.visible_owner_ids(trio.director) or set())
    assert selectors.visible_owner_ids(trio.admin) is None


def test_leave_periods(trio: Trio) -> None:
    services.leave_add(
        user=trio.owner,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 3),
        reason="年假",
        actor=trio.manager,
    )
    assert selectors.is_on_leave(trio.owner, date(2026, 12, 2))
    assert not selectors.is_on_leave(trio.owner, date(2026, 12, 4))
    assert selectors.users_on_leave(date(2026, 12, 1)) == {trio.owner.pk}


def test_skills_are_codes_per_kind(trio: Trio) -> None:
    services.user_set_skills(
        user=trio.owner,
        actor=trio.manager,
        product_lines=["spine", "joint", "joint"],
        customer_tiers=["tier3a"],
    )
    assert selectors.skill_codes(trio.owner, "product_line") == ["joint", "spine"]
    assert selectors.skill_codes(trio.owner, "customer_tier") == ["tier3a"]
