"""设置 → 产品与价格: the catalogue and price lists; everyone reads, the ops admin and finance edit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from salesflow.catalog import selectors, services
from salesflow.catalog.models import PriceList, Product
from salesflow.catalog.permissions import EDIT_REFUSAL, can_edit_catalog, can_see_cost, can_see_margin
from salesflow.core.errors import Conflict, DomainError, FieldErrors, PermissionDenied, user_message
from salesflow.core.lookups import SEARCH_MAX, visible_or_404
from salesflow.customers.selectors import CustomerFilters, customers_list
from salesflow.org.choices import TeamKind
from salesflow.org.models import Team
from salesflow.org.selectors import current_user
from salesflow.rules.selectors import active_pack

# A catalogue is hundreds of products, not millions: the page shows this many, sorted by SKU.
PAGE_ROWS = 500
PRODUCT_FIELDS = ("sku", "name", "product_line", "unit", "list_price", "standard_cost", "tax_rate_pct")


def _editor(request: HttpRequest) -> Any:
    me = current_user(request)
    if not can_edit_catalog(me):
        raise PermissionDenied(f"{EDIT_REFUSAL} / Only ops admins and finance edit the catalogue.")
    return me


def _dictionary(code: str) -> Any:
    return active_pack()[1].dictionary(code)


def _common(request: HttpRequest) -> dict[str, Any]:
    me = current_user(request)
    return {
        "nav": "settings",
        "can_edit": can_edit_catalog(me),
        "cost_visible": can_see_cost(me),
        "margin_visible": can_see_margin(me),
        "product_lines": _dictionary("product_line"),
        "line_labels": selectors.product_line_labels(),
        "tier_labels": selectors.customer_tier_labels(),
    }


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    """The catalogue: search by SKU or name, filter by product line and on sale; sorted by SKU."""
    me = current_user(request)
    chosen = {k: request.GET.get(k, "").strip()[:SEARCH_MAX] for k in ("q", "product_line", "active")}
    try:
        filters = selectors.product_filters_from(chosen)
    except FieldErrors:
        chosen["active"] = ""
        filters = selectors.product_filters_from(chosen)
    qs = selectors.products_list(user=me, filters=filters).order_by("sku")
    total = qs.count()
    rows = selectors.product_views(me, list(qs[:PAGE_ROWS]))
    export_query = "&".join(f"{k}={v}" for k, v in chosen.items() if v)
    return render(
        request,
        "catalog/product_list.html",
        {
            **_common(request),
            "rows": rows,
            "total": total,
            "truncated": total > PAGE_ROWS,
            "chosen": chosen,
            "export_query": export_query,
        },
    )


def _plain(rate: Decimal) -> str:
    """13.00 → "13", 6.50 → "6.5": a rate as a person types it."""
    text = f"{rate:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _product_values(request: HttpRequest, cost_visible: bool) -> dict[str, Any]:
    values: dict[str, Any] = {f: request.POST.get(f, "").strip()[:300] for f in PRODUCT_FIELDS}
    if not cost_visible:
        values.pop("standard_cost")
    values["active"] = request.POST.get("active") == "1"
    return values


def _form_errors(exc: DomainError) -> dict[str, list[str]]:
    """Errors by field for the form; a refusal without a field goes on top of the form."""
    if isinstance(exc, FieldErrors):
        return exc.errors
    field = exc.context.get("field")
    return {str(field) if field else "form": [user_message(exc)]}


@login_required
def product_create(request: HttpRequest) -> HttpResponse:
    """新建产品 (ops admin, finance): errors appear next to their fields."""
    me = _editor(request)
    cost_visible = can_see_cost(me)
    values: dict[str, Any] = {
        "unit": "件",
        "tax_rate_pct": _plain(services.default_tax_rate()),
        "active": True,
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = _product_values(request, cost_visible)
        try:
            product = services.product_create(
                actor=me,
                sku=values["sku"],
                name=values["name"],
                product_line=values["product_line"],
                unit=values["unit"],
                list_price=values["list_price"],
                standard_cost=values.get("standard_cost") or None,
                tax_rate_pct=values["tax_rate_pct"],
                active=values["active"],
            )
        except (FieldErrors, Conflict, PermissionDenied) as exc:
            errors = _form_errors(exc)
        else:
            messages.success(request, _("已创建产品 %(sku)s") % {"sku": product.sku})
            return redirect("product-detail", product_id=product.pk)
    return render(
        request,
        "catalog/product_form.html",
        {**_common(request), "values": values, "errors": errors, "product": None},
        status=422 if errors else 200,
    )


def _price_checks(me: Any, product: Product, text: str) -> list[dict[str, Any]]:
    """The price each visible customer matching `text` gets for `product` today (at most 10)."""
    if not text:
        return []
    found = list(customers_list(user=me, filters=CustomerFilters(q=text[:SEARCH_MAX])).order_by("name")[:10])
    checks = []
    for customer in found:
        quote = selectors.price_for(product, customer)
        checks.append({"customer": customer, "quote": quote})
    return checks


@login_required
def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    """A product: its fields (editable by the ops admin and finance), its price-list prices, and
    the price a customer gets (查价)."""
    me = current_user(request)
    product = visible_or_404(selectors.products_visible_to(me), product_id)
    cost_visible = can_see_cost(me)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {f: getattr(product, f) for f in PRODUCT_FIELDS if f != "standard_cost"}
    values["tax_rate_pct"] = _plain(product.tax_rate_pct)
    values["active"] = product.active
    if cost_visible:
        values["standard_cost"] = product.standard_cost if product.standard_cost is not None else ""
    if request.method == "POST":
        _editor(request)
        values = _product_values(request, cost_visible)
        changes = dict(values)
        if "standard_cost" in changes:
            changes["standard_cost"] = changes["standard_cost"] or None
        try:
            product = services.product_update(product=product, changes=changes, actor=me)
        except (FieldErrors, Conflict, PermissionDenied) as exc:
            errors = _form_errors(exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("product-detail", product_id=product.pk)
    customer_q = request.GET.get("customer_q", "").strip()[:SEARCH_MAX]
    (view,) = selectors.product_views(me, [product])
    prices = product.price_items.select_related("price_list", "price_list__region").order_by(
        "-price_list__valid_from"
    )
    return render(
        request,
        "catalog/product_form.html",
        {
            **_common(request),
            "product": product,
            "view": view,
            "values": values,
            "errors": errors,
            "prices": prices,
            "customer_q": customer_q,
            "checks": _price_checks(me, product, customer_q),
        },
        status=422 if errors else 200,
    )


def _regions() -> list[Team]:
    return list(Team.objects.filter(kind=TeamKind.REGION).order_by("name"))


def _price_list_values(request: HttpRequest) -> dict[str, Any]:
    values: dict[str, Any] = {
        f: request.POST.get(f, "").strip()[:300]
        for f in ("name", "region", "customer_tier", "valid_from", "valid_until", "note")
    }
    values["active"] = request.POST.get("active") == "1"
    return values


def _price_list_changes(values: dict[str, Any]) -> dict[str, Any]:
    """The posted values as the service takes them (empty region and end date: none)."""
    return {**values, "region": values["region"] or None, "valid_until": values["valid_until"] or None}


@login_required
def price_list_list(request: HttpRequest) -> HttpResponse:
    """The price lists, and a form to add one (ops admin, finance)."""
    me = current_user(request)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "active": True,
        **dict.fromkeys(("name", "region", "customer_tier", "valid_from", "valid_until", "note"), ""),
    }
    if request.method == "POST":
        _editor(request)
        values = _price_list_values(request)
        try:
            plist = services.price_list_create(actor=me, **_price_list_changes(values))
        except (FieldErrors, PermissionDenied) as exc:
            errors = _form_errors(exc)
        else:
            messages.success(request, _("已创建价格表，请添加产品价格"))
            return redirect("price-list-detail", price_list_id=plist.pk)
    lists = list(selectors.price_lists_visible_to(me))
    return render(
        request,
        "catalog/price_lists.html",
        {
            **_common(request),
            "lists": lists,
            "values": values,
            "errors": errors,
            "regions": _regions(),
            "tiers": _dictionary("customer_tier"),
        },
        status=422 if errors else 200,
    )


def _price_list_action(request: HttpRequest, me: Any, plist: PriceList) -> dict[str, list[str]] | None:
    """Run the posted action; errors by field, or None when it succeeded."""
    action = request.POST.get("action", "save")
    try:
        if action == "price":
            product = Product.objects.filter(
                sku=services.normalise_sku(request.POST.get("sku", "")[:60])
            ).first()
            if product is None:
                return {"sku": [_("没有这个型号的产品 / No product with this SKU.")]}
            services.price_set(
                price_list=plist, product=product, price=request.POST.get("price", "")[:30], actor=me
            )
            messages.success(request, _("已设置 %(sku)s 的价格") % {"sku": product.sku})
        elif action == "remove":
            product_id = request.POST.get("product", "")
            product = Product.objects.filter(pk=product_id).first() if product_id.isdigit() else None
            if product is not None:
                services.price_remove(price_list=plist, product=product, actor=me)
                messages.success(request, _("已移除 %(sku)s") % {"sku": product.sku})
        elif action == "delete":
            services.price_list_delete(price_list=plist, actor=me)
            messages.success(request, _("已删除价格表"))
        else:
            changes = _price_list_changes(_price_list_values(request))
            services.price_list_update(price_list=plist, changes=changes, actor=me)
            messages.success(request, _("已保存"))
    except (FieldErrors, Conflict, PermissionDenied) as exc:
        return _form_errors(exc)
    return None


@login_required
def price_list_detail(request: HttpRequest, price_list_id: int) -> HttpResponse:
    """A price list: its scope and validity, and its prices (edited by the ops admin and finance)."""
    me = current_user(request)
    plist = visible_or_404(selectors.price_lists_visible_to(me), price_list_id)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {f: getattr(plist, f) for f in ("name", "customer_tier", "note", "active")}
    values["region"] = str(plist.region_id or "")
    values["valid_from"] = plist.valid_from.isoformat()
    values["valid_until"] = plist.valid_until.isoformat() if plist.valid_until else ""
    if request.method == "POST":
        _editor(request)
        found = _price_list_action(request, me, plist)
        if found is None:
            if request.POST.get("action") == "delete":
                return redirect(reverse("price-list-list"))
            return redirect("price-list-detail", price_list_id=plist.pk)
        errors = found
        if request.POST.get("action", "save") == "save":
            values = _price_list_values(request)
    return render(
        request,
        "catalog/price_list_detail.html",
        {
            **_common(request),
            "plist": plist,
            "items": list(selectors.price_list_items(plist)),
            "values": values,
            "errors": errors,
            "regions": _regions(),
            "tiers": _dictionary("customer_tier"),
            "posted": request.POST if request.method == "POST" else {},
        },
        status=422 if errors else 200,
    )
