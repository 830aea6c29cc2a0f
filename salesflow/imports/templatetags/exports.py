"""`{% export_url 'customer-export' %}`: a list's Excel export link carrying the list's filters."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

register = template.Library()

# Where a list is, not what it shows: the export is every matching row, not one page of them.
_PAGING = ("page", "cursor", "after", "before")


@register.simple_tag(takes_context=True)
def export_url(context: dict[str, Any], name: str, **fixed: Any) -> str:
    """The export route `name` with the current page's query string (less paging) and `fixed`
    parameters the page applies without a query parameter (e.g. the leads page's `owned=1`).

    The export view reads every filter the list's filter dataclass knows from it.
    """
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    url = reverse(name)
    if query is None:
        from django.http import QueryDict

        query = QueryDict(mutable=True)
    for key in _PAGING:
        query.pop(key, None)
    for key, value in fixed.items():
        query[key] = str(value)
    encoded = query.urlencode()
    return f"{url}?{encoded}" if encoded else url
