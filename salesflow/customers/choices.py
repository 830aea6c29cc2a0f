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


class GrantScope(models.TextChoices):
    """What a temporary grant (临时授权) lets a colleague read of one customer."""

    QUOTES = "quotes", _("报价记录")


class GrantReadKind(models.TextChoices):
    """What a grantee read through a temporary grant (the read log)."""

    LIST = "list", _("报价列表")
    QUOTE = "quote", _("报价详情")
    PDF = "pdf", _("报价快照 PDF")
    EXPORT = "export", _("导出报价")
