"""The product catalogue (产品) and price lists (价格表) that override list prices per region or tier.

A later quote line references a `Product` and takes its unit price from `selectors.price_for`,
so the price a customer gets is decided in one place.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Product(models.Model):
    """A model / SKU (型号) that can be quoted: list price, standard cost, tax rate, product line."""

    # Normalised on save by the service: NFKC, upper case, no spaces (see services.normalise_sku).
    sku = models.CharField(_("型号"), max_length=60, unique=True)
    name = models.CharField(_("产品名称"), max_length=200)
    # A code of the pack's `product_line` dictionary.
    product_line = models.CharField(_("产品线"), max_length=50, blank=True)
    unit = models.CharField(_("单位"), max_length=20, default="件")
    list_price = models.DecimalField(_("目录价"), max_digits=14, decimal_places=2)
    # Visible only to the roles of the pack's `field_permissions["product.standard_cost"]`.
    standard_cost = models.DecimalField(_("标准成本"), max_digits=14, decimal_places=2, null=True, blank=True)
    tax_rate_pct = models.DecimalField(_("税率（%）"), max_digits=5, decimal_places=2)
    active = models.BooleanField(_("在售"), default=True)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["sku"]
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        indexes = [models.Index(fields=["product_line", "active"], name="product_line_active")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class PriceList(models.Model):
    """Prices that override the list price for customers of a region, a tier, or both, in a period.

    At least one of `region` and `customer_tier` is set (a list for nobody in particular would
    be the list price). `valid_until` is inclusive; empty means open-ended.
    """

    name = models.CharField(_("价格表名称"), max_length=100)
    region = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("大区"),
    )
    # A code of the pack's `customer_tier` dictionary.
    customer_tier = models.CharField(_("客户等级"), max_length=50, blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("价格表")
        verbose_name_plural = _("价格表")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(region__isnull=True, customer_tier=""),
                name="price_list_has_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="price_list_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    """One product's price on one price list."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="price_items")
    price = models.DecimalField(_("价格"), max_digits=14, decimal_places=2)
    history = HistoricalRecords()

    class Meta:
        ordering = ["price_list", "product__sku"]
        verbose_name = _("价格表条目")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="unique_price_list_product")
        ]
        indexes = [models.Index(fields=["product", "price_list"], name="price_item_product")]

    def __str__(self) -> str:
        return f"{self.price_list}: {self.product_id} ¥{self.price}"
