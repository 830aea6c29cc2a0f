"""Approval requests on any registered record, their steps, and approvers' delegations.

A request points at its subject by type and id (like timers.Deadline), so approvals never
imports the apps whose records it approves. The chain itself is data in the rule pack
(`approval_chains`); the steps copy what they need of it when the request starts, so a pack
edited later does not change a request under way.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesflow.approvals.choices import RequestState, StepState


class ApprovalRequest(models.Model):
    """One request to approve one subject through one chain of the pack; at most one pending per subject."""

    subject_type = models.CharField(max_length=100)  # model label, e.g. quotes.quote
    subject_id = models.BigIntegerField()
    kind = models.CharField(_("类型"), max_length=60)  # the registry's kind, e.g. quote
    chain = models.CharField(max_length=60)  # the pack's chain code
    chain_name = models.CharField(_("审批流程"), max_length=100)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approval_requests",
        verbose_name=_("申请人"),
    )
    state = models.CharField(
        _("状态"), max_length=20, choices=RequestState.choices, default=RequestState.PENDING
    )
    # Numbers and strings the steps' conditions read (discount_pct, amount …), as given at start.
    facts = models.JSONField(_("审批要素"), default=dict, blank=True)
    summary = models.CharField(_("摘要"), max_length=300)
    comment = models.TextField(_("申请说明"), blank=True)
    created_at = models.DateTimeField(_("申请时间"))
    decided_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Bumped by every change: a client can tell it is looking at an old state.
    version = models.PositiveIntegerField(default=1)
    # People read the history; the codes and bookkeeping behind it are not theirs to read.
    history = HistoricalRecords(
        excluded_fields=["subject_type", "subject_id", "kind", "chain", "facts", "version"]
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("审批")
        verbose_name_plural = _("审批")
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "state"], name="approval_subject"),
            models.Index(fields=["requester", "state"], name="approval_requester"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"],
                condition=models.Q(state="pending"),
                name="one_pending_approval_per_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.chain_name}：{self.summary}"

    @property
    def owner(self) -> Any:
        """The requester answers for the request (rules notify "the owner")."""
        return self.requester

    @property
    def is_pending(self) -> bool:
        return self.state == RequestState.PENDING


class ApprovalStep(models.Model):
    """One step of a request: who may decide it (candidates), its state, and who decided how."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=60)
    name = models.CharField(_("审批环节"), max_length=100)
    # manager / director / role:<role>, relative to the requester (see the pack's chains).
    approver_spec = models.CharField(max_length=40)
    condition = models.JSONField(null=True, blank=True)
    sla_policy = models.CharField(max_length=60, blank=True)
    candidates = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="approval_steps_to_decide",
        blank=True,
        verbose_name=_("审批人"),
    )
    state = models.CharField(_("状态"), max_length=20, choices=StepState.choices, default=StepState.WAITING)
    skip_reason = models.CharField(_("跳过原因"), max_length=300, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("处理人"),
    )
    # Set when a delegate decided for a candidate on leave.
    acted_on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("代理谁"),
    )
    comment = models.TextField(_("审批意见"), blank=True)
    opened_at = models.DateTimeField(_("到达时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["order", "code", "approver_spec", "condition", "sla_policy"])

    class Meta:
        ordering = ["request", "order"]
        verbose_name = _("审批环节")
        verbose_name_plural = _("审批环节")
        constraints = [
            models.UniqueConstraint(fields=["request", "order"], name="unique_approval_step_order")
        ]
        indexes = [models.Index(fields=["state", "request"], name="approval_step_state")]

    def __str__(self) -> str:
        return f"{self.name}：{self.request.summary}"

    @property
    def owner(self) -> Any:
        """The approver the SLA reminds and whose manager it escalates to: the first candidate."""
        first = getattr(self, "_prefetched_objects_cache", {}).get("candidates")
        if first is not None:
            return first[0] if first else None
        return self.candidates.order_by("pk").first()


class ApprovalDelegation(models.Model):
    """While `delegator` is away (starts_on … ends_on, inclusive) `delegate` may decide their steps."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="approval_delegations_given",
        verbose_name=_("委托人"),
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="approval_delegations_taken",
        verbose_name=_("代理人"),
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("审批代理")
        verbose_name_plural = _("审批代理")
        indexes = [models.Index(fields=["delegate", "starts_on", "ends_on"], name="delegation_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="delegation_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~models.Q(delegator=models.F("delegate")), name="delegation_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} {self.starts_on}–{self.ends_on}"
