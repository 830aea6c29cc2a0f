"""报价 pages: the opportunity's quotes card, the editor with smart fill and errors next to their
line, the quote page with its health warning, template links and no cost for a rep, the list."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.customers import services as customers
from salesflow.org.models import User
from salesflow.quotes.models import Quote

from .helpers import SECRET_COST, deal, products, quote

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_opportunity_page_lists_its_quotes_and_offers_a_new_one_to_its_owner(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 0))
    page = _client(trio.owner).get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert 'data-testid="quotes-panel"' in page and made.number in page and "新建报价" in page
    # The owner's manager sees the card too; a teammate does not see the opportunity at all.
    manager_page = _client(trio.manager).get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert made.number in manager_page
    assert _client(trio.teammate).get(f"/opportunities/{opportunity.pk}/").status_code == 404


def test_the_editor_proposes_the_last_order_and_names_the_bad_line(trio: Trio) -> None:
    hip, screw = products(trio)
    customer, opportunity = deal(trio)
    customers.order_add(
        customer=customer,
        ordered_on=clock.to_local(clock.now()).date(),
        amount="1",
        actor=None,
        models_bought="SCREW-6",
        payment_term="货到 90 天",
    )
    client = _client(trio.owner)
    form = client.get(f"/quotes/new/?opportunity={opportunity.pk}").content.decode()
    assert 'data-testid="smart-fill"' in form and "货到 90 天" in form
    assert f'<option value="{screw.pk}" selected>' in form
    bad = client.post(
        f"/quotes/new/?opportunity={opportunity.pk}",
        {
            "opportunity": opportunity.pk,
            "product": [hip.pk, "", screw.pk],
            "quantity": ["0", "", "2"],
            "discount_pct": ["", "", "120"],
        },
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert (
        text.count('data-testid="line-error"') == 2
        and "数量应大于 0" in text
        and "折扣应在 0 到 100 之间" in text
    )
    assert not Quote.objects.exists()
    good = client.post(
        f"/quotes/new/?opportunity={opportunity.pk}",
        {
            "opportunity": opportunity.pk,
            "product": [hip.pk, "", screw.pk],
            "quantity": ["1", "", "2"],
            "discount_pct": ["5", "", ""],
            "payment_terms": "货到 90 天",
            "clauses": ["payment", "warranty"],
        },
    )
    made = Quote.objects.get()
    assert good.status_code == 302 and good["Location"] == f"/quotes/{made.pk}/"
    assert made.total > 0 and made.title == opportunity.title


def test_the_quote_page_warns_with_the_missing_documents_and_hides_the_cost_from_a_rep(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 0))
    page = _client(trio.owner).get(f"/quotes/{made.pk}/").content.decode()
    assert 'data-testid="health-warning"' in page and "报价健康度 25，低于 75" in page
    assert (
        'data-testid="missing-competitor_sheet"' in page and "/quotes/templates/competitor_sheet.xlsx" in page
    )
    assert str(SECRET_COST) not in page and "4,321.87" not in page and "预计毛利率" not in page
    director_page = _client(trio.director).get(f"/quotes/{made.pk}/").content.decode()
    assert "4,321.87" in director_page and "预计毛利率" in director_page
    assert _client(trio.outsider).get(f"/quotes/{made.pk}/").status_code == 404
    assert _client(trio.teammate).get(f"/quotes/{made.pk}/edit/").status_code == 404


def test_the_template_is_an_xlsx_with_the_pack_columns(trio: Trio) -> None:
    response = _client(trio.owner).get("/quotes/templates/competitor_sheet.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:3] == ["竞品品牌", "型号", "关键参数"]
    assert _client(trio.owner).get("/quotes/templates/nothing.xlsx").status_code == 404


def test_sending_from_the_page_and_recording_the_answer(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 0))
    client = _client(trio.owner)
    client.post(f"/quotes/{made.pk}/send/")
    made.refresh_from_db()
    assert made.state == "sent"
    page = client.get(f"/quotes/{made.pk}/").content.decode()
    assert 'data-testid="feedback-form"' in page and 'data-testid="quote-revise"' in page
    client.post(f"/quotes/{made.pk}/feedback/", {"outcome": "accepted", "note": "院长签字同意"})
    made.refresh_from_db()
    assert made.state == "accepted"


def test_the_list_shows_visible_quotes_with_a_flat_query_count(
    trio: Trio, django_assert_max_num_queries: Any
) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    for _i in range(3):
        quote(opportunity, trio.owner, (hip, 1, 0))
    client = _client(trio.owner)
    client.get("/quotes/")
    with django_assert_max_num_queries(12):
        few = client.get("/quotes/").content.decode()
    for _i in range(6):
        quote(opportunity, trio.owner, (hip, 1, 0))
    with django_assert_max_num_queries(12):
        many = client.get("/quotes/").content.decode()
    assert few.count('data-testid="quote-row"') == 3 and many.count('data-testid="quote-row"') == 9
    assert 'data-testid="quote-row"' not in _client(trio.outsider).get("/quotes/").content.decode()


def test_the_export_holds_the_visible_quotes_without_costs(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 2, 0))
    response = _client(trio.director).get("/quotes/export.xlsx?state=draft")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("报价单号", "报价名称", "客户名称")
    assert rows[1][0] == made.number and rows[1][5] == "草稿" and "仁和医院" in rows[1]
    assert all(str(SECRET_COST) not in str(cell) for row in rows for cell in row)
    outsider = _client(trio.outsider).get("/quotes/export.xlsx")
    assert len(list(load_workbook(io.BytesIO(outsider.content)).active.iter_rows())) == 1
