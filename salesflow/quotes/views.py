"""报价 pages: the list, a quote with its health and version history, the line editor, the
document templates, and the quotes panel of an opportunity."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesflow.catalog.models import Product
from salesflow.core import clock, events
from salesflow.core.errors import DomainError, FieldErrors, user_message
from salesflow.core.lookups import SEARCH_MAX, visible_or_404
from salesflow.core.panels import detail_panels
from salesflow.customers.choices import GrantReadKind
from salesflow.customers.selectors import grants_received_by
from salesflow.org.selectors import current_user
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity
from salesflow.pipeline.selectors import opportunities_visible_to
from salesflow.quotes import documents, presenters, selectors, services
from salesflow.quotes.choices import EDITABLE_STATES, QuoteState
from salesflow.quotes.models import Quote

PAGE_ROWS = 200
# Empty product rows the editor offers beyond the filled ones ("再加 5 行" adds more).
SPARE_ROWS = 3
MAX_FORM_ROWS = 60


@login_required
def quote_list(request: HttpRequest) -> HttpResponse:
    """报价 list: search by number, title or customer; filter by state; newest activity first."""
    me = current_user(request)
    chosen = {k: request.GET.get(k, "").strip()[:SEARCH_MAX] for k in ("q", "state", "customer")}
    if chosen["state"] not in QuoteState.values:
        chosen["state"] = ""
    if not chosen["customer"].isdigit():
        chosen["customer"] = ""
    qs = selectors.quotes_list(user=me, filters=selectors.quote_filters_from(chosen))
    total = qs.count()
    rows = list(qs[:PAGE_ROWS])
    grants = selectors.grant_expiries(me, rows)
    for row in rows:  # the list marks what the reader sees only through a temporary grant
        row.grant_until = grants.get(row.pk)  # type: ignore[attr-defined]
    services.quote_reads_log(reader=me, quotes=[q for q in rows if q.pk in grants], kind=GrantReadKind.LIST)
    return render(
        request,
        "quotes/list.html",
        {
            "nav": "quotes",
            "rows": rows,
            "total": total,
            "truncated": total > PAGE_ROWS,
            "chosen": chosen,
            "states": QuoteState.choices,
            "red_below": _red_below(),
            "yellow": selectors.yellow_light(),
            "received_grants": [g for g in grants_received_by(me, limit=20) if g.is_live(clock.now())],
            "customer_name": rows[0].customer.name if chosen["customer"] and rows else "",
        },
    )


def _red_below() -> int:
    from salesflow.rules.selectors import active_pack

    return active_pack()[1].settings.quote_health_red_below


def _visible(request: HttpRequest, quote_id: int) -> Quote:
    return visible_or_404(selectors.quotes_visible_to(current_user(request)), quote_id)


@login_required
def quote_detail(request: HttpRequest, quote_id: int) -> HttpResponse:
    """One quote: state, health with its factors (a red warning naming what is missing, with the
    template), special-quote reasons, lines, totals, clauses, documents, versions, timeline."""
    me = current_user(request)
    quote = _visible(request, quote_id)
    via_grant = not selectors.reads_own(me, quote)
    if via_grant:
        services.quote_reads_log(reader=me, quotes=[quote], kind=GrantReadKind.QUOTE)
    shown = presenters.quote_detail(me, quote)
    quotes_policy = selectors.policy()
    red_below = _red_below()
    missing = [f for f in shown.version.health_factors if f["missing"]]
    may_work = selectors.may_work_on(me, quote)
    return render(
        request,
        "quotes/detail.html",
        {
            "nav": "quotes",
            "panels": detail_panels("quote", request, quote),
            "quote": quote,
            "via_grant": via_grant,
            "grant_until": selectors.grant_expiries(me, [quote]).get(quote.pk) if via_grant else None,
            "shown": shown,
            "version": shown.version,
            "red": shown.version.health_score < red_below,
            "red_below": red_below,
            "missing": missing,
            "documents": quotes_policy.documents,
            "may_work": may_work,
            "editable": may_work and quote.state in EDITABLE_STATES,
            "sendable": may_work
            and quote.state in EDITABLE_STATES
            and (not shown.version.special or shown.version.approved_at is not None),
            "revisable": may_work
            and quote.state not in EDITABLE_STATES
            and quote.state != QuoteState.IN_APPROVAL,
            "feedback_open": may_work and quote.state == QuoteState.SENT,
            "events": events.story_of(quote),
            "opens": selectors.share_opens(shown.versions),
            "devices": selectors.share_devices(shown.versions),
            "readings": next((selectors.readings(v) for v in shown.versions if v.sent_at), []),
            "yellow": selectors.yellow_light(),
            "approval": selectors.latest_approval(quote) if shown.version.special else None,
            "submittable": may_work and quote.state == QuoteState.DRAFT and shown.version.special,
        },
    )


def _rows_from_post(request: HttpRequest) -> list[dict[str, str]]:
    products = request.POST.getlist("product")[:MAX_FORM_ROWS]
    quantities = request.POST.getlist("quantity")
    discounts = request.POST.getlist("discount_pct")
    rows = []
    for i, product in enumerate(products):
        rows.append(
            {
                "product": product.strip(),
                "quantity": (quantities[i] if i < len(quantities) else "").strip()[:20],
                "discount_pct": (discounts[i] if i < len(discounts) else "").strip()[:20],
            }
        )
    return rows


def _line_inputs(rows: list[dict[str, str]]) -> list[services.LineInput]:
    """The filled rows as lines: a row without a product is left out (the spare rows)."""
    lines = []
    for row in rows:
        if not row["product"] and not row["quantity"]:
            continue
        product = int(row["product"]) if row["product"].isdigit() else -1
        lines.append(
            services.LineInput(
                product=product, quantity=row["quantity"] or "", discount_pct=row["discount_pct"] or "0"
            )
        )
    return lines


def _row_errors(errors: dict[str, list[str]], rows: list[dict[str, Any]]) -> dict[int, list[str]]:
    """Line errors (`lines[i].field`) by the index of the form row they belong to."""
    filled = [i for i, r in enumerate(rows) if r["product"] or r["quantity"]]
    by_row: dict[int, list[str]] = {}
    for key, messages_ in errors.items():
        if key.startswith("lines[") and "]" in key:
            index = int(key[6 : key.index("]")])
            if index < len(filled):
                by_row.setdefault(filled[index], []).extend(messages_)
    return by_row


def _form_context(
    request: HttpRequest,
    *,
    opportunity: Opportunity,
    quote: Quote | None,
    values: dict[str, Any],
    rows: list[dict[str, str]],
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    raw_spare = str(request.GET.get("spare", ""))
    spare = (int(raw_spare) or SPARE_ROWS) if raw_spare.isdigit() else SPARE_ROWS
    rows = rows + [
        {"product": "", "quantity": "", "discount_pct": ""}
        for _i in range(min(spare, MAX_FORM_ROWS - len(rows)))
    ]
    quotes_policy = selectors.policy()
    by_row = _row_errors(errors, rows)
    return {
        "nav": "quotes",
        "opportunity": opportunity,
        "quote": quote,
        "values": values,
        "rows": [{**row, "errors": by_row.get(i, [])} for i, row in enumerate(rows)],
        "errors": errors,
        "products": Product.objects.filter(active=True).order_by("sku"),
        "clause_templates": quotes_policy.clause_templates,
        "limit": quotes_policy.discount_limit(
            quote.owner.role if quote else (opportunity.owner.role if opportunity.owner else "")
        ),
        "spare_more": min(spare + 5, MAX_FORM_ROWS),
    }


def _values_from_post(request: HttpRequest) -> dict[str, Any]:
    return {
        "title": request.POST.get("title", "").strip()[:300],
        "valid_until": request.POST.get("valid_until", "").strip()[:20],
        "payment_terms": request.POST.get("payment_terms", "").strip()[:300],
        "delivery_terms": request.POST.get("delivery_terms", "").strip()[:300],
        "risk_note": request.POST.get("risk_note", "").strip()[:600],
        "clauses": [c for c in request.POST.getlist("clauses")[:50]],
    }


def _quote_input(values: dict[str, Any], rows: list[dict[str, str]]) -> services.QuoteInput:
    from datetime import date

    valid_until = None
    if values["valid_until"]:
        try:
            valid_until = date.fromisoformat(values["valid_until"])
        except ValueError:
            raise FieldErrors(
                {"valid_until": ["日期格式应为 2026-12-31 / A date like 2026-12-31."]}
            ) from None
    return services.QuoteInput(
        lines=_line_inputs(rows),
        title=values["title"],
        valid_until=valid_until,
        payment_terms=values["payment_terms"],
        delivery_terms=values["delivery_terms"],
        clauses=values["clauses"],
        risk_note=values["risk_note"],
    )


def _errors_of(exc: DomainError) -> dict[str, list[str]]:
    if isinstance(exc, FieldErrors):
        return exc.errors
    return {"form": [user_message(exc)]}


@login_required
def quote_create(request: HttpRequest) -> HttpResponse:
    """新建报价 for an opportunity (`?opportunity=`): a repeat customer's last order proposes the
    products and payment terms; prices come from the customer's price list."""
    me = current_user(request)
    raw = request.GET.get("opportunity", "") or request.POST.get("opportunity", "")
    if not str(raw).isdigit():
        raise Http404
    opportunity = visible_or_404(opportunities_visible_to(me), int(raw))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values, rows = _values_from_post(request), _rows_from_post(request)
        try:
            quote = services.quote_create(opportunity=opportunity, actor=me, data=_quote_input(values, rows))
        except DomainError as exc:
            errors = _errors_of(exc)
        else:
            messages.success(request, _("报价已创建：%(number)s") % {"number": quote.number})
            return redirect("quote-detail", quote.pk)
    else:
        fill = selectors.smart_fill_for(opportunity)
        quotes_policy = selectors.policy()
        values = {
            "title": opportunity.title,
            "valid_until": "",
            "payment_terms": fill["payment_terms"],
            "delivery_terms": "",
            "risk_note": "",
            "clauses": [c.code for c in quotes_policy.clause_templates if c.default],
        }
        rows = [{"product": str(p.pk), "quantity": "1", "discount_pct": "0"} for p in fill["products"]]
    context = _form_context(
        request, opportunity=opportunity, quote=None, values=values, rows=rows, errors=errors
    )
    context["smart_filled"] = request.method != "POST" and bool(rows)
    context["frozen"] = opportunity.customer.quoting_frozen
    context["closed"] = opportunity.status != OpportunityStatus.OPEN
    return render(request, "quotes/form.html", context, status=400 if errors else 200)


