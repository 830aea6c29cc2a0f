"""Fixed vocabularies of contracts and collections (plans, chains and buckets come from the pack)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractState(models.TextChoices):
    """Where a contract stands."""

    DRAFT = "draft", _("草稿")
    LEGAL_REVIEW = "legal_review", _("法务审核中")
    SIGNED = "signed", _("已签订")
    IN_DELIVERY = "in_delivery", _("交付中")
    COMPLETED = "completed", _("已完成")
    TERMINATED = "terminated", _("已终止")


class Milestone(models.TextChoices):
    """What an instalment falls due after: a contract milestone, or a fixed date."""

    SIGNING = "signing", _("签订后")
    DELIVERY = "delivery", _("交付后")
    ACCEPTANCE = "acceptance", _("验收后")
    DATE = "date", _("固定日期")


class InstalmentState(models.TextChoices):
    """Where an instalment's money stands (overdue is read from the due date, not stored)."""

    PLANNED = "planned", _("未请款")
    REQUESTED = "requested", _("已请款")
    PARTLY_PAID = "partly_paid", _("部分回款")
    PAID = "paid", _("已回款")
    CANCELLED = "cancelled", _("已取消")


# States in which the plan may still change and the contract be edited.
OPEN_STATES = frozenset({ContractState.DRAFT})
# Contracts whose instalments still count as receivables.
LIVE_STATES = frozenset({ContractState.SIGNED, ContractState.IN_DELIVERY, ContractState.COMPLETED})
# Instalments with money still to collect.
OUTSTANDING_STATES = frozenset(
    {InstalmentState.PLANNED, InstalmentState.REQUESTED, InstalmentState.PARTLY_PAID}
)
