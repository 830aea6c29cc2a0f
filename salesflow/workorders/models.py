"""Cross-department work orders (跨部门工单): the order, each party's acknowledgement, every
state change with its proof, uploaded files and comments.

The type of an order (form, states, proof, parties, SLAs) is data in the rule pack
(`workorder_types`); an order copies the labels it shows so a renamed type keeps its history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesflow.workorders.choices import ApprovalState, AttachmentKind, Department


class WorkOrder(models.Model):
    """One request from sales to another department, linked to a customer (and a deal record)."""

    number = models.CharField(_("工单号"), max_length=30, unique=True)
    type_code = models.CharField(_("类型"), max_length=60)
    type_name = models.CharField(_("工单类型"), max_length=60)
    title = models.CharField(_("标题"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="workorders", verbose_name=_("客户")
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workorders",
        verbose_name=_("商机"),
    )
    quote = models.ForeignKey(
        "quotes.Quote",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workorders",
        verbose_name=_("报价"),
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workorders",
        verbose_name=_("合同"),
    )
    # The type's form values, checked against its fields when raised (numbers kept as text).
    form_values = models.JSONField(_("表单"), default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=60)
    state_name = models.CharField(_("状态名称"), max_length=40)
    department = models.CharField(_("处理部门"), max_length=20, choices=Department.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_workorders",
        verbose_name=_("处理人"),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="raised_workorders",
        verbose_name=_("发起人"),
    )
    approval_state = models.CharField(
        _("审批"), max_length=20, choices=ApprovalState.choices, default=ApprovalState.NONE, blank=True
    )
    # Counted as a service request in the customer's health (the type's `service_request`).
    service_request = models.BooleanField(_("服务请求"), default=False)
    raised_at = models.DateTimeField(_("发起时间"))
    acknowledged_at = models.DateTimeField(_("各方确认时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["type_code", "state", "form_values", "version"])

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        indexes = [
            models.Index(fields=["department", "closed_at", "-raised_at", "-id"], name="wo_queue"),
            models.Index(fields=["raised_by", "-raised_at"], name="wo_raised_by"),
            models.Index(fields=["assignee", "closed_at"], name="wo_assignee"),
            models.Index(fields=["customer", "raised_at"], name="wo_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.type_name}：{self.title}"

    @property
    def owner(self) -> object:
        """The handler answers for the order (ladders tell "the owner's manager")."""
        return self.assignee or self.raised_by

    @property
    def name(self) -> str:
        """What messages call the order (`{name}` in the pack's texts)."""
        return f"{self.number} {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Acknowledgement(models.Model):
    """One party's acknowledgement of an order (销售, 售前, 交付 …); open until someone acts for it."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="acknowledgements")
    party = models.CharField(max_length=60)
    party_name = models.CharField(_("确认方"), max_length=40)
    who = models.CharField(max_length=60)  # raiser, record_owner, assignee, role:<role>
    order = models.PositiveSmallIntegerField(default=0)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["work_order", "party"], name="wo_one_ack_per_party")]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.party}"


class Transition(models.Model):
    """A state change of an order with the proof it carried (note text, files)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=60, blank=True)
    to_state = models.CharField(max_length=60)
    to_state_name = models.CharField(_("状态"), max_length=40)
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order_id} → {self.to_state}"


class Attachment(models.Model):
    """A file on an order, accepted by its content (never its name); proof once a transition uses it."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    transition = models.ForeignKey(
        Transition, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(upload_to="workorders/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name}"


class Comment(models.Model):
    """A comment on an order; @mentioned colleagues are notified."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("内容"))
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.body[:30]}"
