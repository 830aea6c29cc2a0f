"""Opportunities (商机) moving through a stage template of the rule pack."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
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
    last_update_at = models.DateTimeField(_("最近更新"), null=True, blank=True)
    lost_reason = models.CharField(_("输单原因"), max_length=60, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
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

    # Not a column: the current stage's evidence status (`selectors.EvidenceStatus`) when the
    # service that moved the opportunity read it along with the stages it checked, so the answer
    # does not read it again.
    current_evidence: Any = None

    class Meta:
        ordering = ["-id"]
        verbose_name = _("商机")
        indexes = [
            models.Index(fields=["owner", "status"], name="opportunity_owner_status"),
            # The cockpit's and the battle report's closings in a period.
            models.Index(fields=["closed_at"], name="opportunity_closed_at"),
            # The battle report's red deals: open ones by last update (the light's clock), so the
            # longest-waiting few are read in order instead of sorting every open deal.
            models.Index(
                Coalesce(F("last_update_at"), F("stage_entered_at")),
                F("id"),
                name="opportunity_open_last_update",
                condition=Q(status="open"),
            ),
            # The board's columns: each stage's longest-waiting open deals read in order, a
            # LIMIT per stage, instead of ranking every open deal of the pipeline (issue #15);
            # with the amount, the columns' counts and sums are an index-only scan.
            models.Index(
                fields=["pipeline", "stage", "stage_entered_at", "id", "amount"],
                name="opportunity_open_stage_entered",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class StageVisit(models.Model):
    """One stay of an opportunity in a stage: entered and exited with time, actor and reason."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_visits")
    pipeline = models.CharField(max_length=60)
    stage = models.CharField(max_length=60)
    entered_at = models.DateTimeField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entry_reason = models.CharField(max_length=300, blank=True)
    exited_at = models.DateTimeField(null=True, blank=True)
    exited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    exit_reason = models.CharField(max_length=300, blank=True)
    # The owner's team when the stay ended, so team averages stay right after a transfer.
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["entered_at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "entered_at"], name="stagevisit_opportunity"),
            models.Index(fields=["pipeline", "team", "stage"], name="stagevisit_dwell"),
            # The cockpit's stage entries and completed stays in a period.
            models.Index(fields=["pipeline", "entered_at"], name="stagevisit_pipeline_entered"),
            models.Index(fields=["pipeline", "exited_at"], name="stagevisit_pipeline_exited"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id} in {self.stage}"


class Visit(models.Model):
    """A visit task package (拜访任务包): a code, a link (QR) and the evidence it needs."""

    class Status(models.TextChoices):
        OPEN = "open", _("待完成")
        COMPLETED = "completed", _("已完成")

    code = models.CharField(max_length=32, unique=True)
    package = models.CharField(_("任务包"), max_length=60)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="visits")
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    planned_at = models.DateTimeField(_("计划时间"), null=True, blank=True)
    address = models.CharField(_("地点"), max_length=300, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    need_change = models.CharField(_("需求变化"), max_length=200, blank=True)
    competitor_news = models.CharField(_("竞品动态"), max_length=200, blank=True)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("拜访")

    def __str__(self) -> str:
        return f"{self.customer} {self.code}"


class Evidence(models.Model):
    """One piece of evidence for an opportunity's stage or a visit item; immutable once locked."""

    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    stage = models.CharField(max_length=60, blank=True)
    requirement = models.CharField(max_length=60)
    kind = models.CharField(max_length=30)
    file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    phash = models.CharField(max_length=16, blank=True, db_index=True)
    text = models.TextField(blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    exif_taken_at = models.DateTimeField(null=True, blank=True)
    exif_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    exif_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("证据")
        indexes = [
            models.Index(fields=["opportunity", "stage"], name="evidence_opportunity_stage"),
            # Evidence-backed actions in a period (heatmap, health, battle report).
            models.Index(fields=["uploaded_at"], name="evidence_uploaded_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.requirement}"
