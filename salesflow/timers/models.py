"""SLA deadlines (timers as rows) and the company working calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CalendarDay(models.Model):
    """An exception to "weekdays work, weekends rest": a statutory holiday or a 调休 workday."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日")
        MAKEUP_WORKDAY = "makeup_workday", _("调休上班")

    class Source(models.TextChoices):
        LIBRARY = "library", _("chinese-calendar")
        MANUAL = "manual", _("手工录入")

    day = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("上班"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    history = HistoricalRecords()

    class Meta:
        ordering = ["day"]
        verbose_name = _("工作日历")

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()} {self.name}"


class Deadline(models.Model):
    """One step of a running SLA timer: due at `due_at`, fired by the sweeper exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("计时中")
        CLAIMED = "claimed", _("处理中")
        FIRED = "fired", _("已触发")
        CANCELLED = "cancelled", _("已停止")
        FAILED = "failed", _("失败")

    subject_type = models.CharField(max_length=100)
    subject_id = models.BigIntegerField()
    policy = models.CharField(max_length=60)
    policy_name = models.CharField(max_length=200, blank=True)
    step = models.PositiveSmallIntegerField()
    step_name = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="deadline_due"),
            models.Index(fields=["subject_type", "subject_id", "status"], name="deadline_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}#{self.step} {self.subject_type}:{self.subject_id} @ {self.due_at}"
