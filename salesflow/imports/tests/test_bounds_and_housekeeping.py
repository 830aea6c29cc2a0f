"""Imports are bounded by the pack (rows, columns), big ones run only in the background, and
jobs a crash abandoned are failed and their files pruned after the pack's retention."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from openpyxl import Workbook

from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.core.models import Event
from salesflow.core.testing import TEST_PASSWORD, Trio, api_client_for, run_ready_tasks
from salesflow.customers.models import Customer
from salesflow.imports import services, xlsx
from salesflow.imports.apps import housekeeping_tick
from salesflow.imports.choices import JobStatus
from salesflow.imports.models import ImportJob
from salesflow.imports.tests.helpers import book
from salesflow.rules import services as rules
from salesflow.rules.selectors import active_pack

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(data: bytes, name: str = "customers.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX)


def _customers(count: int) -> list[list[Any]]:
    return [[f"第{n}人民医院"] for n in range(count)]


def _streamed_book(headers: list[str], rows: list[list[Any]]) -> bytes:
    """A workbook as scripts write it: streamed, with no declared size (<dimension>)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _without_dimension(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                part = re.sub(rb"<dimension[^>]*/>", b"", part)
            zout.writestr(info, part)
    return out.getvalue()


def _xfd_book() -> bytes:
    """18 KB-ish: 1,000 ordinary rows and one cell in column XFD (16,384 columns wide)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["客户名称", "区域", "电话"])
    for n in range(1000):
        ws.append([f"客户{n}", "华东", f"1380000{n:04d}"])
    ws["XFD1"] = "x"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _set_imports(**numbers: Any) -> None:
    _number, pack = active_pack()
    changed = pack.model_copy(update={"imports": pack.imports.model_copy(update=numbers)})
    rules.pack_version_create(pack=changed, actor=None, note="imports")


def _peak_mib(fn: Any) -> float:
    tracemalloc.start()
    try:
        fn()
    except FieldErrors:
        pass
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / 2**20


# --------------------------------------------------------------------------- reading with bounds


def test_a_workbook_declaring_column_xfd_is_refused_before_a_cell_is_read() -> None:
    data = _xfd_book()
    assert len(data) < 40_000
    with pytest.raises(FieldErrors) as refused:
        xlsx.read(data, max_rows=100_000, max_columns=100)
    assert refused.value.errors == {"file": ["表格超过 100 列上限 / The sheet has more than 100 columns."]}
    assert _peak_mib(lambda: xlsx.read(data, max_rows=100_000, max_columns=100)) < 30


def test_an_unsized_workbook_with_a_far_cell_is_refused_too_in_little_memory() -> None:
    data = _without_dimension(_xfd_book())
    with pytest.raises(FieldErrors) as refused:
        xlsx.read(data, max_rows=100_000, max_columns=100)
    assert "100 列上限" in refused.value.errors["file"][0]
    assert _peak_mib(lambda: xlsx.read(data, max_rows=100_000, max_columns=100)) < 30


def test_rows_beyond_the_bound_are_refused_by_declared_size_or_while_streaming() -> None:
    declared = book(["客户名称"], _customers(6))
    with pytest.raises(FieldErrors) as refused:
        xlsx.read(declared, max_rows=5, max_columns=10)
    assert refused.value.errors["file"] == ["表格超过 5 行上限 / The sheet has more than 5 rows."]
    streamed = _streamed_book(["客户名称"], _customers(6))
    with pytest.raises(FieldErrors, match="5 行上限"):
        xlsx.read(streamed, max_rows=5, max_columns=10)
    exactly = xlsx.read(streamed, max_rows=6, max_columns=10)
    assert len(exactly.rows) == 6 and exactly.headers == ["客户名称"]


def test_stop_after_reads_only_the_first_rows() -> None:
    sheet = xlsx.read(book(["客户名称"], _customers(50)), max_rows=100, max_columns=10, stop_after=10)
    assert len(sheet.rows) == 10 and sheet.truncated and sheet.declared_rows == 50
    whole = xlsx.read(book(["客户名称"], _customers(10)), max_rows=100, max_columns=10, stop_after=10)
    assert len(whole.rows) == 10 and not whole.truncated


@pytest.mark.django_db
def test_the_bounds_come_from_the_pack() -> None:
    data = book(["客户名称"], _customers(3))
    assert len(xlsx.read(data).rows) == 3
    _set_imports(max_rows=2)
    with pytest.raises(FieldErrors, match="2 行上限"):
        xlsx.read(data)


# --------------------------------------------------------------------------- big imports in the background


@pytest.mark.django_db
def test_a_big_api_upload_is_a_202_job_that_runs_in_the_background(trio: Trio) -> None:
    _set_imports(inline_max_rows=3)
    api = api_client_for(trio.admin)
    response = api.post("/api/v1/imports/customers", {"file": _upload(book(["客户名称"], _customers(5)))})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["total"]) == ("running", 5)
    assert Customer.objects.count() == 0  # nothing written inside the request
    run_ready_tasks()
    done = api.get(body["status_url"]).json()
    assert (done["status"], done["created"], done["total"]) == ("done", 5, 5)
    assert Customer.objects.count() == 5
    assert api_client_for(trio.manager).get(body["status_url"]).status_code == 404  # not theirs
    small = api.post("/api/v1/imports/customers", {"file": _upload(book(["客户名称"], [["小医院"]]))})
    assert small.status_code == 200 and small.json()["created"] == 1


@pytest.mark.django_db
def test_a_big_dry_run_is_refused_naming_the_field(trio: Trio) -> None:
    _set_imports(inline_max_rows=3)
    response = api_client_for(trio.admin).post(
        "/api/v1/imports/customers",
        {"file": _upload(book(["客户名称"], _customers(5))), "dry_run": "true"},
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["form", "dry_run"]


@pytest.mark.django_db
def test_a_background_job_over_the_row_bound_fails_with_the_limit_named(trio: Trio) -> None:
    # No declared size: the upload sees only the first rows; the job counts them all.
    _set_imports(inline_max_rows=2, max_rows=4)
    api = api_client_for(trio.admin)
    body = api.post(
        "/api/v1/imports/customers", {"file": _upload(_streamed_book(["客户名称"], _customers(6)))}
    ).json()
    run_ready_tasks()
    job = ImportJob.objects.get(pk=body["job"])
    assert job.status == JobStatus.FAILED and "4 行上限" in job.errors[0]["reason"]
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_the_wizard_previews_a_big_file_on_its_first_rows_and_imports_it_in_the_background(
    trio: Trio,
) -> None:
    _set_imports(inline_max_rows=3)
    client = Client()
    assert client.login(username=trio.admin.username, password=TEST_PASSWORD)
    client.post(
        "/settings/import/", {"kind": "customers", "file": _upload(book(["客户名称"], _customers(8)))}
    )
    job = ImportJob.objects.get()
    page = client.get(f"/settings/import/{job.pk}/").content.decode()
    assert 'data-testid="partial-preview"' in page and "前 3 行" in page and "约 8 行" in page
    client.post(f"/settings/import/{job.pk}/", {"action": "run"})
    run_ready_tasks()
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 8)


# --------------------------------------------------------------------------- housekeeping


def _job(trio: Trio, status: str, **fields: Any) -> ImportJob:
    data = book(["客户名称"], [["甲医院"]])
    return ImportJob.objects.create(
        kind="customers",
        filename="c.xlsx",
        source=data,
        status=status,
        created_by=trio.admin,
        created_at=fields.pop("created_at", clock.now()),
        **fields,
    )


@pytest.mark.django_db
def test_jobs_abandoned_by_a_crash_fail_after_stale_after_and_files_go_after_retention(trio: Trio) -> None:
    start = clock.now()
    uploaded = _job(trio, JobStatus.UPLOADED, created_at=start)
    running = _job(trio, JobStatus.RUNNING, created_at=start, started_at=start)
    done = _job(trio, JobStatus.DONE, created_at=start, skipped_file=b"skipped", finished_at=start)
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        assert services.import_jobs_housekeep() == {"failed": 0, "pruned": 0}
        fresh = _job(trio, JobStatus.RUNNING, created_at=clock.now(), started_at=clock.now())
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        assert services.import_jobs_housekeep() == {"failed": 2, "pruned": 0}
    for job in (uploaded, running, fresh, done):
        job.refresh_from_db()
    assert (uploaded.status, running.status, fresh.status, done.status) == (
        "failed",
        "failed",
        "running",
        "done",
    )
    assert "24h" in running.errors[0]["reason"]
    assert Event.objects.filter(name="import.failed", subject_id=running.pk).count() == 1
    with time_machine.travel(start + timedelta(days=30, hours=12), tick=False):
        assert services.import_jobs_housekeep() == {"failed": 1, "pruned": 3}  # fresh now stale too
        assert services.import_jobs_housekeep() == {"failed": 0, "pruned": 0}  # idempotent
    done.refresh_from_db()
    assert bytes(done.source) == b"" and done.skipped_file is None and done.pruned_at is not None
    assert done.status == "done" and Event.objects.filter(name="import.pruned").count() == 3
    fresh.refresh_from_db()
    assert fresh.status == "failed" and fresh.pruned_at is None  # uploaded 29½ days before


@pytest.mark.django_db
def test_retention_and_staleness_come_from_the_pack(trio: Trio) -> None:
    _set_imports(stale_after="2h", retention_days=1)
    start = clock.now()
    job = _job(trio, JobStatus.MAPPED, created_at=start)
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        assert services.import_jobs_housekeep() == {"failed": 1, "pruned": 0}
    with time_machine.travel(start + timedelta(days=2), tick=False):
        assert services.import_jobs_housekeep() == {"failed": 0, "pruned": 1}
    job.refresh_from_db()
    assert job.status == "failed" and job.pruned_at is not None


@pytest.mark.django_db
def test_a_pruned_job_cannot_run_and_its_page_says_so(trio: Trio) -> None:
    start = clock.now()
    job = _job(trio, JobStatus.FAILED, created_at=start)
    with time_machine.travel(start + timedelta(days=31), tick=False):
        services.import_jobs_housekeep()
    client = Client()
    assert client.login(username=trio.admin.username, password=TEST_PASSWORD)
    page = client.get(f"/settings/import/{job.pk}/")
    assert page.status_code == 422 and "文件已过保留期删除" in page.content.decode()
    client.post(f"/settings/import/{job.pk}/", {"action": "run"})
    job.refresh_from_db()
    assert job.status == "failed"


@pytest.mark.django_db
def test_the_worker_runs_housekeeping_once_a_day_and_the_cli_on_demand(trio: Trio) -> None:
    start = clock.now()
    job = _job(trio, JobStatus.UPLOADED, created_at=start)
    later = start + timedelta(days=2)
    assert housekeeping_tick(later) is True
    assert housekeeping_tick(later + timedelta(minutes=1)) is False  # once per local day
    job.refresh_from_db()
    assert job.status == "failed"
    other = _job(trio, JobStatus.UPLOADED, created_at=start)
    out = io.StringIO()
    call_command(
        "imports", "housekeep", "--now", (start + timedelta(days=40)).isoformat(), "--dry-run", stdout=out
    )
    assert "failed 1 abandoned jobs, pruned the files of 2" in out.getvalue()
    other.refresh_from_db()
    assert other.status == "uploaded"  # a dry run changes nothing
    call_command(
        "imports", "housekeep", "--now", (start + timedelta(days=40)).isoformat(), stdout=io.StringIO()
    )
    other.refresh_from_db()
    assert other.status == "failed" and other.pruned_at is not None
