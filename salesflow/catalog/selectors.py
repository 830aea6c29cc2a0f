"""Reads of the catalogue: products and price lists (everyone signed in), and `price_for`.

Price precedence (`price_for`): among the active price lists valid on the day that hold the
product and apply to the customer, the most specific wins —

1. customer tier **and** region (both match the customer),
2. customer tier only,
3. region only (the customer's region is the list's region or lies beneath it),
4. otherwise the product's list price (目录价).

Within one level a list for a narrower region (deeper in the team tree) wins, then the one that
took effect last (`valid_from`), then the newest. A list applies from `valid_from` to
`valid_until` inclusive (open-ended when empty).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from salesflow.catalog.models import PriceList, PriceListItem, Product
from salesflow.catalog.permissions import can_read_catalog, can_see_cost, can_see_margin
from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.core.lookups import search_term
from salesflow.rules.selectors import active_pack


def products_visible_to(user: Any) -> QuerySet[Product]:
    """Every product for anyone signed in (reps quote from the whole catalogue); none otherwise."""
    if not can_read_catalog(user):
        return Product.objects.none()
    return Product.objects.all()


def price_lists_visible_to(user: Any) -> QuerySet[PriceList]:
    """Every price list for anyone signed in; none otherwise."""
    if not can_read_catalog(user):
        return PriceList.objects.none()
    return PriceList.objects.select_related("region")


@dataclass(frozen=True)
class ProductFilters:
    """What the product list may be narrowed by: the page's, the API's and the export's query."""

    q: str = ""  # SKU or name (never the cost)
    product_line: str = ""
    active: str = ""  # "" all, "1" on sale, "0" discontinued


def product_filters_from(params: Any) -> ProductFilters:
    """ProductFilters from a query dict (page, API or export), checked."""
    active = str(params.get("active", "") or "").strip()
    if active not in ("", "1", "0", "true", "false"):
        raise FieldErrors({"active": ["应为 1（在售）或 0（停售） / use 1 or 0"]}, location="query")
    return ProductFilters(
        q=str(params.get("q", "") or ""),
        product_line=str(params.get("product_line", "") or "").strip(),
        active={"true": "1", "false": "0"}.get(active, active),
    )


def products_list(*, user: Any, filters: ProductFilters) -> QuerySet[Product]:
    """The visible products narrowed by `filters` (search by SKU or name, product line, on sale)."""
    return filter_products(products_visible_to(user), filters)


def filter_products(qs: QuerySet[Product], filters: ProductFilters) -> QuerySet[Product]:
    """`qs` narrowed by `filters` (the cost is never searched)."""
    q = search_term(filters.q)
    if q:
        qs = qs.filter(Q(sku__icontains=q.replace(" ", "")) | Q(name__icontains=q))
    if filters.product_line:
        qs = qs.filter(product_line=filters.product_line)
    if filters.active:
        qs = qs.filter(active=filters.active == "1")
    return qs


def product_line_labels() -> dict[str, str]:
    """code → label of the pack's product lines."""
    _number, pack = active_pack()
    dictionary = pack.dictionary("product_line")
    return {c.code: c.label for c in dictionary.choices} if dictionary else {}


def customer_tier_labels() -> dict[str, str]:
    """code → label of the pack's customer tiers."""
    _number, pack = active_pack()
    dictionary = pack.dictionary("customer_tier")
    return {c.code: c.label for c in dictionary.choices} if dictionary else {}


def margin_pct(price: Decimal | None, cost: Decimal | None) -> Decimal | None:
    """Gross margin in percent of `price` over `cost` (one decimal), None without both."""
    if price is None or cost is None or price <= 0:
        return None
    return ((price - cost) * 100 / price).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class ProductView:
    """A product as `user` may see it: cost and margin only for the pack's roles (else None)."""

    product: Product
    cost_visible: bool
    margin_visible: bool

    @property
    def standard_cost(self) -> Decimal | None:
        return self.product.standard_cost if self.cost_visible else None

    @property
    def margin_pct(self) -> Decimal | None:
        return (
            margin_pct(self.product.list_price, self.product.standard_cost) if self.margin_visible else None
        )


def product_views(user: Any, products: list[Product]) -> list[ProductView]:
    """Each product as `user` may see it (the permission is read once)."""
    cost, margin = can_see_cost(user), can_see_margin(user)
    return [ProductView(p, cost, margin) for p in products]


@dataclass(frozen=True)
class PriceQuote:
    """The price a customer gets for a product on a day, and where it comes from."""

    product: Product
    price: Decimal
    list_price: Decimal
    price_list: PriceList | None
    on: date

    @property
    def source(self) -> str:
        """`price_list` or `list_price`."""
        return "price_list" if self.price_list is not None else "list_price"

    @property
    def discount_pct(self) -> Decimal:
        """How far the price lies below the list price, in percent (negative: above)."""
        if self.list_price <= 0:
            return Decimal("0")
        return ((self.list_price - self.price) * 100 / self.list_price).quantize(Decimal("0.1"))


def _region_ids(customer: Any) -> list[int]:
    """The customer's region and every team above it (a list for a parent region applies too)."""
    region = getattr(customer, "region", None)
    if region is None:
        return []
    return [int(part) for part in region.path.strip("/").split("/") if part]


def price_for(product: Product, customer: Any, on: date | None = None) -> PriceQuote:
    """The price `customer` gets for `product` on `on` (today, local) — see the module's precedence."""
    on = on or clock.to_local(clock.now()).date()
    tier = getattr(customer, "customer_tier", "") or ""
    regions = _region_ids(customer)
    applies = Q(price_list__region__isnull=True) | Q(price_list__region_id__in=regions)
    tier_applies = (
        Q(price_list__customer_tier="") | Q(price_list__customer_tier=tier)
        if tier
        else Q(price_list__customer_tier="")
    )
    items = list(
        PriceListItem.objects.filter(
            applies,
            tier_applies,
            Q(price_list__valid_until__isnull=True) | Q(price_list__valid_until__gte=on),
            product=product,
            price_list__active=True,
            price_list__valid_from__lte=on,
        ).select_related("price_list", "price_list__region")
    )

    def rank(item: PriceListItem) -> tuple[int, int, date, int]:
        plist = item.price_list
        level = (2 if plist.customer_tier else 0) + (1 if plist.region_id else 0)
        depth = len(plist.region.path) if plist.region is not None else 0
        return (level, depth, plist.valid_from, plist.pk)

    if not items:
        return PriceQuote(product, product.list_price, product.list_price, None, on)
    best = max(items, key=rank)
    return PriceQuote(product, best.price, product.list_price, best.price_list, on)


def price_list_items(price_list: PriceList) -> QuerySet[PriceListItem]:
    """The prices of one list with their products, by SKU."""
    return price_list.items.select_related("product").order_by("product__sku")
