"""Shared set-up of the quote tests: a customer with an opportunity owned by the trio's owner,
products with costs, finance, and a quote built through the service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from salesflow.catalog import services as catalog
from salesflow.catalog.models import Product
from salesflow.core.testing import Trio, make_user
from salesflow.customers import services as customers
from salesflow.customers.models import Customer
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline import services as pipeline
from salesflow.pipeline.models import Opportunity
from salesflow.quotes import services
from salesflow.quotes.models import Quote

# A cost no other number on any page could show by accident.
SECRET_COST = Decimal("4321.87")


def finance(trio: Trio) -> User:
    """Finance at company level (reads every quote, sees costs)."""
    return make_user("fin", Role.FINANCE, trio.admin.team, None)


def products(trio: Trio) -> tuple[Product, Product]:
    """A hip implant at ¥10,000 (cost SECRET_COST) and a screw at ¥1,000 without a cost."""
    fin = User.objects.filter(username="fin").first() or finance(trio)
    hip = catalog.product_create(
        actor=fin,
        sku="HIP-52",
        name="髋关节假体 52mm",
        product_line="joint",
        unit="套",
        list_price="10000",
        standard_cost=SECRET_COST,
    )
    screw = catalog.product_create(
        actor=fin, sku="SCREW-6", name="椎弓根螺钉", product_line="spine", unit="枚", list_price="1000"
    )
    return hip, screw


def deal(
    trio: Trio, *, owner: User | None = None, name: str = "仁和医院", tier: str = ""
) -> tuple[Customer, Opportunity]:
    """A customer and an open opportunity owned by `owner` (the trio's owner by default)."""
    owner = owner or trio.owner
    customer = customers.customer_create(name=name, actor=None, owner=owner, customer_tier=tier)
    opportunity = pipeline.opportunity_create(
        customer=customer, title=f"{name} 关节采购", actor=None, owner=owner, amount="50000"
    )
    return customer, opportunity


def lines(*items: tuple[Product, Any, Any]) -> list[services.LineInput]:
    """Line inputs from (product, quantity, discount %)."""
    return [services.LineInput(product=p.pk, quantity=q, discount_pct=d) for p, q, d in items]


def quote(opportunity: Opportunity, actor: User, *items: tuple[Product, Any, Any], **fields: Any) -> Quote:
    """A quote made through the service."""
    return services.quote_create(
        opportunity=opportunity, actor=actor, data=services.QuoteInput(lines=lines(*items), **fields)
    )


def edit_pack(change: Any) -> None:
    """Activate a copy of the active pack changed by `change(document)`."""
    from salesflow.catalog.tests.helpers import edit_pack as catalog_edit_pack

    catalog_edit_pack(change)


def send(made: Quote, actor: User) -> Quote:
    """Send `made` through the service (share links start with the test server's address)."""
    return services.quote_send(quote=made, actor=actor, share_base_url="http://testserver").quote
