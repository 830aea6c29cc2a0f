"""`salesflow export customers|contacts|orders|leads|opportunities|activities --out FILE.xlsx
[--user NAME] [filters]`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salesflow.core.errors import FieldErrors
from salesflow.imports import selectors
from salesflow.imports.choices import ExportKind
from salesflow.org.models import User


class Command(BaseCommand):
    """Export what a user may see (everything without --user) with the headers import reads."""

    help = (
        "Export customers, contacts, orders, leads (the same columns import reads), opportunities or "
        "activities to .xlsx."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ExportKind.values)
        parser.add_argument("--out", required=True, help="the .xlsx to write")
        parser.add_argument("--user", default="", help="export what this user may see")
        parser.add_argument("--q", default="", help="search text, as in the list")
        parser.add_argument("--owner", default="", help="me (with --user) or a user id")
        parser.add_argument("--pool", action="store_true", help="only unowned records")
        parser.add_argument("--status", default="", help="lead or opportunity status")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="any other filter of the list, e.g. stage=needs_confirmed or kind=call (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"未知用户 / No active user {options['user']}")
        filters = {k: options[k] for k in ("q", "owner", "status")}
        filters["pool"] = "true" if options["pool"] else ""
        for item in options["filter"]:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--filter 应为 NAME=VALUE / Use NAME=VALUE: {item}")
            filters[name.strip()] = value
        count = 0

        def counted() -> Any:
            nonlocal count
            for row in selectors.export_rows(options["kind"], user, filters):
                count += 1
                if count % 5000 == 0:
                    sys.stderr.write(f"\r导出 / exported {count}")
                yield row

        try:
            data = selectors.write_export(
                options["kind"], counted(), columns=selectors.export_columns(options["kind"], user)
            )
        except FieldErrors as exc:
            raise CommandError("; ".join(f"{f}: {' '.join(m)}" for f, m in exc.errors.items())) from None
        Path(options["out"]).write_bytes(data)
        sys.stderr.write(f"\r导出 / exported {count}\n")
        self.stdout.write(self.style.SUCCESS(f"已导出 {count} 行到 {options['out']} / {count} rows written."))
