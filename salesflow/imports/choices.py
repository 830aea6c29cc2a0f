"""Fixed vocabularies of imports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """What a workbook holds."""

    CUSTOMERS = "customers", _("客户")
    CONTACTS = "contacts", _("联系人")
    ORDERS = "orders", _("订单")
    LEADS = "leads", _("线索")


class JobStatus(models.TextChoices):
    """Where an import job of the web wizard stands."""

    UPLOADED = "uploaded", _("已上传")
    MAPPED = "mapped", _("已映射列")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("未导入")
