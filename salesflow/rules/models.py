"""Rule-pack versions, the log of what rules fired, freezes, watchers and review agenda items."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RulePackVersion(models.Model):
    """One immutable version of the rule pack; exactly one is active."""

    number = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)
    document = models.JSONField(help_text="The validated pack, as exported to YAML.")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_rule_pack"
            )
        ]
        verbose_name = _("规则包版本")

    def __str__(self) -> str:
        return f"v{self.number} {self.name}"


class RuleFiring(models.Model):
    """One time a rule or an escalation step acted (or was skipped), for audit and review."""

    pack_version = models.PositiveIntegerField()
    rule_code = models.CharField(max_length=120)
    trigger = models.CharField(max_length=120)
    subject_type = models.CharField(max_length=100)
    subject_id = models.BigIntegerField()
    event_id = models.BigIntegerField(null=True, blank=True)
    deadline_id = models.BigIntegerField(null=True, blank=True)
    fired_at = models.DateTimeField()
    outcome = models.CharField(max_length=20)  # acted | skipped | refused
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        indexes = [
            models.Index(fields=["rule_code", "fired_at"], name="firing_rule_time"),
            models.Index(fields=["subject_type", "subject_id"], name="firing_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_code} → {self.subject_type}:{self.subject_id} ({self.outcome})"


class Freeze(models.Model):
    """A scope (e.g. quoting) frozen for a record by a rule, until lifted."""

    subject_type = models.CharField(max_length=100)
    subject_id = models.BigIntegerField()
    scope = models.CharField(max_length=50)
    reason = models.CharField(max_length=300)
    rule_code = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id", "scope"], name="freeze_lookup")]

    def __str__(self) -> str:
        return f"{self.scope} frozen on {self.subject_type}:{self.subject_id}"


class Watcher(models.Model):
    """Someone who follows a record and is told when its rules escalate."""

    subject_type = models.CharField(max_length=100)
    subject_id = models.BigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id", "user"], name="unique_watcher")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.subject_type}:{self.subject_id}"


class AgendaItem(models.Model):
    """An item put on a recurring meeting's agenda (e.g. the monthly process review)."""

    meeting = models.CharField(max_length=60)
    subject_type = models.CharField(max_length=100)
    subject_id = models.BigIntegerField()
    reason = models.CharField(max_length=300)
    rule_code = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.subject_type}:{self.subject_id}"
