"""Values every page of the shell needs (navigation, unread counts)."""

from collections.abc import Callable
from dataclasses import dataclass
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
    """The main navigation: key, label, icon, URL — only modules that exist.

    On a phone the tab bar holds five items at most: 报价, 合同, 工单, 日历 and 设置 move to
    the user menu (a quote is mostly opened from its opportunity), 战报 (a wall screen) is opened from
    看板, and 审批 is an icon with its count in the top bar.
    """
    return [
        ("today", _("今日"), "ti-sun", reverse("today")),
        ("leads", _("线索"), "ti-target-arrow", reverse("lead-list")),
        ("customers", _("客户"), "ti-building", reverse("customer-list")),
        ("opportunities", _("商机"), "ti-chart-funnel", reverse("pipeline-board")),
        ("quotes", _("报价"), "ti-file-invoice", reverse("quote-list")),
        ("contracts", _("合同"), "ti-file-certificate", reverse("contract-list")),
        ("workorders", _("工单"), "ti-clipboard-list", reverse("workorder-mine")),
        ("calendar", _("日历"), "ti-calendar", reverse("calendar")),
        ("dashboards", _("看板"), "ti-chart-bar", reverse("cockpit")),
        ("approvals", _("审批"), "ti-checklist", reverse("approval-list")),
        ("battle", _("战报"), "ti-flame", reverse("battle")),
        ("settings", _("设置"), "ti-settings", reverse("settings")),
    ]


@dataclass(frozen=True)
class SettingsTab:
    """A tab of 设置: where it goes, what it is for, and who may open it.

    `allowed` is the very predicate the tab's view checks (e.g. `can_edit_rules`), so a
    tab is shown exactly to those its page would not refuse.
    """

    key: str
    label: Any
    url_name: str
    order: int
    purpose: Any
    icon: str
    allowed: Callable[[Any], bool]

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_settings_tabs: dict[str, SettingsTab] = {}


def register_settings_tab(tab: SettingsTab) -> None:
    """Let an app put its page into 设置 (each app registers its own, with its own predicate)."""
    _settings_tabs[tab.key] = tab


def settings_tabs_for(user: Any) -> list[SettingsTab]:
    """The 设置 tabs `user` may open, in their order."""
    return [tab for tab in sorted(_settings_tabs.values(), key=lambda t: t.order) if tab.allowed(user)]


def everyone(user: Any) -> bool:
    """A settings page every signed-in person may open (reading; writes check on their own)."""
    return bool(getattr(user, "is_authenticated", False))


def shell(request: HttpRequest) -> dict[str, Any]:
    """The shell's context: navigation and contributed values for a signed-in user."""
    context: dict[str, Any] = {"unread_notifications": 0, "nav_items": navigation()}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    # Lazy: only the settings pages render the tabs.
    context["settings_tabs"] = lambda: settings_tabs_for(user)
    for contributor in _contributors:
        context.update(contributor(request))
    return context
