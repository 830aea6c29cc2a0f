"""The minutes of a meeting's month as PDF (会议纪要): rendered by WeasyPrint with the machine's
Noto CJK fonts embedded, like the quote snapshot. Rendered on each download (the minutes change
while the meeting runs); the response names the PDF's SHA-256."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string

from salesflow.core import clock, printing
from salesflow.quotes.documents import company_name
from salesflow.reviews import selectors

STYLESHEET = Path(__file__).resolve().parent / "pdf" / "minutes.css"


def minutes_html(*, user: Any, meeting_code: str, month: date) -> str:
    """The HTML the PDF is printed from (what `user` may read of the month's agenda)."""
    meeting = (
        selectors.require_viewer(user, meeting_code) if user is not None else selectors.meeting(meeting_code)
    )
    rows = selectors.agenda_for(user, meeting_code=meeting_code, month=month)
    return render_to_string(
        "reviews/minutes_pdf.html",
        {
            "company": company_name(),
            "meeting": meeting,
            "month": month,
            "groups": selectors.grouped(rows),
            "total": len(rows),
            "discussed": sum(1 for r in rows if r.discussed),
            "decided": sum(1 for r in rows if r.decided),
            "printed_at": clock.now(),
        },
    )


def minutes_response(*, user: Any, meeting_code: str, month: date) -> HttpResponse:
    """The month's minutes as an inline PDF download."""
    html = minutes_html(user=user, meeting_code=meeting_code, month=month)
    data = printing.render_pdf(html, stylesheet=STYLESHEET)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{meeting_code}-{month:%Y-%m}.pdf"'
    response["X-Content-SHA256"] = hashlib.sha256(data).hexdigest()
    return response
