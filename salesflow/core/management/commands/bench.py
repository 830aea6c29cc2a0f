"""`salesflow bench [--scenario …] [--database sqlite|postgresql] [--quick]`: figures, not tests."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

SCENARIOS = ["demo", "api-me", "sweeper", "rules", "intake", "assignment"]


class Command(BaseCommand):
    help = "Run benchmarks; print figures and write JSON to benchmarks/results/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
        parser.add_argument("--database", choices=["sqlite", "postgresql"], default=None)
        parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat")
        parser.add_argument("--inner", choices=["sweeper", "rules", "assignment"], help=argparse_hidden())

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            from benchmarks import api_latency, common, demo_generation, intake, rule_evaluation, sweeper
        except ImportError as exc:
            raise CommandError(f"run from the project root (benchmarks/ not importable: {exc})") from None
        if opts["inner"]:
            inner = {
                "sweeper": sweeper.measure,
                "rules": rule_evaluation.measure,
                "assignment": intake.measure_assignment,
            }[opts["inner"]]
            self.stdout.write(json.dumps(inner(quick=opts["quick"]), ensure_ascii=False))
            return
        runners = {
            "demo": demo_generation.run,
            "api-me": api_latency.run,
            "sweeper": sweeper.run,
            "rules": rule_evaluation.run,
            "intake": intake.run,
            "assignment": intake.run_assignment,
        }
        chosen = SCENARIOS if opts["scenario"] == "all" else [opts["scenario"]]
        for scenario in chosen:
            self.stdout.write(self.style.MIGRATE_HEADING(f"== {scenario}"))
            figures = runners[scenario](quick=opts["quick"], database=opts["database"])
            for key, values in figures.items():
                shown = {
                    k: (round(v, 2) if isinstance(v, float) else v)
                    for k, v in values.items()
                    if k not in ("runs", "claim_plan")
                }
                self.stdout.write(f"{key}: {json.dumps(shown, ensure_ascii=False)}")
                for line in values.get("claim_plan", []):
                    self.stdout.write(f"    plan: {line}")
            path = common.write_result(
                scenario, {"quick": opts["quick"], "database": opts["database"]}, figures
            )
            self.stdout.write(f"-> {path}")


def argparse_hidden() -> str:
    """Help text of the internal flag that runs one measurement in a child process."""
    import argparse

    return argparse.SUPPRESS
