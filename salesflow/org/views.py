"""Pages of the organisation: the directory in 设置 and a person's record page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesflow.core.context_processors import settings_tabs_for
from salesflow.core.errors import Throttled
from salesflow.core.lookups import visible_or_404
from salesflow.org import selectors
from salesflow.org.choices import Role
from salesflow.org.forms import LoginForm
from salesflow.org.models import User
from salesflow.org.selectors import current_user


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    """设置: the organisation (team tree and people)."""
    user: User = request.user  # type: ignore[assignment]
    teams = list(selectors.teams_visible_to(user))
    people = list(selectors.directory_for(user).order_by("team__path", "role", "id"))
    by_team: dict[int | None, list[User]] = {}
    for person in people:
        by_team.setdefault(person.team_id, []).append(person)
    rows = [(team, team.path.count("/") - 2, by_team.get(team.pk, [])) for team in teams]
    openable = set(selectors.user_records_visible_to(user).values_list("pk", flat=True))
    return render(
        request,
        "org/settings_home.html",
        {"nav": "settings", "rows": rows, "openable": openable, "people_count": len(people)},
    )


@login_required
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """A person's record page: header, 概览, 时间线, 历史."""
    viewer: User = request.user  # type: ignore[assignment]
    person = visible_or_404(selectors.user_records_visible_to(viewer), user_id)
    return render(
        request,
        "org/user_detail.html",
        {
            "nav": "settings",
            "person": person,
            "chain": selectors.managers_above(person),
            "product_lines": selectors.skill_codes(person, "product_line"),
            "customer_tiers": selectors.skill_codes(person, "customer_tier"),
            "leave_periods": person.leave_periods.all(),
            "report_count": len(selectors.report_ids_below(person)),
        },
    )


# Roles whose 今日 holds no records of their own yet (reps and managers have their leads and
# their team's to-dos): it says what will appear there and where to start today.
LEADERSHIP_ROLES = {Role.DIRECTOR, Role.GM, Role.COO}


def today_start_section(request: HttpRequest) -> dict[str, Any]:
    """今日 for a director, the GM and the roles outside the sales line: what comes, what works now."""
    me = current_user(request)
    if me.role in (Role.REP, Role.MANAGER):
        return {"template": "org/partials/today_start.html", "show": False}
    leadership = me.role in LEADERSHIP_ROLES
    links = [
        (
            "ti-target-arrow",
            _("线索"),
            _("团队的线索、响应时限与线索池") if leadership else _("线索与线索池"),
            reverse("lead-list"),
        ),
        (
            "ti-building",
            _("客户"),
            _("团队的客户与释放倒计时") if leadership else _("客户与客户池"),
            reverse("customer-list"),
        ),
        ("ti-chart-funnel", _("商机"), _("按阶段看商机、金额与证据"), reverse("pipeline-board")),
    ]
    links += [(tab.icon, tab.label, tab.purpose, tab.url) for tab in settings_tabs_for(me)]
    return {
        "template": "org/partials/today_start.html",
        "show": True,
        "leadership": leadership,
        "links": links,
    }


class LoginView(auth_views.LoginView):
    """The login page; a throttled attempt answers 429 with Retry-After and says how long to wait."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        throttled = getattr(self.request, "login_throttled", None)
        if isinstance(throttled, Throttled):
            response.status_code = 429
            response["Retry-After"] = str(throttled.retry_after)
        return response
