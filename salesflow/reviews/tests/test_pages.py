"""The 月度流程复盘 page: the COO's forms, viewers read-only, reps refused, htmx answers, minutes."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest
from django.test import Client

from salesflow.org.models import User
from salesflow.reviews.models import ReviewEntry
from salesflow.reviews.tests.helpers import NOVEMBER, Cast, customer, opportunity, put_on_agenda

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
PAGE = "/reviews/monthly_process_review/?month=2026-12"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_coo_sees_the_month_grouped_with_forms_and_labels(people: Cast) -> None:
    put_on_agenda(customer(people.trio.owner, "东方医院"), reason="客户承诺超时")
    put_on_agenda(opportunity(people.trio.outsider, "骨科耗材"))
    put_on_agenda(customer(people.trio.owner, "上月医院"), at=NOVEMBER)
    response = _client(people.coo).get(PAGE)
    text = response.content.decode()
    assert response.status_code == 200
    assert "月度流程复盘" in text and "东方医院" in text and "客户承诺超时" in text
    assert "客户 · 上海一组" in text and "商机 · 杭州组" in text
    assert "工单 4 小时内响应 · 第三次超时" in text and "sla:" not in text
    assert "上月医院" not in text
    assert text.count('data-testid="decide-form"') == 2 and text.count('data-testid="mark-discussed"') == 2
    assert 'data-testid="item-timeline"' in text
    # The user menu leads there.
    assert 'data-testid="menu-review-monthly_process_review"' in text
    november = _client(people.coo).get("/reviews/monthly_process_review/?month=2026-11").content.decode()
    assert "上月医院" in november and "东方医院" not in november


def test_viewers_read_only_and_reps_are_refused(people: Cast) -> None:
    put_on_agenda(customer(people.trio.owner, "东方医院"))
    for viewer in (people.gm, people.trio.director):
        text = _client(viewer).get(PAGE).content.decode()
        assert "东方医院" in text and 'data-testid="read-only"' in text
        assert 'data-testid="decide-form"' not in text and 'data-testid="mark-discussed"' not in text
    for rep in (people.trio.owner, people.trio.manager, people.trio.admin):
        client = _client(rep)
        assert client.get(PAGE).status_code == 403
        assert client.get("/reviews/").status_code == 403
        assert "menu-review-" not in client.get("/today/").content.decode()
    assert _client(people.gm).get("/reviews/")["Location"] == "/reviews/monthly_process_review/"
    assert _client(people.coo).get("/reviews/unknown_meeting/").status_code == 404


def test_marking_discussed_answers_with_the_item_and_a_toast(people: Cast) -> None:
    item = put_on_agenda(customer(people.trio.owner, "东方医院"))
    response = _client(people.coo).post(
        f"/reviews/items/{item.pk}/discuss/", {"discussed": "1"}, headers=HTMX
    )
    assert response.status_code == 200
    assert unquote(response["X-Toast"]) == "已标记为已讨论"
    text = response.content.decode()
    assert f'id="item-{item.pk}"' in text and "已讨论" in text and 'data-testid="unmark-discussed"' in text
    assert ReviewEntry.objects.get(item=item).discussed_by == people.coo


def test_a_decision_form_with_errors_comes_back_naming_them(people: Cast) -> None:
    item = put_on_agenda(customer(people.trio.owner))
    client = _client(people.coo)
    response = client.post(
        f"/reviews/items/{item.pk}/decide/", {"decision": "草稿决议", "owner": ""}, headers=HTMX
    )
    text = response.content.decode()
    assert 'data-error-for="owner"' in text and "草稿决议" in text
    # Without htmx: the page again, 422, the errors at that item only.
    other = put_on_agenda(customer(people.trio.owner, "另一家医院"))
    response = client.post(f"/reviews/items/{item.pk}/decide/", {"decision": "", "owner": str(people.gm.pk)})
    assert response.status_code == 422
    text = response.content.decode()
    assert text.count('data-error-for="decision"') == 1 and f'id="item-{other.pk}"' in text
    assert not ReviewEntry.objects.exists()
    response = client.post(
        f"/reviews/items/{item.pk}/decide/",
        {"decision": "<b>主管</b>回访", "owner": str(people.trio.manager.pk)},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"?month=2026-12#item-{item.pk}")
    page = client.get(PAGE).content.decode()
    assert "&lt;b&gt;主管&lt;/b&gt;回访" in page and "<b>主管</b>" not in page


def test_viewers_and_reps_may_not_post(people: Cast) -> None:
    item = put_on_agenda(customer(people.trio.owner))
    assert _client(people.gm).post(f"/reviews/items/{item.pk}/discuss/").status_code == 403
    assert _client(people.trio.owner).post(f"/reviews/items/{item.pk}/discuss/").status_code == 404
    body = {"decision": "越权", "owner": str(people.gm.pk)}
    assert _client(people.trio.director).post(f"/reviews/items/{item.pk}/decide/", body).status_code == 403
    assert not ReviewEntry.objects.exists()


def test_the_page_reads_a_month_in_a_bounded_number_of_queries(
    people: Cast, django_assert_max_num_queries: Any
) -> None:
    for n in range(12):
        put_on_agenda(customer(people.trio.owner if n % 2 else people.trio.outsider, f"医院{n}"))
        put_on_agenda(opportunity(people.trio.teammate, f"商机{n}"))
    client = _client(people.coo)
    client.get(PAGE)
    with django_assert_max_num_queries(20):
        response = client.get(PAGE)
    assert response.content.decode().count('data-testid="agenda-item"') == 24


def test_minutes_download_from_the_page(people: Cast) -> None:
    put_on_agenda(customer(people.trio.owner, "纪要医院"))
    client = _client(people.gm)
    response = client.get("/reviews/monthly_process_review/minutes.xlsx?month=2026-12")
    assert response.status_code == 200
    assert 'filename="monthly_process_review-2026-12.xlsx"' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]][2] == "纪要医院"
    assert client.get("/reviews/monthly_process_review/minutes.xlsx?month=bad").status_code == 422
    assert client.get("/reviews/monthly_process_review/minutes.pdf?month=bad").status_code == 422
    assert _client(people.trio.owner).get("/reviews/monthly_process_review/minutes.xlsx").status_code == 403
