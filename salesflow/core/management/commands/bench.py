"""`salesflow bench [--scenario …] [--database …] [--quick] [--demo-reps N …] [--size N]`: figures, not tests.

The scenarios live in the top-level `benchmarks` package; this command only reads the
arguments, runs the scenarios asked for, prints a table per scenario and writes one JSON file
per scenario to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

if TYPE_CHECKING:
    from benchmarks.common import Options, Scenario

SCENARIOS = ["demo", "api-me", "sweeper", "rules", "intake", "assignment"]
INNER = ["sweeper", "rules", "assignment"]
SCENARIOS += ["customers-search", "customers-nightly", "customers-import"]
INNER += ["customers-search", "customers-nightly", "customers-import"]
# Scenarios whose main size `--size` sets (customers-search: how many customers).
SIZED = ["customers-search"]
SCENARIOS += ["dwell", "evidence-upload", "board"]
INNER += ["dwell", "evidence-upload", "board"]
SCENARIOS += ["forecast"]
SCENARIOS += ["cockpit"]
SCENARIOS += ["quote-pdf"]
INNER += ["cockpit"]
SCENARIOS += ["receivables", "share-beacon"]
INNER += ["receivables", "share-beacon"]
SCENARIOS += ["workorder-queue", "workorder-ladder"]
INNER += ["workorder-queue", "workorder-ladder"]
SCENARIOS += ["hot-paths"]
INNER += ["hot-paths"]
SCENARIOS += ["intake-rss"]
SCENARIOS += ["list-pages"]
INNER += ["list-pages"]


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM/SIGHUP into SystemExit, so `finally` stops servers and drops databases."""
    sys.exit(128 + signum)


def _scenario(name: str, module: ModuleType) -> Scenario:
    """The module's `SCENARIO`, or one made from its `run(options)` and `parameters(options)`."""
    from benchmarks.common import Scenario

    found = getattr(module, "SCENARIO", None)
    if isinstance(found, Scenario):
        return found
    parameters = getattr(module, "parameters", None)
    return Scenario(
        name=name,
        run=module.run,
        parameters=parameters if callable(parameters) else lambda _options: {},
        columns=tuple(getattr(module, "COLUMNS", ())),
    )


