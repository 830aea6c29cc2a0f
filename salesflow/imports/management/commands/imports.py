"""`salesflow imports housekeep [--now ISO|+duration] [--dry-run]`: what the worker does nightly."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from salesflow.imports import services
from salesflow.timers.management.commands.timers import parse_now


class Command(BaseCommand):
    """Import-job housekeeping by the pack's `imports` section (stale_after, retention_days)."""

    help = "Fail abandoned import jobs and delete workbooks older than the pack's retention."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        housekeep = sub.add_parser("housekeep", help="fail abandoned jobs, prune old files")
        housekeep.add_argument("--now", default=None, help="ISO-8601 time or +duration (default: now)")
        housekeep.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        now = parse_now(options["now"])
        done = services.import_jobs_housekeep(now=now, dry_run=options["dry_run"])
        verb = "将" if options["dry_run"] else "已"
        self.stdout.write(
            f"{verb}标为未导入 {done['failed']} 个任务，{verb}删除 {done['pruned']} 个任务的文件"
            f" / failed {done['failed']} abandoned jobs, pruned the files of {done['pruned']}"
            + (" (dry run)" if options["dry_run"] else "")
        )
