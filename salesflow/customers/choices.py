"""Fixed vocabularies of customers (tag values come from the rule pack's dictionaries)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Customer fields whose values are codes of a rule-pack tag dictionary of the same name.
CUSTOMER_TAG_FIELDS = ["industry_segment", "customer_tier", "customer_class"]


class ReleaseReason(models.TextChoices):
    """Why a customer went back to the pool."""

    NO_INTERACTION = "no_interaction", _("超期无有效互动")
    MANUAL = "manual", _("手动释放")
    HANDOVER = "handover", _("离职交接")
