"""The quotes API: owner / teammate / outsider / manager / finance, field errors naming the line,
409s for the freeze gate and an unapproved special quote, costs only for the pack's roles."""

from __future__ import annotations

from typing import Any

import pytest

from salesflow.core import clock
from salesflow.core.testing import Trio, api_client_for
from salesflow.org.models import User
from salesflow.quotes.models import Quote
from salesflow.rules import services as rules_services

from .helpers import SECRET_COST, deal, products, quote

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _post(user: User, url: str, body: dict[str, Any]) -> Any:
    return api_client_for(user).post(url, body, content_type="application/json")


def test_the_owner_creates_reads_and_sends_a_quote_over_the_api(trio: Trio) -> None:
    hip, screw = products(trio)
    _customer, opportunity = deal(trio)
    created = _post(
        trio.owner,
        "/api/v1/quotes",
        {
            "opportunity_id": opportunity.pk,
            "title": "关节 + 螺钉",
            "lines": [
                {"product_id": hip.pk, "quantity": "1", "discount_pct": "5"},
                {"product_id": screw.pk, "quantity": 2},
            ],
            "clauses": ["payment", "training"],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "draft" and body["state_label"] == "草稿" and body["customer_name"] == "仁和医院"
    assert body["version"]["total"] == "12995.00" and [c["code"] for c in body["version"]["clauses"]] == [
        "payment",
        "training",
    ]
    # A rep never gets the cost or margin, in the lines or the totals.
    assert body["version"]["lines"][0]["unit_cost"] is None and body["version"]["margin_pct"] is None
    assert str(SECRET_COST) not in created.content.decode()
    factors = {f["code"]: f for f in body["version"]["health_factors"]}
    assert factors["competitor_sheet"]["missing"] and factors["competitor_sheet"]["name"] == "竞品对比表"
    sent = _post(trio.owner, f"/api/v1/quotes/{body['id']}/send", {})
    assert sent.status_code == 200 and sent.json()["state"] == "sent"
    again = api_client_for(trio.owner).put(
        f"/api/v1/quotes/{body['id']}",
        {"lines": [{"product_id": screw.pk, "quantity": 1}]},
        content_type="application/json",
    )
    assert again.status_code == 409 and "新建版本" in again.json()["detail"]
    listed = api_client_for(trio.owner).get("/api/v1/quotes?state=sent").json()
    assert [q["number"] for q in listed["items"]] == [body["number"]]


def test_teammates_and_outsiders_neither_read_nor_quote_and_finance_reads_with_costs(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 0))
    for stranger in (trio.teammate, trio.outsider, trio.other_manager):
        client = api_client_for(stranger)
        assert client.get(f"/api/v1/quotes/{made.pk}").status_code == 404
        assert client.get("/api/v1/quotes").json()["items"] == []
        assert _post(stranger, f"/api/v1/quotes/{made.pk}/send", {}).status_code == 404
        refused = _post(
            stranger,
            "/api/v1/quotes",
            {"opportunity_id": opportunity.pk, "lines": [{"product_id": hip.pk, "quantity": 1}]},
        )
        assert refused.status_code == 404
    manager_view = api_client_for(trio.manager).get(f"/api/v1/quotes/{made.pk}").json()
    assert manager_view["version"]["lines"][0]["unit_cost"] is None
    director_view = api_client_for(trio.director).get(f"/api/v1/quotes/{made.pk}").json()
    assert director_view["version"]["lines"][0]["unit_cost"] == str(SECRET_COST)
    fin = User.objects.get(username="fin")
    finance_view = api_client_for(fin).get(f"/api/v1/quotes/{made.pk}")
    assert finance_view.status_code == 200 and finance_view.json()["version"]["margin_pct"] == "56.8"
    # Finance reads but does not work on quotes.
    assert _post(fin, f"/api/v1/quotes/{made.pk}/send", {}).status_code == 403


def test_bad_input_names_the_line_and_field(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    response = _post(
        trio.owner,
        "/api/v1/quotes",
        {
            "opportunity_id": opportunity.pk,
            "lines": [{"product_id": hip.pk, "quantity": "-1"}, {"product_id": 0, "quantity": 1}],
        },
    )
    assert response.status_code in (400, 422)
    fields = response.content.decode()
    assert "lines[0].quantity" in fields and "lines[1].product" in fields
    assert not Quote.objects.exists()


def test_the_freeze_gate_answers_409_with_its_reason(trio: Trio) -> None:
    hip, _screw = products(trio)
    customer, opportunity = deal(trio)
    rules_services.freeze_set(
        record=customer, scope="quoting", reason="熔断", rule_code="", actor=None, now=clock.now()
    )
    refused = _post(
        trio.owner,
        "/api/v1/quotes",
        {"opportunity_id": opportunity.pk, "lines": [{"product_id": hip.pk, "quantity": 1}]},
    )
    assert refused.status_code == 409 and "熔断" in refused.json()["detail"]


def test_an_unapproved_special_quote_is_refused_with_409(trio: Trio) -> None:
    _hip, screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (screw, 1, 30))
    refused = _post(trio.owner, f"/api/v1/quotes/{made.pk}/send", {})
    assert refused.status_code == 409 and "审批" in refused.json()["detail"]
    detail = api_client_for(trio.owner).get(f"/api/v1/quotes/{made.pk}").json()
    assert (
        detail["special"] and detail["version"]["special_reasons"][0]["text"] == "最大折扣 30.0% 超过权限 10%"
    )


def test_documents_are_checked_by_content_and_raise_the_score(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 0))
    client = api_client_for(trio.owner)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = client.post(
        f"/api/v1/quotes/{made.pk}/attachments",
        {"code": "competitor_sheet", "file": SimpleUploadedFile("x.pdf", b"not a pdf")},
    )
    assert bad.status_code in (400, 422) and "file" in bad.content.decode()
    good = client.post(
        f"/api/v1/quotes/{made.pk}/attachments",
        {"code": "competitor_sheet", "file": SimpleUploadedFile("竞品.pdf", PDF)},
    )
    assert good.status_code == 201, good.content
    body = good.json()
    assert body["health_score"] == 50 and body["attachments"][0]["name"] == "竞品对比表"


def test_quote_defaults_follow_the_last_order(trio: Trio) -> None:
    from salesflow.customers import services as customers

    hip, _screw = products(trio)
    customer, opportunity = deal(trio)
    customers.order_add(
        customer=customer,
        ordered_on=clock.to_local(clock.now()).date(),
        amount="1",
        actor=None,
        models_bought="HIP-52",
        payment_term="月结 30 天",
    )
    body = api_client_for(trio.owner).get(f"/api/v1/opportunities/{opportunity.pk}/quote-defaults").json()
    assert body == {"product_ids": [hip.pk], "payment_terms": "月结 30 天"}
    assert (
        api_client_for(trio.outsider)
        .get(f"/api/v1/opportunities/{opportunity.pk}/quote-defaults")
        .status_code
        == 404
    )
