"""`salesflow import customers|contacts|orders|leads FILE.xlsx [--dry-run] [--skip-bad-rows]`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salesflow.core.errors import DomainError, FieldErrors
from salesflow.imports import services, xlsx
from salesflow.imports.choices import ImportKind, ImportMode, RowAction
from salesflow.org.models import User


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\r写入 / writing {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


class Command(BaseCommand):
    """Import a workbook: every bad row reported with row, column and reason; all or nothing."""

    help = (
        "Import customers, contacts, orders or leads from an .xlsx (all-or-nothing unless --skip-bad-rows)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="write the good rows; bad ones go to FILE.skipped.xlsx",
        )
        parser.add_argument("--user", default="", help="import as this user (history, events, owner scope)")
        parser.add_argument(
            "--mode",
            choices=ImportMode.values,
            default=ImportMode.CREATE,
            help="create: only new records (existing ones are errors); update: only existing ones; "
            "upsert: both. Rows match by natural key (customers: name; contacts: customer + phone or "
            "name; orders: customer + order number; leads: phone or e-mail of an open lead).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件 / No such file: {path}")
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"未知用户 / No active user {options['user']}")
        try:
            sys.stderr.write(f"读取 / reading {path} …\n")
            sheet = xlsx.read(path.read_bytes())
            sys.stderr.write(f"校验 / checking {len(sheet.rows)} rows …\n")
            result = services.import_run(
                kind=options["kind"],
                sheet=sheet,
                actor=actor,
                dry_run=options["dry_run"],
                skip_bad_rows=options["skip_bad_rows"],
                mode=options["mode"],
                progress=_progress,
            )
        except FieldErrors as exc:
            raise CommandError("; ".join(f"{f}: {' '.join(m)}" for f, m in exc.errors.items())) from None
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if result.dry_run and result.mode != ImportMode.CREATE:
            labels = dict(RowAction.choices)
            for outcome in result.rows:
                if outcome["action"] == RowAction.UPDATE:
                    changed = "、".join(outcome["changed"])
                    self.stdout.write(
                        f"第 {outcome['row']} 行 / row {outcome['row']}：{labels['update']} {changed}"
                    )
        for error in result.errors:
            self.stdout.write(f"第 {error.row} 行 / row {error.row}「{error.column}」：{error.reason}")
        if result.skipped_xlsx:
            skipped = path.with_name(f"{path.stem}.skipped.xlsx")
            skipped.write_bytes(result.skipped_xlsx)
            self.stdout.write(f"跳过的行已写入 / skipped rows written to {skipped}")
        r = result
        summary = (
            f"共 {r.total} 行，有效 {r.valid} 行，新建 {r.created} 行，更新 {r.updated} 行，"
            f"不变 {r.unchanged} 行，跳过 {r.skipped} 行 / {r.total} rows, {r.valid} valid, "
            f"{r.created} created, {r.updated} updated, {r.unchanged} unchanged, {r.skipped} skipped"
        )
        if result.dry_run:
            self.stdout.write(f"试运行，未写入 / dry run, nothing written. {summary}")
        elif result.errors and not result.written and not options["skip_bad_rows"]:
            self.stdout.write(summary)
            raise CommandError(
                f"{len(result.errors)} 个错误，未导入任何内容（可用 --skip-bad-rows 跳过错误行）"
                f" / {len(result.errors)} problems, nothing imported."
            )
        else:
            self.stdout.write(self.style.SUCCESS(summary))
