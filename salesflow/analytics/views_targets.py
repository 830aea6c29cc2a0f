"""设置 → 销售目标: the month's targets of one's team subtree, edited as one sheet in 万元."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from salesflow.analytics import services
from salesflow.analytics.services import TargetEntry
from salesflow.analytics.targets import TargetRow, may_open_targets, parse_month, target_sheet, this_month
from salesflow.analytics.templatetags.cockpit import wan_input
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.org.selectors import current_user

TEN_THOUSAND = Decimal(10000)


def _wan(raw: str) -> Decimal | None:
    """An amount typed in 万元 → yuan; raises ValueError when it is not a number."""
    text = raw.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return (value * TEN_THOUSAND).quantize(Decimal("0.01"))


def _entries(request: HttpRequest, rows: list[TargetRow]) -> tuple[list[TargetEntry], dict[str, list[str]]]:
    """The posted cells of editable rows that changed, and the cells that are not numbers."""
    entries: list[TargetEntry] = []
    errors: dict[str, list[str]] = {}
    for row in rows:
        if not row.editable or row.key not in request.POST:
            continue
        try:
            amount = _wan(request.POST[row.key][:30])
        except ValueError:
            errors[row.key] = [_("请输入数字（万元） / Enter a number in 万元.")]
            continue
        if amount != row.amount:
            team = row.team if row.person is None else None
            entries.append(TargetEntry(field=row.key, amount=amount, team=team, person=row.person))
    return entries, errors


def _cell(request: HttpRequest, row: TargetRow, errors: dict[str, list[str]]) -> dict[str, object]:
    """A row as the sheet shows it: what its input holds (what was typed, after a refused save)."""
    typed = request.method == "POST" and row.key in request.POST
    return {
        "row": row,
        "value": request.POST[row.key][:30] if typed else wan_input(row.amount),
        "errors": errors.get(row.key, []),
    }


@login_required
def targets_page(request: HttpRequest) -> HttpResponse:
    """GET/POST /settings/targets/?month=YYYY-MM — the target sheet; POST saves every changed
    cell at once (nothing is saved when one is wrong) or copies last month's targets."""
    me = current_user(request)
    if not may_open_targets(me):
        raise PermissionDenied(_("只有主管、总监和运营管理员可以设置销售目标"))
    month = parse_month(request.GET.get("month") or request.POST.get("month"), default=this_month())
    errors: dict[str, list[str]] = {}
    if month is None:
        month = this_month()
        errors["month"] = [_("月份格式应为 2026-12 / Use a month like 2026-12.")]
    rows = target_sheet(me, month)
    if request.method == "POST" and not errors:
        try:
            if request.POST.get("action") == "copy":
                count = services.target_copy_previous(actor=me, month=month)
                messages.success(request, _("已从上月复制 %(n)s 个目标") % {"n": count})
            else:
                entries, errors = _entries(request, rows)
                if not errors:
                    count = services.target_sheet_save(actor=me, month=month, entries=entries)
                    messages.success(request, _("已保存 %(n)s 个目标") % {"n": count})
        except FieldErrors as exc:
            errors = exc.errors
        if not errors:
            return redirect(f"{reverse('targets')}?{urlencode({'month': f'{month:%Y-%m}'})}")
    return render(
        request,
        "analytics/targets/sheet.html",
        {
            "nav": "settings",
            "month": month,
            "previous": (month - timedelta(days=1)).replace(day=1),
            "next": (month + timedelta(days=32)).replace(day=1),
            "cells": [_cell(request, row, errors) for row in rows],
            "errors": errors,
            "any_editable": any(row.editable for row in rows),
        },
        status=422 if errors else 200,
    )
