"""`price_for`: the most specific applicable price list wins (tier + region > tier > region > list price)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from salesflow.catalog import services
from salesflow.catalog.models import PriceList, Product
from salesflow.catalog.selectors import price_for
from salesflow.core.testing import Trio
from salesflow.customers import services as customers
from salesflow.customers.models import Customer
from salesflow.org import services as org
from salesflow.org.choices import TeamKind
from salesflow.org.models import User

from .helpers import finance, product

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 1)


def _customer(trio: Trio, *, tier: str = "", region: object = None) -> Customer:
    customer = customers.customer_create(name=f"客户{tier}{getattr(region, 'pk', '')}", actor=None)
    Customer.objects.filter(pk=customer.pk).update(customer_tier=tier, region=region)
    return Customer.objects.select_related("region").get(pk=customer.pk)


def _list(actor: User, prod: Product, price: str, **scope: Any) -> PriceList:
    plist = services.price_list_create(
        name=f"价格表 {price}", valid_from=scope.pop("valid_from", date(2026, 1, 1)), actor=actor, **scope
    )
    services.price_set(price_list=plist, product=prod, price=price, actor=actor)
    return plist


def test_without_price_lists_the_customer_gets_the_list_price(trio: Trio) -> None:
    fin = finance(trio)
    prod = product(fin)
    quote = price_for(prod, _customer(trio, tier="tier3a"), DAY)
    assert quote.price == Decimal("10000.00") and quote.source == "list_price" and quote.price_list is None


def test_precedence_tier_and_region_over_tier_over_region_over_list_price(trio: Trio) -> None:
    fin = finance(trio)
    prod = product(fin)
    region = trio.team.parent
    assert region is not None and region.kind == TeamKind.REGION
    customer = _customer(trio, tier="tier3a", region=region)
    _list(fin, prod, "9500", region=region)
    assert price_for(prod, customer, DAY).price == Decimal("9500.00")
    _list(fin, prod, "9000", customer_tier="tier3a")
    assert price_for(prod, customer, DAY).price == Decimal("9000.00")
    both = _list(fin, prod, "8800", region=region, customer_tier="tier3a")
    quote = price_for(prod, customer, DAY)
    assert (quote.price, quote.price_list, quote.discount_pct) == (Decimal("8800.00"), both, Decimal("12.0"))
    # Another tier's lists and other regions' lists never apply.
    other_region = org.team_create(name="华南大区", kind=TeamKind.REGION, parent=region.parent, actor=None)
    _list(fin, prod, "100", region=other_region, customer_tier="tier3a")
    _list(fin, prod, "200", customer_tier="tier2a")
    assert price_for(prod, customer, DAY).price == Decimal("8800.00")


def test_a_list_of_the_region_above_applies_and_a_nearer_region_wins(trio: Trio) -> None:
    fin = finance(trio)
    prod = product(fin)
    region = trio.team.parent
    assert region is not None
    sub_region = org.team_create(name="上海片区", kind=TeamKind.REGION, parent=region, actor=None)
    customer = _customer(trio, region=sub_region)
    _list(fin, prod, "9700", region=region)
    assert price_for(prod, customer, DAY).price == Decimal("9700.00")
    _list(fin, prod, "9600", region=sub_region)
    assert price_for(prod, customer, DAY).price == Decimal("9600.00")


def test_validity_dates_and_the_active_flag_decide_whether_a_list_applies(trio: Trio) -> None:
    fin = finance(trio)
    prod = product(fin)
    customer = _customer(trio, tier="tier2a")
    plist = _list(
        fin, prod, "9100", customer_tier="tier2a", valid_from=date(2026, 6, 1), valid_until=date(2026, 6, 30)
    )
    assert price_for(prod, customer, date(2026, 5, 31)).source == "list_price"
    assert price_for(prod, customer, date(2026, 6, 30)).price == Decimal("9100.00")  # the last day counts
    assert price_for(prod, customer, date(2026, 7, 1)).source == "list_price"
    services.price_list_update(price_list=plist, changes={"active": False}, actor=fin)
    assert price_for(prod, customer, date(2026, 6, 15)).source == "list_price"


def test_between_two_lists_of_one_level_the_later_one_wins(trio: Trio) -> None:
    fin = finance(trio)
    prod = product(fin)
    customer = _customer(trio, tier="private")
    _list(fin, prod, "9300", customer_tier="private", valid_from=date(2026, 1, 1))
    newer = _list(fin, prod, "9200", customer_tier="private", valid_from=date(2026, 3, 1))
    assert price_for(prod, customer, DAY).price_list == newer
    assert price_for(prod, customer, date(2026, 2, 1)).price == Decimal("9300.00")


def test_a_price_list_needs_a_region_or_a_tier_and_a_sane_period(trio: Trio) -> None:
    from salesflow.core.errors import FieldErrors

    fin = finance(trio)
    with pytest.raises(FieldErrors) as scope:
        services.price_list_create(name="无范围", valid_from=date(2026, 1, 1), actor=fin)
    assert "customer_tier" in scope.value.errors
    with pytest.raises(FieldErrors) as period:
        services.price_list_create(
            name="倒序",
            valid_from=date(2026, 2, 1),
            valid_until=date(2026, 1, 1),
            customer_tier="tier3a",
            actor=fin,
        )
    assert "valid_until" in period.value.errors
    with pytest.raises(FieldErrors) as team:
        services.price_list_create(name="非大区", valid_from=date(2026, 1, 1), region=trio.team, actor=fin)
    assert "region" in team.value.errors
