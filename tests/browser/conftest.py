"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless chromium for the session; a missing browser fails, never skips."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def demo_company(transactional_db: None) -> None:
    """A small demo company (every account's password is salesflow-demo)."""
    from salesflow.core.demo import build_context, run_demo

    run_demo(
        build_context(
            seed=7,
            reps=12,
            months=1,
            now=timezone.now(),
            password_hash=make_password("salesflow-demo"),
        )
    )


def _new_page(browser: Browser, live_server: LiveServer, **options: Any) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", base_url=str(live_server.url), **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Every journey also checks that nothing on its pages was blocked by the Content-Security-Policy.
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    context.close()
    assert blocked == [], "blocked by the Content-Security-Policy"


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, demo_company: None) -> Iterator[Page]:
    """A fresh browser context with a desktop viewport, talking to the live server."""
    yield from _new_page(browser, live_server, viewport={"width": 1366, "height": 900})


@pytest.fixture
def phone_page(browser: Browser, live_server: LiveServer, demo_company: None) -> Iterator[Page]:
    """A fresh browser context the size of a phone (390×844, touch)."""
    yield from _new_page(
        browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


Shot = Callable[..., Path]


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    """Screenshot named after the test: `<test-name>.png`, or `<test-name>-<suffix>.png`."""
    base = re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")

    def take(page: Page, suffix: str = "") -> Path:
        return screenshot(page, f"{base}-{suffix}" if suffix else base)

    return take


def rendered_fonts(page: Page, selector: str) -> set[str]:
    """Families chromium actually drew the element's text (and ::before/::after) with.

    A CJK page without a CJK font installed draws boxes; an icon whose webfont did not load
    falls back to a system font. Both show up here, unlike in computed styles.
    """
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        node_id = cdp.send("DOM.querySelector", {"nodeId": root["nodeId"], "selector": selector})["nodeId"]
        assert node_id, f"{selector} not found"
        described = cdp.send("DOM.describeNode", {"nodeId": node_id, "depth": 1})["node"]
        node_ids = [node_id]
        for pseudo in described.get("pseudoElements", []):
            pushed = cdp.send(
                "DOM.pushNodesByBackendIdsToFrontend", {"backendNodeIds": [pseudo["backendNodeId"]]}
            )
            node_ids.extend(pushed["nodeIds"])
        families: set[str] = set()
        for nid in node_ids:
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": nid})["fonts"]
            families.update(font["familyName"] for font in fonts)
        return families
    finally:
        cdp.detach()


def log_in(page: Page, username: str, password: str = "salesflow-demo") -> None:
    """Sign in through the login page."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")
