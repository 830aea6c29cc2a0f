"""Writes of imports: run a validated workbook through the services (the customers services' bulk
paths for big files), jobs.

A workbook is validated whole first (validation.py, set-based); then every good row is
written in ONE transaction, so a real run is all-or-nothing unless bad rows are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q

from salesflow.catalog import services as catalog_services
from salesflow.catalog.models import Product
from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.models import Event
from salesflow.customers import services as customer_services
from salesflow.customers.models import Contact, Customer, Order
from salesflow.imports import xlsx
from salesflow.imports.choices import ImportKind, ImportMode, JobStatus, RowAction
from salesflow.imports.models import ImportJob
from salesflow.imports.permissions import can_import, refusal
from salesflow.imports.spec import columns_of, guess_mapping
from salesflow.imports.validation import Checked, RowError, validate
from salesflow.leads import services as lead_services
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration

# A job keeps this many problems for its result page; the skipped-rows workbook has them all.
STORED_ERRORS = 5000
REASON_HEADER = "错误原因"

Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    """What an import did (or, on a dry run or a refused run, would have done)."""

    kind: str
    total: int
    valid: int
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    skipped_xlsx: bytes | None = None
    mode: str = ImportMode.CREATE
    updated: int = 0
    unchanged: int = 0
    # On a dry run the counts are what the import would do (`written` stays False).
    # Every row's action (新建 / 更新 with the changed columns / 不变 / 错误): Checked.outcomes().
    rows: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The API / CLI shape."""
        return {
            "kind": self.kind,
            "mode": self.mode,
            "total": self.total,
            "valid": self.valid,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
            "written": self.written,
            "errors": [e.as_dict() for e in self.errors],
        }


def _leads_create(
    *, rows: list[dict[str, Any]], actor: User | None, now: datetime, progress: Progress | None = None
) -> list[Any]:
    """Leads one by one through `lead_create`: each is scored and given to its owner (timers start)."""
    created = []
    for values in rows:
        created.append(
            lead_services.lead_create(
                name=values["name"],
                phone=values.get("phone") or "",
                email=values.get("email") or "",
                company=values.get("company") or "",
                title=values.get("title") or "",
                industry_segment=values.get("industry_segment") or "",
                customer_tier=values.get("customer_tier") or "",
                product_line=values.get("product_line") or "",
                buying_stage=values.get("buying_stage") or "",
                company_size=values.get("company_size") or "",
                budget=values.get("budget") or None,
                source=values.get("source") or "import",
                message=values.get("message") or "",
                owner=values.get("owner") or None,
                actor=actor,
                now=now,
            )
        )
        if progress and (len(created) % 100 == 0 or len(created) == len(rows)):
            progress(len(created), len(rows))
    return created


_WRITERS: dict[str, Callable[..., list[Any]]] = {
    ImportKind.CUSTOMERS: customer_services.customers_bulk_create,
    ImportKind.CONTACTS: customer_services.contacts_bulk_add,
    ImportKind.ORDERS: customer_services.orders_bulk_add,
    ImportKind.LEADS: _leads_create,
    ImportKind.PRODUCTS: catalog_services.products_bulk_create,
}


def _update_rows(
    *, kind: str, rows: list[dict[str, Any]], actor: User | None, now: datetime, progress: Progress | None
) -> int:
    """Write each matched row's changed fields through its service (history rows and events)."""
    model: Any = {
        ImportKind.CUSTOMERS: Customer,
        ImportKind.CONTACTS: Contact,
        ImportKind.ORDERS: Order,
        ImportKind.LEADS: Lead,
        ImportKind.PRODUCTS: Product,
    }[ImportKind(kind)]
    records = model.objects.in_bulk([values["_match"] for values in rows])
    for done, values in enumerate(rows, start=1):
        record, changes = records[values["_match"]], dict(values["_changes"])
        if kind == ImportKind.CUSTOMERS:
            customer_services.customer_update(customer=record, changes=changes, actor=actor, now=now)
        elif kind == ImportKind.CONTACTS:
            customer_services.contact_update(contact=record, changes=changes, actor=actor, now=now)
        elif kind == ImportKind.ORDERS:
            customer_services.order_update(order=record, changes=changes, actor=actor, now=now)
        elif kind == ImportKind.PRODUCTS:
            catalog_services.product_update(product=record, changes=changes, actor=actor, now=now)
        else:
            owner = changes.pop("owner", None)
            lead_services.lead_update(lead=record, changes=changes, owner=owner, actor=actor, now=now)
        if progress and (done % 100 == 0 or done == len(rows)):
            progress(done, len(rows))
    return len(rows)


