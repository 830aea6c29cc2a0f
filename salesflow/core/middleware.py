"""Language: Chinese unless the person chose English (the browser's Accept-Language is ignored);
domain errors on pages; refusing text no field may hold."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from salesflow.core import inputs


class ChosenLanguageMiddleware:
    """Activate the language from the switch's cookie, else the default (zh-Hans).

    A Chinese team's shared screens and borrowed laptops often send English
    Accept-Language headers; the product should still open in Chinese.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class DomainErrorMiddleware:
    """A domain error escaping a page view becomes its status with the message, never a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from salesflow.core.errors import DomainError

        if not isinstance(exception, DomainError):
            return None
        from salesflow.core.error_views import TITLES, localized_reason, render_refusal

        status = exception.status_code
        if status in TITLES:
            # Refused or not visible: the same page as Django's 403 / 404, with the service's reason.
            return render_refusal(request, status=status, message=exception.message)
        context = {"message": localized_reason(exception.message) or exception.message}
        return render(request, "core/error.html", context, status=status)


# Where the REST API lives (salesflow/urls.py): its refusals are JSON in Ninja's error shape.
API_PREFIX = "/api/"
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class CleanInputMiddleware:
    """Refuse NUL, lone surrogates and over-deep JSON anywhere in a request with a 400 naming
    the field: in the path, query parameters, form fields, file names and JSON bodies.

    One check for every page and endpoint, present and future, instead of one per field:
    PostgreSQL would answer such text with an error, i.e. a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            self._check(request)
        except inputs.BadInput as exc:
            return self._refuse(request, exc)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        inputs.check_text(request.path_info, ["path"])
        for key, values in request.GET.lists():
            inputs.check_text(key, ["query", key])
            for value in values:
                inputs.check_text(value, ["query", key])
        content_type = request.content_type or ""
        if content_type in FORM_TYPES:
            for key, values in request.POST.lists():
                inputs.check_text(key, ["form", key])
                for value in values:
                    inputs.check_text(value, ["form", key])
            for key, files in request.FILES.lists():
                for upload in files:
                    inputs.check_text(upload.name or "", ["file", key])
        elif (
            content_type == "application/json"
            or content_type.endswith("+json")
            or (
                # The API parses any other body as JSON too (Ninja ignores the content type).
                request.path_info.startswith(API_PREFIX) and request.method not in ("GET", "HEAD")
            )
        ):
            body = request.body
            if body:
                try:
                    data = inputs.load_json(body)
                except inputs.BadInput:
                    raise
                except ValueError:
                    return  # not JSON at all: the view answers that in its own words
                inputs.remember_checked_json(request, data)

    def _refuse(self, request: HttpRequest, exc: inputs.BadInput) -> HttpResponse:
        from django.http import JsonResponse
        from django.shortcuts import render
        from django.utils.translation import gettext

        reason = {
            "NUL": "含有空字符（NUL） / contains a NUL character",
            "lone surrogate": "含有不成对的代理字符 / contains a lone surrogate",
        }.get(exc.reason, f"嵌套过深 / {exc.reason}")
        if request.path_info.startswith(API_PREFIX):
            detail = [{"loc": exc.loc, "msg": f"{exc.field}: {reason}", "type": "value_error"}]
            return JsonResponse({"detail": detail}, status=400)
        problem = {
            "NUL": gettext("含有空字符（NUL）"),
            "lone surrogate": gettext("含有不成对的代理字符"),
        }.get(exc.reason, gettext("嵌套过深"))
        field = str(exc.loc[-1]) if len(exc.loc) > 1 else str(exc.loc[0])
        message = gettext("「%(field)s」%(problem)s，请删除后重试。") % {"field": field, "problem": problem}
        return render(request, "core/error.html", {"message": message}, status=400)
