"""Conditions: validation messages, and Python evaluation agreeing with the compiled `Q`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesflow.org.models import Team, User
from salesflow.rules.conditions import ConditionError, compile_condition, model_fields

FIELDS = model_fields(User)
NOW = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)


def test_fields_follow_foreign_keys_one_level() -> None:
    assert FIELDS["seniority"].kind == "number"
    assert FIELDS["team.name"].lookup == "team__name"
    assert FIELDS["date_joined"].kind == "datetime"
    assert "password" not in FIELDS


@pytest.mark.parametrize(
    ("tree", "path", "message"),
    [
        ({"field": "nope", "op": "eq", "value": 1}, "condition.field", "unknown field “nope”"),
        (
            {"field": "display_name", "op": "gt", "value": "a"},
            "condition.op",
            "does not apply to text",
        ),
        (
            {"field": "seniority", "op": "gte", "value": "many"},
            "condition.value",
            "not a valid number",
        ),
        ({"all": []}, "condition", "non-empty list"),
        (
            {"any": [{"field": "seniority", "op": "in", "value": []}]},
            "condition.any[0].value",
            "non-empty list",
        ),
        (
            {"field": "date_joined", "op": "older_than", "value": "15x"},
            "condition.value",
            "“15x” 不是时长：请填写如 15m、48h、5wd",
        ),
    ],
)
def test_invalid_conditions_name_the_path(tree: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(ConditionError) as err:
        compile_condition(tree, FIELDS)
    assert err.value.path == path
    assert message in err.value.message


@pytest.mark.django_db
def test_null_team_never_equals_and_negation_includes_it() -> None:
    team = Team.objects.create(name="上海一组", kind="team", path="/x/")
    with_team = User.objects.create(username="a", team=team)
    no_team = User.objects.create(username="b")
    eq = compile_condition({"field": "team.name", "op": "eq", "value": "上海一组"}, FIELDS)
    negated = compile_condition({"not": {"field": "team.name", "op": "eq", "value": "上海一组"}}, FIELDS)
    assert eq.matches(with_team, NOW) and not eq.matches(no_team, NOW)
    assert set(User.objects.filter(eq.as_q(NOW))) == {with_team}
    assert not negated.matches(with_team, NOW) and negated.matches(no_team, NOW)
    assert set(User.objects.filter(negated.as_q(NOW))) == {no_team}


# --- property: the same condition gives the same answer in Python and in SQL ---------------

TEXTS = st.text(alphabet="abcAB上海组 ", max_size=4)
NUMBER_FIELDS = ["seniority", "max_open_workload", "team"]
TEXT_FIELDS = ["display_name", "role", "team.name", "manager.display_name"]


@st.composite
def comparisons(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["number", "text", "bool", "datetime", "null"]))
    if kind == "number":
        field = draw(st.sampled_from(NUMBER_FIELDS))
        op = draw(st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in"]))
        numbers: st.SearchStrategy[Any] = st.integers(0, 6)
        value: Any = draw(st.lists(numbers, min_size=1, max_size=3) if op in ("in", "not_in") else numbers)
    elif kind == "text":
        field = draw(st.sampled_from(TEXT_FIELDS))
        op = draw(st.sampled_from(["eq", "ne", "contains", "in", "not_in"]))
        texts: st.SearchStrategy[Any] = TEXTS
        value = draw(st.lists(texts, min_size=1, max_size=3) if op in ("in", "not_in") else texts)
    elif kind == "bool":
        field, op, value = "is_active", draw(st.sampled_from(["eq", "ne"])), draw(st.booleans())
    elif kind == "datetime":
        field = draw(st.sampled_from(["date_joined", "last_login"]))
        op = draw(st.sampled_from(["older_than", "newer_than", "gt", "lt"]))
        value = (
            f"{draw(st.integers(0, 40))}d"
            if op in ("older_than", "newer_than")
            else (NOW - timedelta(days=draw(st.integers(0, 40)))).isoformat()
        )
    else:
        field = draw(st.sampled_from(["team", "manager", "last_login", "team.name"]))
        op, value = "is_null", draw(st.booleans())
    return {"field": field, "op": op, "value": value}


trees = st.recursive(
    comparisons(),
    lambda children: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, children),
    ),
    max_leaves=6,
)

people = st.lists(
    st.fixed_dictionaries(
        {
            "display_name": TEXTS,
            "role": st.sampled_from(["rep", "manager", "Rep"]),
            "seniority": st.integers(0, 6),
            "max_open_workload": st.integers(0, 6),
            "is_active": st.booleans(),
            "team": st.sampled_from([None, 0, 1]),
            "manager": st.sampled_from([None, 0]),
            "joined_days_ago": st.integers(0, 40),
            "login_days_ago": st.one_of(st.none(), st.integers(0, 40)),
        }
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees, rows=people, team_names=st.lists(TEXTS, min_size=2, max_size=2))
def test_python_and_sql_agree(
    tree: dict[str, Any], rows: list[dict[str, Any]], team_names: list[str]
) -> None:
    compiled = compile_condition(tree, FIELDS)
    with transaction.atomic():
        teams = [
            Team.objects.create(name=name, kind="team", path=f"/{i}/") for i, name in enumerate(team_names)
        ]
        boss = User.objects.create(username="boss", display_name="Boss上")
        created = []
        for i, row in enumerate(rows):
            created.append(
                User.objects.create(
                    username=f"u{i}",
                    display_name=row["display_name"],
                    role=row["role"],
                    seniority=row["seniority"],
                    max_open_workload=row["max_open_workload"],
                    is_active=row["is_active"],
                    team=teams[row["team"]] if row["team"] is not None else None,
                    manager=boss if row["manager"] is not None else None,
                    date_joined=NOW - timedelta(days=row["joined_days_ago"]),
                    last_login=None
                    if row["login_days_ago"] is None
                    else NOW - timedelta(days=row["login_days_ago"]),
                )
            )
        ids = [u.pk for u in created]
        in_sql = set(User.objects.filter(pk__in=ids).filter(compiled.as_q(NOW)).values_list("pk", flat=True))
        fresh = User.objects.select_related("team", "manager").filter(pk__in=ids)
        in_python = {u.pk for u in fresh if compiled.matches(u, NOW)}
        assert in_python == in_sql, tree
        transaction.set_rollback(True)
