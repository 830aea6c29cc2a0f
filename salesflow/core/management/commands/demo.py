"""`salesflow demo`: generate the demo company through the services."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from salesflow.core import clock
from salesflow.core.demo import build_context, run_demo


class Command(BaseCommand):
    help = "Generate the demo company (deterministic for a seed). Refuses a non-empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--reps", type=int, default=48, help="number of sales reps (min 6)")
        parser.add_argument("--months", type=int, default=6, help="months of history")
        parser.add_argument(
            "--now",
            type=datetime.fromisoformat,
            default=None,
            help="generate as of this ISO-8601 instant (default: now)",
        )
        parser.add_argument("--reset", action="store_true", help="wipe all data first")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (exit 0) when the database already has data",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["reps"] < 6:
            raise CommandError("--reps must be at least 6 (one per team).")
        if opts["months"] < 1:
            raise CommandError("--months must be at least 1.")
        self._migrate_if_needed()
        user_model = get_user_model()
        if user_model.objects.exists():
            if opts["if_empty"]:
                self.stdout.write("Database already has data; demo not generated.")
                return
            if not opts["reset"]:
                raise CommandError("The database is not empty. Use --reset to wipe it first.")
            call_command("flush", interactive=False, verbosity=0)
        now = opts["now"] or clock.now()
        started = time.perf_counter()
        ctx = build_context(
            seed=opts["seed"],
            reps=opts["reps"],
            months=opts["months"],
            now=now,
            password_hash=make_password(settings.SALESFLOW_DEMO_PASSWORD),
        )
        self.stdout.write("正在生成演示公司（约半分钟到两分钟）…")
        self.stdout.flush()
        counts = run_demo(ctx, progress=self._progress)
        elapsed = time.perf_counter() - started
        total = sum(counts.values())
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        self.stdout.write(
            self.style.SUCCESS(f"Demo company generated in {elapsed:.1f}s ({total} records: {summary}).")
        )
        self.stdout.write(
            f"Log in as manager1 / {settings.SALESFLOW_DEMO_PASSWORD} "
            "(also admin, gm, coo, director1, rep1 …)."
        )
        event_model = apps.get_model("core", "Event")
        self.stdout.write(f"Events recorded: {event_model.objects.count()}.")

    def _progress(self, line: str) -> None:
        """One step line, flushed at once so `make run` shows it while the demo is generated."""
        self.stdout.write(f"  {line}")
        self.stdout.flush()

    def _migrate_if_needed(self) -> None:
        """A newcomer's first command may meet an empty database: migrate it before generating."""
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("数据库尚未迁移，先执行迁移 …")
            self.stdout.flush()
            call_command("migrate", interactive=False, verbosity=0)
