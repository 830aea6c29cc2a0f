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


def test_no_two_api_schemas_share_a_name() -> None:
    """OpenAPI names components by class name: a second `VersionOut` silently replaces the first
    in the document, and clients validate one endpoint's answers against the other's schema."""
    from ninja import Schema

    import salesflow.api  # noqa: F401  (every router and its schemas are imported)

    def subclasses(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    seen: dict[str, list[str]] = {}
    for cls in subclasses(Schema):
        if cls.__module__.startswith("salesflow."):
            seen.setdefault(cls.__name__, []).append(cls.__module__)
    shared = {name: sorted(set(modules)) for name, modules in seen.items() if len(set(modules)) > 1}
    assert shared == {}
