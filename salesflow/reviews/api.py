"""REST endpoints of the monthly process review: a month's agenda, mark discussed, record a decision,
and the minutes (xlsx through the export machinery, PDF).

Only a meeting's chair and viewer roles (pack `meetings`) read it (403 for others, 404 for an
unknown meeting or item); only its chair roles act (403); bad input is a 422 naming the field.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from salesflow.core.errors import FieldErrors
from salesflow.imports import selectors as exports
from salesflow.imports.api import XLSX_OPENAPI, xlsx_response
from salesflow.imports.choices import ExportKind
from salesflow.org.models import User
from salesflow.org.selectors import current_user
from salesflow.reviews import documents, selectors, services
from salesflow.reviews.selectors import AgendaRow

router = Router(tags=["reviews"])


class ReviewPersonOut(Schema):
    id: int
    name: str


class AgendaSubjectOut(Schema):
    """The record behind an item: `name` and `url` only for those who may see the record."""

    type: str | None
    type_label: str
    id: int
    name: str
    url: str | None
    visible: bool


class AgendaItemOut(Schema):
    id: int
    meeting: str
    month: str
    group: str
    team: str
    subject: AgendaSubjectOut
    reason: str
    rule_code: str
    rule_label: str
    created_at: datetime
    resolved_at: datetime | None
    discussed: bool
    discussed_at: datetime | None
    discussed_by: ReviewPersonOut | None
    decision: str
    decision_owner: ReviewPersonOut | None
    decided_at: datetime | None
    decided_by: ReviewPersonOut | None


class AgendaPage(Schema):
    meeting: str
    meeting_label: str
    month: str
    can_chair: bool
    items: list[AgendaItemOut]
    next: str | None


class DiscussIn(Schema):
    discussed: bool = True


class DecisionIn(Schema):
    decision: str
    owner: int


def _person(user: User | None) -> ReviewPersonOut | None:
    return ReviewPersonOut(id=user.pk, name=str(user)) if user is not None else None


def _out(row: AgendaRow) -> AgendaItemOut:
    item, entry = row.item, row.entry
    return AgendaItemOut(
        id=item.pk,
        meeting=item.meeting,
        month=f"{row.month:%Y-%m}",
        group=row.group,
        team=row.team,
        subject=AgendaSubjectOut(
            type=row.type_name,
            type_label=row.type_label,
            id=item.subject_id,
            name=row.name,
            url=row.url,
            visible=row.visible,
        ),
        reason=item.reason,
        rule_code=item.rule_code,
        rule_label=row.rule_label,
        created_at=item.created_at,
        resolved_at=item.resolved_at,
        discussed=row.discussed,
        discussed_at=entry.discussed_at if entry else None,
        discussed_by=_person(entry.discussed_by) if entry else None,
        decision=entry.decision if entry else "",
        decision_owner=_person(entry.decision_owner) if entry else None,
        decided_at=entry.decided_at if entry else None,
        decided_by=_person(entry.decided_by) if entry else None,
    )


def _month(text: str) -> date:
    return selectors.parse_month(text)


@router.get("/reviews/{meeting}/agenda", response=AgendaPage)
def agenda(request: HttpRequest, meeting: str, month: str = "") -> AgendaPage:
    """The agenda of `meeting` (e.g. `monthly_process_review`) for `month` (YYYY-MM, default this
    month), grouped by type and team, with what the meeting discussed and decided."""
    me = current_user(request)
    found = selectors.require_viewer(me, meeting)
    chosen = _month(month)
    rows = [
        row
        for group in selectors.grouped(selectors.agenda_for(me, meeting_code=meeting, month=chosen))
        for row in group.rows
    ]
    return AgendaPage(
        meeting=meeting,
        meeting_label=found.label,
        month=f"{chosen:%Y-%m}",
        can_chair=selectors.may_chair(me, meeting),
        items=[_out(row) for row in rows],
        next=None,
    )


def _item_out(me: User, item_id: int) -> AgendaItemOut:
    (row,) = selectors.describe([selectors.item_for(me, item_id)], me)
    return _out(row)


@router.post("/reviews/items/{item_id}/discuss", response=AgendaItemOut)
def discuss(request: HttpRequest, item_id: int, payload: DiscussIn) -> AgendaItemOut:
    """Mark an item discussed (`discussed: false` takes the mark back while it has no decision)."""
    me = current_user(request)
    item = selectors.item_for(me, item_id)
    services.agenda_item_discuss(item=item, actor=me, discussed=payload.discussed)
    return _item_out(me, item_id)


@router.post("/reviews/items/{item_id}/decision", response=AgendaItemOut)
def decide(request: HttpRequest, item_id: int, payload: DecisionIn) -> AgendaItemOut:
    """Record the meeting's decision and its owner (a person's id); the item is then discussed and
    resolved. 422 names `decision` or `owner`."""
    me = current_user(request)
    item = selectors.item_for(me, item_id)
    owner = selectors.owner_choices().filter(pk=payload.owner).first()
    if owner is None and selectors.may_chair(me, item.meeting):
        raise FieldErrors(
            {"owner": [f"没有编号为 {payload.owner} 的在职人员 / No active person {payload.owner}."]}
        )
    services.agenda_item_decide(item=item, decision=payload.decision, owner=owner, actor=me)
    return _item_out(me, item_id)


@router.get("/reviews/{meeting}/minutes.xlsx", openapi_extra=XLSX_OPENAPI)
def minutes_xlsx(request: HttpRequest, meeting: str, month: str = "") -> HttpResponse:
    """The minutes of the month as xlsx (also `GET /exports/review_minutes.xlsx?meeting=&month=`)."""
    chosen = _month(month)
    data = exports.export_workbook(
        ExportKind.REVIEW_MINUTES, current_user(request), {"meeting": meeting, "month": f"{chosen:%Y-%m}"}
    )
    return xlsx_response(data, f"{meeting}-{chosen:%Y-%m}.xlsx")


@router.get("/reviews/{meeting}/minutes.pdf", response={200: None})
def minutes_pdf(request: HttpRequest, meeting: str, month: str = "") -> HttpResponse:
    """The minutes of the month as PDF (application/pdf, Noto CJK embedded)."""
    return documents.minutes_response(user=current_user(request), meeting_code=meeting, month=_month(month))
