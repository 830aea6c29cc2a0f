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
