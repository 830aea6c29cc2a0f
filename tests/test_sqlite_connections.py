"""Every SQLite connection the settings make: WAL, a busy timeout, write transactions that begin
IMMEDIATE (issue #15).

The test database is in memory (no WAL there) or PostgreSQL, so these tests open their own
connections to a temporary file with the database settings production would use: the running
settings' when they are SQLite, else `salesflow.settings.base` evaluated with a SQLite URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError, connections, transaction

ALIAS = "sqlite_probe"


def _sqlite_settings() -> dict[str, Any]:
    configured = settings.DATABASES["default"]
    if configured["ENGINE"] == "django.db.backends.sqlite3":
        return dict(configured)
    script = (
        "import json; from salesflow.settings import base;"
        "print(json.dumps(base.DATABASES['default'], default=str))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "DATABASE_URL": "sqlite:////tmp/unused.sqlite3"},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture
def probe(tmp_path: Path, django_db_blocker: Any) -> Iterator[Any]:
    """A factory of connections (aliases) to one fresh SQLite file, made from the settings;
    `timeout` overrides the busy timeout of one of them."""
    base = _sqlite_settings()
    made: list[str] = []

    def connect(timeout: float | None = None) -> str:
        alias = f"{ALIAS}{len(made)}"
        options = {**base.get("OPTIONS", {})}
        if timeout is not None:
            options["timeout"] = timeout
        entry = {**base, "NAME": str(tmp_path / "probe.sqlite3"), "OPTIONS": options, "TEST": {}}
        both = {"default": connections.settings["default"], alias: entry}
        connections.settings[alias] = connections.configure_settings(both)[alias]
        made.append(alias)
        return alias

    with django_db_blocker.unblock():
        try:
            yield connect
        finally:
            for alias in made:
                connections[alias].close()
                del connections[alias]
                del connections.settings[alias]


def test_settings_ask_for_wal_timeout_and_immediate() -> None:
    options = _sqlite_settings()["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"].replace(" ", "")
    assert options["timeout"] > 0


def test_fresh_connection_is_wal_with_busy_timeout(probe: Any) -> None:
    alias = probe()
    with connections[alias].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        busy_ms = cursor.fetchone()[0]
    assert busy_ms == _sqlite_settings()["OPTIONS"]["timeout"] * 1000
    assert busy_ms > 0


def _table(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")


def test_atomic_takes_the_write_lock_at_begin(probe: Any) -> None:
    """With a deferred BEGIN the second block would enter, read, and fail at its first write
    (where SQLite cannot wait: a read transaction cannot be upgraded past a writer). With
    IMMEDIATE it waits at BEGIN, and here fails there, before its body runs."""
    holder, waiter = probe(), probe(timeout=0.2)
    _table(holder)
    entered = False
    with transaction.atomic(using=holder):
        with connections[holder].cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(OperationalError, match="locked"), transaction.atomic(using=waiter):
            entered = True
    assert not entered


def test_atomic_waits_at_begin_until_the_writer_commits(probe: Any) -> None:
    holder, waiter = probe(), probe(timeout=5)
    _table(holder)
    locked = threading.Event()

    def hold() -> None:
        with transaction.atomic(using=holder):
            with connections[holder].cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (1)")
            locked.set()
            time.sleep(0.5)
        connections[holder].close()  # this thread's connection, not the test's

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(5)
    started = time.monotonic()
    with transaction.atomic(using=waiter):
        waited = time.monotonic() - started  # measured on entering: BEGIN is where it waited
        with connections[waiter].cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
    thread.join()
    assert waited >= 0.3
    with connections[waiter].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone()[0] == 2
