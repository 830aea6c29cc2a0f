"""`salesflow export customers|contacts|orders|leads --out FILE.xlsx [--user NAME] [filters]`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salesflow.core.errors import FieldErrors
from salesflow.imports import selectors, xlsx
from salesflow.imports.choices import ImportKind
from salesflow.org.models import User


class Command(BaseCommand):
    """Export what a user may see (everything without --user) with the headers import reads."""

    help = "Export customers, contacts, orders or leads to .xlsx (the same columns import reads)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("--out", required=True, help="the .xlsx to write")
        parser.add_argument("--user", default="", help="export what this user may see")
        parser.add_argument("--q", default="", help="search text, as in the list")
        parser.add_argument("--owner", default="", help="me (with --user) or a user id")
        parser.add_argument("--pool", action="store_true", help="only unowned records")
        parser.add_argument("--status", default="", help="lead status")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"未知用户 / No active user {options['user']}")
        filters = {k: options[k] for k in ("q", "owner", "status")}
        filters["pool"] = "true" if options["pool"] else ""
        count = 0

        def counted() -> Any:
            nonlocal count
            for row in selectors.export_rows(options["kind"], user, filters):
                count += 1
                if count % 5000 == 0:
                    sys.stderr.write(f"\r导出 / exported {count}")
                yield row

        try:
            data = xlsx.write(
                selectors.headers_of(options["kind"]), counted(), title=str(ImportKind(options["kind"]).label)
            )
        except FieldErrors as exc:
            raise CommandError("; ".join(f"{f}: {' '.join(m)}" for f, m in exc.errors.items())) from None
        Path(options["out"]).write_bytes(data)
        sys.stderr.write(f"\r导出 / exported {count}\n")
        self.stdout.write(self.style.SUCCESS(f"已导出 {count} 行到 {options['out']} / {count} rows written."))
