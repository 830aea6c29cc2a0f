"""看板 pages and API: scope per caller, drill-down and export, bad filters, query counts."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from salesflow.analytics.testing import at, deal, make_november
from salesflow.core.testing import Trio, api_client_for
from salesflow.org.models import User

pytestmark = pytest.mark.django_db

Q = "start=2026-11-01&end=2026-11-30&pipeline=standard"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _titles(html: str) -> list[str]:
    import re

    return sorted(
        re.findall(r'data-testid="drill-row"><td><a href="[^"]+" class="fw-bold">([^<]+)</a>', html)
    )


def test_the_page_shows_the_callers_own_scope(trio: Trio) -> None:
    make_november(trio)
    owner = _client(trio.owner).get(f"/dashboards/?{Q}").content.decode()
    assert "我的看板" in owner
    assert 'data-testid="entered-lead_registered">2<' in owner
    manager = _client(trio.manager).get(f"/dashboards/?{Q}").content.decode()
    assert "团队看板" in manager
    assert 'data-testid="entered-lead_registered">4<' in manager
    assert 'data-testid="rep-rows"' in manager and "teammate" in manager and "outsider" not in manager
    outsider = _client(trio.outsider).get(f"/dashboards/?{Q}").content.decode()
    assert 'data-testid="entered-lead_registered">1<' in outsider
    company = _client(trio.admin).get(f"/dashboards/?{Q}").content.decode()
    assert "公司看板" in company and 'data-testid="team-rows"' in company
    assert "上海一组" in company and "杭州组" in company
    # Money in 万元 on the tiles; rates and days as people read them.
    assert "¥30 万" in company and "66.7%" in company and "13 天 12 小时" in company


def test_every_number_links_to_its_records(trio: Trio) -> None:
    make_november(trio)
    html = _client(trio.manager).get(f"/dashboards/?{Q}").content.decode()
    link = (
        "/dashboards/drill/?start=2026-11-01&amp;end=2026-11-30&amp;pipeline=standard"
        "&amp;metric=entered&amp;stage=first_contact"
    )
    assert link in html
    assert f"owner={trio.owner.pk}&amp;metric=entered&amp;stage=lead_registered" in html
    drill = _client(trio.manager).get(link.replace("&amp;", "&")).content.decode()
    assert _titles(drill) == ["A", "B", "D", "H"]
    # Names, stage labels and local dates — never codes.
    assert "初步接触" in drill and "teammate" in drill and "2026-11-10" in drill
    assert "first_contact" not in drill.split('data-testid="drill-table"')[1]


def test_drill_is_scoped_like_the_cockpit(trio: Trio) -> None:
    make_november(trio)
    url = f"/dashboards/drill/?{Q}&metric=entered&stage=lead_registered"
    assert _titles(_client(trio.owner).get(url).content.decode()) == ["A", "B"]
    assert _titles(_client(trio.teammate).get(url).content.decode()) == ["D", "H"]
    assert _titles(_client(trio.outsider).get(url).content.decode()) == ["E"]
    # A rep cannot look at a teammate's records by naming them.
    refused = _client(trio.owner).get(f"{url}&owner={trio.teammate.pk}")
    assert refused.status_code == 400 and "不在你可查看的人员范围内" in refused.content.decode()


def test_drill_export_has_the_same_rows_formula_safe(trio: Trio) -> None:
    make_november(trio)
    deal(
        trio.owner,
        "=HYPERLINK(1)",
        created=at(11, 3),
        stays=[("lead_registered", at(11, 3), at(11, 4))],
        status="won",
        amount="5",
    )
    response = _client(trio.manager).get(f"/dashboards/drill/export.xlsx?{Q}&metric=won")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["商机", "客户", "负责人", "当前阶段", "状态", "金额（元）", "创建日期", "关闭日期"]
    assert sorted(r[0] for r in rows[1:]) == ["=HYPERLINK(1)", "A", "D"]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == "=HYPERLINK(1)")
    assert cell.data_type == "s"  # text, not a formula
    a = next(r for r in rows if r[0] == "A")
    assert a[2:] == ["owner", "方案报价", "赢单", 100000, "2026-11-01", "2026-11-18"]
    outsider = _client(trio.outsider).get(f"/dashboards/drill/export.xlsx?{Q}&metric=won")
    assert load_workbook(io.BytesIO(outsider.content)).worksheets[0].max_row == 1  # headers only


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-02-30", "start"),
        ("pipeline=nope", "pipeline"),
        ("team=x", "team"),
        ("product_line=x", "product_line"),
    ],
)
def test_bad_filters_give_400_on_pages_and_422_on_the_api(trio: Trio, query: str, field: str) -> None:
    page = _client(trio.manager).get(f"/dashboards/?{query}")
    assert page.status_code == 400 and "is-invalid" in page.content.decode()
    drill = _client(trio.manager).get(f"/dashboards/drill/?metric=won&{query}")
    assert drill.status_code == 400
    export = _client(trio.manager).get(f"/dashboards/drill/export.xlsx?metric=won&{query}")
    assert export.status_code == 422
    api = api_client_for(trio.manager).get(f"/api/v1/analytics/cockpit?{query}")
    assert api.status_code == 422
    assert [e["loc"] for e in api.json()["detail"]] == [["query", field]]


def test_drill_names_a_bad_metric_or_stage(trio: Trio) -> None:
    api = api_client_for(trio.manager)
    assert api.get("/api/v1/analytics/drill?metric=profit").json()["detail"][0]["loc"] == ["query", "metric"]
    bad_stage = api.get("/api/v1/analytics/drill?metric=entered&stage=trial")
    assert bad_stage.status_code == 422 and bad_stage.json()["detail"][0]["loc"] == ["query", "stage"]
    assert _client(trio.manager).get("/dashboards/drill/").status_code == 400


def test_api_gives_the_same_numbers_as_json(trio: Trio) -> None:
    make_november(trio)
    body = api_client_for(trio.manager).get(f"/api/v1/analytics/cockpit?{Q}").json()
    assert body["start"] == "2026-11-01" and body["pipeline_name"] == "标准六阶段"
    first = body["stages"][1]
    assert first["name"] == "初步接触"
    assert (first["entered"], first["advanced"], first["conversion"]) == (4, 1, 25.0)
    assert first["dwell"] == {"count": 4, "p25": 4.0, "p50": 5.0, "p75": 9.0, "p90": 10.0}
    total = body["total"]
    assert (total["won"], total["lost"], total["win_rate"], total["avg_cycle_days"]) == (2, 1, 66.7, 13.5)
    assert total["won_amount"] == "300000.00" and total["avg_deal"] == "150000.00"
    assert [r["name"] for r in body["reps"]] == ["owner", "teammate"]
    assert body["reps"][0]["numbers"]["entered"]["needs_confirmed"] == 2
    owner = api_client_for(trio.owner).get(f"/api/v1/analytics/cockpit?{Q}").json()
    assert owner["total"]["entered"]["lead_registered"] == 2
    outsider = api_client_for(trio.outsider).get(f"/api/v1/analytics/cockpit?{Q}").json()
    assert outsider["total"]["entered"]["lead_registered"] == 1 and outsider["total"]["won"] == 0


def test_api_drill_is_paginated_and_scoped(trio: Trio) -> None:
    make_november(trio)
    api = api_client_for(trio.manager)
    url = f"/api/v1/analytics/drill?{Q}&metric=entered&stage=lead_registered&limit=3"
    first = api.get(url).json()
    assert first["count"] == 4 and len(first["items"]) == 3 and first["next"]
    second = api.get(f"{url}&cursor={first['next']}").json()
    titles = sorted(i["title"] for i in first["items"] + second["items"])
    assert titles == ["A", "B", "D", "H"] and second["next"] is None
    item = next(i for i in first["items"] + second["items"] if i["title"] == "A")
    assert (item["owner_name"], item["stage_name"], item["status_label"], item["created_on"]) == (
        "owner",
        "方案报价",
        "赢单",
        "2026-11-01",
    )
    outsider = api_client_for(trio.outsider).get(url).json()
    assert [i["title"] for i in outsider["items"]] == ["E"]
    teammate = api_client_for(trio.teammate).get(f"{url}&owner={trio.owner.pk}")
    assert teammate.status_code == 422 and teammate.json()["detail"][0]["loc"] == ["query", "owner"]


def _more_deals(trio: Trio, n: int) -> None:
    for k in range(n):
        owner = (trio.owner, trio.teammate, trio.outsider)[k % 3]
        deal(
            owner,
            f"X{k}",
            created=at(11, 2),
            stays=[
                ("lead_registered", at(11, 2), at(11, 3 + k % 5)),
                ("first_contact", at(11, 3 + k % 5), at(11, 15)),
            ],
            status="won" if k % 2 else "lost",
            amount="1000",
        )


def _count(fn: Callable[[], Any]) -> int:
    """Queries of the second of two calls: the first may fill caches (the rule pack, a token's
    last use) that are not what this measures."""
    fn()
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_query_counts_do_not_grow_with_the_number_of_opportunities(trio: Trio, who: str) -> None:
    user = getattr(trio, who)
    make_november(trio)
    client = _client(user)
    api = api_client_for(user)
    urls = [
        f"/dashboards/?{Q}",
        f"/dashboards/drill/?{Q}&metric=entered&stage=lead_registered",
        f"/dashboards/drill/export.xlsx?{Q}&metric=won",
    ]
    api_urls = [f"/api/v1/analytics/cockpit?{Q}", f"/api/v1/analytics/drill?{Q}&metric=won"]
    before = [_count(partial(client.get, u)) for u in urls]
    before_api = [_count(partial(api.get, u)) for u in api_urls]
    _more_deals(trio, 30)
    after = [_count(partial(client.get, u)) for u in urls]
    after_api = [_count(partial(api.get, u)) for u in api_urls]
    assert after == before and after_api == before_api
    # And few: session, user, the reporting tree (one per level), the aggregates, names, options,
    # and one completeness count per record kind of the pack (three); the page also has the
    # quote and payment tiles (yellow quotes, green contracts, receivables: each scoped anew).
    assert all(n <= limit for n, limit in zip(after + after_api, [26, 8, 6, 12, 6], strict=True)), (
        after,
        after_api,
    )


def test_nav_links_to_the_cockpit(trio: Trio) -> None:
    html = _client(trio.owner).get("/today/").content.decode()
    assert 'href="/dashboards/" data-nav="dashboards"' in html


def test_a_long_rep_table_shows_the_top_earners_first_and_all_on_request(
    trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    from salesflow.analytics import views

    make_november(trio)
    monkeypatch.setattr(views, "REP_ROWS", 1)
    client = _client(trio.admin)
    html = client.get(f"/dashboards/?{Q}").content.decode()
    # November's won amounts: teammate ¥200,000 (D), owner ¥100,000 (A), the rest nothing.
    assert re.findall(r'data-row="rep-(\d+)"', html) == [str(trio.teammate.pk)]
    more = re.search(r'data-testid="rep-rows-more">(.*?)</div>', html, re.S)
    assert more is not None and "另有" in more.group(1)
    link = re.search(r'href="(\?[^"]*reps=all[^"]*)"', more.group(1))
    assert link is not None and "start=2026-11-01" in link.group(1)
    everyone = client.get("/dashboards/" + link.group(1).replace("&amp;", "&")).content.decode()
    rows = re.findall(r'data-row="rep-(\d+)"', everyone)
    assert {str(trio.owner.pk), str(trio.teammate.pk), str(trio.outsider.pk)} <= set(rows)
    assert 'data-testid="rep-rows-more"' not in everyone
