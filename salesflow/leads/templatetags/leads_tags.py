"""Template filters of the 线索 pages."""

from __future__ import annotations

from typing import Any

from django import template

from salesflow.leads import services

register = template.Library()


@register.filter
def may_enter_leads(user: Any) -> bool:
    """Whether the page should offer 新建线索 to `user` (the view checks again)."""
    return services.may_enter_leads(user)
