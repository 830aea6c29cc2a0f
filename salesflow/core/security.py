"""Browser hardening: the Content-Security-Policy header, and the client address throttles key on."""

from __future__ import annotations

import re
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


# An origin as a CSP source: scheme, host and an optional port; nothing that could end the directive.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def framable_policy(origins: list[str]) -> str:
    """The strict policy, except that the page may be framed: by `origins` when any are valid
    origins, else by any site. For the hosted lead forms (/f/<key>/) alone."""
    # "any site" is spelled with schemes: chromium does not let `*` match an http: ancestor.
    ancestors = " ".join(o for o in origins if _ORIGIN.match(o)) or "https: http:"
    return STRICT_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors 'self' {ancestors}")


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
