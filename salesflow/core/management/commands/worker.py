"""`salesflow worker`: periodic jobs (the SLA sweeper) and queued tasks, about once a second."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from salesflow.core import clock
from salesflow.core.worker import periodic_jobs

logger = logging.getLogger("salesflow.worker")


class Command(BaseCommand):
    help = "Run the background worker: periodic jobs and the task queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
        parser.add_argument("--once", action="store_true", help="run one tick and exit")

    def handle(self, *args: Any, **opts: Any) -> None:
        self.running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("Salesflow worker started.")
        while self.running:
            started = time.monotonic()
            self.tick()
            if opts["once"]:
                break
            time.sleep(max(0.0, opts["interval"] - (time.monotonic() - started)))
        self.stdout.write("Salesflow worker stopped.")

    def tick(self) -> None:
        """One pass: every periodic job, then every queued task that is ready."""
        close_old_connections()
        now = clock.now()
        for name, job in periodic_jobs().items():
            try:
                job(now)
            except Exception:
                # One failing job must not stop the others or the worker.
                logger.exception("periodic job %s failed", name)
        Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"salesflow-{id(self)}",
            excluded_queue_names=[],
        ).run()
