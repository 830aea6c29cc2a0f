"""Quotes (报价): a quote belongs to an opportunity and its customer and has numbered versions.

A version is edited while it is a draft; once sent it never changes, and a revision makes the
next version. Lines keep a snapshot of the product (SKU, name, unit, tax rate) and, for the
roles the pack lets see it, the unit cost — never shown or exported to anyone else.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesflow.quotes.choices import QuoteState


class Quote(models.Model):
    """A quote thread for one opportunity: its number, state and current version."""

    number = models.CharField(_("报价单号"), max_length=30, unique=True)
    opportunity = models.ForeignKey(
        "pipeline.Opportunity", on_delete=models.PROTECT, related_name="quotes", verbose_name=_("商机")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="quotes", verbose_name=_("客户")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("负责人")
    )
    title = models.CharField(_("报价名称"), max_length=200)
    state = models.CharField(_("状态"), max_length=20, choices=QuoteState.choices, default=QuoteState.DRAFT)
    current_version = models.PositiveIntegerField(_("当前版本"), default=1)
    # The current version's figures, kept here so lists sort and sum without a join.
    total = models.DecimalField(_("含税总额"), max_digits=14, decimal_places=2, default=0)
    health_score = models.IntegerField(_("健康度"), default=0)
    special = models.BooleanField(_("特殊报价"), default=False)
    sent_at = models.DateTimeField(_("发出时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("报价")
        verbose_name_plural = _("报价")
        indexes = [
            models.Index(fields=["owner", "state"], name="quote_owner_state"),
            models.Index(fields=["customer", "sent_at"], name="quote_customer_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class QuoteVersion(models.Model):
    """One version of a quote: terms, clauses, totals and the health score; frozen once sent."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    valid_until = models.DateField(_("有效期至"))
    payment_terms = models.CharField(_("付款条件"), max_length=200, blank=True)
    delivery_terms = models.CharField(_("交货条件"), max_length=200, blank=True)
    # [{"code", "title", "text"}] taken from the pack's clause templates when the version was made.
    clauses = models.JSONField(_("条款"), default=list, blank=True)
    risk_note = models.CharField(_("风险说明"), max_length=500, blank=True)
    list_total = models.DecimalField(_("标价合计"), max_digits=14, decimal_places=2, default=0)
    subtotal = models.DecimalField(_("未税合计"), max_digits=14, decimal_places=2, default=0)
    tax = models.DecimalField(_("税额"), max_digits=14, decimal_places=2, default=0)
    total = models.DecimalField(_("含税合计"), max_digits=14, decimal_places=2, default=0)
    max_discount_pct = models.DecimalField(_("最大折扣（%）"), max_digits=5, decimal_places=1, default=0)
    # Hidden from every role the pack's field permissions do not name (cost and margin).
    cost_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    margin_pct = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    health_score = models.IntegerField(_("健康度"), default=0)
    health_factors = models.JSONField(default=list, blank=True)
    special = models.BooleanField(_("特殊报价"), default=False)
    special_reasons = models.JSONField(default=list, blank=True)
    approved_at = models.DateTimeField(_("审批通过时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发出时间"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The immutable PDF snapshot (报价快照) rendered when the version was sent, with its SHA-256,
    # and the public share link printed on it as a QR code.
    pdf = models.FileField(upload_to="quotes/pdf/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    share_link = models.ForeignKey(
        "core.PublicLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["quote", "number"]
        verbose_name = _("报价版本")
        constraints = [models.UniqueConstraint(fields=["quote", "number"], name="unique_quote_version")]

    def __str__(self) -> str:
        return f"{self.quote_id} v{self.number}"


class QuoteLine(models.Model):
    """A product line of a version: quantity, price, discount and totals before tax."""

    version = models.ForeignKey(QuoteVersion, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(_("型号"), max_length=60)
    name = models.CharField(_("产品名称"), max_length=200)
    unit = models.CharField(_("单位"), max_length=20)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2)
    # The customer's price before discount: its price list's, else the catalogue's list price.
    list_price = models.DecimalField(_("标价"), max_digits=14, decimal_places=2)
    discount_pct = models.DecimalField(_("折扣（%）"), max_digits=5, decimal_places=1, default=0)
    net_price = models.DecimalField(_("成交单价"), max_digits=14, decimal_places=2)
    line_total = models.DecimalField(_("小计（未税）"), max_digits=14, decimal_places=2)
    tax_rate_pct = models.DecimalField(_("税率（%）"), max_digits=5, decimal_places=2)
    unit_cost = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = _("报价行")

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


class QuoteAttachment(models.Model):
    """A supporting document of a quote (技术方案, 竞品对比表), checked by its content on upload."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="attachments")
    # A code of the pack's `quotes.documents`.
    code = models.CharField(_("材料"), max_length=40)
    file = models.FileField(upload_to="quotes/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("报价附件")

    def __str__(self) -> str:
        return f"{self.code} {self.original_name}"


class QuoteSectionView(models.Model):
    """How a customer read one section (a clause, the lines, the totals) of a sent version through
    its share link: how often it came into view and for how long. Repeated views of one clause
    prompt the rep to call (once per section)."""

    version = models.ForeignKey(QuoteVersion, on_delete=models.CASCADE, related_name="section_views")
    section = models.CharField(max_length=40)
    views = models.PositiveIntegerField(default=0)
    seconds = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField()
    prompted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version", "section"]
        verbose_name = _("报价阅读记录")
        constraints = [
            models.UniqueConstraint(fields=["version", "section"], name="unique_quote_section_view")
        ]

    def __str__(self) -> str:
        return f"{self.version_id} {self.section} ×{self.views}"
