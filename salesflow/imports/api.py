"""REST endpoints of imports and exports: POST /imports/{kind} (multipart), GET /exports/{kind}.xlsx."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from salesflow.core.errors import FieldErrors, NotFound
from salesflow.core.lookups import visible_or_404
from salesflow.imports import selectors, services
from salesflow.imports.choices import ExportKind, ImportKind, ImportMode, RowAction
from salesflow.imports.models import ImportJob
from salesflow.org.api import current_user
from salesflow.quotes import services as quotes_services

router = Router(tags=["imports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The OpenAPI answer of the download endpoints: a workbook, not JSON.
XLSX_OPENAPI = {
    "responses": {
        200: {
            "description": "An .xlsx workbook",
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class RowErrorOut(Schema):
    row: int
    column: str
    reason: str


class RowOutcomeOut(Schema):
    row: int
    # create / update / unchanged / error (RowAction), with its Chinese label.
    action: str
    action_label: str
    changed: list[str]
    errors: list[str]


class ImportOut(Schema):
    job: int
    kind: str
    mode: str
    total: int
    valid: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    dry_run: bool
    written: bool
    errors: list[RowErrorOut]
    rows: list[RowOutcomeOut]
    skipped_url: str | None


def _kind(kind: str) -> str:
    if kind not in ImportKind.values:
        raise FieldErrors(
            {"kind": [f"应为 {', '.join(ImportKind.values)} 之一 / Unknown kind."]}, location="path"
        )
    return kind


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    """An .xlsx download."""
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ImportJobOut(Schema):
    job: int
    kind: str
    mode: str
    status: str
    total: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    errors: list[RowErrorOut]
    skipped_url: str | None
    status_url: str


def job_out(job: ImportJob) -> ImportJobOut:
    """A job as the API shows it (also the 202 answer of a big upload)."""
    return ImportJobOut(
        job=job.pk,
        kind=job.kind,
        mode=job.mode,
        status=job.status,
        total=job.total_rows,
        created=job.created_count,
        updated=job.updated_count,
        unchanged=job.unchanged_count,
        skipped=job.skipped_count,
        errors=[RowErrorOut(**e) for e in job.errors],
        skipped_url=f"/api/v1/imports/jobs/{job.pk}/skipped.xlsx" if job.skipped_file else None,
        status_url=f"/api/v1/imports/jobs/{job.pk}",
    )


@router.post("/imports/{kind}", response={200: ImportOut, 202: ImportJobOut})
def import_file(
    request: HttpRequest,
    kind: str,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    skip_bad_rows: Form[bool] = False,
    mode: Form[str] = ImportMode.CREATE,
) -> Any:
    """Import an .xlsx: every bad row with row, column and reason; nothing written unless all rows
    are good or `skip_bad_rows` (the skipped rows then download from `skipped_url`).

    `mode`: `create` (仅新建, a row whose record exists is an error), `update` (仅更新, a row
    whose record does not exist is an error) or `upsert` (新建或更新). Rows are matched by
    natural key — customers: the name (ignoring spaces, brackets and case); contacts: customer
    + phone, or customer + name without a phone; orders: customer + order number; leads: phone,
    or e-mail without a phone, among open leads. An update writes only the changed non-empty
    cells. `rows` says per row what happens (or on a dry run would): create, update (with the
    changed columns), unchanged or error.

    A workbook over the pack's `imports.inline_max_rows` runs as a background job: the answer
    is 202 with the job, whose `status_url` tells how it ends."""
    me = current_user(request)
    if mode not in ImportMode.values:
        raise FieldErrors(
            {"mode": [f"应为 {', '.join(ImportMode.values)} 之一 / Unknown mode."]}, location="form"
        )
    job = services.import_job_create(
        kind=_kind(kind), filename=file.name or "upload.xlsx", data=file.read(), actor=me, mode=mode
    )
    if services.is_big(job):
        if dry_run:
            raise FieldErrors(
                {
                    "dry_run": [
                        f"超过 {services.inline_max_rows()} 行的文件不能试运行，请用 设置 → 导入 预览 / "
                        "Too big for a dry run here."
                    ]
                },
                location="form",
            )
        started = services.import_job_start(job=job, skip_bad_rows=skip_bad_rows, actor=me)
        return Status(202, job_out(started))
    result = services.import_job_run(job=job, skip_bad_rows=skip_bad_rows, dry_run=dry_run, actor=me)
    labels = dict(RowAction.choices)
    return ImportOut(
        job=job.pk,
        **{k: v for k, v in result.as_dict().items() if k != "errors"},
        errors=[RowErrorOut(**e.as_dict()) for e in result.errors],
        rows=[RowOutcomeOut(**r, action_label=str(labels[r["action"]])) for r in result.rows],
        skipped_url=f"/api/v1/imports/jobs/{job.pk}/skipped.xlsx"
        if result.written and result.skipped_xlsx
        else None,
    )


@router.get("/imports/jobs/{job_id}", response=ImportJobOut)
def import_job(request: HttpRequest, job_id: int) -> ImportJobOut:
    """Where an import job stands: running, done (with counts and problems) or failed."""
    jobs = selectors.jobs_visible_to(current_user(request)).defer(None).defer("source")
    return job_out(visible_or_404(jobs, job_id, message="没有这个导入 / No such import."))


@router.get("/imports/jobs/{job_id}/skipped.xlsx", openapi_extra=XLSX_OPENAPI)
def skipped_rows(request: HttpRequest, job_id: int) -> HttpResponse:
    """The rows an import skipped, with a 错误原因 column."""
    message = "没有跳过的行 / No skipped rows for this import."
    job = visible_or_404(
        selectors.jobs_visible_to(current_user(request)).defer(None), job_id, message=message
    )
    if not job.skipped_file:
        raise NotFound(message)
    return xlsx_response(bytes(job.skipped_file), f"{job.kind}.skipped.xlsx")


@router.get("/exports/{kind}.xlsx", openapi_extra=XLSX_OPENAPI)
def export(
    request: HttpRequest,
    kind: str,
    q: str = "",
    owner: str = "",
    pool: bool = False,
    status: str = "",
    industry_segment: str = "",
    customer_tier: str = "",
    customer_class: str = "",
    pipeline: str = "",
    stage: str = "",
) -> HttpResponse:
    """What the caller may see of `kind` (customers, contacts, orders, leads, opportunities,
    activities), narrowed by the same query parameters as its list (any filter the list knows,
    e.g. `score_min` for leads), in the columns import reads back: owners by name, dictionary
    labels, money and dates as Excel numbers and dates, the header row frozen."""
    if kind not in ExportKind.values:
        raise FieldErrors(
            {"kind": [f"应为 {', '.join(ExportKind.values)} 之一 / Unknown kind."]}, location="path"
        )
    filters = {k: request.GET.get(k, "") for k in request.GET}
    filters["pool"] = "true" if pool else ""
    data = selectors.export_workbook(kind, current_user(request), filters)
    if kind == ExportKind.QUOTES:
        quotes_services.quote_export_reads_log(reader=current_user(request), filters=filters)
    return xlsx_response(data, f"{kind}.xlsx")
