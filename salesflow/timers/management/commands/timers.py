"""`salesflow timers sweep [--now ISO|+4m] [--dry-run]` and `timers list [--subject T:ID]`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salesflow.core import clock, records
from salesflow.core.errors import NotFound
from salesflow.timers import selectors, sweeper
from salesflow.timers.calendar import company_calendar
from salesflow.timers.durations import add_duration, parse_duration


def parse_now(text: str | None) -> datetime:
    """`None` → now; `+4m` / `+2wd` → now plus a duration; else ISO-8601 (no offset: local time)."""
    if not text:
        return clock.now()
    if text.startswith("+"):
        try:
            duration = parse_duration(text[1:])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return add_duration(clock.now(), duration, calendar=company_calendar())
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"“{text}” is not an ISO-8601 time or +duration") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=clock.local_zone())
    return instant


def _subject(text: str) -> tuple[str, int]:
    kind, _, pk = text.partition(":")
    if not pk.isdigit():
        raise CommandError(f"“{text}” is not TYPE:ID (e.g. user:12)")
    if "." in kind:
        kind = kind.lower()
    else:
        try:
            kind = records.record_type(kind).model._meta.label_lower
        except NotFound:
            raise CommandError(f"unknown record type “{kind}”") from None
    return kind, int(pk)


class Command(BaseCommand):
    help = "Sweep due SLA steps, or list pending deadlines."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help="fire the steps due at --now")
        sweep.add_argument("--now", default=None, help="ISO-8601 time, or +4m / +2h / +3d / +1wd from now")
        sweep.add_argument("--dry-run", action="store_true", help="list what would fire; change nothing")
        listing = sub.add_parser("list", help="pending deadlines")
        listing.add_argument("--subject", default=None, help="TYPE:ID, e.g. user:12 or org.user:12")

    def _line(self, d: Any, extra: str = "") -> str:
        due = clock.to_local(d.due_at).strftime("%Y-%m-%d %H:%M")
        return f"{due}  {d.policy}#{d.step} {d.step_name}  {d.subject_type}:{d.subject_id}{extra}"

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "sweep":
            now = parse_now(opts["now"])
            fired = sweeper.sweep(now=now, dry_run=opts["dry_run"])
            verb = "would fire" if opts["dry_run"] else "fired"
            local = clock.to_local(now)
            self.stdout.write(f"as of {local:%Y-%m-%d %H:%M} ({local.tzinfo}): {len(fired)} step(s) {verb}")
            for step in fired:
                self.stdout.write(self._line(step, f"  [{step.outcome}]"))
            return
        subject_type, subject_id = _subject(opts["subject"]) if opts["subject"] else (None, None)
        pending = selectors.pending_deadlines(subject_type=subject_type, subject_id=subject_id)
        rows = list(pending[:500])
        self.stdout.write(f"{pending.count()} pending deadline(s), due times in {clock.local_zone()}")
        for d in rows:
            self.stdout.write(self._line(d))