class Command(BaseCommand):
    help = "Run benchmarks; print figures and write JSON to benchmarks/results/."

    def add_arguments(self, parser: CommandParser) -> None:
        # Several scenarios in one run share its template databases (the demo companies are
        # generated once), e.g. `--scenario intake hot-paths`.
        parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], nargs="+", default=["all"])
        parser.add_argument(
            "--database", choices=["sqlite", "postgresql"], default=None, help="one engine only"
        )
        parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat")
        parser.add_argument(
            "--demo-reps",
            type=int,
            nargs="+",
            default=None,
            metavar="N",
            help="company sizes for the demo scenario (default: 48)",
        )
        parser.add_argument(
            "--size",
            type=int,
            default=None,
            metavar="N",
            help=f"the scenario's size instead of its default ({', '.join(SIZED)})",
        )
        # Runs one measurement inside a child process connected to the bench database, so the
        # bench process itself never holds a connection to a database it later drops.
        parser.add_argument("--inner", choices=INNER, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            from benchmarks import (
                api_latency,
                cockpit,
                common,
                contracts,
                customers,
                demo_generation,
                forecast,
                hot_paths,
                intake,
                lists,
                memory,
                pipeline,
                quotes,
                rule_evaluation,
                share_beacon,
                sweeper,
                workorders,
            )
        except ImportError as exc:
            raise CommandError(
                f"benchmarks/ is not importable ({exc}); reinstall with `make install`"
            ) from None
        if opts["inner"]:
            measures: dict[str, Callable[..., dict[str, Any]]] = {
                "sweeper": sweeper.measure,
                "rules": rule_evaluation.measure,
                "assignment": intake.measure_assignment,
                "customers-search": customers.measure_search,
                "customers-nightly": customers.measure_nightly_counted,
                "customers-import": customers.measure_import,
                "dwell": pipeline.measure_dwell,
                "evidence-upload": pipeline.measure_evidence_upload,
                "board": pipeline.measure_board,
                "cockpit": cockpit.measure,
                "receivables": contracts.measure,
                "share-beacon": share_beacon.measure,
                "workorder-queue": workorders.measure_queue,
                "workorder-ladder": workorders.measure_ladder,
                "hot-paths": hot_paths.measure,
                "list-pages": lists.measure,
            }
            measure = measures[opts["inner"]]
            sized = {"size": opts["size"]} if opts["size"] else {}
            self.stdout.write(json.dumps(measure(quick=opts["quick"], **sized), ensure_ascii=False))
            return

        scenarios = {
            "demo": _scenario("demo", demo_generation),
            "api-me": _scenario("api-me", api_latency),
            "sweeper": _scenario("sweeper", sweeper),
            "rules": _scenario("rules", rule_evaluation),
            "intake": intake.INTAKE,
            "assignment": intake.ASSIGNMENT,
            "customers-search": customers.SEARCH,
            "customers-nightly": customers.NIGHTLY,
            "customers-import": customers.IMPORT,
            "dwell": pipeline.DWELL,
            "evidence-upload": pipeline.EVIDENCE_UPLOAD,
            "board": pipeline.BOARD,
            "forecast": forecast.FORECAST,
            "cockpit": cockpit.COCKPIT,
            "quote-pdf": quotes.QUOTE_PDF,
            "receivables": contracts.RECEIVABLES,
            "share-beacon": share_beacon.SHARE_BEACON,
            "workorder-queue": workorders.QUEUE,
            "workorder-ladder": workorders.LADDER,
            "hot-paths": hot_paths.HOT_PATHS,
            "intake-rss": memory.SCENARIO,
            "list-pages": lists.LIST_PAGES,
        }
        chosen = SCENARIOS if "all" in opts["scenario"] else list(dict.fromkeys(opts["scenario"]))
        engines = (opts["database"],) if opts["database"] else common.ENGINES
        if "postgresql" in engines and (problem := common.postgres_problem()):
            raise CommandError(
                f"PostgreSQL is not reachable ({problem}). Start it (`make services`) "
                "or run `salesflow bench --database sqlite`."
            )
        if opts["demo_reps"] and min(opts["demo_reps"]) < 6:
            raise CommandError("--demo-reps: the demo needs at least 6 reps (one per team).")
        if opts["size"] is not None and (opts["size"] < 1 or not set(chosen) <= set(SIZED)):
            raise CommandError(f"--size: a positive number, for {', '.join(SIZED)} only.")
        options = common.Options(
            quick=opts["quick"],
            engines=engines,
            demo_reps=tuple(opts["demo_reps"] or ()),
            size=opts["size"],
        )

        signal.signal(signal.SIGTERM, _exit_on_signal)
        signal.signal(signal.SIGHUP, _exit_on_signal)
        with common.Stopwatch() as total:
            try:
                for name in chosen:
                    self._run(scenarios[name], options)
            finally:
                common.cleanup()
        self.stdout.write(f"bench finished in {total.seconds:.0f} s")

    def _run(self, scenario: Scenario, options: Options) -> None:
        """Run one scenario, print its table and write its JSON file."""
        from benchmarks import common

        self.stdout.write(self.style.MIGRATE_HEADING(f"== {scenario.name}"))
        self.stdout.flush()
        started = common.utcnow()
        with common.Stopwatch() as sw:
            figures = scenario.run(options)
        for line in common.table(figures, scenario.columns):
            self.stdout.write(line)
        for key, values in figures.items():
            for line in values.get("claim_plan", []):
                self.stdout.write(f"  {key} plan: {line}")
        parameters = {
            "quick": options.quick,
            "engines": list(options.engines),
            **scenario.parameters(options),
        }
        path = common.write_result(
            scenario.name,
            started=started,
            seconds=sw.seconds,
            parameters=parameters,
            figures=figures,
            engines=options.engines,
        )
        self.stdout.write(f"-> {path.relative_to(common.ROOT)} ({sw.seconds:.0f} s)")
        self.stdout.flush()
