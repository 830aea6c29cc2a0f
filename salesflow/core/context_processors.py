"""Values every page of the shell needs (navigation, unread counts)."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

ShellContributor = Callable[[HttpRequest], dict[str, Any]]
_contributors: list[ShellContributor] = []


def register_shell_contributor(fn: ShellContributor) -> None:
    """Let an app add values to the shell (e.g. the notification bell's unread count)."""
    if fn not in _contributors:
        _contributors.append(fn)


def navigation() -> list[tuple[str, Any, str, str]]:
    """The main navigation: key, label, icon, URL."""
    return [
        ("today", _("今日"), "ti-sun", reverse("today")),
        ("leads", _("线索"), "ti-target-arrow", reverse("lead-list")),
        ("customers", _("客户"), "ti-building", reverse("customer-list")),
        ("opportunities", _("商机"), "ti-chart-funnel", reverse("pipeline-board")),
        ("workorders", _("工单"), "ti-clipboard-list", reverse("module-home", args=["workorders"])),
        ("dashboards", _("看板"), "ti-chart-bar", reverse("cockpit")),
        ("settings", _("设置"), "ti-settings", reverse("settings")),
    ]


def shell(request: HttpRequest) -> dict[str, Any]:
    """The shell's context: navigation and contributed values for a signed-in user."""
    context: dict[str, Any] = {"unread_notifications": 0, "nav_items": navigation()}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    for contributor in _contributors:
        context.update(contributor(request))
    return context
