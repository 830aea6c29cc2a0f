"""The OpenAPI document declares the answers the API really gives (the fuzzer holds it to them)."""

from __future__ import annotations

from salesflow.api import api
from salesflow.imports.api import XLSX


def _operations() -> dict[str, dict]:
    schema = api.get_openapi_schema()
    return {f"{m.upper()} {p}": op for p, ops in schema["paths"].items() for m, op in ops.items()}


def test_every_operation_declares_its_error_answers_with_the_error_shape() -> None:
    for label, operation in _operations().items():
        codes = {str(c) for c in operation["responses"]}
        expected = {"400", "404", "422"}
        if operation.get("security"):
            expected |= {"401", "403"}
        assert expected <= codes, f"{label} lacks {sorted(expected - codes)}"
        error = operation["responses"][404]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Error"}, label


def test_public_writes_declare_throttling_and_writes_declare_conflicts() -> None:
    operations = _operations()
    for label in ("POST /api/v1/auth/token", "POST /api/v1/intake/{key}"):
        assert {401, 429} <= set(operations[label]["responses"]), label
    assert 409 in operations["POST /api/v1/customers/{customer_id}/claim"]["responses"]
    assert 409 not in operations["GET /api/v1/customers"]["responses"]


def test_downloads_declare_a_workbook_not_json() -> None:
    for label in ("GET /api/v1/exports/{kind}.xlsx", "GET /api/v1/imports/jobs/{job_id}/skipped.xlsx"):
        content = _operations()[label]["responses"][200]["content"]
        assert list(content) == [XLSX], label
