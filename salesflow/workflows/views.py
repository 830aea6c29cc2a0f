"""The search page and the top bar's suggestions (the same view: htmx asks for the fragment)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from salesflow.core.errors import FieldErrors, user_message
from salesflow.core.htmx import htmx_partial
from salesflow.org.selectors import current_user
from salesflow.workflows import selectors

# The page lists more of each kind than the suggestions under the search box.
PAGE_LIMIT = 20
SUGGEST_LIMIT = 5


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """搜索: leads, customers, contacts and opportunities the viewer may open, grouped by kind."""
    me = current_user(request)
    raw = request.GET.get("q", "")
    suggest = htmx_partial(request)
    error = ""
    try:
        results = selectors.search_everything(me, raw, limit=SUGGEST_LIMIT if suggest else PAGE_LIMIT)
    except FieldErrors as exc:
        results, error = selectors.SearchResults(q=raw.strip()), user_message(exc)
    context = {"results": results, "error": error, "min_chars": selectors.SUGGEST_MIN_CHARS}
    if suggest:
        if len(results.q) < selectors.SUGGEST_MIN_CHARS and not error:
            return HttpResponse("")
        return render(request, "workflows/partials/search_suggestions.html", context)
    return render(request, "workflows/search.html", {**context, "nav": ""})
