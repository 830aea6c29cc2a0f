"""The REST API: one NinjaAPI, routers from each app, errors in one shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, RawPostDataException
from ninja import NinjaAPI
from ninja.security import django_auth

from salesflow.activities.api import router as activities_router
from salesflow.analytics.api import router as analytics_router
from salesflow.analytics.api_battle import router as battle_router
from salesflow.analytics.api_forecast import router as analytics_forecast_router
from salesflow.analytics.api_health import router as analytics_health_router
from salesflow.analytics.api_process import router as analytics_process_router
from salesflow.analytics.api_targets import router as analytics_targets_router
from salesflow.approvals.api import router as approvals_router
from salesflow.calendars.api import router as calendars_router
from salesflow.catalog.api import router as catalog_router
from salesflow.contracts.api import router as contracts_router
from salesflow.core.api import router as records_router
from salesflow.core.errors import DomainError, FieldErrors, Throttled
from salesflow.core.inputs import CheckedJSONParser
from salesflow.customers.api import router as customers_router
from salesflow.imports.api import router as imports_router
from salesflow.leads.api import public as intake_router
from salesflow.leads.api import router as leads_router
from salesflow.notify.api import router as notify_router
from salesflow.org.api import BearerToken
from salesflow.org.api import auth_router as org_auth_router
from salesflow.org.api import router as org_router
from salesflow.pipeline.api import router as pipeline_router
from salesflow.quotes.api import router as quotes_router
from salesflow.reviews.api import router as reviews_router
from salesflow.rules.api import router as rules_router
from salesflow.timers.api import router as timers_router
from salesflow.workflows.api import router as search_router
from salesflow.workorders.api import router as workorders_router

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["loc", "msg", "type"],
                        "properties": {
                            "loc": {
                                "type": "array",
                                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                            },
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                },
            ]
        }
    },
    # A domain error adds its context, e.g. 409 with `owner` or `missing`.
    "additionalProperties": True,
}
ERROR_TEXTS = {
    400: "Malformed request",
    401: "Not signed in, or a wrong or expired token",
    403: "Not allowed for the caller's role",
    404: "No such record, or not visible to the caller",
    409: "Conflicts with the record's current state",
    422: "Invalid input, by field",
    429: "Too many requests (Retry-After)",
}


class SalesflowAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document also declares the error answers every operation may give.

    Errors come from the shared exception handlers below, so they are declared here once: every
    operation may answer 400, 404 and 422; a signed-in one 401 and 403; a write 409; a public
    write (token, intake) 401 and 429.
    """

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        """Ninja's document with the error responses added."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                codes = {400, 404, 422}
                writes = method in ("post", "put", "patch", "delete")
                codes |= {401, 403} if operation.get("security") else ({401, 429} if writes else set())
                codes |= {409} if writes else set()
                for code in sorted(codes):
                    if code not in operation["responses"] and str(code) not in operation["responses"]:
                        operation["responses"][code] = {"description": ERROR_TEXTS[code], "content": ref}
        return schema


api = SalesflowAPI(
    title="Salesflow API",
    version="1",
    description="销售过程管理 REST API. Authenticate with `POST /api/v1/auth/token`, then send "
    "`Authorization: Bearer <token>`.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=[BearerToken(), django_auth],
    # Depth-limited and NUL/surrogate-checked even where the middleware did not see the body.
    parser=CheckedJSONParser(),
)


@api.exception_handler(FieldErrors)
def field_errors(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
    """422 with Django Ninja's field-error shape."""
    detail = [
        {"loc": [exc.location, field], "msg": msg, "type": "value_error"}
        for field, messages in exc.errors.items()
        for msg in messages
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """429 with Retry-After."""
    response = api.create_response(request, {"detail": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RawPostDataException)
def body_not_json(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    """415 for a form or multipart body sent to an endpoint that reads JSON.

    The clean-input middleware has already read such a body as a form (to check its fields),
    so the JSON body is gone: the request is answered, not turned into a 500.
    """
    return api.create_response(
        request,
        {"detail": "请求体应为 JSON（Content-Type: application/json） / The body must be JSON."},
        status=415,
    )


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The error's status with its message and context (e.g. 409 with `owner`)."""
    return api.create_response(request, {"detail": exc.message, **exc.context}, status=exc.status_code)


api.add_router("/v1/auth", org_auth_router)
api.add_router("/v1", org_router)
api.add_router("/v1", records_router)
api.add_router("/v1", notify_router)
# Before timers: its `PUT /calendar/{day}` route would otherwise catch `/calendar/entries`.
api.add_router("/v1", calendars_router)
api.add_router("/v1", timers_router)
api.add_router("/v1", rules_router)
api.add_router("/v1", leads_router)
api.add_router("/v1", intake_router)
api.add_router("/v1", activities_router)
api.add_router("/v1", customers_router)
api.add_router("/v1", pipeline_router)
api.add_router("/v1", catalog_router)
api.add_router("/v1", approvals_router)
api.add_router("/v1", quotes_router)
api.add_router("/v1", contracts_router)
api.add_router("/v1", workorders_router)
api.add_router("/v1", imports_router)
api.add_router("/v1", search_router)
api.add_router("/v1", analytics_router)
api.add_router("/v1", analytics_process_router)
api.add_router("/v1", analytics_health_router)
api.add_router("/v1", analytics_forecast_router)
api.add_router("/v1", battle_router)
api.add_router("/v1", analytics_targets_router)
api.add_router("/v1", reviews_router)
