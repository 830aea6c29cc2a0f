"""Fixed vocabularies of work orders (the types, states and forms themselves are pack data)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProofKind(models.TextChoices):
    """What a state may ask for before an order enters it."""

    SCREENSHOT = "screenshot", _("截图")
    SIGNED_FILE = "signed_file", _("签字文件")
    NOTE = "note", _("说明")


class AttachmentKind(models.TextChoices):
    """What an uploaded file is; screenshots and signed files answer a state's proof."""

    SCREENSHOT = "screenshot", _("截图")
    SIGNED_FILE = "signed_file", _("签字文件")
    FILE = "file", _("附件")


class ApprovalState(models.TextChoices):
    """Where the order's approval chain (if its type has one) stands."""

    NONE = "", _("无需审批")
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")


class Department(models.TextChoices):
    """The department queues (a type's `department`)."""

    PRESALES = "presales", _("售前")
    LEGAL = "legal", _("法务")
    FINANCE = "finance", _("财务")
    DELIVERY = "delivery", _("交付")
    PRODUCT = "product", _("产品")
