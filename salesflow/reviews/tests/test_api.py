"""The review's REST API: the chair acts, viewers read, everyone else is refused; 422 names the
field; the minutes download as xlsx and PDF."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from typing import Any

import openpyxl
import pytest
from django.test import Client

from salesflow.core.testing import api_client_for
from salesflow.reviews.models import ReviewEntry
from salesflow.reviews.tests.helpers import NOVEMBER, Cast, customer, put_on_agenda

pytestmark = pytest.mark.django_db
AGENDA = "/api/v1/reviews/monthly_process_review/agenda?month=2026-12"


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_chair_and_viewers_read_the_agenda_others_are_refused(people: Cast) -> None:
    item = put_on_agenda(customer(people.trio.owner, "东方医院"), reason="客户承诺超时")
    put_on_agenda(customer(people.trio.owner, "上月医院"), at=NOVEMBER)
    body = api_client_for(people.coo).get(AGENDA).json()
    assert body["month"] == "2026-12" and body["can_chair"] is True and body["next"] is None
    (row,) = body["items"]
    assert (
        row["id"] == item.pk and row["subject"]["name"] == "东方医院" and row["subject"]["type"] == "customer"
    )
    assert (row["group"], row["team"], row["reason"], row["discussed"]) == (
        "客户",
        "上海一组",
        "客户承诺超时",
        False,
    )
    for viewer in (people.gm, people.trio.director):
        seen = api_client_for(viewer).get(AGENDA)
        assert seen.status_code == 200 and seen.json()["can_chair"] is False
    for outsider in (people.trio.owner, people.trio.manager, people.trio.admin):
        assert api_client_for(outsider).get(AGENDA).status_code == 403
    assert api_client_for(people.coo).get("/api/v1/reviews/nothing/agenda").status_code == 404
    assert Client().get(AGENDA).status_code == 401


def test_a_bad_month_is_a_422_naming_it(people: Cast) -> None:
    response = api_client_for(people.coo).get("/api/v1/reviews/monthly_process_review/agenda?month=2026-13")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "month"]


def test_the_chair_marks_discussed_and_records_a_decision(people: Cast) -> None:
    record = customer(people.trio.owner)
    item = put_on_agenda(record)
    coo = api_client_for(people.coo)
    response = _post(coo, f"/api/v1/reviews/items/{item.pk}/discuss", {})
    assert response.status_code == 200 and response.json()["discussed"] is True
    assert response.json()["discussed_by"]["id"] == people.coo.pk
    response = _post(
        coo,
        f"/api/v1/reviews/items/{item.pk}/decision",
        {"decision": "主管本周内回访", "owner": people.trio.manager.pk},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision"] == "主管本周内回访" and body["decision_owner"] == {
        "id": people.trio.manager.pk,
        "name": "mgr",
    }
    assert body["resolved_at"] is not None
    timeline = coo.get(f"/api/v1/timeline/customer/{record.pk}").json()
    assert [e["name"] for e in timeline if e["name"].startswith("review.")] == [
        "review.discussed",
        "review.decided",
    ]


def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(people: Cast) -> None:
    item = put_on_agenda(customer(people.trio.owner))
    coo = api_client_for(people.coo)
    url = f"/api/v1/reviews/items/{item.pk}/decision"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"decision": "", "owner": people.gm.pk}, "decision"),
        ({"decision": "好", "owner": 999999}, "owner"),
        ({"decision": "好"}, "owner"),
        ({"decision": "x" * 2001, "owner": people.gm.pk}, "decision"),
        ({"decision": "好", "owner": "谁"}, "owner"),
    ]
    for body, field in cases:
        response = _post(coo, url, body)
        assert response.status_code == 422, (body, response.content)
        assert any(d["loc"][-1] == field for d in response.json()["detail"]), (body, response.json())
    assert _post(coo, f"/api/v1/reviews/items/{item.pk}/discuss", {"discussed": "也许"}).status_code == 422
    assert not ReviewEntry.objects.exists()


def test_viewers_may_not_act_and_others_do_not_find_the_item(people: Cast) -> None:
    item = put_on_agenda(customer(people.trio.owner))
    for viewer in (people.gm, people.trio.director):
        client = api_client_for(viewer)
        assert _post(client, f"/api/v1/reviews/items/{item.pk}/discuss", {}).status_code == 403
        decision = {"decision": "越权", "owner": people.gm.pk}
        assert _post(client, f"/api/v1/reviews/items/{item.pk}/decision", decision).status_code == 403
        # Even with a bad owner: refused first, not told about the field.
        assert (
            _post(
                client, f"/api/v1/reviews/items/{item.pk}/decision", {"decision": "x", "owner": 0}
            ).status_code
            == 403
        )
    for rep in (people.trio.owner, people.trio.teammate, people.trio.outsider, people.trio.manager):
        client = api_client_for(rep)
        assert _post(client, f"/api/v1/reviews/items/{item.pk}/discuss", {}).status_code == 404
    assert not ReviewEntry.objects.exists()


def test_minutes_download_as_xlsx_and_pdf(people: Cast) -> None:
    item = put_on_agenda(customer(people.trio.owner, "纪要医院"), reason="承诺超时")
    coo = api_client_for(people.coo)
    _post(
        coo,
        f"/api/v1/reviews/items/{item.pk}/decision",
        {"decision": "补齐回访记录", "owner": people.trio.manager.pk},
    )
    for url in (
        "/api/v1/reviews/monthly_process_review/minutes.xlsx?month=2026-12",
        "/api/v1/exports/review_minutes.xlsx?meeting=monthly_process_review&month=2026-12",
    ):
        response = coo.get(url)
        assert response.status_code == 200, response.content
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert rows[0][:4] == ["类别", "团队", "记录", "原因"]
        assert rows[1][:4] == ["客户", "上海一组", "纪要医院", "承诺超时"]
        assert rows[1][6] == "是" and rows[1][8] == "补齐回访记录" and rows[1][9] == "mgr"
    assert (
        api_client_for(people.trio.owner)
        .get("/api/v1/reviews/monthly_process_review/minutes.xlsx")
        .status_code
        == 403
    )
    assert coo.get("/api/v1/reviews/monthly_process_review/minutes.xlsx?month=12").status_code == 422
    response = coo.get("/api/v1/reviews/monthly_process_review/minutes.pdf?month=2026-12")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        api_client_for(people.gm).get("/api/v1/reviews/monthly_process_review/minutes.pdf").status_code == 200
    )
    assert (
        api_client_for(people.trio.owner)
        .get("/api/v1/reviews/monthly_process_review/minutes.pdf")
        .status_code
        == 403
    )
    assert shutil.which("pdftotext"), "poppler-utils (make install) reads the PDF back"
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    for expected in ("月度流程复盘纪要", "2026-12", "纪要医院", "补齐回访记录", "mgr", "上海一组"):
        assert expected in text, (expected, text)
    fonts = subprocess.run(
        ["pdffonts", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    cjk = [line for line in fonts.splitlines() if "Noto-Sans-CJK-SC" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts  # embedded
