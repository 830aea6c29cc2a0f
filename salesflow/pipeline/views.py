"""商机 pages: the pipeline board, an opportunity's checklist and evidence, visit task packages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesflow.core import clock, events
from salesflow.core.errors import DomainError, FieldErrors, user_message
from salesflow.core.lookups import SEARCH_MAX, InArray, visible_or_404
from salesflow.core.pagination import (
    ListParams,
    choose_sort,
    light_and_due,
    list_links,
    sorted_page,
)
from salesflow.core.panels import detail_panels
from salesflow.core.templatetags.salesflow import money
from salesflow.customers.selectors import primary_phones
from salesflow.customers.services import may_unfreeze
from salesflow.notify.services import readable_or_404
from salesflow.org.models import User
from salesflow.org.selectors import current_user, list_filter_choices
from salesflow.pipeline import selectors, services
from salesflow.pipeline.apps import need_points_text, requirement_name
from salesflow.pipeline.choices import EVIDENCE_KIND_LABELS, FLAG_LABELS, OpportunityStatus
from salesflow.pipeline.forms import AdvanceForm, CloseForm, EvidenceForm, VisitFinishForm, VisitForm
from salesflow.pipeline.models import Evidence, Opportunity, Visit
from salesflow.rules.schema import EvidenceRequirement, Stage, StageTemplate
from salesflow.rules.selectors import active_pack, is_frozen
from salesflow.timers.models import Deadline
from salesflow.timers.selectors import deadlines_for, sla_rows

# A column shows at most this many cards (the longest-waiting first); filters narrow the rest.
COLUMN_LIMIT = 100
FILE_KINDS = ("photo", "signed_pdf", "document")
# Kinds proven by a note, optionally with a file attached.
NOTE_WITH_FILE_KINDS = ("meeting_minutes", "milestone")
ACCEPT = {
    "photo": "image/*",
    "signed_pdf": "application/pdf,.pdf",
    "document": ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,image/*",
    "meeting_minutes": ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,image/*",
    "milestone": ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,image/*",
}
EVIDENCE_KINDS = {
    "document",
    "photo",
    "signed_pdf",
    "need_points",
    "gps_checkin",
    "voice_memo_text",
    "meeting_minutes",
}


def _missing_text(missing: list[dict[str, str]]) -> str:
    """“缺少证据：客户需求说明书 — 上传后即可推进” (fields and milestones: 补齐后)."""
    labels = "、".join(m["label"] for m in missing)
    if all(m["kind"] in EVIDENCE_KINDS for m in missing):
        return _("缺少证据：%(labels)s — 上传后即可推进") % {"labels": labels}
    return _("缺少：%(labels)s — 补齐后即可推进") % {"labels": labels}


def _flag_labels(flags: list[str]) -> list[str]:
    return [str(FLAG_LABELS.get(f.split(":")[0], f)) for f in flags]


def _evidence_item(e: Evidence, label: str | None) -> dict[str, Any]:
    """One piece of evidence as its tile shows it: the requirement's name, flags and need points named."""
    return {
        "e": e,
        "flags": _flag_labels(e.flags),
        "label": label or requirement_name(e.requirement) or EVIDENCE_KIND_LABELS.get(e.kind, e.kind),
        "text": need_points_text(e.text, e.requirement) if e.kind == "need_points" else e.text,
    }


# ---------------------------------------------------------------------------------------------
# The board


@dataclass
class Card:
    """One opportunity as its board card shows it."""

    opportunity: Opportunity
    days_in_stage: float
    light: str
    missing: list[dict[str, str]] = field(default_factory=list)
    html: str = ""  # filled by `card_html` for the board


@dataclass
class Column:
    """One stage of the board."""

    stage: Stage
    index: int
    cards: list[Card] = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal("0")


_CARD = (
    '<div class="card card-sm sf-card mb-2" data-id="{pk}" data-stage="{stage}" data-amount="{amount}"'
    ' data-testid="card-{pk}">\n'
    '  <div class="card-status-start sf-light-bg-{light}"></div>\n'
    '  <div class="card-body p-2">\n'
    '    <div class="d-flex align-items-start gap-1">\n'
    '      <span class="sf-dot sf-light-bg-{light} mt-1" title="{light_title}" data-light="{light}"></span>\n'
    '      <a href="{url}" class="fw-bold text-reset sf-card-title">{title}</a>\n'
    "    </div>\n"
    '    <div class="small text-secondary text-truncate">{customer}</div>\n'
    '    <div class="d-flex justify-content-between align-items-center mt-1 small">\n'
    '      <span class="fw-medium">{money}</span>\n'
    '      <span class="text-secondary" title="{days_title}"><i class="ti ti-clock"></i> {days}</span>\n'
    "    </div>\n"
    "    {missing}\n"
    "    {owner}\n"
    "  </div>\n"
    "</div>\n"
)