@login_required
def quote_edit(request: HttpRequest, quote_id: int) -> HttpResponse:
    """Edit the current draft version (lines, terms, clauses)."""
    me = current_user(request)
    quote = _visible(request, quote_id)
    if not selectors.may_work_on(me, quote) or quote.state not in EDITABLE_STATES:
        messages.error(request, _("该报价当前不能修改"))
        return redirect("quote-detail", quote.pk)
    errors: dict[str, list[str]] = {}
    version = selectors.current_version(quote)
    if request.method == "POST":
        values, rows = _values_from_post(request), _rows_from_post(request)
        try:
            services.quote_update(quote=quote, actor=me, data=_quote_input(values, rows))
        except DomainError as exc:
            errors = _errors_of(exc)
        else:
            messages.success(request, _("报价已保存"))
            return redirect("quote-detail", quote.pk)
    else:
        values = {
            "title": quote.title,
            "valid_until": version.valid_until.isoformat(),
            "payment_terms": version.payment_terms,
            "delivery_terms": version.delivery_terms,
            "risk_note": version.risk_note,
            "clauses": [c["code"] for c in version.clauses],
        }
        rows = [
            {
                "product": str(line.product_id),
                "quantity": f"{line.quantity.normalize():f}",
                "discount_pct": f"{line.discount_pct.normalize():f}",
            }
            for line in selectors.version_lines(version)
        ]
    context = _form_context(
        request, opportunity=quote.opportunity, quote=quote, values=values, rows=rows, errors=errors
    )
    return render(request, "quotes/form.html", context, status=400 if errors else 200)


