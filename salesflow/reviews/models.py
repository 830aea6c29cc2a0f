"""What a meeting made of one agenda item: discussed (when, by whom), the decision and its owner.

The agenda item itself (`rules.AgendaItem`) is written by the rule engine's `add_to_agenda`
action; this app only adds the meeting's side. An entry is created the first time the chair acts
on an item; until then the item belongs to the month (Asia/Shanghai) it was put on the agenda.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ReviewEntry(models.Model):
    """The meeting's record of one agenda item: the month it is reviewed in, discussion, decision."""

    item = models.OneToOneField("rules.AgendaItem", on_delete=models.CASCADE, related_name="review")
    # The first day of the month whose meeting reviews the item (local calendar).
    month = models.DateField(_("月份"))
    discussed_at = models.DateTimeField(_("讨论时间"), null=True, blank=True)
    discussed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("讨论记录人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision = models.TextField(_("决议"), blank=True)
    decision_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_decisions",
    )
    decided_at = models.DateTimeField(_("决议时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决议记录人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["month"], name="review_entry_month")]
        constraints = [
            # A decision always has its owner and its time (the service writes them together).
            models.CheckConstraint(
                condition=models.Q(decision="")
                | models.Q(decision_owner__isnull=False, decided_at__isnull=False),
                name="review_decision_has_owner",
            ),
        ]
        verbose_name = _("复盘记录")

    def __str__(self) -> str:
        return f"{self.item} ({self.month:%Y-%m})"

    @property
    def discussed(self) -> bool:
        """Whether the meeting has discussed the item."""
        return self.discussed_at is not None