def card_html(cards: list[Card]) -> list[SafeString]:
    """The HTML of board cards (a board holds hundreds), every value escaped.

    Written out in Python rather than a template included per card: at 500 cards the include
    cost about 0.5 ms a card, most of the board's time at issue #15's size.
    """
    light_titles = {
        "red": escape(_("红灯：已超时或长期未更新")),
        "yellow": escape(_("黄灯：有风险")),
    }
    green_title = escape(_("绿灯：正常"))
    days_title = escape(_("在本阶段的天数"))
    days_text = _("%(d)s 天")
    lacking = escape(_("缺"))
    # `localize` of a number, its three format lookups made once for the page.
    language = get_language()
    decimal_sep, grouping, thousand_sep = (
        get_format(name, language) for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
    )

    def number(value: Decimal | float) -> str:
        return numberformat.format(
            value, decimal_sep, grouping=grouping, thousand_sep=thousand_sep, use_l10n=True
        )

    url = reverse("opportunity-detail", args=[0]).removesuffix("0/")
    out = []
    for card in cards:
        o = card.opportunity
        missing = (
            '<div class="small mt-1 text-danger sf-card-missing" data-testid="card-missing">'
            f'<i class="ti ti-file-alert"></i> {lacking}：'
            + "、".join(escape(m["label"]) for m in card.missing)
            + "</div>"
            if card.missing
            else ""
        )
        owner = (
            f'<div class="small text-secondary mt-1"><i class="ti ti-user"></i> {escape(o.owner)}</div>'
            if o.owner
            else ""
        )
        out.append(
            mark_safe(  # noqa: S308 - every value above and below is escaped
                _CARD.format(
                    pk=o.pk,
                    stage=escape(o.stage),
                    amount=escape(number(o.amount)),
                    light=escape(card.light),
                    light_title=light_titles.get(card.light, green_title),
                    url=f"{url}{o.pk}/",
                    title=escape(o.title),
                    customer=escape(o.customer.name),
                    money=escape(money(o.amount)),
                    days_title=days_title,
                    days=days_text % {"d": escape(number(card.days_in_stage))},
                    missing=missing,
                    owner=owner,
                )
            )
        )
    return out


def _cards(opportunities: list[Opportunity], template: StageTemplate, *, now: datetime) -> list[Card]:
    """Cards for many opportunities in two queries: their evidence status and their deadlines."""
    ids = [o.pk for o in opportunities]
    statuses = selectors.evidence_status_of_many(opportunities, template.stages)
    deadlines: dict[int, list[Deadline]] = defaultdict(list)
    if ids:
        # The ids as one array parameter (InArray): a board's 500 placeholders cost more than the read.
        for d in Deadline.objects.filter(
            InArray(F("subject_id"), ids), subject_type=Opportunity._meta.label_lower
        ).only("subject_id", "policy", "status", "created_at"):
            deadlines[d.subject_id].append(d)
    cards = []
    for o in opportunities:
        missing = statuses[o.pk].missing if o.status == OpportunityStatus.OPEN else []
        cards.append(
            Card(
                opportunity=o,
                days_in_stage=round((now - o.stage_entered_at).total_seconds() / 86400, 1),
                light=selectors.light(o, deadlines[o.pk], now=now),
                missing=missing,
            )
        )
    return cards


def _visible_opportunity(request: HttpRequest, opportunity_id: int) -> Opportunity:
    me = current_user(request)
    return readable_or_404(selectors.opportunities_visible_to(me), opportunity_id, reader=me)


