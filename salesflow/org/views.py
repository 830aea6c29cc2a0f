"""Pages of the organisation: the directory in 设置 and a person's record page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from salesflow.core.errors import Throttled
from salesflow.core.lookups import visible_or_404
from salesflow.org import selectors
from salesflow.org.forms import LoginForm
from salesflow.org.models import User


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
