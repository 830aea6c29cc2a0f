"""Template filters for the shell: local times, relative times, event labels."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salesflow.core import clock
from salesflow.core.labels import coded_label, key_label
from salesflow.core.labels import event_label as label_for_event

register = template.Library()


@register.filter
def local_dt(value: datetime | None) -> str:
    """`2026-11-22 14:05` in the company's time zone."""
    if value is None:
        return ""
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M")


@register.filter
def short_dt(value: datetime | None) -> str:
    """A deadline as a glance reads it: “23:12” today, “12-01 23:12” this year, the full date otherwise."""
    if value is None:
        return ""
    local, today = clock.to_local(value), clock.to_local(clock.now()).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%m-%d %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


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


# Payload keys that only hold row ids or machine detail: the timeline links records elsewhere.
_HIDDEN_KEYS = {
    "note",
    "activity",
    "evidence",
    "form",
    "contact",
    "order",
    "lead",
    "customer",
    "opportunity",
    "deadline",
    "deadlines",
    "owner",
    "from",
    "to",
    "event",
    "id",
    "rule_version",
    "reason_code",
    "recipients",
    "code",
    "dictionary",
}


def _readable(value: Any, key: str = "") -> str:
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, list):
        return "、".join(_readable(v, key) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{label}: {_readable(v, k)}" for k, v in value.items() if (label := key_label(k)))
    if isinstance(value, str):
        if len(value) >= 19 and value[4] == "-" and value[10] == "T":
            try:
                return local_dt(datetime.fromisoformat(value))
            except ValueError:
                return value
        return coded_label(key, value) or value
    return str(value)


@register.filter
def payload_summary(payload: dict[str, Any]) -> str:
    """A one-line, readable view of an event's payload: ids left out, keys and codes named by the
    app that owns the event, times local. A key no app named is left out rather than shown raw."""
    parts = []
    for key, value in payload.items():
        if key in _HIDDEN_KEYS or value in (None, "", [], {}):
            continue
        if key == "value" and payload.get("dictionary"):
            # A tag: “客户分级：C 类客户”, named by the pack's dictionary.
            dictionary = str(payload["dictionary"])
            label = coded_label("dictionary", dictionary)
            shown_value = coded_label(dictionary, str(value)) or str(value)
        else:
            label = key_label(key)
            if key == "amount":
                shown_value = money(value)
            elif key.endswith("_seconds"):
                shown_value = duration(value)
            else:
                shown_value = _readable(value, key)
        if label and shown_value:
            parts.append(f"{label}：{shown_value}")
    return " · ".join(parts)[:300]


@register.filter
def coded(value: Any, key: str) -> str:
    """A code as people read it (`wechat` → 微信), named by the app that owns `key`; else the value."""
    if value is None or value == "":
        return ""
    return coded_label(key, str(value)) or str(value)


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
def money_short(value: Any) -> str:
    """Large sums in 万元 for cards, board columns and totals (“¥86.5 万”); smaller ones in full yuan."""
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    if abs(amount) >= _TEN_THOUSAND:
        wan = (amount / _TEN_THOUSAND).quantize(Decimal("0.1"))
        return _("¥%(n)s 万") % {"n": f"{wan:,.1f}".removesuffix(".0")}
    return f"¥{amount:,.0f}"


_TEN_THOUSAND = Decimal(10000)


@register.filter
def duration(value: Any) -> str:
    """A span as a person reads it: “3 天 22 小时”, “5 小时 10 分钟”, “12 分钟” (timedelta or seconds)."""
    if value is None or value == "":
        return ""
    seconds = int(value.total_seconds() if hasattr(value, "total_seconds") else float(value))
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = _("%(d)d 天") % {"d": days}
        return text + (" " + _("%(h)d 小时") % {"h": hours} if hours else "")
    if hours:
        text = _("%(h)d 小时") % {"h": hours}
        return text + (" " + _("%(m)d 分钟") % {"m": minutes} if minutes else "")
    return _("%(m)d 分钟") % {"m": max(minutes, 1) if seconds else 0}


@register.filter
def shown(value: Any) -> str:
    """A history value as a person reads it: 是/否, local times, — for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(str(shown(v)) for v in value) or "—"
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
