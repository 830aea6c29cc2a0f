from __future__ import annotations

from datetime import date

import pytest

from salesflow.core.errors import FieldErrors
from salesflow.core.models import Event
from salesflow.core.testing import Trio, make_user
from salesflow.org import services
from salesflow.org.choices import Role
from salesflow.org.models import User


def test_bad_user_input_names_each_field_and_writes_nothing(trio: Trio) -> None:
    users, events = User.objects.count(), Event.objects.count()
    with pytest.raises(FieldErrors) as err:
        services.user_create(
            username="owner",
            display_name="x",
            role="boss",
            team=trio.team,
            manager=None,
            password="pw-123456",
            actor=None,
            seniority=9,
        )
    assert set(err.value.errors) == {"username", "role", "seniority"}
    assert (User.objects.count(), Event.objects.count()) == (users, events)


def test_update_rejects_unknown_fields_and_self_management(trio: Trio) -> None:
    with pytest.raises(FieldErrors) as err:
        services.user_update(user=trio.owner, actor=trio.admin, password="x", manager=trio.owner)
    assert set(err.value.errors) == {"password", "manager"}


def test_update_without_change_records_nothing(trio: Trio) -> None:
    before = Event.objects.count()
    services.user_update(user=trio.owner, actor=trio.admin, seniority=trio.owner.seniority)
    assert Event.objects.count() == before


def test_leave_must_end_after_start(trio: Trio) -> None:
    with pytest.raises(FieldErrors) as err:
        services.leave_add(
            user=trio.owner,
            starts_on=date(2026, 5, 2),
            ends_on=date(2026, 5, 1),
            reason="",
            actor=trio.manager,
        )
    assert "ends_on" in err.value.errors


def test_team_needs_parent_unless_company(db: None) -> None:
    with pytest.raises(FieldErrors) as err:
        services.team_create(name="", kind="region", parent=None, actor=None)
    assert set(err.value.errors) == {"name", "parent"}


def test_skills_on_create(trio: Trio) -> None:
    rep = make_user(
        "rep9",
        Role.REP,
        trio.team,
        trio.manager,
        product_lines=["joint"],
        customer_tiers=["tier2a", "private"],
    )
    assert sorted(rep.skills.values_list("kind", "code")) == [
        ("customer_tier", "private"),
        ("customer_tier", "tier2a"),
        ("product_line", "joint"),
    ]
