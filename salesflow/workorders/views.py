"""Pages of work orders."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def record_panel(request: HttpRequest, record: Any) -> str:
    """The 工单 card of a customer, opportunity, quote or contract page."""
    return ""
