"""The one htmx helper: the same view returns a fragment or the whole page."""

from django.http import HttpRequest


def htmx_partial(request: HttpRequest) -> bool:
    """True when htmx asked for a fragment (and not a full-page boost)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
