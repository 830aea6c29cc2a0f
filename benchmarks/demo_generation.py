"""Demo generation throughput: `salesflow demo` into a fresh database, records per second."""

from __future__ import annotations

import re
import time
from typing import Any

from benchmarks.common import databases, median, salesflow

_SUMMARY = re.compile(r"generated in ([\d.]+)s \((\d+) records")
_EVENTS = re.compile(r"Events recorded: (\d+)")


def run(*, quick: bool, database: str | None = None) -> dict[str, Any]:
    """Median wall time and records/s per database and size."""
    repeats = 1 if quick else 3
    sizes = [48]  # the default company; bigger ones scale leads with reps × months
    figures: dict[str, Any] = {}
    for name, fresh in databases(database):
        for reps in sizes:
            runs = []
            for _ in range(repeats):
                with fresh() as url:
                    started = time.perf_counter()
                    done = salesflow(["demo", "--seed", "1", "--reps", str(reps)], database_url=url)
                    process_seconds = time.perf_counter() - started
                match, events = _SUMMARY.search(done.stdout), _EVENTS.search(done.stdout)
                if not match or not events:
                    raise RuntimeError(f"unexpected demo output: {done.stdout!r}")
                seconds, records = float(match.group(1)), int(match.group(2))
                runs.append(
                    {
                        "seconds": seconds,
                        "process_seconds": process_seconds,
                        "records": records,
                        "events": int(events.group(1)),
                        "records_per_s": records / seconds,
                    }
                )
            figures[f"{name}/reps={reps}"] = {
                "runs": runs,
                "median_seconds": median([r["seconds"] for r in runs]),
                "median_process_seconds": median([r["process_seconds"] for r in runs]),
                "median_records_per_s": median([r["records_per_s"] for r in runs]),
                "records": runs[0]["records"],
                "events": runs[0]["events"],
            }
    return figures