@login_required
def pipeline_board(request: HttpRequest) -> HttpResponse:
    """The kanban of one pipeline: a column per stage, cards dragged between them to advance."""
    me = current_user(request)
    now = clock.now()
    _number, pack = active_pack()
    templates = pack.stage_templates
    owner = request.GET.get("owner", "")
    q = request.GET.get("q", "").strip()[:100]
    # The board knows one owner filter, 我的; anything else shows every visible card.
    filters = selectors.OpportunityFilters(owner="me" if owner == "me" else "", q=q)
    visible = selectors.opportunities_list(user=me, filters=filters)
    code = request.GET.get("pipeline", "")
    if not any(t.code == code for t in templates):
        code = visible.filter(status=OpportunityStatus.OPEN).values_list("pipeline", flat=True).first() or ""
    template = next((t for t in templates if t.code == code), templates[0] if templates else None)
    columns: list[Column] = []
    if template is not None:
        columns = [Column(stage=s, index=i) for i, s in enumerate(template.stages)]
        by_stage = {c.stage.code: c for c in columns}
        open_here = visible.filter(pipeline=template.code, status=OpportunityStatus.OPEN)
        # Column counts and sums in the database, cards limited per column by one indexed read
        # per stage: the board costs the same for 50 deals or 50,000.
        for row in open_here.values("stage").annotate(n=Count("id"), total=Sum("amount")):
            if row["stage"] in by_stage:
                by_stage[row["stage"]].count, by_stage[row["stage"]].amount = row["n"], row["total"]
        filled = [c.stage.code for c in columns if c.count]
        rows = selectors.first_per_stage(open_here, filled, limit=COLUMN_LIMIT).only(
            "id",
            "title",
            "amount",
            "pipeline",
            "stage",
            "stage_entered_at",
            "status",
            "last_update_at",
            "customer__name",
            "owner_id",
            "owner__display_name",
            "owner__username",
            "customer_id",
        )
        shown: list[Opportunity] = []
        for o in rows:
            column = by_stage.get(o.stage)
            if column is not None:
                column.cards.append(Card(opportunity=o, days_in_stage=0, light="green"))
                shown.append(o)
        cards = {c.opportunity.pk: c for c in _cards(shown, template, now=now)}
        for column in columns:
            column.cards = [cards[c.opportunity.pk] for c in column.cards]
        every_card = [card for column in columns for card in column.cards]
        for card, markup in zip(every_card, card_html(every_card), strict=True):
            card.html = markup
    return render(
        request,
        "pipeline/board.html",
        {
            "nav": "opportunities",
            "templates": templates,
            "template": template,
            "columns": columns,
            "owner": owner,
            "q": q,
            "column_limit": COLUMN_LIMIT,
            "total": sum(c.count for c in columns),
        },
    )


