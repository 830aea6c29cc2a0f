"""今日战报: the wall refreshes on its own when a rep wins a deal in another session, shows that
it lost the server and comes back, and opens by a TV link without a login until revoked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from pytest_django.live_server_helper import LiveServer

from salesflow.org.models import User
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity
from salesflow.rules import services as rules_services
from salesflow.rules.selectors import active_pack
from tests.browser.conftest import Shot, _new_page, log_in

pytestmark = pytest.mark.browser

TV = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


def _refresh_every(seconds: int) -> None:
    """Activate a pack version whose battle report refreshes every `seconds` (the pack is the source)."""
    _number, pack = active_pack()
    settings = pack.settings.model_copy(update={"battle_report_refresh_seconds": seconds})
    rules_services.pack_version_create(
        pack=pack.model_copy(update={"settings": settings}), actor=None, note="battle test"
    )
    assert active_pack()[1].settings.battle_report_refresh_seconds == seconds


@contextmanager
def _page(browser: Browser, live_server: LiveServer, **options: object) -> Iterator[Page]:
    """A page of its own browser context (its own session), checked for CSP blocks at the end."""
    pages = _new_page(browser, live_server, **options)
    page = next(pages)
    try:
        yield page
    finally:
        next(pages, None)


def _element_count(page: Page) -> int:
    return int(page.evaluate("document.getElementsByTagName('*').length"))


def test_the_wall_refreshes_when_a_deal_is_won_in_another_session(
    browser: Browser, live_server: LiveServer, demo_company: None, shot: Shot
) -> None:
    _refresh_every(1)
    manager = User.objects.get(username="manager1")
    deal = (
        Opportunity.objects.filter(
            status=OpportunityStatus.OPEN, owner__team=manager.team, owner__is_active=True
        )
        .select_related("owner")
        .order_by("id")
        .first()
    )
    assert deal is not None and deal.owner is not None, "the demo team has open deals"
    with _page(browser, live_server, viewport=TV) as wall, _page(browser, live_server) as rep:
        log_in(wall, "manager1")
        wall.goto("/battle/")
        expect(wall.locator("[data-testid=battle-team]")).to_have_text(manager.team.name)  # type: ignore[union-attr]
        expect(wall.locator("[data-testid=panel-deals_today]")).not_to_contain_text(deal.title)
        # A marker that a reload would wipe: the wall must update in place.
        wall.evaluate("window.__sameDocument = true")
        first_update = wall.locator("#battle-updated-at").get_attribute("datetime")
        expect(wall.locator("#battle-updated-at")).not_to_have_attribute("datetime", first_update or "")
        before = _element_count(wall)

        log_in(rep, deal.owner.username)
        rep.goto(f"/opportunities/{deal.pk}/")
        with rep.expect_navigation():
            rep.locator("[data-testid=close-form] button[value=won]").click()
        deal.refresh_from_db()
        assert deal.status == OpportunityStatus.WON

        expect(wall.locator("[data-testid=deals-list]")).to_contain_text(deal.title)
        assert wall.evaluate("window.__sameDocument") is True
        # Replaced, not appended: a refresh with one more deal adds that row's elements only.
        assert _element_count(wall) - before < 20
        shot(wall, "tv-1920x1080")

        # The network drops: the wall says so and keeps trying; back online, it recovers.
        def fail(route: Route) -> None:
            route.abort("connectionfailed")

        wall.route(re.compile(r"/battle/panels/"), fail)
        expect(wall.locator("[data-testid=battle-offline]")).to_be_visible()
        expect(wall.locator("[data-testid=battle-offline]")).to_contain_text("连接中断，正在重连")
        shot(wall, "offline")
        wall.unroute(re.compile(r"/battle/panels/"), fail)
        expect(wall.locator("[data-testid=battle-offline]")).to_be_hidden(timeout=20_000)
        expect(wall.locator("[data-testid=deals-list]")).to_contain_text(deal.title)
        assert wall.evaluate("window.__sameDocument") is True


def test_a_tv_link_opens_without_a_login_until_it_is_revoked(
    browser: Browser, live_server: LiveServer, demo_company: None, shot: Shot
) -> None:
    _refresh_every(1)
    with _page(browser, live_server, viewport=TV) as manager_page:
        log_in(manager_page, "manager1")
        manager_page.goto("/battle/")
        manager_page.locator("[data-testid=battle-links]").click()
        expect(manager_page).to_have_url(re.compile(r"/battle/links/$"))
        manager_page.fill("#tv-label", "三楼大屏")
        manager_page.locator("[data-testid=tv-link-create]").click()
        url = manager_page.locator("[data-testid=tv-link-url]").input_value()
        assert re.search(r"/tv/[\w-]{40,}/$", url)
        shot(manager_page, "links")

        with _page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True) as tv:
            tv.goto(url)
            expect(tv.locator("[data-testid=battle-team]")).to_have_text("上海一组")
            expect(tv.locator("[data-testid=panel-actions]")).to_be_visible()
            # Read-only: no team picker, no link management, no way into the app.
            expect(tv.locator("[data-testid=battle-links]")).to_have_count(0)
            expect(tv.locator("#battle-team-select")).to_have_count(0)
            width = tv.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the wall is {width}px wide on a phone"
            shot(tv, "phone-390x844")

            manager_page.goto("/battle/links/")
            expect(manager_page.locator("[data-testid=tv-link-row]")).to_contain_text("三楼大屏")
            manager_page.on("dialog", lambda dialog: dialog.accept())
            manager_page.locator("[data-testid=tv-link-revoke]").click()
            expect(manager_page.locator("[data-testid=tv-link-row]")).to_contain_text("已撤销")

            # The TV's next poll is refused and the wall turns into the explanation.
            expect(tv.locator("[data-testid=battle-gone]")).to_be_visible()
            expect(tv.locator("[data-testid=battle-gone-message]")).to_contain_text("该链接已被撤销")
            shot(tv, "revoked")
