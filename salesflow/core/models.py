"""The append-only domain event log every service writes in its own transaction."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One domain event (`lead.assigned`, `user.created` …) about one subject record."""

    name = models.CharField(max_length=100, db_index=True)
    subject_type = models.CharField(max_length=100)
    subject_id = models.BigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payload = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()

    # Not a column: the recording service's own instance of the subject, handed to listeners.
    subject_instance: models.Model | None = None
    # Not a column either: the SLA deadlines the rules engine started on this event.
    started_deadlines: Sequence[Any] = ()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "occurred_at"], name="event_subject"),
            models.Index(fields=["name", "occurred_at"], name="event_name_time"),
            models.Index(fields=["occurred_at"], name="event_time"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.subject_type}:{self.subject_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Integrity, not business logic: the log is evidence, so a row never changes.
        if self.pk is not None and not self._state.adding:
            raise ValueError("Events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Events are append-only and cannot be deleted.")


class RateWindow(models.Model):
    """Requests counted per bucket and fixed time window, shared by every web process."""

    bucket = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "window_start"], name="one_rate_window")]

    def __str__(self) -> str:
        return f"{self.bucket} {self.window_start}: {self.count}"


class DailyRun(models.Model):
    """A once-a-day job that has run for `day` (the unique row makes it once across workers)."""

    name = models.CharField(max_length=100)
    day = models.DateField()
    started_at = models.DateTimeField()
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="daily_run_once")]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"


class PublicLink(models.Model):
    """A revocable link that opens one read-only view without a login (a TV battle report, later
    a quote share link): only the SHA-256 of its random token is stored, so the database alone
    cannot open it; `payload` says what it shows (e.g. {"team": 7})."""

    purpose = models.CharField(max_length=40, db_index=True)
    token_digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.label or self.pk}"


class PublicLinkAccess(models.Model):
    """One use of a public link (when, from what kind of device, from which address): its access
    log. The address is kept only as a keyed hash — enough to tell repeat visits apart, not to
    know who the customer's hospital is on the internet."""

    class Device(models.TextChoices):
        PHONE = "phone", _("手机")
        TABLET = "tablet", _("平板")
        DESKTOP = "desktop", _("电脑")
        OTHER = "other", _("其他")

    link = models.ForeignKey(PublicLink, on_delete=models.CASCADE, related_name="accesses")
    at = models.DateTimeField()
    ip_hash = models.CharField(max_length=64, blank=True)
    device = models.CharField(max_length=10, choices=Device.choices, default=Device.OTHER)
    user_agent = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, default="open")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["link", "at"], name="public_link_access_time")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.at:%Y-%m-%d %H:%M}"
