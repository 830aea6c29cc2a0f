"""Fixed vocabularies of opportunities (stages come from the rule pack's stage templates)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OpportunityStatus(models.TextChoices):
    """Open, or closed as won or lost."""

    OPEN = "open", _("进行中")
    WON = "won", _("赢单")
    LOST = "lost", _("输单")
