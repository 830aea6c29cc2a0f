"""The states of approval requests and their steps."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestState(models.TextChoices):
    """Where an approval request stands; every state but pending is final."""

    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    RETURNED = "returned", _("已退回修改")
    WITHDRAWN = "withdrawn", _("已撤回")


class StepState(models.TextChoices):
    """Where one step of a chain stands."""

    WAITING = "waiting", _("待前序审批")
    OPEN = "open", _("待审批")
    APPROVED = "approved", _("同意")
    REJECTED = "rejected", _("驳回")
    RETURNED = "returned", _("退回修改")
    SKIPPED = "skipped", _("跳过")
    CANCELLED = "cancelled", _("已取消")


class Decision(models.TextChoices):
    """What an approver does with an open step."""

    APPROVE = "approve", _("同意")
    REJECT = "reject", _("驳回")
    RETURN = "return", _("退回修改")
