"""Quote services: pricing and totals, versions that freeze once sent, the freeze gate, special
quotes, the health score and its warning, the follow-up timer, smart fill, all-or-nothing errors."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from salesflow.catalog import services as catalog
from salesflow.core import clock
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.models import Event
from salesflow.core.testing import Trio
from salesflow.customers import services as customers
from salesflow.notify.models import Notification
from salesflow.org.models import User
from salesflow.pipeline.models import Evidence
from salesflow.quotes import selectors, services
from salesflow.quotes.choices import QuoteState
from salesflow.quotes.models import Quote, QuoteLine, QuoteVersion
from salesflow.quotes.presenters import special_reasons
from salesflow.rules import services as rules_services
from salesflow.rules.engine import GateRefused
from salesflow.timers.models import Deadline

from .helpers import deal, edit_pack, lines, products, quote, send

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _events(made: Quote) -> list[str]:
    return list(
        Event.objects.filter(subject_type="quotes.quote", subject_id=made.pk)
        .order_by("id")
        .values_list("name", flat=True)
    )


def test_a_quote_prices_lines_from_the_customer_price_list_and_adds_tax(trio: Trio) -> None:
    hip, screw = products(trio)
    _customer, opportunity = deal(trio, tier="tier3a")
    fin = User.objects.get(username="fin")
    plist = catalog.price_list_create(
        name="三甲价", customer_tier="tier3a", valid_from=date(2020, 1, 1), actor=fin
    )
    catalog.price_set(price_list=plist, product=hip, price="9000", actor=fin)
    made = quote(opportunity, trio.owner, (hip, 2, 10), (screw, "3", 0))
    version = selectors.current_version(made)
    rows = selectors.version_lines(version)
    assert made.number.startswith("BJ") and made.state == QuoteState.DRAFT and made.current_version == 1
    assert made.owner == trio.owner and made.customer == opportunity.customer
    assert rows[0].list_price == Decimal("9000.00") and rows[0].net_price == Decimal("8100.00")
    assert rows[0].line_total == Decimal("16200.00")
    assert rows[1].net_price == Decimal("1000.00") and rows[1].line_total == Decimal("3000.00")
    assert version.subtotal == Decimal("19200.00") and version.tax == Decimal("2496.00")
    assert version.total == Decimal("21696.00") == made.total
    assert version.list_total == Decimal("21000.00") and version.max_discount_pct == Decimal("10.0")
    assert version.valid_until == clock.to_local(clock.now()).date() + timedelta(days=30)
    assert [c["code"] for c in version.clauses] == ["payment", "delivery", "warranty", "validity"]
    assert _events(made)[:2] == ["quote.created", "quote.scored"]


def test_bad_lines_name_each_field_and_write_nothing(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    with pytest.raises(FieldErrors) as caught:
        services.quote_create(
            opportunity=opportunity,
            actor=trio.owner,
            data=services.QuoteInput(
                lines=[
                    services.LineInput(product=hip.pk, quantity="0", discount_pct="5"),
                    services.LineInput(product=999999, quantity="1"),
                    services.LineInput(product=hip.pk, quantity="2", discount_pct="100"),
                    services.LineInput(product=hip.pk, quantity="abc"),
                ],
                valid_until=date(2000, 1, 1),
                clauses=["nope"],
            ),
        )
    assert set(caught.value.errors) == {
        "lines[0].quantity",
        "lines[1].product",
        "lines[2].discount_pct",
        "lines[3].quantity",
        "valid_until",
        "clauses",
    }
    with pytest.raises(FieldErrors) as empty:
        services.quote_create(opportunity=opportunity, actor=trio.owner, data=services.QuoteInput(lines=[]))
    assert "lines" in empty.value.errors
    assert not Quote.objects.exists() and not QuoteVersion.objects.exists() and not QuoteLine.objects.exists()


def test_only_the_owner_and_their_managers_quote(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    for stranger in (trio.teammate, trio.outsider, trio.other_manager):
        with pytest.raises(PermissionDenied):
            quote(opportunity, stranger, (hip, 1, 0))
    made = quote(opportunity, trio.manager, (hip, 1, 0))
    assert made.owner == trio.owner
    with pytest.raises(PermissionDenied):
        send(made, trio.teammate)


def test_a_frozen_customer_cannot_be_quoted_until_the_freeze_is_lifted(trio: Trio) -> None:
    hip, _screw = products(trio)
    customer, opportunity = deal(trio)
    now = clock.now()
    rules_services.freeze_set(
        record=customer,
        scope="quoting",
        reason="技术方案确认超时",
        rule_code="tech_solution_breaker",
        actor=None,
        now=now,
    )
    customer.refresh_from_db()
    assert customer.quoting_frozen
    with pytest.raises(GateRefused) as refused:
        quote(opportunity, trio.owner, (hip, 1, 0))
    assert refused.value.status_code == 409 and "熔断" in str(refused.value)
    assert not Quote.objects.exists()
    rules_services.freeze_lift(
        record=customer, scope="quoting", actor=trio.manager, now=now, reason="方案已确认"
    )
    customer.refresh_from_db()
    assert not customer.quoting_frozen
    made = quote(opportunity, trio.owner, (hip, 1, 0))
    # Frozen again after the quote was made: sending it is refused too, and nothing is sent.
    rules_services.freeze_set(
        record=customer, scope="quoting", reason="再次超时", rule_code="", actor=None, now=now
    )
    with pytest.raises(GateRefused):
        send(made, trio.owner)
    made.refresh_from_db()
    assert made.state == QuoteState.DRAFT and made.sent_at is None
    assert not Deadline.objects.filter(subject_type="quotes.quote", subject_id=made.pk).exists()


def test_a_discount_over_the_role_limit_makes_a_special_quote_that_cannot_be_sent(trio: Trio) -> None:
    _hip, screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (screw, 1, 15))
    version = selectors.current_version(made)
    assert made.special and version.special
    assert version.special_reasons == [{"code": "discount", "value": "15.0", "limit": "10"}]
    with pytest.raises(Conflict) as refused:
        send(made, trio.owner)
    assert "审批" in str(refused.value)
    # Within the limit it is an ordinary quote and goes out.
    services.quote_update(quote=made, actor=trio.owner, data=services.QuoteInput(lines=lines((screw, 1, 10))))
    made.refresh_from_db()
    assert not made.special
    assert send(made, trio.owner).state == QuoteState.SENT


def test_a_margin_under_the_role_floor_is_special_and_its_numbers_stay_with_margin_readers(
    trio: Trio,
) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    # Cost 4,321.87 on a price of 10,000 less 5%: margin 54.5% — fine for a rep (floor 25%).
    assert not quote(opportunity, trio.owner, (hip, 1, 5)).special
    made = quote(opportunity, trio.owner, (hip, 1, 5), title="低毛利")
    edit_pack(lambda doc: doc["quotes"]["margin_floor_pct"].update(rep=60))
    services.quote_update(quote=made, actor=trio.owner, data=services.QuoteInput(lines=lines((hip, 1, 5))))
    version = selectors.current_version(made)
    assert version.special and version.special_reasons[0]["code"] == "margin"
    rep_view = special_reasons(version, selectors.cost_view(trio.owner))
    assert rep_view[0].text == "毛利率低于权限下限"
    fin = User.objects.get(username="fin")
    assert "54.5%" in special_reasons(version, selectors.cost_view(fin))[0].text


def test_sent_versions_never_change_and_a_revision_makes_the_next_version(trio: Trio) -> None:
    hip, screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 5))
    sent = send(made, trio.owner)
    assert sent.state == QuoteState.SENT and sent.sent_at is not None
    with pytest.raises(Conflict):
        services.quote_update(
            quote=sent, actor=trio.owner, data=services.QuoteInput(lines=lines((screw, 9, 0)))
        )
    first = QuoteVersion.objects.get(quote=made, number=1)
    assert first.sent_at is not None and first.total == sent.total
    revised = services.quote_revise(quote=sent, actor=trio.owner)
    assert revised.current_version == 2 and revised.state == QuoteState.DRAFT
    services.quote_update(
        quote=revised, actor=trio.owner, data=services.QuoteInput(lines=lines((screw, 9, 0)))
    )
    first.refresh_from_db()
    assert [line.sku for line in selectors.version_lines(first)] == ["HIP-52"]
    assert [line.sku for line in selectors.version_lines(selectors.current_version(revised))] == ["SCREW-6"]
    assert "quote.revised" in _events(made)


def test_sending_starts_the_follow_up_timer_and_the_customer_answer_stops_it(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    made = send(quote(opportunity, trio.owner, (hip, 1, 0)), trio.owner)
    pending = Deadline.objects.filter(
        subject_type="quotes.quote", subject_id=made.pk, policy="quote_follow_up"
    )
    assert pending.filter(status=Deadline.Status.PENDING).count() == 1
    due = pending.get().due_at
    assert made.sent_at is not None and due - made.sent_at == timedelta(hours=72)
    with pytest.raises(FieldErrors) as bad:
        services.quote_feedback(quote=made, actor=trio.owner, outcome="maybe", note="")
    assert set(bad.value.errors) == {"outcome", "note"}
    services.quote_feedback(quote=made, actor=trio.owner, outcome="feedback", note="客户要求再降 3%")
    assert not pending.filter(status=Deadline.Status.PENDING).exists()
    assert services.quote_feedback(quote=made, actor=trio.owner, outcome="accepted", note="同意").state == (
        QuoteState.ACCEPTED
    )


def test_health_score_counts_orders_price_change_and_documents_and_warns_below_the_threshold(
    trio: Trio,
) -> None:
    hip, screw = products(trio)
    customer, opportunity = deal(trio)
    first = quote(opportunity, trio.owner, (hip, 1, 0))
    version = selectors.current_version(first)
    factors = {f["code"]: f for f in version.health_factors}
    # A first quote to a new customer: only the price factor scores.
    assert version.health_score == 25 and factors["price_change"]["points"] == 25
    assert factors["technical_doc"]["missing"] and factors["competitor_sheet"]["missing"]
    warned = Notification.objects.filter(recipient=trio.owner, kind="quote.health_low")
    assert warned.count() == 1
    send(first, trio.owner)
    today = clock.to_local(clock.now()).date()
    for days in (10, 40, 70):
        customers.order_add(
            customer=customer, ordered_on=today - timedelta(days=days), amount="1000", actor=None
        )
    Evidence.objects.create(
        opportunity=opportunity,
        stage="proposal_quote",
        requirement="technical_doc",
        kind="document",
        uploaded_by=trio.owner,
        uploaded_at=clock.now(),
    )
    # 10% below the last quote's price: 25 × (20 − 10) / (20 − 5) ≈ 17 points.
    second = quote(opportunity, trio.owner, (hip, 1, 10), (screw, 1, 0))
    services.quote_attach(
        quote=second, actor=trio.owner, code="competitor_sheet", data=PDF, filename="竞品.pdf"
    )
    version = selectors.current_version(second)
    factors = {f["code"]: f for f in version.health_factors}
    assert factors["purchase_frequency"]["points"] == 25
    assert factors["price_change"]["points"] == 17 and "10.0%" in factors["price_change"]["detail"]
    assert not factors["technical_doc"]["missing"] and not factors["competitor_sheet"]["missing"]
    assert version.health_score == 92
    with pytest.raises(FieldErrors) as refused:
        services.quote_attach(
            quote=second, actor=trio.owner, code="competitor_sheet", data=b"MZ\x90", filename="x.exe"
        )
    assert "file" in refused.value.errors


def test_smart_fill_proposes_the_last_order_products_and_payment_terms(trio: Trio) -> None:
    hip, screw = products(trio)
    customer, opportunity = deal(trio)
    assert selectors.smart_fill_for(opportunity)["products"] == []
    customers.order_add(
        customer=customer,
        ordered_on=clock.to_local(clock.now()).date(),
        amount="20000",
        actor=None,
        models_bought="hip-52、SCREW-6, GONE-1",
        payment_term="货到 60 天付款",
    )
    fill = selectors.smart_fill_for(opportunity)
    assert fill == {"products": [hip, screw], "payment_terms": "货到 60 天付款"}
    made = quote(opportunity, trio.owner, (hip, 1, 0))
    assert selectors.current_version(made).payment_terms == "货到 60 天付款"
