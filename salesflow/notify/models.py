"""The in-app inbox, to-do cards, delivery channels and the deliveries made through them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Notification(models.Model):
    """One message in a person's inbox, about a record or not."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # The to-do this message announces: the inbox shows the to-do, not a second item.
    task = models.ForeignKey("notify.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="inbox")]

    def __str__(self) -> str:
        return f"{self.title} → {self.recipient_id}"


class Task(models.Model):
    """A to-do card (待办) on someone's 今日 list, often created by a rule."""

    class Status(models.TextChoices):
        OPEN = "open", _("待办")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("说明"), blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks")
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    due_at = models.DateTimeField(_("截止"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by_rule = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What was done, asked when a rule's to-do about a record is completed (also on the record's timeline).
    done_note = models.TextField(_("处理说明"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "due_at", "id"]
        indexes = [models.Index(fields=["assignee", "status", "due_at"], name="todo_list")]

    def __str__(self) -> str:
        return self.title


class Channel(models.Model):
    """Where a person's or a team's notifications also go: e-mail, group robots, a webhook."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("电子邮件")
        WECOM = "wecom", _("企业微信群机器人")
        DINGTALK = "dingtalk", _("钉钉群机器人")
        FEISHU = "feishu", _("飞书群机器人")
        WEBHOOK = "webhook", _("通用 Webhook（HMAC 签名）")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="channels",
    )
    target = models.CharField(_("地址"), max_length=500, help_text=_("邮箱地址或机器人 Webhook 地址"))
    secret = models.CharField(_("签名密钥"), max_length=200, blank=True)
    kinds = models.JSONField(_("只发送这些类型"), default=list, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & Q(user__isnull=True))
                | (Q(team__isnull=True) & Q(user__isnull=False)),
                name="channel_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"


class Delivery(models.Model):
    """One notification sent (or being retried) through one channel."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("失败")

    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the queued retry will run (shown to the ops admin); empty once sent or failed.
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="delivery_status")]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class EgressAllowance(models.Model):
    """One on-premise target the ops admin lets channels reach: a host name, an IP or a network.

    Added to the deployment's `SALESFLOW_NOTIFY_ALLOWED_TARGETS`; `entry` is stored in its
    canonical form (lower-case host name, or the network's compressed text) so it is unique.
    """

    entry = models.CharField(_("地址"), max_length=253, unique=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["entry", "id"]

    def __str__(self) -> str:
        return self.entry
