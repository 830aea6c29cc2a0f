"""Language: Chinese unless the person chose English (the browser's Accept-Language is ignored)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


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
        from salesflow.core.error_views import localized_reason

        status = exception.status_code
        context = {
            "message": localized_reason(exception.message) or exception.message,
            "status": status if status in (403, 404) else None,
        }
        return render(request, "core/error.html", context, status=status)
