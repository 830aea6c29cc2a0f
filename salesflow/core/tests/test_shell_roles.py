"""The shell by role: 设置 tabs from the views' own predicates, director and GM act like a manager,
今日 for roles with nothing of their own, and every refusal says why."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy

from salesflow.activities import services as activities
from salesflow.core import clock
from salesflow.core.context_processors import _settings_tabs, settings_tabs_for
from salesflow.core.error_views import localized_reason
from salesflow.core.errors import PermissionDenied
from salesflow.core.testing import Trio, make_user
from salesflow.leads import services as leads
from salesflow.leads.models import Lead
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.workflows import services as workflows


@pytest.fixture
def gm(trio: Trio) -> User:
    """A GM outside the test's reporting line (nobody reports to them directly)."""
    return make_user("gm", Role.GM, trio.team.parent, None)


def _lead(trio: Trio) -> Lead:
    return leads.lead_create(
        name="吴敏", phone="13900003333", company="仁和医院", owner=trio.owner, actor=None
    )


def _shown(client: Client, user: User) -> set[str]:
    client.force_login(user)
    html = client.get("/settings/").content.decode()
    return {tab.key for tab in _settings_tabs.values() if f'data-tab="{tab.key}"' in html}


def test_settings_shows_exactly_the_tabs_whose_page_opens(trio: Trio, gm: User, client: Client) -> None:
    for user in (trio.owner, trio.manager, trio.director, gm, trio.admin):
        shown = _shown(client, user)
        assert shown == {tab.key for tab in settings_tabs_for(user)}
        for tab in _settings_tabs.values():
            status = client.get(tab.url).status_code
            assert (status == 200) == (tab.key in shown), (user.username, tab.key, status)


def test_a_rep_sees_the_settings_a_rep_can_use(trio: Trio, client: Client) -> None:
    # 产品与价格 too: reps read the catalogue and prices to quote.
    assert _shown(client, trio.owner) == {"org", "rules", "versions", "calendar", "channels", "catalog"}


def test_director_and_gm_get_the_managers_settings(trio: Trio, gm: User, client: Client) -> None:
    managers = _shown(client, trio.manager)
    assert {"simulate", "assignment", "import"} <= managers
    # The GM also keeps the forecast's external signals (外部信号), with the ops admin.
    assert _shown(client, trio.director) == managers == _shown(client, gm) - {"forecast_signals"}
    assert "forecast_signals" in _shown(client, gm) and "forecast_signals" not in managers
    # The landing page lists what the director can use, with what each is for.
    client.force_login(trio.director)
    html = client.get("/settings/").content.decode()
    assert 'data-usable="import"' in html and "从 Excel 导入" in html
    assert 'data-usable="forms"' not in html


def test_director_and_gm_log_a_follow_up_on_a_reps_lead_like_the_manager(trio: Trio, gm: User) -> None:
    lead = _lead(trio)
    for boss in (trio.manager, trio.director, gm):
        activity = activities.activity_log(kind="call", occurred_at=clock.now(), actor=boss, lead=lead)
        assert activity.pk
    with pytest.raises(PermissionDenied):
        activities.activity_log(kind="call", occurred_at=clock.now(), actor=trio.teammate, lead=lead)


@pytest.mark.parametrize("who", ["director", "gm"])
def test_director_and_gm_convert_a_reps_lead_like_the_manager(trio: Trio, gm: User, who: str) -> None:
    actor = gm if who == "gm" else trio.director
    customer, opportunity = workflows.lead_convert(
        lead=_lead(trio), actor=actor, opportunity_title="仁和 采购"
    )
    assert customer.name == "仁和医院" and opportunity.owner == trio.owner


def test_the_outsider_may_not_convert(trio: Trio) -> None:
    with pytest.raises(PermissionDenied):
        workflows.lead_convert(lead=_lead(trio), actor=trio.outsider, opportunity_title="x")


def test_director_and_gm_may_import(trio: Trio, gm: User, client: Client) -> None:
    for user in (trio.director, gm):
        client.force_login(user)
        assert client.get("/settings/import/").status_code == 200
    client.force_login(trio.owner)
    response = client.get("/settings/import/")
    assert response.status_code == 403
    assert "只有运营管理员和销售管理者（主管、总监、总经理）可以导入" in response.content.decode()


def test_today_for_director_and_gm_says_what_comes_and_links_what_works(
    trio: Trio, gm: User, client: Client
) -> None:
    for user in (trio.director, gm):
        client.force_login(user)
        html = client.get("/today/").content.decode()
        assert 'data-testid="today-start"' in html and "看板上线后" in html
        for url in ("/leads/", "/customers/", "/opportunities/", "/settings/", "/settings/rules/"):
            assert f'href="{url}"' in html, url
        assert 'href="/settings/import/"' in html and 'href="/settings/forms/"' not in html
    client.force_login(trio.owner)
    assert 'data-testid="today-start"' not in client.get("/today/").content.decode()


def test_refusals_say_the_reason_in_chinese(trio: Trio, client: Client) -> None:
    client.force_login(trio.director)
    response = client.get("/settings/forms/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "只有运营管理员可以管理网站表单" in html and "你没有权限查看此页面" not in html
    client.force_login(trio.owner)
    response = client.get("/settings/rules/simulate/")
    assert (
        response.status_code == 403 and "只有销售管理者和运营管理员可以修改规则" in response.content.decode()
    )


def test_a_lazily_translated_reason_is_still_shown() -> None:
    with translation.override("zh-hans"):
        assert (
            localized_reason(gettext_lazy("只有运营管理员可以修改内网白名单"))
            == "只有运营管理员可以修改内网白名单"
        )
