"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
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


class DemoSnapshot:
    """The demo company built once per session, kept as a copy of the whole SQLite database.

    Building the demo takes seconds; restoring its copy takes milliseconds. Why a restored copy
    is as good as a fresh build:

    - `make test-browser` runs on a SQLite file (`SALESFLOW_TEST_DATABASE_FILE`), so the live
      server's threads each open their own connection, as in production.
      `sqlite3.Connection.backup()` replaces every page of it — tables, rows, `sqlite_sequence` —
      so each test starts from the very rows, ids and sequences the build left, whatever the
      previous test wrote (its flush included). Between tests no other connection is in use: the
      previous test's browser contexts are closed and the requests they left are done
      (ServerRequests), and the server closes its connections after every request. Django's
      in-memory test database (one connection the server's threads share) is restored the same
      way.
    - What Django keeps in memory about rows is dropped after each restore: the content-type
      cache (the flush recreated the content types under other ids), this thread's rule pack
      (root conftest's autouse fixture forgets it too; the server's request threads read their
      own within `PACK_TTL_SECONDS`), and the cache (forecast snapshots are keyed by ids that now
      repeat from test to test).
    - The demo is built relative to `clock.now()`; a copy minutes old describes the same
      "today". It is rebuilt when the local date changed or it is older than `MAX_AGE`, so a run
      that crosses midnight, or a very slow one, never sees yesterday's demo.

    PostgreSQL builds the demo for every test.
    """

    MAX_AGE = timedelta(minutes=20)

    def __init__(self) -> None:
        self.copy: sqlite3.Connection | None = None
        self.built_at: datetime | None = None

    def load(self) -> None:
        """Put the demo company into the (flushed) test database."""
        from django.contrib.contenttypes.models import ContentType
        from django.core.cache import cache
        from django.db import connections
        from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabase

        from salesflow.core import clock
        from salesflow.rules.selectors import forget_active_pack

        now = clock.now()
        connection = connections["default"]
        if not isinstance(connection, SQLiteDatabase):
            _build_demo(now)
            return
        connection.ensure_connection()
        raw = connection.connection
        assert not raw.in_transaction, "the test database must be idle to be restored"
        fresh = (
            self.copy is not None
            and self.built_at is not None
            and now - self.built_at < self.MAX_AGE
            and clock.to_local(now).date() == clock.to_local(self.built_at).date()
        )
        if fresh:
            assert self.copy is not None
            self.copy.backup(raw)
        else:
            _build_demo(now)
            self.close()
            self.copy = sqlite3.connect(":memory:", check_same_thread=False)
            raw.backup(self.copy)
            self.built_at = now
        ContentType.objects.clear_cache()
        forget_active_pack()
        cache.clear()

    def close(self) -> None:
        if self.copy is not None:
            self.copy.close()
            self.copy = None


def _build_demo(now: datetime) -> None:
    from salesflow.core.demo import build_context, run_demo

    run_demo(build_context(seed=7, reps=12, months=1, now=now, password_hash=make_password("salesflow-demo")))


@pytest.fixture(scope="session")
def demo_snapshot() -> Iterator[DemoSnapshot]:
    """The session's copy of the demo company (see DemoSnapshot)."""
    snapshot = DemoSnapshot()
    yield snapshot
    snapshot.close()


@pytest.fixture
def demo_company(transactional_db: None, demo_snapshot: DemoSnapshot) -> None:
    """A small demo company (every account's password is salesflow-demo), the same for every test.

    Built by the first test that asks for it, restored from its copy for the others.
    """
    demo_snapshot.load()


class ServerRequests:
    """How many requests the live server is handling, so that closing a page can wait for them.

    A page that is closed may still send a request: the customer's quote page reports its reading
    time with a keepalive fetch when it is hidden (quote-share.js). The test's database must not
    be flushed or restored under such a request (SQLite: "database table is locked").
    """

    QUIET_SECONDS = 0.25
    TIMEOUT_SECONDS = 15.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.busy = 0
        self.changed = time.monotonic()

    def connect(self) -> None:
        from django.core.signals import request_finished, request_started

        request_started.connect(self.started, dispatch_uid="browser-tests-started")
        request_finished.connect(self.finished, dispatch_uid="browser-tests-finished")

    def started(self, **_kwargs: Any) -> None:
        with self.lock:
            self.busy += 1
            self.changed = time.monotonic()

    def finished(self, **_kwargs: Any) -> None:
        with self.lock:
            self.busy -= 1
            self.changed = time.monotonic()

    def wait_until_idle(self) -> None:
        """Until no request has started or finished for `QUIET_SECONDS`, counted from now at the
        earliest (a request sent as the page closed reaches the server well within that)."""
        since = time.monotonic()
        while True:
            with self.lock:
                busy, quiet = self.busy, time.monotonic() - max(self.changed, since)
            if busy <= 0 and quiet >= self.QUIET_SECONDS:
                return
            if time.monotonic() - since > self.TIMEOUT_SECONDS:
                with self.lock:
                    self.busy = 0
                pytest.fail(f"the live server still handles {busy} request(s) after the pages closed")
            time.sleep(0.02)


SERVER_REQUESTS = ServerRequests()


def _new_page(browser: Browser, live_server: LiveServer, **options: Any) -> Iterator[Page]:
    SERVER_REQUESTS.connect()
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
    SERVER_REQUESTS.wait_until_idle()
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


# How many pixels of a chart's canvas are painted: an empty ECharts canvas has none.
INK = """(selector) => {
  const canvas = document.querySelector(selector + ' canvas');
  if (!canvas) return -1;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
  return ink;
}"""


def wait_for_ink(page: Page, selector: str, more_than: int, timeout_seconds: float = 15) -> int:
    """Wait until the chart under `selector` has more than `more_than` painted pixels.

    Polled from here with `page.evaluate` (a DevTools call) rather than `wait_for_function`,
    whose string predicate is compiled inside the page, where the Content-Security-Policy
    refuses eval now and then."""
    deadline = time.monotonic() + timeout_seconds
    ink = page.evaluate(INK, selector)
    while ink <= more_than:
        if time.monotonic() > deadline:
            pytest.fail(f"{selector}: {ink} painted pixels after {timeout_seconds} s, wanted > {more_than}")
        page.wait_for_timeout(100)
        ink = page.evaluate(INK, selector)
    return ink


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
