"""The customer's view of a sent quote (报价快照) by its share link `/q/<token>/`: no login, read
only, expiring and revocable. Opening it is logged (access log and the quote's timeline); the page
reports which sections the customer reads and for how long, so repeated reading of one clause
prompts the rep to call. A revoked or expired link answers 410, an unknown one 404."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesflow.core.errors import DomainError, FieldErrors, NotFound, user_message
from salesflow.core.models import PublicLink
from salesflow.core.money import amount_in_words
from salesflow.core.public_links import LinkGone, public_link_resolve
from salesflow.quotes import documents, services
from salesflow.quotes.models import QuoteLine, QuoteVersion

# A reading report is a few dozen bytes; anything larger is not from the page.
MAX_BEACON_BYTES = 2048


def _resolve(request: HttpRequest, token: str, kind: str) -> tuple[PublicLink, QuoteVersion]:
    link = public_link_resolve(
        token=token,
        purpose=services.SHARE_PURPOSE,
        kind=kind,
        ip=str(request.META.get("REMOTE_ADDR", "")),
        user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
    )
    return link, services.shared_version(link)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The token is in the URL: it never leaves for another site. Same-origin (not no-referrer),
    # because the customer's answer is a form post that CSRF checks by its origin.
    response["Referrer-Policy"] = "same-origin"
    return response


def _gone(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _private(
        render(
            request,
            "quotes/share_gone.html",
            {"message": user_message(exc), "gone": exc.status_code == 410},
            status=exc.status_code,
        )
    )


@require_http_methods(["GET", "POST"])
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET /q/<token>/ — the quote as the customer received it; POST — the customer's answer
    (accept, or ask for changes with a comment)."""
    try:
        _link, version = _resolve(request, token, "open" if request.method == "GET" else "answer")
    except (NotFound, LinkGone) as exc:
        return _gone(request, exc)
    errors: dict[str, list[str]] = {}
    answered = ""
    status = 200
    if request.method == "POST":
        outcome = str(request.POST.get("outcome", ""))[:20]
        try:
            services.quote_customer_answer(
                version=version, outcome=outcome, comment=str(request.POST.get("comment", ""))[:1200]
            )
        except FieldErrors as exc:
            errors, status = exc.errors, 400
        except DomainError as exc:
            errors, status = {"form": [user_message(exc)]}, exc.status_code
        else:
            answered = outcome
        version.quote.refresh_from_db()
    else:
        services.quote_share_opened(version=version)
    quote = version.quote
    context = {
        "company": documents.company_name(),
        "quote": quote,
        "version": version,
        "lines": list(QuoteLine.objects.filter(version=version).order_by("position")),
        "total_in_words": amount_in_words(version.total),
        "pdf_url": reverse("quote-share-pdf", args=[token]),
        "beacon_url": reverse("quote-share-beacon", args=[token]),
        "errors": errors,
        "answered": answered,
        "awaiting": quote.state == "sent" and quote.current_version == version.number,
    }
    return _private(render(request, "quotes/share.html", context, status=status))


@require_GET
def share_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """GET /q/<token>/pdf — the PDF snapshot of the shared version."""
    try:
        _link, version = _resolve(request, token, "download")
    except (NotFound, LinkGone) as exc:
        return _gone(request, exc)
    return _private(documents.pdf_response(version.quote, version.number))


@csrf_exempt  # the token is the credential; the page posts readings with fetch(keepalive)
@require_POST
def share_beacon(request: HttpRequest, token: str) -> HttpResponse:
    """POST /q/<token>/read — {"section": code, "seconds": n}: one reading of a section."""
    try:
        _link, version = _resolve(request, token, "poll")
    except (NotFound, LinkGone) as exc:
        return HttpResponse(
            user_message(exc), status=exc.status_code, content_type="text/plain; charset=utf-8"
        )
    data = None
    if (
        request.content_type == "application/json"
        and int(request.META.get("CONTENT_LENGTH") or 0) <= MAX_BEACON_BYTES
    ):
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            data = None
    if not isinstance(data, dict):
        return HttpResponse("bad reading", status=400, content_type="text/plain; charset=utf-8")
    try:
        services.quote_section_read(
            version=version, section=str(data.get("section", ""))[:40], seconds=data.get("seconds")
        )
    except FieldErrors as exc:
        return HttpResponse(user_message(exc), status=400, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204)