@login_required
def opportunity_list(request: HttpRequest) -> HttpResponse:
    """商机 as a list: red first, paginated with the total and the sum in 万元; filters in the URL.

    The board's companion for many deals and for the phone (cards below 768 px). Filters:
    `q`, `status` (open by default), `pipeline`, `owner`, and for managers `team` and `light`.
    """
    me = current_user(request)
    now = clock.now()
    params = ListParams.from_query(request.GET)
    _number, pack = active_pack()
    status = request.GET.get("status", OpportunityStatus.OPEN)
    pipeline = request.GET.get("pipeline", "")
    filters = selectors.OpportunityFilters(
        q=request.GET.get("q", "").strip()[:SEARCH_MAX],
        owner=params.owner,
        status=status if status in OpportunityStatus.values else "",
        pipeline=pipeline if any(t.code == pipeline for t in pack.stage_templates) else "",
        team=params.team,
        light=params.light,
    )
    key, descending, sort = choose_sort(params.sort, selectors.LIST_SORTS, "light")
    try:
        qs = selectors.with_list_keys(
            selectors.opportunities_list(user=me, filters=filters, now=now), now=now
        )
        page = sorted_page(
            qs, key=key, descending=descending, cursor=params.cursor, limit=params.limit, sort=sort
        )
    except FieldErrors:
        # A stale cursor or a team that no longer exists: the first page without it.
        filters = replace(filters, team="")
        qs = selectors.with_list_keys(
            selectors.opportunities_list(user=me, filters=filters, now=now), now=now
        )
        page = sorted_page(qs, key=key, descending=descending, cursor=None, limit=params.limit, sort=sort)
    amount = qs.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    stage_names = {(t.code, s.code): s.name for t in pack.stage_templates for s in t.stages}
    phones = primary_phones([o.customer_id for o in page.rows])
    rows = [
        {
            "opportunity": o,
            **light_and_due(o, now),
            "stage": stage_names.get((o.pipeline, o.stage), o.stage),
            "in_stage": now - o.stage_entered_at,
            "phone": phones.get(o.customer_id, ""),
        }
        for o in page.rows
    ]
    people, teams = list_filter_choices(me)
    links = list_links(request.GET, page, selectors.LIST_SORTS)
    return render(
        request,
        "pipeline/list.html",
        {
            "nav": "opportunities",
            "rows": rows,
            "page": page,
            "amount": amount,
            "q": filters.q,
            "status": filters.status,
            "statuses": OpportunityStatus.choices,
            "pipeline": filters.pipeline,
            "templates": pack.stage_templates,
            "owner": params.owner,
            "team": params.team,
            "light": params.light,
            "people": people,
            "teams": teams,
            "export_query": links["filter_query"],
            **links,
        },
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def opportunity_advance(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """Move to a stage (board drag or the page's form); refused with what is missing."""
    me = current_user(request)
    opportunity = _visible_opportunity(request, opportunity_id)
    detail = reverse("opportunity-detail", args=[opportunity.pk])
    data = AdvanceForm(request.POST).parsed()
    try:
        moved = services.opportunity_advance(
            opportunity=opportunity, to_stage=data["to_stage"], reason=data["reason"], actor=me
        )
    except DomainError as exc:
        missing = exc.context.get("missing", []) if isinstance(exc, services.EvidenceMissing) else []
        text = _missing_text(missing) if missing else user_message(exc)
        if _wants_json(request):
            return JsonResponse(
                {"ok": False, "message": text, "missing": missing, "url": detail}, status=exc.status_code
            )
        messages.error(request, text)
        return redirect(detail)
    template = services.pipeline_for(moved.pipeline)
    assert template is not None
    name = next((s.name for s in template.stages if s.code == moved.stage), moved.stage)
    text = _("已推进到「%(stage)s」") % {"stage": name}
    if _wants_json(request):
        fresh = selectors.opportunities_visible_to(me).get(pk=moved.pk)
        card = _cards([fresh], template, now=clock.now())[0]
        return JsonResponse({"ok": True, "message": text, "card": card_html([card])[0]})
    messages.success(request, text)
    return redirect(detail)


# ---------------------------------------------------------------------------------------------
# The opportunity page


@dataclass
class ChecklistStage:
    """A stage of the pipeline with its required evidence."""

    stage: Stage
    state: str  # done, current, upcoming
    items: list[selectors.RequirementStatus]


def _may_act(me: User, opportunity: Opportunity) -> bool:
    from salesflow.org.selectors import visible_owner_ids

    if opportunity.owner_id is None:
        return False
    owners = visible_owner_ids(me)
    return owners is None or opportunity.owner_id in owners


@login_required
def opportunity_detail(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """An opportunity: light, timers, stage checklist, evidence gallery, upload, advance and close."""
    me = current_user(request)
    now = clock.now()
    opportunity = _visible_opportunity(request, opportunity_id)
    template = services.pipeline_for(opportunity.pipeline)
    stages = template.stages if template else []
    evidence = list(opportunity.evidence.select_related("uploaded_by").order_by("uploaded_at", "id"))
    statuses = selectors.evidence_status_by_stage(opportunity, stages)
    current = next((i for i, s in enumerate(stages) if s.code == opportunity.stage), -1)
    checklist = [
        ChecklistStage(
            stage=s,
            state="done" if i < current else ("current" if i == current else "upcoming"),
            items=statuses[s.code].items,
        )
        for i, s in enumerate(stages)
    ]
    deadlines = list(deadlines_for(opportunity).order_by("due_at"))
    _number, pack = active_pack()
    lost = pack.dictionary("lost_reason")
    is_open = opportunity.status == OpportunityStatus.OPEN
    is_owner = opportunity.owner_id == me.pk
    current_stage = stages[current] if current >= 0 else None
    labels = {r.code: r.name for s in stages for r in s.exit_evidence}
    comparison = selectors.stage_comparison(opportunity, now=now, viewer=me)
    return render(
        request,
        "pipeline/detail.html",
        {
            "nav": "opportunities",
            "opportunity": opportunity,
            "stages": stages,
            "current_index": current,
            "pipeline_name": template.name if template else opportunity.pipeline,
            "checklist": checklist,
            "evidence": [_evidence_item(e, labels.get(e.requirement)) for e in evidence],
            "uploads": _upload_forms(current_stage.exit_evidence if current_stage and is_open else []),
            "comparison": comparison,
            # Days in stage as people read them: “3 天 22 小时” rather than 3.9 天.
            "dwell": {
                "in_stage": now - opportunity.stage_entered_at,
                "team_average": (
                    timedelta(days=comparison["team_average_days"])
                    if comparison["team_average_days"] is not None
                    else None
                ),
            },
            # Stopped timers of earlier stages are history (the timeline keeps them).
            "sla": [t for t in sla_rows(deadlines, now=now) if t["state"] != "stopped"],
            "light": selectors.light(opportunity, deadlines, now=now),
            "frozen": selectors.quoting_frozen(opportunity),
            "panels": detail_panels("opportunity", request, opportunity),
            "quoting_freeze": is_frozen(opportunity.customer, "quoting"),
            "may_unfreeze": may_unfreeze(me, opportunity.customer),
            "lost_reasons": lost.choices if lost else [],
            "visit_packages": pack.visit_packages,
            "visits": opportunity.visits.order_by("-id")[:10],
            "is_open": is_open,
            "is_owner": is_owner,
            "may_act": is_open and _may_act(me, opportunity),
            # The per-stage twins (opportunity.entered_<stage>) exist for the pack's timers only.
            "events": events.story_of(opportunity)
            .exclude(name__startswith="opportunity.entered_")
            .exclude(name__startswith="opportunity.left_"),
        },
    )


def _upload_forms(requirements: list[EvidenceRequirement]) -> list[dict[str, Any]]:
    """Each requirement with what its form needs: the file's accept list or the need-point chips."""
    _number, pack = active_pack()
    forms = []
    for r in requirements:
        dictionary = pack.dictionary(r.dictionary) if r.dictionary else None
        forms.append(
            {
                "r": r,
                "file": r.kind in FILE_KINDS,
                "optional_file": r.kind in NOTE_WITH_FILE_KINDS,
                "accept": ACCEPT.get(r.kind, ""),
                "capture": r.kind == "photo",
                "choices": dictionary.choices if dictionary else [],
            }
        )
    return forms


def _add_evidence(
    request: HttpRequest, *, opportunity: Opportunity | None, visit: Visit | None
) -> str | None:
    """Upload from a page form; the error text, or None when stored."""
    upload = request.FILES.get("file")
    try:
        piece = EvidenceForm(request.POST).evidence()
        services.evidence_add(
            requirement=piece.requirement,
            text=piece.text,
            lat=piece.lat,
            lng=piece.lng,
            actor=current_user(request),
            opportunity=opportunity,
            visit=visit,
            data=upload.read() if upload is not None else None,
            filename=(upload.name or "") if upload is not None else "",
        )
    except DomainError as exc:
        return user_message(exc)
    return None


@login_required
@require_POST
def evidence_upload(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """Upload a piece of evidence for the current stage from the opportunity page."""
    opportunity = _visible_opportunity(request, opportunity_id)
    error = _add_evidence(request, opportunity=opportunity, visit=None)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("证据已上传"))
    return redirect(reverse("opportunity-detail", args=[opportunity.pk]) + "#evidence")


@login_required
@require_POST
def evidence_remove(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """Remove one's own evidence while its step is open (refused once locked)."""
    evidence = visible_or_404(selectors.evidence_visible_to(current_user(request)), evidence_id)
    back = (
        reverse("opportunity-detail", args=[evidence.opportunity_id]) + "#evidence"
        if evidence.opportunity_id
        else reverse("visit-page", args=[evidence.visit.code])  # type: ignore[union-attr]
    )
    try:
        services.evidence_delete(evidence=evidence, actor=current_user(request))
    except DomainError as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(request, _("证据已删除"))
    return redirect(back)


@login_required
def evidence_file(request: HttpRequest, evidence_id: int) -> FileResponse:
    """The stored file of a piece of evidence the user may see (thumbnails and downloads)."""
    evidence = visible_or_404(selectors.evidence_visible_to(current_user(request)), evidence_id)
    if not evidence.file:
        raise Http404("No file")
    response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def opportunity_close(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """Close as won, or as lost with a reason of the pack's lost_reason dictionary."""
    opportunity = _visible_opportunity(request, opportunity_id)
    data = CloseForm(request.POST).parsed()
    outcome = data["outcome"]
    try:
        services.opportunity_close(
            opportunity=opportunity, outcome=outcome, reason=data["reason"], actor=current_user(request)
        )
        messages.success(request, _("商机已关闭：赢单") if outcome == "won" else _("商机已关闭：输单"))
    except DomainError as exc:
        messages.error(request, user_message(exc))
    return redirect("opportunity-detail", opportunity_id=opportunity.pk)


@login_required
@require_POST
def visit_new(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """Create a visit task package for the opportunity's customer; its page shows the QR code."""
    opportunity = _visible_opportunity(request, opportunity_id)
    try:
        visit = services.visit_create(
            customer=opportunity.customer,
            package=VisitForm(request.POST).parsed()["package"],
            opportunity=opportunity,
            actor=current_user(request),
        )
    except DomainError as exc:
        messages.error(request, user_message(exc))
        return redirect("opportunity-detail", opportunity_id=opportunity.pk)
    messages.success(request, _("拜访任务包已创建 — 用手机扫码打开"))
    return redirect("visit-package", code=visit.code)


# ---------------------------------------------------------------------------------------------
# Visits


def _visible_visit(request: HttpRequest, code: str) -> Visit:
    return visible_or_404(selectors.visits_visible_to(current_user(request)), code, field="code")


def _visit_items(visit: Visit) -> tuple[list[dict[str, Any]], list[Evidence]]:
    """The package items with their upload form and how many pieces are there."""
    evidence = list(visit.evidence.order_by("uploaded_at", "id"))
    status = {i.requirement.code: i for i in selectors.evidence_status(visit=visit).items}
    items = _upload_forms([i.requirement for i in status.values()])
    for item in items:
        item["have"] = status[item["r"].code].have
        item["done"] = status[item["r"].code].done
        item["evidence"] = [
            _evidence_item(e, item["r"].name) for e in evidence if e.requirement == item["r"].code
        ]
    return items, evidence


@login_required
def visit_package(request: HttpRequest, code: str) -> HttpResponse:
    """A visit task package: the QR code of its mobile link, what it still lacks."""
    visit = _visible_visit(request, code)
    link = request.build_absolute_uri(reverse("visit-page", args=[visit.code]))
    items, _evidence = _visit_items(visit)
    _number, pack = active_pack()
    package = next((p for p in pack.visit_packages if p.code == visit.package), None)
    return render(
        request,
        "pipeline/visit_package.html",
        {
            "nav": "opportunities",
            "visit": visit,
            "link": link,
            "qr": segno.make(link, error="m").svg_inline(scale=5, dark="#1d273b", omitsize=True),
            "items": items,
            "package_name": package.name if package else visit.package,
        },
    )


@login_required
def visit_page(request: HttpRequest, code: str) -> HttpResponse:
    """The phone page of a visit: camera, signed PDF, need-point chips, location, 完成拜访."""
    me = current_user(request)
    visit = _visible_visit(request, code)
    items, _evidence = _visit_items(visit)
    _number, pack = active_pack()
    package = next((p for p in pack.visit_packages if p.code == visit.package), None)
    return render(
        request,
        "pipeline/visit.html",
        {
            "nav": "opportunities",
            "visit": visit,
            "customer": visit.customer,
            "items": items,
            "missing": selectors.evidence_status(visit=visit).missing,
            "package_name": package.name if package else visit.package,
            "is_owner": visit.owner_id == me.pk,
            "is_open": visit.status == Visit.Status.OPEN,
            "refused": request.session.pop("visit_refused", None),
        },
    )


@login_required
@require_POST
def visit_evidence(request: HttpRequest, code: str) -> HttpResponse:
    """Upload one package item from the phone page."""
    visit = _visible_visit(request, code)
    error = _add_evidence(request, opportunity=None, visit=visit)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已上传"))
    return redirect(reverse("visit-page", args=[visit.code]) + f"#item-{request.POST.get('requirement', '')}")


@login_required
@require_POST
def visit_finish(request: HttpRequest, code: str) -> HttpResponse:
    """完成拜访: refused with the list of missing items until every one is there."""
    visit = _visible_visit(request, code)
    try:
        services.visit_complete(
            visit=visit, actor=current_user(request), **VisitFinishForm(request.POST).parsed()
        )
    except services.EvidenceMissing as exc:
        # The page lists them in one red box (a message on top would say it twice).
        request.session["visit_refused"] = [m["label"] for m in exc.context.get("missing", [])]
    except DomainError as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(request, _("拜访已完成，已计为一次有效互动"))
    return redirect("visit-page", code=visit.code)