def _act(request: HttpRequest, quote_id: int, action: Any, done: str) -> HttpResponse:
    quote = _visible(request, quote_id)
    try:
        action(quote, current_user(request))
    except DomainError as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(request, done)
    return redirect("quote-detail", quote.pk)


@login_required
@require_POST
def quote_send(request: HttpRequest, quote_id: int) -> HttpResponse:
    """发出报价: refused (with the reason shown) for an unapproved special quote or a frozen
    customer; once sent, the share link is shown this one time (the PDF prints it as a QR)."""
    quote = _visible(request, quote_id)
    try:
        sent = services.quote_send(
            quote=quote, actor=current_user(request), share_base_url=request.build_absolute_uri("/")
        )
    except DomainError as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(
            request,
            _("报价已发出，72 小时内请跟进客户反馈。客户链接（仅显示这一次，PDF 上有二维码）：%(url)s")
            % {"url": sent.share_url},
        )
    return redirect("quote-detail", quote.pk)


@login_required
@require_POST
def quote_share_revoke(request: HttpRequest, quote_id: int, number: int) -> HttpResponse:
    """撤销客户链接 of a sent version."""
    return _act(
        request,
        quote_id,
        lambda q, me: services.quote_share_revoke(quote=q, number=number, actor=me),
        _("客户链接已撤销"),
    )


