"""Contracts (合同) and collections (回款).

Accepting a quote makes a contract draft that copies the accepted version's lines and clauses.
Its payment plan is a list of instalments, each a share of the amount due a number of days
after a milestone (signing, delivery, acceptance) or on a fixed date; the due date is known
once the milestone happens. Finance records the money received against an instalment,
partial payments included; the contract keeps the sum so lights and lists need no join.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesflow.contracts.choices import ContractState, InstalmentState, Milestone


class Contract(models.Model):
    """A sales contract made from an accepted quote: parties, amount, lines, clauses, state."""

    number = models.CharField(_("合同编号"), max_length=30, unique=True)
    quote = models.ForeignKey(
        "quotes.Quote", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("报价")
    )
    quote_version = models.PositiveIntegerField(_("报价版本"))
    opportunity = models.ForeignKey(
        "pipeline.Opportunity", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("商机")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("客户")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("负责人")
    )
    project_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_contracts",
        verbose_name=_("项目经理"),
    )
    title = models.CharField(_("合同名称"), max_length=200)
    state = models.CharField(
        _("状态"), max_length=20, choices=ContractState.choices, default=ContractState.DRAFT
    )
    amount = models.DecimalField(_("合同金额（含税）"), max_digits=14, decimal_places=2)
    # The accepted version's lines as sold:
    # [{sku, name, unit, quantity, net_price, line_total, tax_rate_pct, product_id}].
    lines = models.JSONField(_("合同明细"), default=list)
    # Numbered clauses [{code, title, text}]; `deviations` counts those not equal to a pack template.
    clauses = models.JSONField(_("条款"), default=list, blank=True)
    deviations = models.PositiveIntegerField(_("偏离模板条款数"), default=0)
    payment_terms = models.CharField(_("付款条件"), max_length=200, blank=True)
    delivery_terms = models.CharField(_("交货条件"), max_length=200, blank=True)
    reviewed_at = models.DateTimeField(_("法务审核通过时间"), null=True, blank=True)
    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    signed_file = models.FileField(upload_to="contracts/%Y/%m/", blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    delivered_on = models.DateField(_("交付日期"), null=True, blank=True)
    accepted_on = models.DateField(_("验收日期"), null=True, blank=True)
    termination_reason = models.CharField(_("终止原因"), max_length=500, blank=True)
    received_total = models.DecimalField(_("已回款"), max_digits=14, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        indexes = [models.Index(fields=["owner", "state"], name="contract_owner_state")]
        constraints = [
            # One live contract per quote: a terminated one may be followed by a new one.
            models.UniqueConstraint(
                fields=["quote"],
                condition=~models.Q(state="terminated"),
                name="one_live_contract_per_quote",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Instalment(models.Model):
    """One instalment of a contract's payment plan (回款节点): amount, when it falls due, and
    what has been requested and received against it."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="instalments")
    position = models.PositiveIntegerField()
    name = models.CharField(_("回款节点"), max_length=40)
    pct = models.DecimalField(_("比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)
    milestone = models.CharField(_("触发节点"), max_length=12, choices=Milestone.choices)
    days = models.PositiveIntegerField(_("节点后天数"), default=0)
    # Known once the milestone happened (or fixed from the start for `date`).
    due_date = models.DateField(_("到期日"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=InstalmentState.choices, default=InstalmentState.PLANNED
    )
    received = models.DecimalField(_("已回款"), max_digits=14, decimal_places=2, default=0)
    requested_at = models.DateTimeField(_("请款时间"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_note = models.CharField(_("请款说明"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "position"]
        verbose_name = _("回款节点")
        indexes = [models.Index(fields=["state", "due_date"], name="instalment_state_due")]
        constraints = [
            models.UniqueConstraint(fields=["contract", "position"], name="unique_instalment_position")
        ]

    def __str__(self) -> str:
        return f"{self.name} ¥{self.amount}"

    @property
    def outstanding(self) -> object:
        """What is still to collect."""
        return self.amount - self.received


class PaymentReceipt(models.Model):
    """Money received against an instalment (回款登记), recorded by finance."""

    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="receipts")
    amount = models.DecimalField(_("回款金额"), max_digits=14, decimal_places=2)
    received_on = models.DateField(_("到账日期"))
    bank_reference = models.CharField(_("银行流水号"), max_length=60)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("回款记录")
        constraints = [
            models.UniqueConstraint(fields=["instalment", "bank_reference"], name="unique_receipt_reference")
        ]

    def __str__(self) -> str:
        return f"{self.bank_reference} ¥{self.amount}"


class ContractSequence(models.Model):
    """The last contract number given in a year (HT-2026-000123), locked while the next is taken."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
