"""Customers (客户), their contacts and orders, notes (private ones are their author's alone), and
temporary grants (临时授权) of a customer's quote history to a colleague, with their read log."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesflow.customers.choices import GrantReadKind, GrantScope


class Customer(models.Model):
    """A buying organisation (hospital, distributor, factory); owned by a rep or in the pool."""

    name = models.CharField(_("客户名称"), max_length=200)
    name_key = models.CharField(max_length=200, db_index=True, editable=False)
    # Search keys: full pinyin and initials of the name, and the contacts' names and phones.
    search_text = models.TextField(blank=True, editable=False)
    initials = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    # The initials' first letter + any two later letters, in order (`services.initials_grams`):
    # under the trigram index, they narrow the anchored-subsequence match of initials.
    initials_grams = models.TextField(blank=True, editable=False)
    region = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("区域"),
    )
    industry_segment = models.CharField(_("行业细分"), max_length=50, blank=True)
    customer_tier = models.CharField(_("客户等级"), max_length=50, blank=True)
    customer_class = models.CharField(_("客户分级"), max_length=50, blank=True)
    proposed_class = models.CharField(_("待确认分级"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    payment_term = models.CharField(_("付款条件偏好"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("负责人"),
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    last_interaction_at = models.DateTimeField(_("最近有效互动"), null=True, blank=True)
    health_score = models.IntegerField(_("健康度"), default=0)
    health_factors = models.JSONField(default=list, blank=True)
    # Mirrors an active `rules.Freeze` of scope "quoting" (kept by rules.services.freeze_set and
    # freeze_lift), so pack conditions can read `customer.quoting_frozen` like any other field.
    quoting_frozen = models.BooleanField(_("报价已冻结"), default=False, editable=False)
    created_at = models.DateTimeField()
    history = HistoricalRecords(
        excluded_fields=[
            "health_factors",
            "search_text",
            "initials",
            "initials_grams",
            "name_key",
            "quoting_frozen",
        ]
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("客户")
        indexes = [models.Index(fields=["owner", "id"], name="customer_owner")]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=100)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("手机"), max_length=40, blank=True)
    phone_key = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    email = models.CharField(_("邮箱"), max_length=200, blank=True)
    email_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField()
    history = HistoricalRecords(excluded_fields=["phone_key", "email_key"])

    class Meta:
        ordering = ["id"]
        verbose_name = _("联系人")

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """A purchase: entered, imported from the ERP's Excel, or created by a won contract."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    ordered_on = models.DateField(_("下单日期"))
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)
    product_lines = models.JSONField(_("产品线"), default=list, blank=True)
    models_bought = models.CharField(_("型号"), max_length=300, blank=True)
    payment_term = models.CharField(_("付款条件"), max_length=100, blank=True)
    reference = models.CharField(_("订单号"), max_length=60, blank=True)
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-ordered_on", "-id"]
        verbose_name = _("订单")
        indexes = [models.Index(fields=["customer", "ordered_on"], name="order_customer_date")]

    def __str__(self) -> str:
        return f"{self.customer} {self.ordered_on} ¥{self.amount}"


class CustomerNote(models.Model):
    """A note on a customer; a private one is readable by its author only (no history rows)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("内容"))
    private = models.BooleanField(_("仅自己可见"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("客户备注")
        indexes = [models.Index(fields=["customer", "author"], name="note_customer_author")]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.customer_id}"


class CustomerGrant(models.Model):
    """A temporary grant (临时授权): a colleague may read one customer's records of `scope` (today its
    quote history) from `starts_at` until `expires_at`, unless revoked earlier. The pack's
    `customer_grant_expiry` timer marks it expired; reads check the period themselves as well."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="grants", verbose_name=_("客户")
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="customer_grants",
        verbose_name=_("被授权人"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("授权人")
    )
    scope = models.CharField(
        _("授权范围"), max_length=20, choices=GrantScope.choices, default=GrantScope.QUOTES
    )
    reason = models.CharField(_("授权原因"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expired_at = models.DateTimeField(_("到期收回时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("临时授权")
        indexes = [
            models.Index(fields=["grantee", "scope", "expires_at"], name="grant_grantee_live"),
            models.Index(fields=["customer", "starts_at"], name="grant_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.grantee}"

    def is_live(self, now: datetime) -> bool:
        """Whether the grant lets its grantee read at `now`."""
        return self.revoked_at is None and self.expired_at is None and self.starts_at <= now < self.expires_at


class GrantRead(models.Model):
    """One read by a grantee through a temporary grant: what (list, quote, PDF, export) and when."""

    grant = models.ForeignKey(CustomerGrant, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("查看内容"), max_length=20, choices=GrantReadKind.choices)
    object_id = models.BigIntegerField(null=True, blank=True)
    object_label = models.CharField(max_length=100, blank=True)
    read_at = models.DateTimeField(_("查看时间"))

    class Meta:
        ordering = ["-read_at", "-id"]
        verbose_name = _("授权查看记录")
        indexes = [models.Index(fields=["grant", "read_at"], name="grant_read_time")]

    def __str__(self) -> str:
        return f"{self.grant_id} {self.kind} {self.read_at}"
