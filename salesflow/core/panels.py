"""Cards that a higher app adds to a lower app's detail page (e.g. quotes on an opportunity).

Dependencies point one way (DESIGN.md): the opportunity page cannot import quotes. Quotes
register a panel for the record type "opportunity"; the page renders whatever is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

Panel = Callable[[HttpRequest, Any], str]
_panels: dict[str, list[Panel]] = {}


def register_detail_panel(record: str, panel: Panel) -> None:
    """Add `panel(request, record) -> html` (a rendered template) to `record`'s detail page."""
    registered = _panels.setdefault(record, [])
    if panel not in registered:
        registered.append(panel)


def detail_panels(record: str, request: HttpRequest, obj: Any) -> list[SafeString]:
    """The registered panels of `record`'s page, rendered for `obj` (each from an escaping template)."""
    return [mark_safe(panel(request, obj)) for panel in _panels.get(record, [])]  # noqa: S308
