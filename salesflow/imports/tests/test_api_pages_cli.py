"""The import/export REST API (422s, never 500), the 设置 → 导入 wizard, list exports and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from salesflow.core.testing import TEST_PASSWORD, Trio, api_client_for, run_ready_tasks
from salesflow.customers import services as customer_services
from salesflow.customers.models import Customer
from salesflow.imports.models import ImportJob
from salesflow.imports.tests.helpers import book, cells

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(data: bytes, name: str = "customers.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX)


def _browser(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)  # type: ignore[attr-defined]
    return client


def test_api_import_reports_row_errors_and_writes_nothing(trio: Trio) -> None:
    data = book(["客户名称", "客户等级"], [["甲医院", "三甲"], ["乙医院", "四甲"]])
    response = api_client_for(trio.admin).post("/api/v1/imports/customers", {"file": _upload(data)})
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["skipped"], body["written"]) == (0, 0, False)
    assert body["errors"] == [{"row": 3, "column": "客户等级", "reason": body["errors"][0]["reason"]}]
    assert Customer.objects.count() == 0


def test_api_import_skip_bad_rows_links_the_skipped_rows(trio: Trio) -> None:
    data = book(["客户名称", "客户等级"], [["甲医院", "三甲"], ["乙医院", "四甲"]])
    api = api_client_for(trio.admin)
    body = api.post("/api/v1/imports/customers", {"file": _upload(data), "skip_bad_rows": "true"}).json()
    assert (body["created"], body["skipped"]) == (1, 1)
    skipped = api.get(body["skipped_url"])
    assert skipped.status_code == 200 and skipped["Content-Type"] == XLSX
    assert cells(skipped.content)[1][:2] == ["乙医院", "四甲"]
    assert api_client_for(trio.manager).get(body["skipped_url"]).status_code == 404  # someone else's job


def test_api_dry_run_writes_nothing(trio: Trio) -> None:
    data = book(["客户名称"], [["甲医院"]])
    body = (
        api_client_for(trio.admin)
        .post("/api/v1/imports/customers", {"file": _upload(data), "dry_run": "true"})
        .json()
    )
    assert (body["valid"], body["created"], body["dry_run"], body["written"]) == (1, 1, True, False)
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/api/v1/imports/customers", {}, "file"),
        ("/api/v1/imports/planets", "good", "kind"),
        ("/api/v1/imports/customers", "not-xlsx", "file"),
        ("/api/v1/imports/customers", "no-name-column", "file"),
        ("/api/v1/imports/customers", "bad-flag", "dry_run"),
    ],
)
def test_api_bad_input_is_a_422_naming_the_field(trio: Trio, path: str, payload: object, field: str) -> None:
    good = book(["客户名称"], [["甲医院"]])
    forms = {
        "good": {"file": _upload(good)},
        "not-xlsx": {"file": _upload(b"hello,world", "customers.xlsx")},
        "no-name-column": {"file": _upload(book(["地址"], [["杭州"]]))},
        "bad-flag": {"file": _upload(good), "dry_run": "perhaps"},
    }
    data = forms.get(payload, {}) if isinstance(payload, str) else payload
    response = api_client_for(trio.admin).post(path, data)
    assert response.status_code == 422, response.content
    assert field in [d["loc"][-1] for d in response.json()["detail"]]


def test_api_reps_may_not_import_but_export_only_what_they_see(trio: Trio) -> None:
    customer_services.customer_create(name="我的医院", actor=None, owner=trio.owner)
    customer_services.customer_create(name="别人的医院", actor=None, owner=trio.outsider)
    api = api_client_for(trio.owner)
    response = api.post("/api/v1/imports/customers", {"file": _upload(book(["客户名称"], [["甲"]]))})
    assert response.status_code == 403
    exported = api.get("/api/v1/exports/customers.xlsx")
    assert exported.status_code == 200
    assert [r[0] for r in cells(exported.content)[1:]] == ["我的医院"]
    assert api.get("/api/v1/exports/planets.xlsx").status_code == 422
    assert api.get("/api/v1/exports/customers.xlsx?owner=abc").status_code == 422
    assert api.get("/api/v1/exports/leads.xlsx?status=nonsense").status_code == 422


def test_wizard_upload_map_preview_confirm_and_download_skipped(trio: Trio) -> None:
    client = _browser(trio.admin)
    assert client.get("/settings/import/").status_code == 200
    data = book(["公司名称", "等级", "备注列"], [["甲医院", "三甲", "x"], ["乙医院", "四甲", "y"]])
    response = client.post("/settings/import/", {"kind": "customers", "file": _upload(data)})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/settings/import/{job.pk}/"
    assert job.mapping == {"name": 0, "customer_tier": 1}  # guessed from the headers
    page = client.get(f"/settings/import/{job.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "四甲" in html and 'data-testid="import-error-table"' in html
    client.post(f"/settings/import/{job.pk}/", {"action": "map", "name": "0", "customer_tier": ""})
    job.refresh_from_db()
    assert job.mapping == {"name": 0} and job.status == "mapped"
    client.post(f"/settings/import/{job.pk}/", {"action": "map", "name": "0", "customer_tier": "1"})
    client.post(f"/settings/import/{job.pk}/", {"action": "run"})  # runs in the background
    running = client.get(f"/settings/import/{job.pk}/").content.decode()
    assert 'data-testid="import-progress"' in running and "0 / 2" in running
    run_ready_tasks()
    assert Customer.objects.count() == 0  # all or nothing: refused
    job.refresh_from_db()
    assert job.status == "failed"
    client.post(f"/settings/import/{job.pk}/", {"action": "run", "skip": "1"})
    poll = client.get(f"/settings/import/{job.pk}/", headers={"HX-Request": "true"})
    assert 'data-testid="import-progress"' in poll.content.decode()
    run_ready_tasks()
    assert client.get(f"/settings/import/{job.pk}/", headers={"HX-Request": "true"})["HX-Refresh"] == "true"
    job.refresh_from_db()
    assert (job.status, job.created_count, job.skipped_count) == ("done", 1, 1)
    result = client.get(f"/settings/import/{job.pk}/").content.decode()
    assert 'data-testid="skipped-download"' in result
    skipped = client.get(f"/settings/import/{job.pk}/skipped.xlsx")
    assert cells(skipped.content)[0] == ["公司名称", "等级", "备注列", "错误原因"]


def test_wizard_rejects_a_file_that_is_not_a_workbook_and_reps(trio: Trio) -> None:
    client = _browser(trio.admin)
    response = client.post("/settings/import/", {"kind": "customers", "file": _upload(b"junk")})
    assert response.status_code == 422 and "xlsx" in response.content.decode()
    assert _browser(trio.owner).get("/settings/import/").status_code == 403
    assert _browser(trio.manager).get("/settings/import/").status_code == 200


def test_list_exports_use_the_list_filters(trio: Trio) -> None:
    customer_services.customer_create(name="我的医院", actor=None, owner=trio.owner)
    customer_services.customer_create(name="池中医院", actor=None)
    client = _browser(trio.owner)
    everything = client.get("/customers/export.xlsx")
    assert everything["Content-Type"] == XLSX
    assert sorted(r[0] for r in cells(everything.content)[1:]) == ["我的医院", "池中医院"]
    assert [r[0] for r in cells(client.get("/customers/export.xlsx?owner=me").content)[1:]] == ["我的医院"]
    assert [r[0] for r in cells(client.get("/customers/export.xlsx?pool=1").content)[1:]] == ["池中医院"]
    assert [r[0] for r in cells(client.get("/customers/export.xlsx?q=wdyy").content)[1:]] == ["我的医院"]
    assert cells(client.get("/leads/export.xlsx?pool=true").content)[0][0] == "姓名"
    assert client.get("/leads/export.xlsx?status=bogus").status_code == 422


def test_cli_import_dry_run_all_or_nothing_skip_and_export(trio: Trio, tmp_path: Path) -> None:
    path = tmp_path / "customers.xlsx"
    path.write_bytes(book(["客户名称", "客户等级"], [["甲医院", "三甲"], ["乙医院", "四甲"]]))
    call_command("import", "customers", str(path), "--dry-run")
    assert Customer.objects.count() == 0
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import", "customers", str(path))
    assert Customer.objects.count() == 0
    call_command("import", "customers", str(path), "--skip-bad-rows", "--user", "ops")
    assert list(Customer.objects.values_list("name", flat=True)) == ["甲医院"]
    skipped = tmp_path / "customers.skipped.xlsx"
    assert cells(skipped.read_bytes())[1][:2] == ["乙医院", "四甲"]
    out = tmp_path / "out.xlsx"
    call_command("export", "customers", "--out", str(out), "--user", "owner")
    assert [r[0] for r in cells(out.read_bytes())[1:]] == ["甲医院"]
    with pytest.raises(CommandError):
        call_command("import", "customers", str(tmp_path / "missing.xlsx"))
