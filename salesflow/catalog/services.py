"""Writes of the catalogue: products, price lists and their prices.

Every write checks the actor may edit the catalogue (ops admin, finance) and, for a standard
cost, that the pack lets the actor see costs. Events never carry a cost or margin: the timeline
is read by everyone who may read the product.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from simple_history.utils import bulk_create_with_history

from salesflow.catalog.models import PriceList, PriceListItem, Product
from salesflow.catalog.permissions import (
    COST_FIELDS,
    EDIT_REFUSAL,
    can_edit_catalog,
    can_see_cost,
)
from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.core.models import Event
from salesflow.org.choices import TeamKind
from salesflow.org.models import Team, User
from salesflow.rules.selectors import active_pack

PRODUCT_EDITABLE = (
    "sku",
    "name",
    "product_line",
    "unit",
    "list_price",
    "standard_cost",
    "tax_rate_pct",
    "active",
)
PRICE_LIST_EDITABLE = ("name", "region", "customer_tier", "valid_from", "valid_until", "active", "note")
TEXT_LIMITS = {"sku": 60, "name": 200, "unit": 20}
PRICE_LIST_LIMITS = {"name": 100, "note": 300}
MAX_MONEY = Decimal("1e12")
_SPACES = re.compile(r"\s+")


def normalise_sku(raw: str) -> str:
    """A SKU as stored and compared: half-width (NFKC), upper case, without spaces."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", raw or "")).upper()


def default_tax_rate() -> Decimal:
    """The tax rate (%) a new product gets: the pack's `settings.product_default_tax_rate_pct`."""
    return Decimal(active_pack()[1].settings.product_default_tax_rate_pct)


def _may_edit(actor: User | None) -> None:
    if actor is not None and not can_edit_catalog(actor):
        raise PermissionDenied(f"{EDIT_REFUSAL} / Only ops admins and finance edit the catalogue.")


def _may_set_cost(actor: User | None) -> None:
    if actor is not None and not can_see_cost(actor):
        raise PermissionDenied(
            "无权查看或设置标准成本 / Your role may not see or set standard costs.", field="standard_cost"
        )


