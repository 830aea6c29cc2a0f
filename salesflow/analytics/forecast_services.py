"""Writes of the forecast (漏斗数字孪生): external signals entered by the ops admin or the GM."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from salesflow.analytics.models import ForecastSignal
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.rules.selectors import active_pack

SIGNAL_EDITORS = (Role.OPS_ADMIN, Role.GM)


def may_edit_signals(user: Any) -> bool:
    """External signals are the ops admin's and the GM's (and a superuser's)."""
    return bool(getattr(user, "is_authenticated", False)) and bool(
        user.is_superuser or user.role in SIGNAL_EDITORS
    )


def _refuse() -> PermissionDenied:
    return PermissionDenied(
        "只有运营管理员或总经理可以维护外部信号 / Only the ops admin or the GM may edit external signals."
    )


def parse_date(raw: Any) -> date | None:
    """A date from a form or JSON value, None when it is not one."""
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


def parse_decimal(raw: Any) -> Decimal | None:
    """A finite decimal, None when it is not one."""
    try:
        value = Decimal(str(raw if raw is not None else "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def signal_create(
    *,
    actor: User,
    title: str,
    product_line: str,
    starts_on: date | None,
    ends_on: date | None,
    multiplier: Decimal | None,
    note: str = "",
    now: datetime | None = None,
) -> ForecastSignal:
    """Enter an external signal: the win odds of `product_line` opportunities expected to close
    between `starts_on` and `ends_on` are multiplied by `multiplier` in every forecast."""
    if not may_edit_signals(actor):
        raise _refuse()
    now = now or clock.now()
    _number, pack = active_pack()
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["请填写信号名称，如“集采政策公布” / Name the signal."]
    elif len(title) > 100:
        errors["title"] = ["信号名称最多 100 字 / At most 100 characters."]
    lines = pack.dictionary("product_line")
    codes = [c.code for c in lines.choices] if lines else []
    if product_line not in codes:
        errors["product_line"] = ["请选择规则包中的产品线 / Choose a product line of the pack."]
    if starts_on is None:
        errors["starts_on"] = ["日期格式应为 YYYY-MM-DD / Use a date like 2026-12-01."]
    if ends_on is None:
        errors["ends_on"] = ["日期格式应为 YYYY-MM-DD / Use a date like 2026-12-31."]
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = ["结束日期不能早于开始日期 / The end is before the start."]
    top = pack.forecast.signal_multiplier_max
    if multiplier is None or not (1 / top <= multiplier <= top):
        errors["multiplier"] = [
            f"赢率倍数应在 {1 / top:.2f} 到 {top} 之间（1 = 不变）/ Between {1 / top:.2f} and {top}."
        ]
    if len(note or "") > 300:
        errors["note"] = ["说明最多 300 字 / At most 300 characters."]
    if errors:
        raise FieldErrors(errors)
    assert starts_on is not None and ends_on is not None and multiplier is not None
    with transaction.atomic():
        signal = ForecastSignal(
            title=title,
            product_line=product_line,
            starts_on=starts_on,
            ends_on=ends_on,
            multiplier=multiplier.quantize(Decimal("0.01")),
            note=(note or "").strip(),
            created_by=actor,
            created_at=now,
        )
        signal.save()
    return signal


def signal_delete(*, actor: User, signal: ForecastSignal, now: datetime | None = None) -> None:
    """Remove an external signal (it no longer adjusts any forecast)."""
    if not may_edit_signals(actor):
        raise _refuse()
    now = now or clock.now()
    with transaction.atomic():
        attach_actor(signal, actor, now)
        signal.delete()