@login_required
def quote_pdf(request: HttpRequest, quote_id: int, number: int) -> HttpResponse:
    """报价快照: the PDF of a sent version."""
    me = current_user(request)
    quote = _visible(request, quote_id)
    response = documents.pdf_response(quote, number)
    services.quote_reads_log(reader=me, quotes=[quote], kind=GrantReadKind.PDF, number=number)
    return response


@login_required
@require_POST
def quote_submit(request: HttpRequest, quote_id: int) -> HttpResponse:
    """提交审批 of a special quote, with a note for the approvers."""
    comment = request.POST.get("comment", "")[:2000]
    return _act(
        request,
        quote_id,
        lambda q, me: services.quote_submit(quote=q, actor=me, comment=comment),
        _("已提交审批，审批通过后即可发出"),
    )


@login_required
@require_POST
def quote_revise(request: HttpRequest, quote_id: int) -> HttpResponse:
    """新建版本 of a sent quote."""
    return _act(
        request,
        quote_id,
        lambda q, me: services.quote_revise(quote=q, actor=me),
        _("已新建版本，修改后可再次发出"),
    )


@login_required
@require_POST
def quote_feedback(request: HttpRequest, quote_id: int) -> HttpResponse:
    """记录客户反馈 (feedback, accepted or declined) with a note."""
    outcome, note = request.POST.get("outcome", ""), request.POST.get("note", "")[:1200]
    return _act(
        request,
        quote_id,
        lambda q, me: services.quote_feedback(quote=q, actor=me, outcome=outcome, note=note),
        _("已记录客户反馈"),
    )


@login_required
@require_POST
def quote_attach(request: HttpRequest, quote_id: int) -> HttpResponse:
    """上传支持材料 (技术方案, 竞品对比表), checked by content; the health score updates."""
    upload = request.FILES.get("file")
    data = upload.read() if upload is not None else b""
    name = upload.name if upload is not None else ""
    code = request.POST.get("code", "")
    return _act(
        request,
        quote_id,
        lambda q, me: services.quote_attach(quote=q, actor=me, code=code, data=data, filename=name or ""),
        _("材料已上传，健康度已更新"),
    )


@login_required
def document_template(request: HttpRequest, code: str) -> HttpResponse:
    """The pack's template of a supporting document as an xlsx with its columns (下载模板)."""
    from openpyxl import Workbook

    document = next((d for d in selectors.policy().documents if d.code == code), None)
    if document is None:
        raise Http404
    book = Workbook()
    sheet = book.active
    sheet.title = document.name[:31]
    sheet.append(list(document.template_columns) or [document.name])
    if document.template_note:
        sheet.append([])
        sheet.append([document.template_note])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    from urllib.parse import quote as urlquote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{urlquote(document.name + '模板.xlsx')}"
    return response


def opportunity_panel(request: HttpRequest, opportunity: Any) -> str:
    """The 报价 card of an opportunity page: its quotes and a button to make one."""
    me = current_user(request)
    quotes = list(selectors.quotes_visible_to(me).filter(opportunity=opportunity).order_by("-id")[:10])
    # The page has checked the reader may see the deal; quoting is for its owner's line.
    may_quote = opportunity.status == OpportunityStatus.OPEN and selectors.owns_or_manages(
        me, opportunity.owner_id
    )
    return render_to_string(
        "quotes/partials/opportunity_panel.html",
        {
            "opportunity": opportunity,
            "quotes": quotes,
            "may_quote": may_quote,
            "red_below": _red_below(),
            "yellow": selectors.yellow_light(),
            "new_url": f"{reverse('quote-create')}?opportunity={opportunity.pk}",
        },
        request=request,
    )
