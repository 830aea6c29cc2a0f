"""漏斗数字孪生 page and API: each caller sees the forecast of their own scope only.

The November history (analytics.testing) on Dec 1: open deals C (owner, ¥70,000), H (teammate,
¥80,000), E (outsider, ¥30,000) and J (pooled, ¥10,000).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from salesflow.analytics.models import SalesTarget
from salesflow.analytics.testing import at, make_november
from salesflow.core.testing import Trio, api_client_for
from salesflow.org.models import User

pytestmark = pytest.mark.django_db
QUERIES = 30


@pytest.fixture(autouse=True)
def december(trio: Trio) -> Iterator[None]:
    make_november(trio)
    with time_machine.travel(at(12, 1), tick=False):
        yield


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User, query: str = "") -> dict:
    response = api_client_for(user).get(f"/api/v1/analytics/forecast{query}")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("who", "deals", "amount"),
    [
        ("owner", 1, "70000"),
        ("teammate", 1, "80000"),
        ("outsider", 1, "30000"),
        ("manager", 2, "150000"),
        ("other_manager", 1, "30000"),
        ("director", 3, "180000"),
        ("admin", 4, "190000"),
    ],
)
def test_the_api_forecasts_the_callers_own_deals(trio: Trio, who: str, deals: int, amount: str) -> None:
    data = _api(getattr(trio, who))
    assert data["open_deals"] == deals
    assert Decimal(data["open_amount"]) == Decimal(amount)
    assert data["runs"] >= 10_000
    band = data["quarter"]["band"]
    assert Decimal(band["low"]) <= Decimal(band["p50"]) <= Decimal(band["high"])


def test_a_rep_may_not_ask_for_another_team_or_a_teammate(trio: Trio) -> None:
    client = api_client_for(trio.owner)
    response = client.get(f"/api/v1/analytics/forecast?team={trio.other_team.pk}")
    assert response.status_code == 422
    assert "team" in str(response.json()["detail"])
    response = client.get(f"/api/v1/analytics/forecast?owner={trio.teammate.pk}")
    assert response.status_code == 422
    assert "owner" in str(response.json()["detail"])
    # The other team's manager cannot pick this team either (its target is not theirs).
    response = api_client_for(trio.other_manager).get(f"/api/v1/analytics/forecast?team={trio.team.pk}")
    assert response.status_code == 422
    page = _client(trio.owner).get(f"/dashboards/forecast/?team={trio.other_team.pk}")
    assert page.status_code == 400
    assert "不在你可查看的团队范围内" in page.content.decode()


def test_the_director_narrows_to_a_team_and_the_target_is_that_teams(trio: Trio) -> None:
    for month in (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)):
        SalesTarget.objects.create(team=trio.team, month=month, amount=Decimal(100000), updated_at=at(10, 1))
    data = _api(trio.director, f"?team={trio.team.pk}")
    assert data["open_deals"] == 2
    assert Decimal(data["quarter"]["target"]) == Decimal(300000)
    assert Decimal(data["month"]["target"]) == Decimal(100000)
    # Q4 so far: A ¥100,000 + D ¥200,000 won in November (I was won in October: ¥999,999).
    assert Decimal(data["quarter"]["already_won"]) == Decimal(1299999)
    assert data["quarter"]["p_miss"] == 0.0
    assert Decimal(data["quarter"]["expected_gap"]) == 0
    # The manager's own page holds the same team against the same target.
    assert Decimal(_api(trio.manager)["quarter"]["target"]) == Decimal(300000)
    # A rep without a personal target has none.
    assert _api(trio.owner)["quarter"]["target"] is None


def test_the_page_shows_the_live_process_the_band_and_the_tab(trio: Trio) -> None:
    html = _client(trio.manager).get("/dashboards/forecast/").content.decode()
    assert 'data-testid="tab-forecast"' in html
    assert 'data-testid="forecast-chart"' in html and 'id="forecast-chart-data"' in html
    assert 'data-testid="live-stages"' in html and "线索登记" in html
    assert 'data-testid="open-deals">2<' in html
    assert "若维持当前推进速度，Q4 签约额预计" in html
    outsider = _client(trio.outsider).get("/dashboards/forecast/").content.decode()
    assert 'data-testid="open-deals">1<' in outsider
    # The rep's filter form offers no teams or people.
    assert 'name="team"' not in outsider and 'name="owner"' not in outsider


def test_a_pipeline_or_product_line_forecasts_part_of_the_business_without_a_target(trio: Trio) -> None:
    SalesTarget.objects.create(
        team=trio.team, month=date(2026, 12, 1), amount=Decimal(100000), updated_at=at(10, 1)
    )
    assert _api(trio.manager)["month"]["target"] == "100000.00"
    narrowed = _api(trio.manager, "?pipeline=hospital_visit")
    assert narrowed["open_deals"] == 0 and narrowed["month"]["target"] is None
    assert narrowed["quarter"]["p_miss"] is None
    assert _api(trio.manager, "?product_line=joint")["open_deals"] == 0


def test_bad_filters_name_the_field(trio: Trio) -> None:
    response = api_client_for(trio.manager).get("/api/v1/analytics/forecast?pipeline=nope&product_line=x")
    assert response.status_code == 422
    text = str(response.json()["detail"])
    assert "pipeline" in text and "product_line" in text


def test_the_backtest_page_and_api_replay_past_weeks(trio: Trio) -> None:
    data = api_client_for(trio.manager).get("/api/v1/analytics/forecast/backtest").json()
    assert len(data["weeks"]) == 12
    # Weeks of September, October and November have their month's actual; none in December.
    finished = [w for w in data["weeks"] if w["actual"] is not None]
    assert finished and all(w["month_end"] <= "2026-11-30" for w in finished)
    html = _client(trio.manager).get("/dashboards/forecast/backtest/").content.decode()
    assert 'data-testid="backtest-table"' in html and 'data-testid="backtest-chart"' in html


def test_the_page_costs_a_fixed_handful_of_queries(trio: Trio, django_assert_max_num_queries: Any) -> None:
    """Set-based: the same queries for a few deals or thousands (no query per deal or stay)."""
    client = _client(trio.director)
    client.get("/dashboards/forecast/")  # warm the pack cache
    with django_assert_max_num_queries(QUERIES):
        assert client.get("/dashboards/forecast/").status_code == 200
