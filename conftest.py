"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest

from salesflow.core.testing import Trio, make_trio


@pytest.fixture
def trio(db: None) -> Trio:
    """Owner, teammate, outsider and their managers (see salesflow.core.testing)."""
    return make_trio()


@pytest.fixture(autouse=True)
def _fresh_rule_pack_cache(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's rolled-back transaction may have held another pack version (or other
    notification channels).

    Outside the browser tests the pack is also kept for the whole test: a slow run that crossed
    the re-read interval would add a query and break the query-count pins at random. Pack
    changes made through the services forget the cache themselves. (A browser test's server
    thread has its own cache and needs the interval to see the test's changes.)
    """
    from salesflow.notify.selectors import forget_enabled_channels
    from salesflow.rules import selectors

    selectors.forget_active_pack()
    forget_enabled_channels()
    if request.node.get_closest_marker("browser") is None:
        monkeypatch.setattr(selectors, "PACK_TTL_SECONDS", 3600.0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On SQLite, deselect (never skip) the tests that need PostgreSQL's real concurrency.

    `pytest salesflow/customers` then passes by itself on the embedded default, and the
    deselected tests are counted as such in pytest's summary rather than hidden as skips.
    """
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    postgres_only = [item for item in items if item.get_closest_marker("postgres_only")]
    if postgres_only:
        config.hook.pytest_deselected(items=postgres_only)
        items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]
