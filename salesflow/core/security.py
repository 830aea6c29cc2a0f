"""Browser hardening: the Content-Security-Policy header, and the client address throttles key on."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Every script, style, font and image is served from /static by this application: nothing
# inline, nothing from elsewhere. Tabler's CSS draws its form controls with data: SVGs.
# Swagger UI at /api/docs (Django Ninja's local copy) runs under the same policy.
STRICT_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy with every response that has none of its own.

    With no inline script allowed, markup injected through a missed escape cannot run.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", STRICT_POLICY)
        return response


def client_address(request: HttpRequest) -> str:
    """The caller's address as the throttles key it (the proxy's, unless it passes REMOTE_ADDR on)."""
    return request.META.get("REMOTE_ADDR") or "unknown"
