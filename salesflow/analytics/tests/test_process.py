"""过程热力图, 资料完整率 and 个人效率 against a hand-computed fixture, their scope and query counts.

On top of the November history (salesflow.analytics.testing), evidence-backed actions — all at
10:00 Shanghai unless said; ISO weeks start on Monday Nov 2, 9, 16, 23, 30:

    A  effective visit Nov 2            → lead_registered, week Nov 2
    A  effective call  Nov 4            → first_contact,   week Nov 2
    A  note (not effective) Nov 4       → not an action
    A  evidence (technical doc) Nov 9   → proposal_quote,  week Nov 9
    C  visit evidence Nov 5 (via visit) → needs_confirmed, week Nov 2
    A  effective visit Nov 19           → after A closed: no stage, off the heatmap
    B  effective call Oct 30            → before the period
    D  effective meeting Nov 12         → first_contact,   week Nov 9 (teammate)
    E  effective visit Nov 12           → first_contact,   week Nov 9 (outsider)

Leads (assigned Nov 2 10:00; response minutes to first effective contact):
    owner:    10, 40, 200, pending; the 40-minute one converted
    teammate: 20, 600
Percentiles are nearest rank: owner n=3 → P25 10, P50 40, P75 200, P90 200;
team n=5 [10, 20, 40, 200, 600] → P25 20, P50 40, P75 200, P90 600.

Completeness of the owner's records (pack: lead name/phone/company/industry_segment/source;
customer industry_segment/customer_tier/address/region; opportunity amount/expected_close/
product_lines): 2 of 4 leads complete, 0 of 4 customers, 1 of 4 deals (A, with a close date)
→ 3 / 12 = 25%.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from salesflow.activities.models import Activity
from salesflow.analytics import heatmap as hm
from salesflow.analytics.completeness import completeness_by_owner
from salesflow.analytics.testing import November, at, make_november
from salesflow.core.testing import Trio, api_client_for
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.pipeline.models import Evidence, Opportunity, Visit
from salesflow.timers.calendar import company_calendar

pytestmark = pytest.mark.django_db

Q = "start=2026-11-01&end=2026-11-30&pipeline=standard"
NOV2, NOV9 = date(2026, 11, 2), date(2026, 11, 9)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def activity(opportunity: Opportunity, when: Any, *, kind: str = "visit", effective: bool = True) -> Activity:
    assert opportunity.owner is not None
    return Activity.objects.create(
        opportunity=opportunity,
        customer=opportunity.customer,
        kind=kind,
        occurred_at=when,
        effective=effective,
        note=f"{opportunity.title} 跟进",
        actor=opportunity.owner,
        created_at=when,
    )


def evidence(opportunity: Opportunity, when: Any, *, via_visit: bool = False) -> Evidence:
    assert opportunity.owner is not None
    visit = None
    if via_visit:
        visit = Visit.objects.create(
            code=f"V{opportunity.pk}",
            package="hospital_visit",
            customer=opportunity.customer,
            opportunity=opportunity,
            owner=opportunity.owner,
            created_at=when,
        )
    return Evidence.objects.create(
        opportunity=None if via_visit else opportunity,
        visit=visit,
        stage="proposal_quote",
        requirement="technical_doc",
        kind="document",
        original_name="方案.pdf",
        uploaded_by=opportunity.owner,
        uploaded_at=when,
    )


def lead(
    owner: User, name: str, minutes: int | None, *, converted: bool = False, complete: bool = False
) -> Lead:
    assigned = at(11, 2)
    return Lead.objects.create(
        name=name,
        phone="13800000000" if complete else "",
        company="某医院" if complete else "",
        industry_segment="hospital" if complete else "",
        source="website" if complete else "",
        owner=owner,
        status="contacted" if minutes is not None else "assigned",
        assigned_at=assigned,
        first_contact_at=assigned + timedelta(minutes=minutes) if minutes is not None else None,
        converted_at=at(11, 20) if converted else None,
        created_at=assigned,
    )


@pytest.fixture
def history(trio: Trio) -> November:
    nov = make_november(trio)
    Opportunity.objects.filter(pk=nov.a.pk).update(expected_close=date(2026, 11, 30))
    activity(nov.a, at(11, 2))
    activity(nov.a, at(11, 4), kind="call")
    activity(nov.a, at(11, 4, 12), kind="message", effective=False)
    evidence(nov.a, at(11, 9))
    evidence(nov.c, at(11, 5), via_visit=True)
    activity(nov.a, at(11, 19))
    activity(nov.b, at(10, 30), kind="call")
    activity(nov.d, at(11, 12), kind="meeting")
    activity(nov.e, at(11, 12))
    lead(trio.owner, "甲", 10, complete=True)
    lead(trio.owner, "乙", 40, converted=True, complete=True)
    lead(trio.owner, "丙", 200)
    lead(trio.owner, "丁", None)
    lead(trio.teammate, "戊", 20)
    lead(trio.teammate, "己", 600)
    return nov


def _cells(data: hm.Heatmap) -> dict[tuple[str, date], int]:
    return dict(data.cells)


# ---------------------------------------------------------------------------------------------
# The heatmap's numbers


def test_heatmap_counts_actions_in_the_stage_of_their_time(trio: Trio, history: November) -> None:
    filters = hm.parse_heatmap_filters({"start": "2026-11-01", "end": "2026-11-30"}, user=trio.owner)
    data = hm.heatmap(trio.owner, filters)
    assert _cells(data) == {
        ("lead_registered", NOV2): 1,
        ("first_contact", NOV2): 1,
        ("needs_confirmed", NOV2): 1,
        ("proposal_quote", NOV9): 1,
    }
    assert data.weeks == [
        date(2026, 10, 26),
        NOV2,
        NOV9,
        date(2026, 11, 16),
        date(2026, 11, 23),
        date(2026, 11, 30),
    ]
    assert data.by_owner == {trio.owner.pk: 4}


def test_heatmap_per_team_and_company(trio: Trio, history: November) -> None:
    params = {"start": "2026-11-01", "end": "2026-11-30"}
    team = hm.heatmap(trio.manager, hm.parse_heatmap_filters(params, user=trio.manager))
    assert team.total == 5 and team.cells[("first_contact", NOV9)] == 1
    assert team.by_owner == {trio.owner.pk: 4, trio.teammate.pk: 1}
    one = hm.heatmap(
        trio.manager, hm.parse_heatmap_filters({**params, "owner": trio.teammate.pk}, user=trio.manager)
    )
    assert _cells(one) == {("first_contact", NOV9): 1}
    company = hm.heatmap(trio.admin, hm.parse_heatmap_filters(params, user=trio.admin))
    assert company.total == 6 and company.cells[("first_contact", NOV9)] == 2


def test_heatmap_default_period_is_the_packs_weeks_ending_this_week() -> None:
    values = hm.with_default_period({}, weeks=12, today=date(2026, 12, 6))
    assert values["start"] == "2026-09-14" and values["end"] == "2026-12-06"
    assert hm.with_default_period({"start": "2026-11-01"}, weeks=12)["start"] == "2026-11-01"


def test_cell_lists_its_actions_with_names(trio: Trio, history: November) -> None:
    filters = hm.parse_heatmap_filters({"start": "2026-11-01", "end": "2026-11-30"}, user=trio.owner)
    actions = hm.cell_actions(trio.owner, filters, hm.Cell("proposal_quote", NOV9))
    assert [(a.source, a.opportunity, a.text, a.actor) for a in actions] == [
        ("evidence", "A", "技术方案文件", "owner")
    ]
    visit_evidence = hm.cell_actions(trio.owner, filters, hm.Cell("needs_confirmed", NOV2))
    assert [(a.source, a.opportunity) for a in visit_evidence] == [("evidence", "C")]
    assert hm.cell_count(trio.owner, filters, hm.Cell("first_contact", NOV9)) == 0


# ---------------------------------------------------------------------------------------------
# Pages, export and API


def test_heatmap_page_and_cell_drill(trio: Trio, history: November) -> None:
    client = _client(trio.manager)
    page = client.get(f"/dashboards/heatmap/?{Q}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="heatmap-chart-data"' in html and "热力图" in html
    assert "/dashboards/heatmap/actions/?" in html  # the cells' links, in the chart data
    drill = client.get(f"/dashboards/heatmap/actions/?{Q}&stage=first_contact&week=2026-11-09")
    assert drill.status_code == 200
    body = drill.content.decode()
    assert body.count('data-testid="action-row"') == 1 and ">D</a>" in body and "会议" in body
    export = client.get(f"/dashboards/heatmap/actions/export.xlsx?{Q}&stage=first_contact&week=2026-11-09")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == hm.ACTION_HEADERS
    assert rows[1][1:4] == ("会议", "D 跟进", "D") and rows[1][0] == "2026-11-12 10:00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("stage=nope&week=2026-11-09", "stage"),
        ("stage=first_contact&week=2026-11-10", "week"),
        ("stage=first_contact&week=2025-01-06", "week"),
        ("stage=first_contact&week=soon", "week"),
    ],
)
def test_bad_cells_are_refused_naming_the_field(trio: Trio, query: str, field: str) -> None:
    response = _client(trio.owner).get(f"/dashboards/heatmap/actions/?{Q}&{query}")
    assert response.status_code == 400
    export = _client(trio.owner).get(f"/dashboards/heatmap/actions/export.xlsx?{Q}&{query}")
    assert export.status_code == 422 and field in export.content.decode()


def test_heatmap_api(trio: Trio, history: November) -> None:
    body = api_client_for(trio.owner).get(f"/api/v1/analytics/heatmap?{Q}").json()
    assert body["total"] == 4
    assert {(c["stage"], c["week"], c["count"]) for c in body["cells"]} == {
        ("lead_registered", "2026-11-02", 1),
        ("first_contact", "2026-11-02", 1),
        ("needs_confirmed", "2026-11-02", 1),
        ("proposal_quote", "2026-11-09", 1),
    }


# ---------------------------------------------------------------------------------------------
# Scope: a rep sees themselves only


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/analytics/heatmap?owner={id}",
        "/api/v1/analytics/efficiency?owner={id}",
    ],
)
def test_a_rep_cannot_ask_for_a_teammates_numbers_by_api(trio: Trio, history: November, url: str) -> None:
    response = api_client_for(trio.owner).get(url.format(id=trio.teammate.pk))
    assert response.status_code == 422 and "owner" in response.content.decode()
    assert api_client_for(trio.owner).get(url.format(id=trio.owner.pk)).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/dashboards/heatmap/?owner={id}",
        "/dashboards/efficiency/?owner={id}",
        "/dashboards/heatmap/actions/?owner={id}&" + Q + "&stage=first_contact&week=2026-11-09",
    ],
)
def test_a_rep_cannot_open_a_teammates_pages(trio: Trio, history: November, url: str) -> None:
    assert _client(trio.owner).get(url.format(id=trio.teammate.pk)).status_code == 400
    # Their manager may; a manager of another team may not.
    assert _client(trio.manager).get(url.format(id=trio.teammate.pk)).status_code == 200
    assert _client(trio.other_manager).get(url.format(id=trio.teammate.pk)).status_code == 400


def test_outsider_cell_holds_only_their_own_actions(trio: Trio, history: November) -> None:
    body = _client(trio.outsider).get(f"/dashboards/heatmap/actions/?{Q}&stage=first_contact&week=2026-11-09")
    html = body.content.decode()
    assert html.count('data-testid="action-row"') == 1 and ">E</a>" in html and ">D</a>" not in html


# ---------------------------------------------------------------------------------------------
# Completeness and efficiency


def test_completeness_per_rep(trio: Trio, history: November) -> None:
    rates = completeness_by_owner([trio.owner.pk])
    assert (rates[trio.owner.pk].complete, rates[trio.owner.pk].total) == (3, 12)
    body = api_client_for(trio.manager).get(f"/api/v1/analytics/cockpit?{Q}").json()
    by_name = {r["name"]: r["completeness_pct"] for r in body["reps"]}
    assert by_name["owner"] == 25.0
    page = _client(trio.manager).get(f"/dashboards/?{Q}").content.decode()
    assert re.search(rf'data-testid="completeness-{trio.owner.pk}">25%<', page)


def test_efficiency_against_the_team(trio: Trio, history: November) -> None:
    body = (
        api_client_for(trio.manager)
        .get(f"/api/v1/analytics/efficiency?start=2026-11-01&end=2026-11-30&owner={trio.owner.pk}")
        .json()
    )
    assert body["owner_name"] == "owner" and body["team_name"] == "上海一组" and body["team_size"] == 3
    rep, team = body["rep"], body["team"]
    assert (rep["assigned"], rep["answered"], rep["pending"]) == (4, 3, 1)
    assert (rep["p25"], rep["p50"], rep["p75"], rep["p90"]) == (10, 40, 200, 200)
    assert rep["bars"] == [1, 1, 1, 0, 0, 0]
    assert (team["answered"], team["pending"]) == (5, 1)
    assert (team["p25"], team["p50"], team["p75"], team["p90"]) == (20, 40, 200, 600)
    assert team["bars"] == [2, 1, 1, 1, 0, 0]
    radar = {p["code"]: p for p in body["radar"]}
    assert (radar["response"]["rep_value"], radar["response"]["rep_score"]) == (40, 100)
    assert (radar["conversion"]["rep_value"], radar["conversion"]["team_value"]) == (25.0, 16.7)
    assert (radar["conversion"]["rep_score"], radar["conversion"]["team_score"]) == (100, 83.5)
    assert (radar["win_rate"]["rep_value"], radar["win_rate"]["team_value"]) == (50.0, 66.7)
    assert radar["completeness"]["rep_value"] == 25.0
    # Actions on the rep's deals in November, any stage (5) and the team's (6), per working day.
    days = company_calendar().working_days_between(date(2026, 11, 1), date(2026, 12, 1))
    assert radar["actions"]["rep_value"] == round(5 / days, 2)
    assert radar["actions"]["team_value"] == round(6 / (days * 3), 2)


def test_efficiency_page_defaults_to_the_rep_themselves(trio: Trio, history: November) -> None:
    html = _client(trio.owner).get("/dashboards/efficiency/?start=2026-11-01&end=2026-11-30").content.decode()
    assert "个人效率 · owner" in html and 'id="efficiency-chart-data"' in html
    assert 'data-testid="owner-select"' not in html  # a rep picks nobody else


def test_tabs_link_the_cockpit_pages(trio: Trio) -> None:
    html = _client(trio.manager).get("/dashboards/").content.decode()
    assert 'href="/dashboards/heatmap/"' in html and 'href="/dashboards/efficiency/"' in html


# ---------------------------------------------------------------------------------------------
# Query counts stay flat


def _count(fn: Callable[[], Any]) -> int:
    fn()
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def _more(trio: Trio, nov: November, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        activity(nov.c, at(11, 6, 10, i % 60), kind="call")
        evidence(nov.a, at(11, 10, 10, i % 60))
        lead(trio.owner, f"L{i}", 30 + i)


def test_query_counts_do_not_grow(trio: Trio, history: November) -> None:
    client = _client(trio.manager)
    api = api_client_for(trio.manager)
    cell = f"{Q}&stage=needs_confirmed&week=2026-11-02"
    urls = [
        f"/dashboards/heatmap/?{Q}",
        f"/dashboards/heatmap/actions/?{cell}",
        f"/dashboards/heatmap/actions/export.xlsx?{cell}",
        f"/dashboards/efficiency/?start=2026-11-01&end=2026-11-30&owner={trio.owner.pk}",
    ]
    api_urls = [
        f"/api/v1/analytics/heatmap?{Q}",
        f"/api/v1/analytics/efficiency?start=2026-11-01&end=2026-11-30&owner={trio.owner.pk}",
    ]
    _more(trio, history, 1)  # both kinds of action in the drilled cell from the start
    before = [_count(partial(client.get, u)) for u in urls] + [_count(partial(api.get, u)) for u in api_urls]
    _more(trio, history, 25, first=1)
    after = [_count(partial(client.get, u)) for u in urls] + [_count(partial(api.get, u)) for u in api_urls]
    assert after == before
    assert all(n <= limit for n, limit in zip(after, [14, 12, 10, 24, 10, 20], strict=True)), after


# ---------------------------------------------------------------------------------------------
# The pack sections


def test_default_pack_names_fields_its_models_have() -> None:
    from salesflow.analytics.completeness import SUBJECTS
    from salesflow.rules import packs

    pack = packs.load_default()
    assert {e.subject for e in pack.completeness_fields} == set(SUBJECTS)
    for entry in pack.completeness_fields:
        names = {f.name for f in SUBJECTS[entry.subject]._meta.get_fields()}
        assert set(entry.fields) <= names, entry.subject
    assert [a.metric for a in pack.ability_radar] == [
        "response_minutes",
        "evidence_actions_per_day",
        "lead_conversion_pct",
        "win_rate_pct",
        "completeness_pct",
    ]


@pytest.mark.parametrize("edges", [[30, 10], [0, 30], [30, 30]])
def test_response_bars_must_ascend(edges: list[int]) -> None:
    from pydantic import ValidationError

    from salesflow.rules.schema import ProcessViews

    with pytest.raises(ValidationError):
        ProcessViews(response_buckets_minutes=edges)
