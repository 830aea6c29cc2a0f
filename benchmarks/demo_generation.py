"""Demo generation throughput: `salesflow demo` into a fresh migrated database, records per second.

Each run is a separate `salesflow demo --seed 1 --reps N` process, timed twice: by the
command itself (generation only, printed with 0.1 s resolution) and from outside (the whole
process: interpreter and Django start-up included). Peak RSS and CPU time are that process's.
"""

from __future__ import annotations

import re
from typing import Any

from benchmarks.common import DEMO_ARGS, Options, Scenario, fresh_database, median, progress, run_measured

_SUMMARY = re.compile(r"generated in ([\d.]+)s \((\d+) records: (.*)\)\.")
_EVENTS = re.compile(r"Events recorded: (\d+)")
DEFAULT_REPS = (48,)  # the default company; leads grow with reps × months, so time does too


def _sizes(options: Options) -> tuple[int, ...]:
    return options.demo_reps or DEFAULT_REPS


def _repeats(options: Options) -> int:
    return 1 if options.quick else 3


def parameters(options: Options) -> dict[str, Any]:
    """What each run generates and how often."""
    return {
        "command": "salesflow demo --seed 1 --reps N",
        "reps": list(_sizes(options)),
        "repeats": _repeats(options),
    }


def _parse(stdout: str) -> tuple[float, int, int, dict[str, int]]:
    """(seconds, records, events, records per kind) from the demo's summary lines."""
    summary, events = _SUMMARY.search(stdout), _EVENTS.search(stdout)
    if not summary or not events:
        raise RuntimeError(f"unexpected demo output: {stdout!r}")
    kinds = dict(part.split(": ") for part in summary.group(3).split(", "))
    return (
        float(summary.group(1)),
        int(summary.group(2)),
        int(events.group(1)),
        {k: int(v) for k, v in kinds.items()},
    )


def run(options: Options) -> dict[str, Any]:
    """Per engine and size: medians of wall time, records/s and events/s; the largest peak RSS."""
    figures: dict[str, Any] = {}
    for engine in options.engines:
        for reps in _sizes(options):
            args = ("--seed", "1", "--reps", str(reps))
            runs: list[dict[str, Any]] = []
            for i in range(_repeats(options)):
                # The default company is kept for api-me, which needs exactly that database.
                keep = args if args == DEMO_ARGS else ()
                with fresh_database(engine, keep_as_demo=keep) as url:
                    progress(f"{engine}: salesflow demo {' '.join(args)} ({i + 1}/{_repeats(options)})")
                    done = run_measured(["demo", *args], database_url=url, timeout=1800)
                seconds, records, events, kinds = _parse(done.stdout)
                runs.append(
                    {
                        "seconds": seconds,
                        "process_seconds": done.wall_seconds,
                        "cpu_seconds": done.cpu_seconds,
                        "peak_rss_mb": done.peak_rss_mb,
                        "records": records,
                        "events": events,
                        "records_per_s": records / seconds if seconds else float("nan"),
                        "process_records_per_s": records / done.wall_seconds,
                        "events_per_s": events / seconds if seconds else float("nan"),
                        "kinds": kinds,
                    }
                )
            figures[f"{engine}/reps={reps}"] = {
                "records": runs[0]["records"],
                "events": runs[0]["events"],
                "median_seconds": median([r["seconds"] for r in runs]),
                "median_process_seconds": median([r["process_seconds"] for r in runs]),
                "median_records_per_s": median([r["records_per_s"] for r in runs]),
                "median_process_records_per_s": median([r["process_records_per_s"] for r in runs]),
                "median_events_per_s": median([r["events_per_s"] for r in runs]),
                "median_cpu_seconds": median([r["cpu_seconds"] for r in runs]),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                "repeats": len(runs),
                "runs": runs,
            }
    return figures


SCENARIO = Scenario(
    name="demo",
    run=run,
    parameters=parameters,
    columns=(
        "records",
        "events",
        "median_seconds",
        "median_process_seconds",
        "median_records_per_s",
        "median_events_per_s",
        "peak_rss_mb",
        "repeats",
    ),
)
