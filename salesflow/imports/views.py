"""设置 → 导入 (upload → column mapping → preview → confirm → result) and the list pages' Excel exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from salesflow.core.errors import DomainError, FieldErrors, user_message
from salesflow.core.htmx import htmx_partial
from salesflow.core.lookups import visible_or_404
from salesflow.imports import selectors, services, xlsx
from salesflow.imports.api import xlsx_response
from salesflow.imports.choices import ExportKind, ImportKind, ImportMode, JobStatus, RowAction
from salesflow.imports.forms import MappingForm, UploadForm
from salesflow.imports.permissions import REFUSAL, can_import
from salesflow.imports.spec import NATURAL_KEYS, columns_of
from salesflow.imports.tasks import progress_key
from salesflow.imports.validation import validate
from salesflow.org.models import User
from salesflow.org.selectors import current_user
from salesflow.quotes import services as quotes_services

# The preview lists this many problems; the skipped-rows workbook carries all of them.
PREVIEW_ERRORS = 1000
# The dry run's per-row table (新建 / 更新 / 不变 / 错误) shows this many rows; the counts cover all.
PREVIEW_ROWS = 200


def _importer(request: HttpRequest) -> User:
    me = current_user(request)
    if not can_import(me):
        raise PermissionDenied(REFUSAL)
    return me


@login_required
def import_home(request: HttpRequest) -> HttpResponse:
    """Step 1: choose what to import and upload the workbook; recent imports below."""
    me = _importer(request)
    allowed = [(k, label) for k, label in ImportKind.choices if can_import(me, k)]
    initial_kind = request.GET.get("kind", "")
    form = UploadForm(initial={"kind": initial_kind} if initial_kind in dict(allowed) else None)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
    form.fields["kind"].choices = allowed  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_create(
                kind=form.cleaned_data["kind"],
                mode=form.cleaned_data["mode"] or ImportMode.CREATE,
                filename=upload.name,
                data=upload.read(),
                actor=me,
            )
        except DomainError as exc:
            form.add_error("file", user_message(exc))
        else:
            return redirect("import-job", job_id=job.pk)
    return render(
        request,
        "imports/home.html",
        {
            "nav": "settings",
            "form": form,
            "jobs": selectors.jobs_visible_to(me)[:20],
            "kinds": [(k, label, [c.header for c in columns_of(k)], NATURAL_KEYS[k]) for k, label in allowed],
        },
        status=422 if form.errors else 200,
    )


@login_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """Steps 2–5: column mapping, preview listing every problem, confirm, and the result."""
    me = _importer(request)
    job = visible_or_404(selectors.jobs_visible_to(me).defer(None), job_id)
    finished = job.status == JobStatus.DONE
    mapping_form = MappingForm(kind=job.kind, headers=job.headers, initial_mapping=job.mapping, mode=job.mode)
    problem = ""
    if request.method == "POST" and not finished:
        action = request.POST.get("action")
        if action == "map":
            mapping_form = MappingForm(
                request.POST, kind=job.kind, headers=job.headers, initial_mapping=job.mapping, mode=job.mode
            )
            if mapping_form.is_valid():
                try:
                    services.import_job_map(
                        job=job,
                        mapping=mapping_form.mapping(),
                        mode=mapping_form.cleaned_data["mode"] or None,
                        actor=me,
                    )
                except DomainError as exc:
                    problem = user_message(exc)
                else:
                    return redirect("import-job", job_id=job.pk)
        elif action == "run":
            try:
                services.import_job_start(job=job, skip_bad_rows=request.POST.get("skip") == "1", actor=me)
            except DomainError as exc:
                problem = user_message(exc)
            else:
                return redirect("import-job", job_id=job.pk)
    if htmx_partial(request) and job.status != JobStatus.RUNNING:
        # The poll sees the job finished: the whole page shows the result.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if job.status == JobStatus.RUNNING:
        done, total = cache.get(progress_key(job.pk)) or (0, job.total_rows)
        context = {
            "job": job,
            "done": done,
            "total": total,
            "percent": round(100 * done / total) if total else 0,
        }
        if htmx_partial(request):
            return render(request, "imports/partials/progress.html", context)
        return render(request, "imports/running.html", {"nav": "settings", **context})
    preview = None
    if job.pruned_at is not None:
        problem = problem or _("文件已过保留期删除，请重新上传。")
    elif not finished:
        try:
            # A big workbook is previewed on its first rows; all of them are checked when it runs.
            sheet = xlsx.read(bytes(job.source), stop_after=services.inline_max_rows())
            checked = validate(job.kind, sheet, job.mapping, actor=me, mode=job.mode)
        except DomainError as exc:
            problem = problem or user_message(exc)
        else:
            errors = checked.errors
            outcomes = checked.outcomes()
            preview = {
                "created": checked.count(RowAction.CREATE),
                "updated": checked.count(RowAction.UPDATE),
                "unchanged": checked.count(RowAction.UNCHANGED),
                "outcomes": outcomes[:PREVIEW_ROWS],
                "more_rows": max(0, len(outcomes) - PREVIEW_ROWS),
                "valid": len(checked.good),
                "bad_rows": len(checked.bad),
                "errors": errors[:PREVIEW_ERRORS],
                "more": max(0, len(errors) - PREVIEW_ERRORS),
                "sample": [v for _n, v in checked.good[:5]],
                "partial": len(sheet.rows) if sheet.truncated else 0,
            }
    step = 5 if finished else (3 if job.status == JobStatus.MAPPED or job.status == JobStatus.FAILED else 2)
    return render(
        request,
        "imports/job.html",
        {
            "nav": "settings",
            "job": job,
            "finished": finished,
            "step": step,
            "mapping_form": mapping_form,
            "preview": preview,
            "problem": problem,
            "columns": columns_of(job.kind),
            "natural_key": NATURAL_KEYS[job.kind],
            "action_labels": dict(RowAction.choices),
            "has_skipped": bool(job.skipped_file),
        },
        status=422 if problem else 200,
    )


@login_required
def skipped_download(request: HttpRequest, job_id: int) -> HttpResponse:
    """The rows the import skipped, with the reason for each."""
    me = _importer(request)
    job = visible_or_404(selectors.jobs_visible_to(me).defer(None), job_id)
    if not job.skipped_file:
        raise Http404("No skipped rows")
    return xlsx_response(bytes(job.skipped_file), f"{job.kind}.skipped.xlsx")


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    # The list's own query string: every filter its dataclass knows applies (selectors).
    filters = {k: request.GET.get(k, "")[:200] for k in request.GET}
    try:
        data = selectors.export_workbook(kind, current_user(request), filters)
    except FieldErrors as exc:
        # A link with a bad filter: name the parameter, as the API's 422 does.
        text = "\n".join(f"{name}: {line}" for name, lines in exc.errors.items() for line in lines)
        return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
    if kind == ExportKind.QUOTES:
        quotes_services.quote_export_reads_log(reader=current_user(request), filters=filters)
    return xlsx_response(data, f"{kind}.xlsx")


@login_required
def export_customers(request: HttpRequest) -> HttpResponse:
    """GET /customers/export.xlsx?q=&owner=me&pool=1 — the visible customers, as the list filters them."""
    return _export(request, ExportKind.CUSTOMERS)


@login_required
def export_leads(request: HttpRequest) -> HttpResponse:
    """GET /leads/export.xlsx?q=&owner=me&pool=true&status= — the visible leads."""
    return _export(request, ExportKind.LEADS)


@login_required
def export_opportunities(request: HttpRequest) -> HttpResponse:
    """GET /opportunities/export.xlsx?owner=me&status=&stage= — the visible opportunities."""
    return _export(request, ExportKind.OPPORTUNITIES)


@login_required
def export_products(request: HttpRequest) -> HttpResponse:
    """GET /settings/products/export.xlsx?q=&product_line=&active= — the catalogue (costs only for
    the roles the pack lets see them)."""
    return _export(request, ExportKind.PRODUCTS)


@login_required
def export_quotes(request: HttpRequest) -> HttpResponse:
    """GET /quotes/export.xlsx?q=&state=&customer= — the quotes the caller may read (never a cost)."""
    return _export(request, ExportKind.QUOTES)


@login_required
def export_contracts(request: HttpRequest) -> HttpResponse:
    """GET /contracts/export.xlsx?q=&state= — the contracts the caller may read."""
    return _export(request, ExportKind.CONTRACTS)


@login_required
def export_receivables(request: HttpRequest) -> HttpResponse:
    """GET /receivables/export.xlsx?bucket=&team=&owner= — the instalments behind an ageing cell."""
    return _export(request, ExportKind.RECEIVABLES)


@login_required
def export_approvals(request: HttpRequest) -> HttpResponse:
    """GET /approvals/export.xlsx?state=pending|mine|done — a tab of 我的审批."""
    return _export(request, ExportKind.APPROVALS)


@login_required
def export_workorders(request: HttpRequest) -> HttpResponse:
    """GET /workorders/export.xlsx?mine=&department=&type=&state=&status=&assignee=&q= — 我的工单 or
    a department queue, as filtered on the page."""
    return _export(request, ExportKind.WORKORDERS)


@login_required
def export_activities(request: HttpRequest) -> HttpResponse:
    """GET /activities/export.xlsx?owner=me&kind=call — the activities on what the caller sees."""
    return _export(request, ExportKind.ACTIVITIES)
