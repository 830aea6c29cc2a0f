"""设置 → 工作日历: the year's holidays and make-up workdays, editable by the ops admin."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from salesflow.core import clock
from salesflow.core.errors import FieldErrors
from salesflow.timers import selectors, services
from salesflow.timers.calendar import calendar_warnings, missing_year_warning
from salesflow.timers.forms import CalendarDayForm, CalendarImportForm
from salesflow.timers.permissions import can_edit_calendar

# Years a person could mean; anything else in ?year= falls back to this year.
YEAR_RANGE = range(2000, 2101)


def _year(request: HttpRequest) -> int:
    text = request.GET.get("year", "")
    if text.isdigit() and int(text) in YEAR_RANGE:
        return int(text)
    return clock.to_local(clock.now()).year


def _apply_field_errors(form: forms.Form, exc: FieldErrors) -> None:
    """Show a service's field errors on the form's fields (unknown fields at the top)."""
    for field, msgs in exc.errors.items():
        for message in msgs:
            form.add_error(field if field in form.fields else None, message)


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The year's exceptions, warnings for years without data, and the ops admin's forms."""
    year = _year(request)
    can_edit = can_edit_calendar(request.user)
    day_form = CalendarDayForm(prefix="day")
    import_form = CalendarImportForm(prefix="import")
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("只有运营管理员可以修改工作日历")
        if request.POST.get("action") == "day":
            day_form = CalendarDayForm(request.POST, prefix="day")
            if day_form.is_valid():
                data = day_form.cleaned_data
                try:
                    row = services.calendar_day_set(
                        day=data["day"], is_workday=data["is_workday"], name=data["name"], actor=request.user
                    )
                except FieldErrors as exc:
                    _apply_field_errors(day_form, exc)
                else:
                    label = "上班" if data["is_workday"] else "休息"
                    note = "" if row else "（与平常一致，已取消例外）"
                    messages.success(request, f"{data['day']:%Y-%m-%d} 设为{label}{note}")
                    return redirect(f"{request.path}?year={data['day'].year}")
        else:
            import_form = CalendarImportForm(request.POST, request.FILES, prefix="import")
            if import_form.is_valid():
                rows = import_form.cleaned_data["parsed"]
                try:
                    count = services.calendar_import_rows(rows=rows, actor=request.user)
                except FieldErrors as exc:
                    _apply_field_errors(import_form, exc)
                else:
                    messages.success(request, f"已导入 {count} 天")
                    return redirect(f"{request.path}?year={rows[0][0].year}")
    invalid = bool(day_form.errors or import_form.errors)
    days = list(selectors.calendar_year(year))
    warnings = calendar_warnings(clock.now())
    if not days and missing_year_warning(year) not in warnings:  # the year on screen, whichever it is
        warnings.append(missing_year_warning(year))
    return render(
        request,
        "timers/calendar.html",
        {
            "nav": "settings",
            "year": year,
            "days": days,
            "holidays": sum(not d.is_workday for d in days),
            "makeup_days": sum(d.is_workday for d in days),
            "warnings": warnings,
            "can_edit": can_edit,
            "day_form": day_form,
            "import_form": import_form,
        },
        status=422 if invalid else 200,
    )
