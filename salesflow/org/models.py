"""Organisation: the team tree, people and their reporting line, skills, leave, API tokens."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesflow.org.choices import Role, SkillKind, TeamKind


class Team(models.Model):
    """A node of the company → region → team tree; `path` makes subtree queries one LIKE."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("层级"), max_length=20, choices=TeamKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # "/1/4/9/": the ids from the root down to this team, set by the service on create.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["path"]
        verbose_name = _("团队")
        verbose_name_plural = _("团队")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person in the company: role, team, manager, skills, seniority and workload cap."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机"), max_length=30, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("团队"),
    )
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("直属上级"),
    )
    seniority = models.PositiveSmallIntegerField(_("资历等级"), default=1, help_text=_("1 = 新人 … 5 = 资深"))
    max_open_workload = models.PositiveIntegerField(
        _("最大在手量"), default=30, help_text=_("同时跟进的线索与商机上限")
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        ordering = ["id"]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class UserSkill(models.Model):
    """A product line or customer tier a rep serves (codes from the rule pack's dictionaries)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="skills")
    kind = models.CharField(max_length=20, choices=SkillKind.choices)
    code = models.CharField(max_length=50)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "code"], name="unique_user_skill")]
        indexes = [models.Index(fields=["kind", "code"], name="skill_lookup")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}={self.code}"


class LeavePeriod(models.Model):
    """Days a person is away (inclusive); assignment skips them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="leave_periods")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_on"]
        indexes = [models.Index(fields=["user", "starts_on", "ends_on"], name="leave_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="leave_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_on}–{self.ends_on}"

    def covers(self, day: date) -> bool:
        """Whether `day` falls inside this leave."""
        return self.starts_on <= day <= self.ends_on


class ApiToken(models.Model):
    """A bearer token for the REST API; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to recognise a token.")
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def is_usable(self, at: datetime) -> bool:
        """Not revoked and not expired at `at`."""
        return self.revoked_at is None and self.expires_at > at
