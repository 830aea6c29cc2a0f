"""Leads (线索), the web forms that capture them, and the behaviour events that score them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesflow.leads.choices import OPEN_STATUSES, LeadStatus


class IntakeForm(models.Model):
    """A website form posting to `/api/v1/intake/<key>`: required fields, mapping, defaults."""

    name = models.CharField(_("名称"), max_length=100)
    code = models.SlugField(
        _("代码"), max_length=60, default="website", help_text=_("规则包 required_fields 中的 form 名称")
    )
    key = models.CharField(max_length=64, unique=True, help_text="Unguessable public key.")
    required_fields = models.JSONField(_("必填字段"), default=list, blank=True)
    field_mapping = models.JSONField(
        _("字段映射"), default=dict, blank=True, help_text=_("网站字段名 → 线索字段名")
    )
    default_source = models.CharField(_("默认来源"), max_length=60, blank=True)
    allowed_origins = models.JSONField(_("允许的来源站点"), default=list, blank=True)
    team = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("只分配给该团队（含下级）"),
    )
    honeypot_field = models.CharField(max_length=40, default="hp_website")
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("网站表单")

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    """A prospective buyer captured from a form, an import or by hand; owned or pooled."""

    name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("手机"), max_length=40, blank=True)
    phone_key = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    email = models.CharField(_("邮箱"), max_length=200, blank=True)
    email_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    company = models.CharField(_("公司"), max_length=200, blank=True)
    company_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    industry_segment = models.CharField(_("行业细分"), max_length=50, blank=True)
    customer_tier = models.CharField(_("客户等级"), max_length=50, blank=True)
    product_line = models.CharField(_("产品线"), max_length=50, blank=True)
    buying_stage = models.CharField(_("采购阶段"), max_length=50, blank=True)
    company_size = models.CharField(_("公司规模"), max_length=50, blank=True)
    budget = models.DecimalField(_("预算"), max_digits=14, decimal_places=2, null=True, blank=True)
    source = models.CharField(_("来源"), max_length=60, blank=True)
    utm = models.JSONField(default=dict, blank=True)
    message = models.TextField(_("留言"), blank=True)
    form = models.ForeignKey(
        IntakeForm, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    status = models.CharField(_("状态"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.POOLED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        verbose_name=_("负责人"),
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    score = models.IntegerField(_("评分"), default=0)
    score_factors = models.JSONField(default=list, blank=True)
    mql_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("客户"),
    )
    converted_at = models.DateTimeField(_("转化时间"), null=True, blank=True)
    created_at = models.DateTimeField()
    # What the 线索 list's light and countdown read instead of every lead's deadlines: the
    # nearest pending deadline of the current assignment, and whether one of its deadlines (not a
    # nudge) was missed. Kept by the timers (`services.refresh_timer_keys`), never typed.
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_breached = models.BooleanField(default=False, editable=False)
    history = HistoricalRecords(excluded_fields=["score_factors", "next_due_at", "sla_breached"])

    class Meta:
        ordering = ["-id"]
        verbose_name = _("线索")
        indexes = [
            models.Index(fields=["owner", "status"], name="lead_owner_status"),
            models.Index(fields=["status", "created_at"], name="lead_status_created"),
            # Leads assigned in a period (health, attribution, efficiency).
            models.Index(fields=["assigned_at"], name="lead_assigned_at"),
            # The 线索 list in light order: everything its sort and scope read of the open owned
            # leads, so PostgreSQL picks a page's ids from this index alone (INCLUDE is PostgreSQL
            # only; SQLite keeps the partial index on the owner).
            models.Index(
                fields=["owner"],
                include=[
                    "id",
                    "status",
                    "assigned_at",
                    "last_activity_at",
                    "first_contact_at",
                    "acknowledged_at",
                    "sla_breached",
                    "next_due_at",
                ],
                condition=Q(status__in=OPEN_STATUSES, owner__isnull=False),
                name="lead_open_owned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.company}）" if self.company else self.name


class LeadBehaviour(models.Model):
    """One tracked behaviour of a lead on the website or in mail (scores with time decay)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="behaviours")
    kind = models.CharField(max_length=60)
    at = models.DateTimeField()
    url = models.CharField(max_length=500, blank=True)
    dwell_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="behaviour_lead_time")]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at}"


class RepWorkload(models.Model):
    """A rep's count of open owned leads, kept by the services that move leads (read by 智能分单)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE)
    open_leads = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.open_leads}"


class AssignmentCursor(models.Model):
    """Where round-robin stopped, per scope (locked when taking the next rep)."""

    scope = models.CharField(max_length=100, unique=True)
    last_user_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope} → {self.last_user_id}"


class LearnedScoreModel(models.Model):
    """A lead-scoring model learned from won and lost leads: coefficients as data, no pickles."""

    trained_at = models.DateTimeField()
    features = models.JSONField(default=list)
    coefficients = models.JSONField(default=list)
    intercept = models.FloatField(default=0.0)
    samples = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    accuracy = models.FloatField(null=True, blank=True, help_text="Cross-validated accuracy.")

    class Meta:
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return f"learned model of {self.trained_at:%Y-%m-%d} ({self.samples} leads)"
