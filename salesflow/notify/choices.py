"""Notification kinds people can pick in a channel's filter; apps add theirs in `AppConfig.ready`."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The kinds the shipped services and the default rule pack send. A rule may invent a new
# kind; it still reaches every channel whose filter is empty, and shows in the picker by name.
_kinds: dict[str, str | Promise] = {
    "lead.assigned": _("新线索分配"),
    "lead.merged": _("线索再次提交"),
    "lead.pooled": _("线索进入线索池"),
    "sla.breached": _("超时提醒"),
    "sla.escalated": _("超时升级"),
    "task.created": _("新待办"),
    "rule.notify": _("规则通知"),
    "customer.release_warning": _("客户即将退回客户池"),
    "customer.released": _("客户已退回客户池"),
    "opportunity.stalled": _("商机停滞"),
    "opportunity.red_light": _("商机红灯"),
    "quote.health_low": _("报价健康度低"),
    "payment.due_soon": _("回款即将到期"),
    "org.leave": _("休假交接"),
}


def register_notification_kinds(kinds: dict[str, str | Promise]) -> None:
    """Add kinds (with a readable label) to the channel filter's picker."""
    _kinds.update(kinds)


def notification_kinds(extra: list[str] | None = None) -> list[tuple[str, str]]:
    """Every known kind with its label, plus `extra` names (a channel's saved filter), by label."""
    labels = {name: str(label) for name, label in _kinds.items()}
    for name in extra or []:
        labels.setdefault(name, name)
    return sorted(labels.items(), key=lambda item: item[0])
