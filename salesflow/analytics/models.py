"""What the cockpit compares results against: the signed-amount target of a team or a person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class SalesTarget(models.Model):
    """The signed amount (¥) a team node (company, region, team) or one person should reach in a
    calendar month. Exactly one of `team` and `person` is set; `month` is the month's first day."""

    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="sales_targets"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    month = models.DateField(_("月份"))
    amount = models.DecimalField(_("目标签约额"), max_digits=16, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("销售目标")
        verbose_name_plural = _("销售目标")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(team__isnull=False, person__isnull=True)
                    | models.Q(team__isnull=True, person__isnull=False)
                ),
                name="sales_target_one_scope",
            ),
            models.UniqueConstraint(fields=["team", "month"], name="sales_target_team_month"),
            models.UniqueConstraint(fields=["person", "month"], name="sales_target_person_month"),
        ]

    def __str__(self) -> str:
        return f"{self.team or self.person} {self.month:%Y-%m}: {self.amount}"
