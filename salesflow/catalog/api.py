"""REST endpoints of the catalogue: products, price lists and their prices, a customer's price.

Everyone signed in reads; the ops admin and finance write (services check). A product's
`standard_cost` and `margin_pct` are null for roles the pack's field permissions leave out.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from salesflow.catalog import selectors, services
from salesflow.catalog.models import PriceList, PriceListItem, Product
from salesflow.core.errors import FieldErrors
from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import keyset_page
from salesflow.customers.selectors import customers_visible_to
from salesflow.org.selectors import current_user

router = Router(tags=["catalog"])


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    product_line: str
    product_line_label: str
    unit: str
    list_price: Decimal
    tax_rate_pct: Decimal
    active: bool
    # Null unless the pack's field permissions name the caller's role.
    standard_cost: Decimal | None
    margin_pct: Decimal | None
    created_at: datetime
    updated_at: datetime


def _product_out(view: selectors.ProductView, lines: dict[str, str]) -> ProductOut:
    p = view.product
    return ProductOut(
        id=p.pk,
        sku=p.sku,
        name=p.name,
        product_line=p.product_line,
        product_line_label=lines.get(p.product_line, ""),
        unit=p.unit,
        list_price=p.list_price,
        tax_rate_pct=p.tax_rate_pct,
        active=p.active,
        standard_cost=view.standard_cost,
        margin_pct=view.margin_pct,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _one_out(request: HttpRequest, product: Product) -> ProductOut:
    (view,) = selectors.product_views(current_user(request), [product])
    return _product_out(view, selectors.product_line_labels())


class ProductPage(Schema):
    items: list[ProductOut]
    next: str | None


@router.get("/products", response=ProductPage)
def list_products(
    request: HttpRequest,
    q: str = "",
    product_line: str = "",
    active: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> ProductPage:
    """The catalogue: `q` searches SKU and name, `product_line` a pack code, `active` 1 or 0."""
    me = current_user(request)
    filters = selectors.product_filters_from({"q": q, "product_line": product_line, "active": active})
    qs = selectors.products_list(user=me, filters=filters)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit)
    lines = selectors.product_line_labels()
    return ProductPage(
        items=[_product_out(v, lines) for v in selectors.product_views(me, rows)], next=next_cursor
    )


class ProductIn(Schema):
    sku: str
    name: str
    list_price: Decimal
    product_line: str = ""
    unit: str = "件"
    standard_cost: Decimal | None = None
    tax_rate_pct: Decimal | None = None
    active: bool = True


@router.post("/products", response={201: ProductOut})
def create_product(request: HttpRequest, payload: ProductIn) -> Status[ProductOut]:
    """Add a product (ops admin, finance); 409 when the SKU exists. Only cost viewers may send a cost."""
    product = services.product_create(actor=current_user(request), **payload.dict())
    return Status(201, _one_out(request, product))


def _visible_product(request: HttpRequest, product_id: int) -> Product:
    return visible_or_404(selectors.products_visible_to(current_user(request)), product_id)


@router.get("/products/{product_id}", response=ProductOut)
def get_product(request: HttpRequest, product_id: int) -> ProductOut:
    """One product."""
    return _one_out(request, _visible_product(request, product_id))


class ProductPatch(Schema):
    sku: str | None = None
    name: str | None = None
    list_price: Decimal | None = None
    product_line: str | None = None
    unit: str | None = None
    standard_cost: Decimal | None = None
    tax_rate_pct: Decimal | None = None
    active: bool | None = None


@router.patch("/products/{product_id}", response=ProductOut)
def update_product(request: HttpRequest, product_id: int, payload: ProductPatch) -> ProductOut:
    """Change the fields sent (ops admin, finance); `standard_cost: null` clears the cost."""
    changes = payload.model_dump(exclude_unset=True)
    for field in ("sku", "name", "list_price", "unit", "tax_rate_pct", "active"):
        if field in changes and changes[field] is None:
            raise FieldErrors({field: ["不能为空 / Must not be null."]})
    product = services.product_update(
        product=_visible_product(request, product_id), changes=changes, actor=current_user(request)
    )
    return _one_out(request, product)


@router.delete("/products/{product_id}", response={204: None})
def delete_product(request: HttpRequest, product_id: int) -> Status[None]:
    """Remove a product no price list holds (409 otherwise: discontinue it instead)."""
    services.product_delete(product=_visible_product(request, product_id), actor=current_user(request))
    return Status(204, None)


class PriceListRef(Schema):
    id: int
    name: str


class PriceOut(Schema):
    product: int
    sku: str
    customer: int
    on: date
    price: Decimal
    list_price: Decimal
    discount_pct: Decimal
    tax_rate_pct: Decimal
    price_with_tax: Decimal
    source: str
    price_list: PriceListRef | None


@router.get("/products/{product_id}/price", response=PriceOut)
def product_price(request: HttpRequest, product_id: int, customer: int, on: date | None = None) -> PriceOut:
    """The unit price (before tax) a visible customer gets on `on` (today): its most specific
    price list (tier + region > tier > region), else the list price."""
    me = current_user(request)
    product = _visible_product(request, product_id)
    buyer = visible_or_404(customers_visible_to(me), customer, message=f"No customer {customer}.")
    quote = selectors.price_for(product, buyer, on)
    with_tax = (quote.price * (1 + product.tax_rate_pct / 100)).quantize(Decimal("0.01"))
    plist = quote.price_list
    return PriceOut(
        product=product.pk,
        sku=product.sku,
        customer=buyer.pk,
        on=quote.on,
        price=quote.price,
        list_price=quote.list_price,
        discount_pct=quote.discount_pct,
        tax_rate_pct=product.tax_rate_pct,
        price_with_tax=with_tax,
        source=quote.source,
        price_list=PriceListRef(id=plist.pk, name=plist.name) if plist else None,
    )


# ---------------------------------------------------------------------------------------------
# Price lists


class PriceItemOut(Schema):
    product: int
    sku: str
    name: str
    list_price: Decimal
    price: Decimal


class PriceListOut(Schema):
    id: int
    name: str
    region: int | None
    region_name: str | None
    customer_tier: str
    customer_tier_label: str
    valid_from: date
    valid_until: date | None
    active: bool
    note: str
    items: list[PriceItemOut] | None = None


def _price_list_out(plist: PriceList, items: list[PriceListItem] | None = None) -> PriceListOut:
    tiers = selectors.customer_tier_labels()
    return PriceListOut(
        id=plist.pk,
        name=plist.name,
        region=plist.region_id,
        region_name=plist.region.name if plist.region else None,
        customer_tier=plist.customer_tier,
        customer_tier_label=tiers.get(plist.customer_tier, ""),
        valid_from=plist.valid_from,
        valid_until=plist.valid_until,
        active=plist.active,
        note=plist.note,
        items=None
        if items is None
        else [
            PriceItemOut(
                product=i.product_id,
                sku=i.product.sku,
                name=i.product.name,
                list_price=i.product.list_price,
                price=i.price,
            )
            for i in items
        ],
    )


class PriceListPage(Schema):
    items: list[PriceListOut]
    next: str | None


@router.get("/price-lists", response=PriceListPage)
def list_price_lists(request: HttpRequest, cursor: str | None = None, limit: int = 50) -> PriceListPage:
    """Every price list (without its prices; open one for them)."""
    qs = selectors.price_lists_visible_to(current_user(request))
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit)
    return PriceListPage(items=[_price_list_out(p) for p in rows], next=next_cursor)


class PriceListIn(Schema):
    name: str
    valid_from: date
    region: int | None = None
    customer_tier: str = ""
    valid_until: date | None = None
    active: bool = True
    note: str = ""


@router.post("/price-lists", response={201: PriceListOut})
def create_price_list(request: HttpRequest, payload: PriceListIn) -> Status[PriceListOut]:
    """A price list for a region (大区 id), a customer tier (pack code) or both (ops admin, finance)."""
    plist = services.price_list_create(actor=current_user(request), **payload.dict())
    return Status(201, _price_list_out(plist, []))


def _visible_price_list(request: HttpRequest, price_list_id: int) -> PriceList:
    return visible_or_404(selectors.price_lists_visible_to(current_user(request)), price_list_id)


@router.get("/price-lists/{price_list_id}", response=PriceListOut)
def get_price_list(request: HttpRequest, price_list_id: int) -> PriceListOut:
    """One price list with its prices."""
    plist = _visible_price_list(request, price_list_id)
    return _price_list_out(plist, list(selectors.price_list_items(plist)))


class PriceListPatch(Schema):
    name: str | None = None
    region: int | None = None
    customer_tier: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    active: bool | None = None
    note: str | None = None


@router.patch("/price-lists/{price_list_id}", response=PriceListOut)
def update_price_list(request: HttpRequest, price_list_id: int, payload: PriceListPatch) -> PriceListOut:
    """Change the fields sent; `region: null` / `valid_until: null` clear them."""
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    for field in ("name", "valid_from", "active"):
        if field in changes and changes[field] is None:
            raise FieldErrors({field: ["不能为空 / Must not be null."]})
    if "customer_tier" in changes and changes["customer_tier"] is None:
        changes["customer_tier"] = ""
    if "note" in changes and changes["note"] is None:
        changes["note"] = ""
    plist = services.price_list_update(
        price_list=_visible_price_list(request, price_list_id), changes=changes, actor=current_user(request)
    )
    return _price_list_out(plist, list(selectors.price_list_items(plist)))


@router.delete("/price-lists/{price_list_id}", response={204: None})
def delete_price_list(request: HttpRequest, price_list_id: int) -> Status[None]:
    """Remove a price list with its prices (ops admin, finance)."""
    services.price_list_delete(
        price_list=_visible_price_list(request, price_list_id), actor=current_user(request)
    )
    return Status(204, None)


class PriceIn(Schema):
    price: Decimal


@router.put("/price-lists/{price_list_id}/items/{product_id}", response=PriceItemOut)
def set_price(request: HttpRequest, price_list_id: int, product_id: int, payload: PriceIn) -> PriceItemOut:
    """Put a product on the list at a price (before tax), or change its price there."""
    product = _visible_product(request, product_id)
    item = services.price_set(
        price_list=_visible_price_list(request, price_list_id),
        product=product,
        price=payload.price,
        actor=current_user(request),
    )
    return PriceItemOut(
        product=product.pk,
        sku=product.sku,
        name=product.name,
        list_price=product.list_price,
        price=item.price,
    )


@router.delete("/price-lists/{price_list_id}/items/{product_id}", response={204: None})
def remove_price(request: HttpRequest, price_list_id: int, product_id: int) -> Status[None]:
    """Take a product off the list (its customers get the list price again)."""
    services.price_remove(
        price_list=_visible_price_list(request, price_list_id),
        product=_visible_product(request, product_id),
        actor=current_user(request),
    )
    return Status(204, None)
