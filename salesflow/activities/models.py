"""Activities (拜访/动作): calls, visits, messages, e-mails and meetings on a lead, a customer or
an opportunity."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    """What kind of interaction it was."""

    CALL = "call", _("电话")
    VISIT = "visit", _("拜访")
    MESSAGE = "message", _("消息")
    EMAIL = "email", _("邮件")
    MEETING = "meeting", _("会议")


class Activity(models.Model):
    """One logged interaction; `effective` says whether it counts as real contact per the pack."""

    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField(_("发生时间"))
    duration_seconds = models.PositiveIntegerField(_("时长（秒）"), default=0)
    note = models.TextField(_("备注"), blank=True)
    effective = models.BooleanField(_("有效接触"), default=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "occurred_at"], name="activity_lead_time"),
            models.Index(fields=["actor", "occurred_at"], name="activity_actor_time"),
            models.Index(fields=["customer", "occurred_at"], name="activity_customer_time"),
            # Actions in a period (heatmap, health, battle report).
            models.Index(fields=["occurred_at"], name="activity_time"),
            # Effective actions per person and day (health, battle report): read from the index
            # alone, without visiting the rows of every activity in the period.
            models.Index(
                fields=["occurred_at", "actor", "id"],
                name="activity_effective_time",
                condition=models.Q(effective=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"
