"""Fixed vocabularies of imports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """What a workbook holds."""

    CUSTOMERS = "customers", _("客户")
    CONTACTS = "contacts", _("联系人")
    ORDERS = "orders", _("订单")
    LEADS = "leads", _("线索")
    PRODUCTS = "products", _("产品")


class JobStatus(models.TextChoices):
    """Where an import job of the web wizard stands."""

    UPLOADED = "uploaded", _("已上传")
    MAPPED = "mapped", _("已映射列")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("未导入")


class ImportMode(models.TextChoices):
    """What an import does with a row whose record exists already (matched by its natural key)."""

    CREATE = "create", _("仅新建")
    UPDATE = "update", _("仅更新")
    UPSERT = "upsert", _("新建或更新")


class RowAction(models.TextChoices):
    """What an import does (or, on a dry run, would do) with one row."""

    CREATE = "create", _("新建")
    UPDATE = "update", _("更新")
    UNCHANGED = "unchanged", _("不变")
    ERROR = "error", _("错误")


class ExportKind(models.TextChoices):
    """What an export holds: everything import reads, plus the opportunities and activities."""

    CUSTOMERS = "customers", _("客户")
    CONTACTS = "contacts", _("联系人")
    ORDERS = "orders", _("订单")
    LEADS = "leads", _("线索")
    OPPORTUNITIES = "opportunities", _("商机")
    ACTIVITIES = "activities", _("跟进记录")
    PRODUCTS = "products", _("产品")
    QUOTES = "quotes", _("报价")
    CONTRACTS = "contracts", _("合同")
    RECEIVABLES = "receivables", _("应收账款")
    APPROVALS = "approvals", _("审批")
    REVIEW_MINUTES = "review_minutes", _("复盘纪要")
    WORKORDERS = "workorders", _("工单")
