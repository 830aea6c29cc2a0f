"""Opportunities (商机) moving through a stage template of the rule pack."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesflow.pipeline.choices import OpportunityStatus


class Opportunity(models.Model):
    """A deal with one customer, in one stage of one pipeline (a pack stage template)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("客户")
    )
    title = models.CharField(_("商机名称"), max_length=200)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2, default=0)
    expected_close = models.DateField(_("预计成交"), null=True, blank=True)
    product_lines = models.JSONField(_("产品线"), default=list, blank=True)
    pipeline = models.CharField(_("销售流程"), max_length=60)
    stage = models.CharField(_("阶段"), max_length=60)
    stage_entered_at = models.DateTimeField(_("进入阶段时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunities",
        verbose_name=_("负责人"),
    )
    lead = models.OneToOneField(
        "leads.Lead",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunity",
        verbose_name=_("来源线索"),
    )
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("商机")
        indexes = [models.Index(fields=["owner", "status"], name="opportunity_owner_status")]

    def __str__(self) -> str:
        return self.title
