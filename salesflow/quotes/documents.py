"""The quote's PDF snapshot (报价快照): letterhead, lines, totals in ¥ and in Chinese capitals,
clauses, validity and a QR code of the share link, rendered by WeasyPrint with the Noto CJK fonts
embedded (no network fonts: the fonts are the machine's fonts-noto-cjk).

WeasyPrint is imported on first use: it loads Pango, which only sending a quote needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import segno
from django.http import HttpResponse
from django.template.loader import render_to_string

from salesflow.core import clock, printing
from salesflow.core.errors import NotFound
from salesflow.core.money import amount_in_words
from salesflow.org.choices import TeamKind
from salesflow.org.models import Team
from salesflow.quotes.models import Quote, QuoteLine, QuoteVersion


def company_name() -> str:
    """The letterhead: the name of the company's root team."""
    root = Team.objects.filter(kind=TeamKind.COMPANY).order_by("id").first()
    return root.name if root is not None else "Salesflow"


def quote_html(
    *, quote: Quote, version: QuoteVersion, lines: list[QuoteLine], share_url: str, company: str | None = None
) -> str:
    """The HTML the PDF is printed from (also what a test reads); `company` defaults to the
    letterhead of the database's company."""
    qr = segno.make(share_url, error="m").png_data_uri(scale=3, border=1) if share_url else ""
    context: dict[str, Any] = {
        "company": company if company is not None else company_name(),
        "quote": quote,
        "version": version,
        "lines": lines,
        "total_in_words": amount_in_words(version.total),
        "issued_on": clock.to_local(version.sent_at or clock.now()).date(),
        "share_url": share_url,
        "qr": qr,
    }
    return render_to_string("quotes/pdf.html", context)


STYLESHEET = Path(__file__).resolve().parent / "pdf" / "quote.css"


def render_pdf(html: str) -> bytes:
    """PDF bytes of the quote's `html` (the print font subset and embedded)."""
    return printing.render_pdf(html, stylesheet=STYLESHEET)


def pdf_response(quote: Quote, number: int) -> HttpResponse:
    """The stored PDF snapshot of version `number` of a quote the caller may read (404 if unsent)."""
    version = QuoteVersion.objects.filter(quote=quote, number=number).exclude(pdf="").first()
    if version is None:
        raise NotFound("该版本尚未发出，没有 PDF / This version has no PDF yet.")
    with version.pdf.open("rb") as handle:
        data = handle.read()
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"{quote.number}-v{version.number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-SHA256"] = version.pdf_sha256
    return response
