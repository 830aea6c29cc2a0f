"""Template filters for the shell: local times, relative times, event labels."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salesflow.core import clock
from salesflow.core.labels import event_label as label_for_event

register = template.Library()


@register.filter
def local_dt(value: datetime | None) -> str:
    """`2026-11-22 14:05` in the company's time zone."""
    if value is None:
        return ""
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M")


@register.filter
def relative(value: datetime | None) -> str:
    """“3 分钟前” / “还剩 12 分钟” relative to now."""
    if value is None:
        return ""
    seconds = int((value - clock.now()).total_seconds())
    future, seconds = seconds > 0, abs(seconds)
    if seconds < 60:
        amount = _("不到 1 分钟")
    elif seconds < 3600:
        amount = ngettext("%(n)d 分钟", "%(n)d 分钟", seconds // 60) % {"n": seconds // 60}
    elif seconds < 86400:
        amount = ngettext("%(n)d 小时", "%(n)d 小时", seconds // 3600) % {"n": seconds // 3600}
    else:
        amount = ngettext("%(n)d 天", "%(n)d 天", seconds // 86400) % {"n": seconds // 86400}
    return (_("还剩 %(t)s") if future else _("%(t)s前")) % {"t": amount}


@register.filter
def event_label(name: str) -> str:
    """A readable label for an event name."""
    return label_for_event(name)


@register.filter
def payload_summary(payload: dict[str, Any]) -> str:
    """A one-line view of an event's payload."""
    parts = []
    for key, value in payload.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        parts.append(f"{key}={value}")
    return "; ".join(parts)[:300]


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """`mapping[key]` in a template, the key itself when missing."""
    return mapping.get(key, key) if isinstance(mapping, dict) else key


@register.filter
def money(value: Any) -> str:
    """`¥1,234,567.00` for tables (Decimal in, never float arithmetic); empty for None."""
    if value is None or value == "":
        return ""
    return f"¥{Decimal(value):,.2f}"


@register.filter
def shown(value: Any) -> str:
    """A history value as a person reads it: 是/否, local times, — for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return local_dt(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


@register.filter
def record_url(item: Any) -> str:
    """The page of the record a task or notification is about (empty when it has none)."""
    from salesflow.core.records import url_for

    return url_for(getattr(item, "subject_type", "") or "", getattr(item, "subject_id", None)) or ""
