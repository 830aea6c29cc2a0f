"""Import jobs of the 设置 → 导入 wizard: the uploaded workbook, its column mapping and the outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesflow.imports.choices import ImportKind, ImportMode, JobStatus


class ImportJob(models.Model):
    """One upload walked through mapping, preview and confirm; keeps the skipped rows as xlsx."""

    kind = models.CharField(_("导入内容"), max_length=20, choices=ImportKind.choices)
    status = models.CharField(_("状态"), max_length=20, choices=JobStatus.choices, default=JobStatus.UPLOADED)
    filename = models.CharField(_("文件名"), max_length=200)
    # What a row whose record exists means: refused (仅新建), or the record to update.
    mode = models.CharField(
        _("导入方式"), max_length=10, choices=ImportMode.choices, default=ImportMode.CREATE
    )
    # The workbook itself: a few MB even for 100,000 rows, and no shared disk is needed.
    source = models.BinaryField()
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    total_rows = models.IntegerField(_("行数"), default=0)
    created_count = models.IntegerField(_("已导入"), default=0)
    skipped_count = models.IntegerField(_("已跳过"), default=0)
    updated_count = models.IntegerField(_("已更新"), default=0)
    unchanged_count = models.IntegerField(_("不变"), default=0)
    errors = models.JSONField(default=list, blank=True)
    skip_bad_rows = models.BooleanField(_("跳过错误行"), default=False)
    skipped_file = models.BinaryField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # When confirm handed it to the background: a job running far longer was lost with its worker.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the workbook and the skipped rows were deleted (the pack's imports.retention_days).
    pruned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("导入任务")

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} ({self.status})"