def skipped_workbook(checked: Checked) -> bytes:
    """The bad rows as they were uploaded, with a 错误原因 column naming column and reason."""
    width = len(checked.headers)
    rows = []
    for number in sorted(checked.bad):
        cells = list(checked.raw[number])[:width]
        cells += [None] * (width - len(cells))
        reason = "；".join(f"第 {e.row} 行「{e.column}」：{e.reason}" for e in checked.bad[number])
        rows.append([*cells, reason])
    return xlsx.write([*checked.headers, REASON_HEADER], rows, title="跳过的行")


def import_run(
    *,
    kind: str,
    sheet: xlsx.Sheet,
    actor: User | None,
    mapping: dict[str, int] | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    mode: str = ImportMode.CREATE,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate the whole sheet, then write its good rows in one transaction — or nothing.

    `mode` (ImportMode): 仅新建 refuses rows whose record exists, 仅更新 rows whose record does
    not, 新建或更新 takes both; a matched row writes only its changed fields, and an unchanged
    one writes nothing. A dry run writes nothing and says per row what would happen. Without
    `skip_bad_rows` one bad row means nothing is written; with it, the good rows are written
    and the bad ones come back as an xlsx with reasons.
    """
    if kind not in ImportKind.values:
        raise FieldErrors({"kind": [f"应为 {', '.join(ImportKind.values)} 之一 / Unknown kind."]})
    if actor is not None and not can_import(actor, kind):
        raise PermissionDenied(f"{refusal(kind)} / Your role may not import {kind}.")
    now = now or clock.now()
    checked = validate(
        kind,
        sheet,
        mapping if mapping is not None else guess_mapping(kind, sheet.headers),
        actor=actor,
        mode=mode,
    )
    result = ImportResult(
        kind=kind,
        total=len(sheet.rows),
        valid=len(checked.good),
        errors=checked.errors,
        dry_run=dry_run,
        mode=mode,
        rows=checked.outcomes(),
    )
    would = {a: checked.count(a) for a in (RowAction.CREATE, RowAction.UPDATE, RowAction.UNCHANGED)}
    if checked.bad and skip_bad_rows:
        result.skipped = len(checked.bad)
        result.skipped_xlsx = skipped_workbook(checked)
    if dry_run:
        result.created, result.updated = would[RowAction.CREATE], would[RowAction.UPDATE]
        result.unchanged = would[RowAction.UNCHANGED]
        return result
    if (checked.bad and not skip_bad_rows) or not checked.good:
        return result
    actions = checked.actions
    creates = [values for n, values in checked.good if actions[n] == RowAction.CREATE]
    updates = [values for n, values in checked.good if actions[n] == RowAction.UPDATE]
    with transaction.atomic():
        written = _WRITERS[kind](rows=creates, actor=actor, now=now, progress=progress) if creates else []
        updated = _update_rows(kind=kind, rows=updates, actor=actor, now=now, progress=progress)
    result.created, result.updated, result.written = len(written), updated, True
    result.unchanged = would[RowAction.UNCHANGED]
    return result


def _mode(mode: str) -> str:
    if mode not in ImportMode.values:
        raise FieldErrors({"mode": [f"应为 {', '.join(ImportMode.values)} 之一 / Unknown mode."]})
    return mode


def import_job_create(
    *,
    kind: str,
    filename: str,
    data: bytes,
    actor: User,
    mode: str = ImportMode.CREATE,
    now: datetime | None = None,
) -> ImportJob:
    """Store an uploaded workbook for the wizard, with its headers and a guessed column mapping.

    Cheap whatever the file: the pack's bounds are checked on the sheet's declared size and
    only the first `imports.inline_max_rows` rows are read (`is_big` tells the rest).
    """
    if kind not in ImportKind.values:
        raise FieldErrors({"kind": [f"应为 {', '.join(ImportKind.values)} 之一 / Unknown kind."]})
    if not can_import(actor, kind):
        raise PermissionDenied(f"{refusal(kind)} / Your role may not import {kind}.")
    _mode(mode)
    if not filename.lower().endswith(".xlsx"):
        raise FieldErrors({"file": ["请上传 .xlsx 文件 / Upload an .xlsx workbook."]})
    # Only the first rows are read here: a big workbook is read whole in the background.
    sheet = xlsx.read(data, stop_after=inline_max_rows())
    total = len(sheet.rows)
    if sheet.truncated:
        total = max(total + 1, sheet.declared_rows or 0)  # counted exactly when the job runs
    now = now or clock.now()
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            mode=mode,
            filename=filename[:200],
            source=data,
            headers=sheet.headers,
            mapping=guess_mapping(kind, sheet.headers),
            total_rows=total,
            created_by=actor,
            created_at=now,
        )
        events.record(
            name="import.uploaded",
            subject=job,
            actor=actor,
            occurred_at=now,
            payload={"kind": kind, "rows": job.total_rows, "mode": mode},
        )
    return job


def inline_max_rows() -> int:
    """Above this many rows an import runs only as a background job (the pack's number)."""
    return active_pack()[1].imports.inline_max_rows


def is_big(job: ImportJob) -> bool:
    """Whether the job's workbook is too big to import (or preview whole) inside a request."""
    return job.total_rows > inline_max_rows()


def import_job_map(
    *, job: ImportJob, mapping: dict[str, int], actor: User, mode: str | None = None
) -> ImportJob:
    """Save the column mapping the importer chose (field → column index), and the mode."""
    if job.status not in (JobStatus.UPLOADED, JobStatus.MAPPED):
        raise Conflict("该导入已完成 / This import has finished.")
    fields = {c.field for c in columns_of(job.kind)}
    errors = [f for f, i in mapping.items() if f not in fields or not 0 <= i < len(job.headers)]
    if errors:
        raise FieldErrors({"mapping": [f"无效的列映射 / Invalid mapping: {', '.join(errors)}"]})
    missing = [c.header for c in columns_of(job.kind) if c.required and c.field not in mapping]
    if missing:
        raise FieldErrors(
            {"mapping": [f"请为必填列选择文件中的列 / Map the required columns: {'、'.join(missing)}"]}
        )
    if len(set(mapping.values())) != len(mapping):
        raise FieldErrors({"mapping": ["同一列不能映射到两个字段 / One column maps to one field only."]})
    if mode is not None:
        job.mode = _mode(mode)
    with transaction.atomic():
        job.mapping, job.status = mapping, JobStatus.MAPPED
        job.save(update_fields=["mapping", "status", "mode"])
    return job


def import_job_start(*, job: ImportJob, skip_bad_rows: bool, actor: User) -> ImportJob:
    """Confirm a job: it runs as a background task (enqueued in this transaction)."""
    from salesflow.imports.tasks import run_import_job

    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (JobStatus.DONE, JobStatus.RUNNING):
            raise Conflict("该导入已开始或已完成 / This import has started already.")
        if locked.pruned_at is not None:
            raise Conflict("文件已过保留期删除，请重新上传 / The file was deleted; upload it again.")
        locked.status, locked.skip_bad_rows = JobStatus.RUNNING, skip_bad_rows
        locked.started_at = clock.now()
        locked.save(update_fields=["status", "skip_bad_rows", "started_at"])
        run_import_job.enqueue(job_id=locked.pk, user_id=actor.pk, skip_bad_rows=skip_bad_rows)
    return locked


def import_job_run(
    *,
    job: ImportJob,
    skip_bad_rows: bool,
    actor: User,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Confirm a mapped job: run the import and keep counts, problems and the skipped rows on the job."""
    now = now or clock.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (JobStatus.DONE,):
            raise Conflict("该导入已完成 / This import has finished.")
        result = import_run(
            kind=locked.kind,
            sheet=xlsx.read(bytes(locked.source)),
            mapping={k: int(v) for k, v in locked.mapping.items()},
            actor=actor,
            skip_bad_rows=skip_bad_rows,
            dry_run=dry_run,
            mode=locked.mode,
            now=now,
            progress=progress,
        )
        if dry_run:
            return result
        locked.status = JobStatus.DONE if result.written or not result.errors else JobStatus.FAILED
        locked.skip_bad_rows = skip_bad_rows
        locked.created_count, locked.skipped_count = result.created, result.skipped
        locked.updated_count, locked.unchanged_count = result.updated, result.unchanged
        locked.total_rows = result.total
        locked.errors = [e.as_dict() for e in result.errors[:STORED_ERRORS]]
        locked.skipped_file = result.skipped_xlsx
        locked.finished_at = now
        locked.save()
        events.record(
            name="import.finished",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={
                "kind": locked.kind,
                "mode": locked.mode,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "skipped": result.skipped,
                "errors": len(result.errors),
            },
        )
    job.refresh_from_db()
    return result


def import_job_fail(
    *, job: ImportJob, reason: str, actor: User | None, now: datetime | None = None
) -> ImportJob:
    """Mark a job failed with `reason` (its run was refused or lost); a finished job is left alone."""
    now = now or clock.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (JobStatus.DONE, JobStatus.FAILED):
            return locked
        locked.status, locked.finished_at = JobStatus.FAILED, now
        locked.errors = [{"row": 0, "column": "", "reason": reason}]
        locked.save(update_fields=["status", "finished_at", "errors"])
        events.record(
            name="import.failed",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"kind": locked.kind, "reason": reason},
        )
    return locked


def import_jobs_housekeep(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Fail jobs abandoned mid-way and delete old workbooks, by the pack's `imports` numbers.

    A job still uploaded or mapped `stale_after` after its upload, or running that long after
    confirm, was left by a crashed server or worker (or by its importer): it is failed. The
    workbook and skipped rows of every job uploaded more than `retention_days` ago are deleted;
    counts and problems stay. Idempotent: run it as often as you like.
    """
    now = now or clock.now()
    policy = active_pack()[1].imports
    stale_before = now - parse_duration(policy.stale_after).as_timedelta()
    waiting = ImportJob.objects.filter(
        status__in=[JobStatus.UPLOADED, JobStatus.MAPPED], created_at__lt=stale_before
    )
    running = ImportJob.objects.filter(status=JobStatus.RUNNING).filter(
        Q(started_at__lt=stale_before) | Q(started_at__isnull=True, created_at__lt=stale_before)
    )
    stale = list((waiting | running).only("id", "status", "kind"))
    expired = ImportJob.objects.filter(
        pruned_at__isnull=True, created_at__lt=now - timedelta(days=policy.retention_days)
    ).exclude(status=JobStatus.RUNNING)
    if dry_run:
        return {"failed": len(stale), "pruned": expired.count()}
    for job in stale:
        import_job_fail(
            job=job,
            reason=f"导入未完成（超过 {policy.stale_after} 无进展），请重新上传 / Abandoned: "
            f"no progress for {policy.stale_after}.",
            actor=None,
            now=now,
        )
    with transaction.atomic():
        pruned = list(expired.select_for_update().values_list("id", flat=True))
        ImportJob.objects.filter(pk__in=pruned).update(source=b"", skipped_file=None, pruned_at=now)
        events.bulk_record(
            [
                Event(
                    name="import.pruned",
                    subject_type=ImportJob._meta.label_lower,
                    subject_id=pk,
                    actor_id=None,
                    payload={"retention_days": policy.retention_days},
                    occurred_at=now,
                )
                for pk in pruned
            ]
        )
    return {"failed": len(stale), "pruned": len(pruned)}
