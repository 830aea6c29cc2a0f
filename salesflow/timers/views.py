"""设置 → 工作日历: the year's holidays and make-up workdays, editable by the ops admin."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.timers import services
from salesflow.timers.calendar import calendar_warnings
from salesflow.timers.models import CalendarDay


def can_edit_calendar(user: object) -> bool:
    """Only the ops admin edits the company calendar."""
    return bool(getattr(user, "is_superuser", False) or getattr(user, "role", "") == "ops_admin")


def parse_rows(text: str) -> list[tuple[date, bool, str]]:
    """Lines of `date,is_workday,name` (1/0, 上班/休息) → rows; FieldErrors names each bad line."""
    rows, errors = [], []
    for number, record in enumerate(csv.reader(io.StringIO(text.strip())), start=1):
        if not record or not record[0].strip() or record[0].strip().startswith("#"):
            continue
        try:
            day = date.fromisoformat(record[0].strip())
        except ValueError:
            errors.append(f"第 {number} 行：“{record[0]}” 不是日期（YYYY-MM-DD）")
            continue
        flag = record[1].strip().lower() if len(record) > 1 else ""
        if flag in ("1", "true", "上班", "workday"):
            is_workday = True
        elif flag in ("0", "false", "休息", "holiday"):
            is_workday = False
        else:
            errors.append(f"第 {number} 行：第二列应为 上班/休息（1/0）")
            continue
        rows.append((day, is_workday, record[2].strip() if len(record) > 2 else ""))
    if errors:
        raise FieldErrors({"rows": errors})
    return rows


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The year's exceptions, warnings for missing years, and the import form."""
    year = int(request.GET.get("year") or clock.to_local(clock.now()).year)
    errors: list[str] = []
    if request.method == "POST":
        if not can_edit_calendar(request.user):
            raise PermissionDenied("只有运营管理员可以修改工作日历")
        try:
            count = services.calendar_import_rows(
                rows=parse_rows(request.POST.get("rows", "")), actor=request.user
            )
        except FieldErrors as exc:
            errors = [m for msgs in exc.errors.values() for m in msgs]
        else:
            messages.success(request, f"已导入 {count} 天")
            return redirect(f"{request.path}?year={year}")
    return render(
        request,
        "timers/calendar.html",
        {
            "nav": "settings",
            "year": year,
            "days": CalendarDay.objects.filter(day__year=year),
            "warnings": calendar_warnings(clock.now()),
            "can_edit": can_edit_calendar(request.user),
            "errors": errors,
            "rows": request.POST.get("rows", ""),
        },
        status=422 if errors else 200,
    )
