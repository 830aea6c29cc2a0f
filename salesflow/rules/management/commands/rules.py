"""`salesflow rules export|validate|import|rollback|versions|simulate`."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salesflow.core import clock
from salesflow.core.errors import DomainError
from salesflow.rules import packs, selectors, services, simulation


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"“{text}” is not a date (use YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Export, validate, import, roll back and simulate rule packs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the active pack as YAML")
        export.add_argument("--out", default=None, help="file to write (default: standard output)")
        export.add_argument(
            "--version", type=int, default=None, help="a version number instead of the active one"
        )
        validate = sub.add_parser("validate", help="check a pack file; lists every error")
        validate.add_argument("file")
        imp = sub.add_parser("import", help="validate a pack file and activate it as a new version")
        imp.add_argument("file")
        imp.add_argument("--note", default="")
        sub.add_parser("rollback", help="return to the version before the active one")
        sub.add_parser("versions", help="list versions")
        sim = sub.add_parser("simulate", help="replay past events against a draft rule or pack")
        source = sim.add_mutually_exclusive_group(required=True)
        source.add_argument("--rule", help="a rule or SLA policy code of the active pack")
        source.add_argument("--file", help="a draft pack file")
        sim.add_argument("--from", dest="start", required=True, type=_day)
        sim.add_argument("--to", dest="end", required=True, type=_day)
        sim.add_argument("--json", action="store_true")
        # The command line is the operator's own process: unbounded unless asked.
        sim.add_argument("--max-events", type=int, default=0, help="stop after N events (0: no limit)")
        sim.add_argument("--max-seconds", type=float, default=0, help="stop after S seconds (0: no limit)")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        try:
            getattr(self, f"do_{action}")(opts)
        except packs.PackInvalid as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError(f"invalid rule pack: {len(exc.errors)} error(s); nothing changed") from None
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _read(self, path: str) -> str:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None

    def do_export(self, opts: dict[str, Any]) -> None:
        if opts["version"] is not None:
            row = selectors.versions().filter(number=opts["version"]).first()
            if row is None:
                raise CommandError(f"no version {opts['version']}")
            document = row.document
        else:
            _number, pack = selectors.active_pack()
            document = packs.to_document(pack)
        text = packs.to_yaml(document)
        if opts["out"]:
            Path(opts["out"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {opts['out']}")
        else:
            self.stdout.write(text, ending="")

    def do_validate(self, opts: dict[str, Any]) -> None:
        pack = packs.parse(self._read(opts["file"]))
        self.stdout.write(
            f"valid: {pack.name} — {len(pack.rules)} rules, {len(pack.sla_policies)} SLA policies, "
            f"{len(pack.tag_dictionaries)} tag dictionaries"
        )

    def do_import(self, opts: dict[str, Any]) -> None:
        version = services.pack_import(text=self._read(opts["file"]), actor=None, note=opts["note"])
        if version is None:
            self.stdout.write("identical to the active version; nothing changed")
        else:
            self.stdout.write(f"activated v{version.number} ({version.name})")

    def do_rollback(self, opts: dict[str, Any]) -> None:
        version = services.pack_rollback(actor=None)
        self.stdout.write(f"activated v{version.number} ({version.name})")

    def do_versions(self, opts: dict[str, Any]) -> None:
        for v in selectors.versions():
            mark = "*" if v.is_active else " "
            when = clock.to_local(v.created_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"{mark} v{v.number:<4} {when}  {v.name}  {v.note}")

    def do_simulate(self, opts: dict[str, Any]) -> None:
        zone = clock.local_zone()
        start = datetime.combine(opts["start"], time.min, tzinfo=zone)
        end = datetime.combine(opts["end"], time.max, tzinfo=zone)
        if end <= start:
            raise CommandError("--to must not be before --from")
        if opts["file"]:
            pack = packs.parse(self._read(opts["file"]))
            codes = None
        else:
            _number, pack = selectors.active_pack()
            codes = {opts["rule"]}
            if pack.rule(opts["rule"]) is None and pack.policy(opts["rule"]) is None:
                raise CommandError(f"no rule or SLA policy “{opts['rule']}” in the active pack")
        limits = simulation.Limits(max_events=opts["max_events"], max_seconds=opts["max_seconds"])
        result = simulation.simulate(pack, start=start, end=end, rule_codes=codes, limits=limits)
        if opts["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
            return
        self.stdout.write(f"simulated {opts['start']} … {opts['end']} (nothing changed)")
        if result.truncated:
            self.stdout.write(f"TRUNCATED: {result.message}")
        for r in result.outcomes:
            people = ", ".join(f"{p} {n}" for p, n in list(r["by_person"].items())[:8])
            self.stdout.write(
                f"{r['count']:>6}  {r['code']}  {r['name']}" + (f"  [{people}]" if people else "")
            )
