"""Template filters of the customer pages."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

HEALTH_FACTOR_LABELS = {
    "purchase_frequency": _("采购频次"),
    "amount_trend": _("金额趋势"),
    "service_requests": _("服务请求"),
    "interaction_density": _("互动密度"),
}


@register.filter
def health_factor_label(code: str) -> str:
    """The readable name of a health factor code."""
    return str(HEALTH_FACTOR_LABELS.get(code, code))


HEALTH_BADGE_CLASSES = {"green": "bg-green-lt", "yellow": "bg-yellow-lt", "red": "bg-red-lt"}


@register.filter
def health_badge(score: int | None) -> str:
    """The badge class of a health score, by the pack's colour bands (lights.customer_health_*)."""
    from salesflow.customers.selectors import health_light

    return HEALTH_BADGE_CLASSES.get(health_light(score), "bg-secondary-lt")
