"""`salesflow serve`: gunicorn with WhiteNoise for the web, plus the embedded worker."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication

from salesflow.core.staticfiles import IGNORE_PATTERNS


class _Gunicorn(BaseApplication):
    """Gunicorn configured in code, serving the Django WSGI application."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from salesflow.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve Salesflow on gunicorn and run the background worker alongside."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        sqlite = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        # SQLite has one writer at a time: one process serves intake faster and with a shorter
        # tail than two fighting over the write lock (issue #15: 16.7 vs 12.0 leads/s, p99 5.0 vs
        # 8.1 s with 8 clients on a loaded 2-core machine, intake-20261207T153011Z.json), and two
        # threads rather than eight: a writer waiting on the lock sleeps in the busy handler's
        # growing steps while others take it, so eight threads starve some requests for seconds
        # (p99 3.7–5.8 s against 0.6–0.8 s with two, at the same throughput:
        # intake-20261207T233812Z.json, intake-20261208T003601Z.json). Requests beyond two wait
        # in gunicorn's queue instead, in order. PostgreSQL: two processes, so both cores run Python.
        default_workers = int(os.environ.get("WEB_CONCURRENCY", "1" if sqlite else "2"))
        parser.add_argument("--workers", type=int, default=default_workers)
        parser.add_argument("--threads", type=int, default=2 if sqlite else 4)
        parser.add_argument("--no-worker", action="store_true", help="do not start the embedded worker")
        parser.add_argument("--quiet", action="store_true", help="no access log")
        # `make run` collects (and compresses) the static files on the second core while the demo
        # is generated on the first, so the serve that follows finds them up to date.
        parser.add_argument(
            "--static-only", action="store_true", help="collect the static files, then exit without serving"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=IGNORE_PATTERNS)
        if opts["static_only"]:
            return
        worker = None
        if not opts["no_worker"]:
            worker = subprocess.Popen([sys.executable, "-m", "salesflow.cli", "worker"])
        url = f"http://{opts['host']}:{opts['port']}"
        self.stdout.write(self.style.SUCCESS(f"Salesflow is at {url}"))
        if get_user_model().objects.filter(username="manager1").exists():
            self.stdout.write(f"Demo login: manager1 / {settings.SALESFLOW_DEMO_PASSWORD}")
        self.stdout.flush()
        try:
            _Gunicorn(
                {
                    "bind": f"{opts['host']}:{opts['port']}",
                    "workers": opts["workers"],
                    "threads": opts["threads"],
                    "accesslog": None if opts["quiet"] else "-",
                    "errorlog": "-",
                    "timeout": 60,
                    "graceful_timeout": 10,
                }
            ).run()
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=15)