def parse_money(
    raw: Any, field: str, errors: dict[str, list[str]], *, required: bool = True
) -> Decimal | None:
    """A non-negative amount of yuan with two decimals; an error naming `field` otherwise."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors.setdefault(field, []).append("必填 / This field is required.")
        return None
    try:
        text = str(raw).replace(",", "").replace("，", "").replace("¥", "").replace("元", "").strip()
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(f"金额不正确“{raw}”，例如 12800.00 / Not an amount.")
        return None
    if not value.is_finite() or value < 0 or value >= MAX_MONEY:
        errors.setdefault(field, []).append(
            "金额应不小于 0 且小于 1 万亿 / Must be 0 or more and below 10^12."
        )
        return None
    return value.quantize(Decimal("0.01"))


def parse_rate(raw: Any, errors: dict[str, list[str]]) -> Decimal | None:
    """A tax rate in percent between 0 and 100."""
    try:
        value = Decimal(str(raw).replace("%", "").strip())
    except (InvalidOperation, ValueError):
        errors.setdefault("tax_rate_pct", []).append(f"税率不正确“{raw}”，例如 13 / Not a percentage.")
        return None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        errors.setdefault("tax_rate_pct", []).append("税率应在 0 到 100 之间 / Between 0 and 100.")
        return None
    return value.quantize(Decimal("0.01"))


def _dictionary_codes(code: str) -> tuple[str, list[str]]:
    dictionary = active_pack()[1].dictionary(code)
    return (dictionary.name, [c.code for c in dictionary.choices]) if dictionary else (code, [])


def _check_code(field: str, value: str, dictionary_code: str, errors: dict[str, list[str]]) -> None:
    if not value:
        return
    name, codes = _dictionary_codes(dictionary_code)
    if value not in codes:
        errors.setdefault(field, []).append(
            f"“{value}” 不在「{name}」中 / not a choice ({', '.join(codes)})."
        )


def _check_texts(values: dict[str, Any], limits: dict[str, int], errors: dict[str, list[str]]) -> None:
    for field, limit in limits.items():
        value = values.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors.setdefault(field, []).append(f"应为不超过 {limit} 字的文本 / At most {limit} characters.")


def _clean_product(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """Checked, normalised values of the product fields present in `values`."""
    clean: dict[str, Any] = {}
    _check_texts({k: v for k, v in values.items() if k in TEXT_LIMITS}, TEXT_LIMITS, errors)
    if "sku" in values:
        clean["sku"] = normalise_sku(str(values["sku"] or ""))
        if not clean["sku"]:
            errors.setdefault("sku", []).append("必填 / This field is required.")
    for field in ("name", "unit"):
        if field in values:
            clean[field] = str(values[field] or "").strip()
            if not clean[field]:
                errors.setdefault(field, []).append("必填 / This field is required.")
    if "product_line" in values:
        clean["product_line"] = str(values["product_line"] or "").strip()
        _check_code("product_line", clean["product_line"], "product_line", errors)
    if "list_price" in values:
        clean["list_price"] = parse_money(values["list_price"], "list_price", errors)
    if "standard_cost" in values:
        clean["standard_cost"] = parse_money(values["standard_cost"], "standard_cost", errors, required=False)
    if "tax_rate_pct" in values:
        clean["tax_rate_pct"] = parse_rate(values["tax_rate_pct"], errors)
    if "active" in values:
        if not isinstance(values["active"], bool):
            errors.setdefault("active", []).append("应为 true 或 false / Must be true or false.")
        clean["active"] = bool(values["active"])
    return clean


def _sku_taken(sku: str, exclude: int | None = None) -> Product | None:
    qs = Product.objects.filter(sku=sku)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.first()


def _visible_fields(fields: list[str]) -> list[str]:
    # Events are read by everyone who reads the product: the cost is never named in them.
    return [f for f in fields if f not in COST_FIELDS]


def _labels(model: Any, fields: list[str]) -> str:
    return "、".join(str(model._meta.get_field(f).verbose_name) for f in fields)


def _save_changes(
    locked: Product | PriceList,
    values: dict[str, Any],
    fields: list[str],
    *,
    shown: list[str],
    event: str,
    actor: User | None,
    now: datetime,
) -> None:
    """Write the changed `fields` of a locked product or price list and record `event` naming
    the `shown` ones (inside the caller's transaction)."""
    for field in fields:
        setattr(locked, field, values[field])
    locked.updated_at = now
    attach_actor(locked, actor, now)
    locked.save(update_fields=[*fields, "updated_at"])
    events.record(
        name=event,
        subject=locked,
        actor=actor,
        occurred_at=now,
        payload={"fields": shown, "changed": _labels(type(locked), shown)},
    )


def product_create(
    *,
    sku: str,
    name: str,
    list_price: Any,
    actor: User | None,
    product_line: str = "",
    unit: str = "件",
    standard_cost: Any = None,
    tax_rate_pct: Any = None,
    active: bool = True,
    now: datetime | None = None,
) -> Product:
    """Add a product to the catalogue; a SKU that exists already is a Conflict naming it."""
    _may_edit(actor)
    if standard_cost not in (None, ""):
        _may_set_cost(actor)
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    values = _clean_product(
        {
            "sku": sku,
            "name": name,
            "product_line": product_line,
            "unit": unit,
            "list_price": list_price,
            "standard_cost": standard_cost,
            "tax_rate_pct": default_tax_rate() if tax_rate_pct in (None, "") else tax_rate_pct,
            "active": active,
        },
        errors,
    )
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        existing = _sku_taken(values["sku"])
        if existing is not None:
            raise Conflict(
                f"型号已存在：{existing.sku}（{existing.name}） / This SKU exists already.",
                field="sku",
                product={"id": existing.pk, "sku": existing.sku},
            )
        product = Product(**values, created_at=now, updated_at=now)
        attach_actor(product, actor, now)
        try:
            with transaction.atomic():
                product.save()
        except IntegrityError as exc:  # the same SKU committed by someone else a moment ago
            raise Conflict(f"型号已存在：{values['sku']} / This SKU exists already.", field="sku") from exc
        events.record(
            name="product.created",
            subject=product,
            actor=actor,
            occurred_at=now,
            payload={"sku": product.sku, "name": product.name},
        )
    return product


def product_update(
    *, product: Product, changes: dict[str, Any], actor: User | None, now: datetime | None = None
) -> Product:
    """Change a product's fields (only those that differ are written; a history row and an event)."""
    _may_edit(actor)
    unknown = sorted(set(changes) - set(PRODUCT_EDITABLE))
    if unknown:
        raise FieldErrors({f: ["不能修改此字段 / Not an editable field."] for f in unknown})
    if set(changes) & COST_FIELDS:
        _may_set_cost(actor)
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    values = _clean_product(changes, errors)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        if "sku" in values and values["sku"] != locked.sku:
            existing = _sku_taken(values["sku"], exclude=locked.pk)
            if existing is not None:
                raise Conflict(
                    f"型号已存在：{existing.sku}（{existing.name}） / This SKU exists already.",
                    field="sku",
                    product={"id": existing.pk, "sku": existing.sku},
                )
        fields = [f for f, v in values.items() if getattr(locked, f) != v]
        if not fields:
            return locked
        # Events never carry a cost field's name, let alone its value.
        _save_changes(
            locked,
            values,
            fields,
            shown=_visible_fields(fields),
            event="product.updated",
            actor=actor,
            now=now,
        )
    return locked


def product_delete(*, product: Product, actor: User | None, now: datetime | None = None) -> None:
    """Remove a product nothing refers to; one on a price list (or, later, a quote) is a Conflict."""
    _may_edit(actor)
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        if PriceListItem.objects.filter(product=locked).exists():
            raise Conflict(
                "该产品在价格表中有价格，不能删除；可改为停售 / On a price list: discontinue it instead.",
                field="product",
            )
        attach_actor(locked, actor, now or clock.now())
        try:
            locked.delete()
        except ProtectedError as exc:
            raise Conflict(
                "该产品已被引用，不能删除；可改为停售 / In use: discontinue it instead.", field="product"
            ) from exc


def products_bulk_create(
    *,
    rows: list[dict[str, Any]],
    actor: User | None,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> list[Product]:
    """Create many validated products at once (the import): rows, history rows and events.

    The caller validated the rows (imports.validation); SKUs are checked again inside the
    transaction in case someone added one since.
    """
    _may_edit(actor)

    def given(value: Any) -> Any:
        # The importer leaves an empty cell as "": the field's default then.
        return None if value in (None, "") else value

    if any(given(r.get("standard_cost")) is not None for r in rows):
        _may_set_cost(actor)
    with transaction.atomic():
        clash = Product.objects.filter(sku__in=[r["sku"] for r in rows]).first()
        if clash is not None:
            raise Conflict(f"型号已存在：{clash.sku} / This SKU exists already.", field="sku")
        tax = default_tax_rate()
        batch = [
            Product(
                sku=r["sku"],
                name=r["name"],
                product_line=r.get("product_line") or "",
                unit=r.get("unit") or "件",
                list_price=r["list_price"],
                standard_cost=given(r.get("standard_cost")),
                tax_rate_pct=tax if given(r.get("tax_rate_pct")) is None else r["tax_rate_pct"],
                active=r["active"] if isinstance(r.get("active"), bool) else True,
                created_at=now,
                updated_at=now,
            )
            for r in rows
        ]
        saved = bulk_create_with_history(
            batch, Product, batch_size=1000, default_user=actor, default_date=now
        )
        if len(saved) and saved[0].pk is None:  # backends that do not return ids
            saved = list(Product.objects.filter(sku__in=[p.sku for p in batch]))
        events.bulk_record(
            [
                Event(
                    name="product.created",
                    subject_type=events.subject_type_of(p),
                    subject_id=p.pk,
                    actor_id=getattr(actor, "pk", None),
                    payload={"sku": p.sku, "name": p.name, "via": "import"},
                    occurred_at=now,
                )
                for p in saved
            ]
        )
        if progress:
            progress(len(saved), len(rows))
    return saved


# ---------------------------------------------------------------------------------------------
# Price lists


def _clean_price_list(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    _check_texts({k: v for k, v in values.items() if k in PRICE_LIST_LIMITS}, PRICE_LIST_LIMITS, errors)
    if "name" in values:
        clean["name"] = str(values["name"] or "").strip()
        if not clean["name"]:
            errors.setdefault("name", []).append("必填 / This field is required.")
    if "note" in values:
        clean["note"] = str(values["note"] or "").strip()
    if "region" in values:
        region = values["region"]
        if region is not None and not isinstance(region, Team):
            region = Team.objects.filter(pk=region).first() if str(region).isdigit() else None
            if region is None:
                errors.setdefault("region", []).append("没有这个大区 / No such region.")
        if isinstance(region, Team) and region.kind != TeamKind.REGION:
            errors.setdefault("region", []).append(f"“{region.name}”不是大区 / Not a region.")
        clean["region"] = region if isinstance(region, Team) else None
    if "customer_tier" in values:
        clean["customer_tier"] = str(values["customer_tier"] or "").strip()
        _check_code("customer_tier", clean["customer_tier"], "customer_tier", errors)
    for field in ("valid_from", "valid_until"):
        if field in values:
            value = values[field]
            if isinstance(value, str) and value.strip():
                try:
                    value = date.fromisoformat(value.strip())
                except ValueError:
                    errors.setdefault(field, []).append(
                        f"日期格式不正确“{value}”，例如 2026-01-01 / Not a date."
                    )
                    value = None
            elif value in ("", None):
                value = None
            if field == "valid_from" and value is None and field not in errors:
                errors.setdefault(field, []).append("必填 / This field is required.")
            clean[field] = value
    if "active" in values:
        clean["active"] = bool(values["active"])
    return clean


def _check_price_list_whole(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    if values.get("region") is None and not values.get("customer_tier") and "region" not in errors:
        errors.setdefault("customer_tier", []).append(
            "请选择大区或客户等级（至少一项） / Choose a region, a customer tier or both."
        )
    start, end = values.get("valid_from"), values.get("valid_until")
    if start is not None and end is not None and end < start:
        errors.setdefault("valid_until", []).append(
            "截止日期不能早于生效日期 / Must not be before the start."
        )


def price_list_create(
    *,
    name: str,
    valid_from: Any,
    actor: User | None,
    region: Any = None,
    customer_tier: str = "",
    valid_until: Any = None,
    active: bool = True,
    note: str = "",
    now: datetime | None = None,
) -> PriceList:
    """Create a price list for a region, a customer tier or both, valid from a day (to a day)."""
    _may_edit(actor)
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    values = _clean_price_list(
        {
            "name": name,
            "region": region,
            "customer_tier": customer_tier,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "active": active,
            "note": note,
        },
        errors,
    )
    _check_price_list_whole(values, errors)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        price_list = PriceList(**values, created_at=now, updated_at=now)
        attach_actor(price_list, actor, now)
        price_list.save()
        events.record(
            name="price_list.created",
            subject=price_list,
            actor=actor,
            occurred_at=now,
            payload={"name": price_list.name},
        )
    return price_list


def price_list_update(
    *, price_list: PriceList, changes: dict[str, Any], actor: User | None, now: datetime | None = None
) -> PriceList:
    """Change a price list's name, scope, validity, state or note."""
    _may_edit(actor)
    unknown = sorted(set(changes) - set(PRICE_LIST_EDITABLE))
    if unknown:
        raise FieldErrors({f: ["不能修改此字段 / Not an editable field."] for f in unknown})
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    values = _clean_price_list(changes, errors)
    merged = {f: values.get(f, getattr(price_list, f)) for f in PRICE_LIST_EDITABLE}
    _check_price_list_whole(merged, errors)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = PriceList.objects.select_for_update().get(pk=price_list.pk)
        fields = [f for f, v in values.items() if getattr(locked, f) != v]
        if not fields:
            return locked
        _save_changes(locked, values, fields, shown=fields, event="price_list.updated", actor=actor, now=now)
    return locked


def price_list_delete(*, price_list: PriceList, actor: User | None, now: datetime | None = None) -> None:
    """Remove a price list and its prices (quotes keep the prices they were given)."""
    _may_edit(actor)
    with transaction.atomic():
        locked = PriceList.objects.select_for_update().get(pk=price_list.pk)
        attach_actor(locked, actor, now or clock.now())
        locked.delete()


def price_set(
    *, price_list: PriceList, product: Product, price: Any, actor: User | None, now: datetime | None = None
) -> PriceListItem:
    """Put `product` on `price_list` at `price`, or change its price there."""
    _may_edit(actor)
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    amount = parse_money(price, "price", errors)
    if errors or amount is None:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = PriceList.objects.select_for_update().get(pk=price_list.pk)
        item = PriceListItem.objects.filter(price_list=locked, product=product).first()
        if item is not None and item.price == amount:
            return item
        old = item.price if item is not None else None
        item = item or PriceListItem(price_list=locked, product=product)
        item.price = amount
        attach_actor(item, actor, now)
        item.save()
        locked.updated_at = now
        locked.save(update_fields=["updated_at"])
        events.record(
            name="price_list.price_set",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"product": product.pk, "sku": product.sku, "price": str(amount), "old": str(old or "")},
        )
    return item


def price_remove(
    *, price_list: PriceList, product: Product, actor: User | None, now: datetime | None = None
) -> None:
    """Take `product` off `price_list` (its customers get the list price again)."""
    _may_edit(actor)
    now = now or clock.now()
    with transaction.atomic():
        locked = PriceList.objects.select_for_update().get(pk=price_list.pk)
        item = PriceListItem.objects.filter(price_list=locked, product=product).first()
        if item is None:
            return
        attach_actor(item, actor, now)
        item.delete()
        events.record(
            name="price_list.price_removed",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"product": product.pk, "sku": product.sku},
        )
