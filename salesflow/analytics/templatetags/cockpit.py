"""Template helpers of the cockpit: drill-down links and dwell days."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import quote_plus

from django import template
from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import mark_safe

from salesflow.analytics.selectors import CockpitFilters
from salesflow.core.templatetags.salesflow import duration

register = template.Library()


def drill_url(
    filters: CockpitFilters,
    metric: str,
    stage: str = "",
    owner: Any = None,
    team: Any = None,
    *,
    cache: dict[str, Any] | None = None,
) -> str:
    """The drill-down page of one number: the page's filters, narrowed to a rep or a team row.

    A company's table has thousands of these links: with a `cache` (one per rendering) the
    page's path and each encoded value are worked out once (the same text `urlencode` gives)."""
    overrides: dict[str, Any] = {"metric": metric, "stage": stage}
    if owner:
        overrides["owner"] = owner
    if team:
        overrides["team"] = team
    cache = {} if cache is None else cache
    if "path" not in cache:
        cache["path"] = reverse("cockpit-drill")
    encoded: dict[str, str] = cache.setdefault("encoded", {})
    pairs = []
    for key, value in filters.params(**overrides).items():
        for text in (key, value):
            if text not in encoded:
                encoded[text] = quote_plus(text)
        pairs.append(f"{encoded[key]}={encoded[value]}")
    return f"{cache['path']}?{'&'.join(pairs)}"


@register.simple_tag(takes_context=True, name="drill_url")
def drill_url_tag(
    context: Any, filters: CockpitFilters, metric: str, stage: str = "", owner: Any = None, team: Any = None
) -> str:
    """`{% drill_url filters metric stage owner=… team=… %}`: drill_url, cached per rendering."""
    cache = context.render_context.setdefault("cockpit_drill_url", {})
    return drill_url(filters, metric, stage, owner, team, cache=cache)


@register.simple_tag(takes_context=True)
def stage_cells(context: Any, row: Any, stages: Any, filters: CockpitFilters, kind: str) -> str:
    """A table row's cells of entries per stage (each a drill-down link, and the conversion out
    of every stage but the last): what a template loop would draw, written once in Python
    because a company's table has thousands of them. Every text is escaped as `{{ }}` does."""
    cache = context.render_context.setdefault("cockpit_drill_url", {})
    numbers: dict[Any, str] = cache.setdefault("numbers", {})
    narrow = {"team": row.id} if kind == "team" else {"owner": row.id}
    cells = []
    stages = list(stages)
    for i, s in enumerate(stages):
        n = int(row.numbers.entered.get(s.code, 0))
        if n not in numbers:
            numbers[n] = escape(str(localize(n)))
        cell = numbers[n]
        if row.id and n:
            url = escape(drill_url(filters, "entered", s.code, cache=cache, **narrow))
            cell = f'<a href="{url}">{cell}</a>'
        if n and i < len(stages) - 1:
            rate = escape(percent(row.numbers.conversion(s.code)))
            cell += f'<span class="small text-secondary"> · {rate}</span>'
        cells.append(f'<td class="text-end">{cell}</td>')
    return mark_safe("".join(cells))  # noqa: S308 (every text in it is escaped above)


@register.filter
def days(value: float | None) -> str:
    """A dwell or cycle length in days as a person reads it (“3 天 12 小时”); — for none."""
    if value is None:
        return "—"
    return duration(round(value * 86400))


@register.filter
def percent(value: float | None) -> str:
    """“66.7%”; — when there is nothing to divide."""
    return "—" if value is None else f"{value:g}%"


@register.filter
def entered_in(numbers: Any, stage: str) -> int:
    """How many opportunities of a row entered `stage` in the period."""
    return int(numbers.entered.get(stage, 0))


@register.filter
def conversion_of(numbers: Any, stage: str) -> float | None:
    """A row's conversion out of `stage`."""
    result: float | None = numbers.conversion(stage)
    return result


@register.filter
def wan_input(value: Decimal | None) -> str:
    """An amount in yuan as the 万元 number a form field shows (`300000` → `30`, None → empty)."""
    if value is None:
        return ""
    return f"{(Decimal(value) / Decimal(10000)).normalize():f}"
