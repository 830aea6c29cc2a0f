"""Shared helpers: throw-away databases, measured subprocesses, the server on loopback, output.

Every scenario runs the code under test in child processes (`salesflow …`) with their own
DATABASE_URL, so the bench process itself never connects Django to a benchmark database.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import http.client
import itertools
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = RESULTS.parent.parent
ENGINES = ("sqlite", "postgresql")
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
# The pid in every database name keeps two bench runs on one server (two checkouts, or a run
# and its --inner children) from creating or dropping each other's databases.
# BENCH_PG_PREFIX puts a session's databases under a name of its own (e.g. one shared server).
PG_PREFIX = f"{os.environ.get('BENCH_PG_PREFIX', 'salesflow_bench')}_{os.getpid()}"
# The default demo company; the demo scenario leaves one behind that api-me then reuses.
DEMO_ARGS: tuple[str, ...] = ("--seed", "1", "--reps", "48")
LOOPBACK = "127.0.0.1"


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Options:
    """What `salesflow bench` was asked for."""

    quick: bool
    engines: tuple[str, ...] = ENGINES
    demo_reps: tuple[int, ...] = ()
    size: int | None = None  # a scenario's main size instead of its default (`--size`)


@dataclass(frozen=True)
class Scenario:
    """One selectable scenario: how to run it, what it measures with, what the table shows."""

    name: str
    run: Callable[[Options], dict[str, Any]]
    parameters: Callable[[Options], dict[str, Any]]
    columns: tuple[str, ...] = ()


def progress(message: str) -> None:
    """A progress note on stderr, so a long run shows life while stdout keeps only the figures."""
    print(f"  .. {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of `values`, NaN for none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    """The median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


class Stopwatch:
    """`with Stopwatch() as sw: …; sw.seconds`."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


def timed_gets(
    client: Any, path: str, *, runs: int, slow_ms: float, slow_runs: int
) -> tuple[Any, list[float]]:
    """GET `path` once (warm-up, its response returned), then `runs` timed times — `slow_runs`
    when the warm-up took longer than `slow_ms`, so a multi-second page does not stall a run.
    The response of the first GET and the timings in ms."""
    with Stopwatch() as first_sw:
        first = client.get(path)
    timings = []
    for _ in range(runs if first_sw.seconds * 1000 < slow_ms else slow_runs):
        with Stopwatch() as sw:
            client.get(path)
        timings.append(sw.seconds * 1000)
    return first, timings


# --------------------------------------------------------------------------- child processes


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `salesflow` child: our database, local settings, UTF-8 output."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "salesflow.settings.local",
        "PYTHONIOENCODING": "utf-8",
        **extra,
    }


def _command(args: Sequence[str]) -> list[str]:
    # The interpreter running the bench is the virtualenv's, so this is `.venv/bin/salesflow`
    # without the console-script wrapper.
    return [sys.executable, "-m", "salesflow.cli", *args]


def salesflow(
    args: list[str], *, database_url: str, check: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run `salesflow …` against `database_url`; on failure the error carries the child's stderr."""
    done = subprocess.run(
        _command(args),
        env=child_env(database_url),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        timeout=timeout,
        cwd=ROOT,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"salesflow {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done


@dataclass(frozen=True)
class Finished:
    """A child process measured from outside."""

    stdout: str
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float


def run_measured(args: list[str], *, database_url: str, timeout: float = 900) -> Finished:
    """Run `salesflow …` and measure that one process: wall time, CPU time, peak RSS.

    `os.wait4` returns the resource usage of exactly this child, where
    `getrusage(RUSAGE_CHILDREN)` would mix in every earlier child (migrations, other repeats).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(_command(args), env=child_env(database_url), stdout=out, stderr=err, cwd=ROOT)
        timer = threading.Timer(timeout, proc.kill)  # wait4 itself has no timeout
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        # Tell Popen the child is reaped, so it never waits for (or signals) a recycled pid.
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"salesflow {' '.join(args)} exited {proc.returncode}:\n{stderr[-3000:]}")
    return Finished(
        stdout=stdout,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
    )


# --------------------------------------------------------------------------- databases


@dataclass(frozen=True)
class _Database:
    engine: str
    name: str  # a file path for SQLite, a database name for PostgreSQL

    @property
    def url(self) -> str:
        if self.engine == "sqlite":
            return f"sqlite:///{self.name}"
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"


@dataclass
class _Pool:
    """Template databases made once per bench run, cloned for every measurement.

    Migrating takes 3 s on SQLite and 7 s on PostgreSQL; cloning a template takes well
    under a second, so repeats measure the work and not the set-up.
    """

    folder: Path | None = None
    templates: dict[tuple[str, tuple[str, ...]], _Database] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def new(self, engine: str, kind: str) -> _Database:
        """A name for a new database (nothing created yet)."""
        n = next(self.counter)
        if engine == "sqlite":
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix="salesflow-bench-"))
            return _Database(engine, str(self.folder / f"{kind}{n}.sqlite3"))
        return _Database(engine, f"{PG_PREFIX}_{kind}{n}")


_pool = _Pool()


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True)


def _create(db: _Database, template: _Database | None) -> None:
    if db.engine == "sqlite":
        if template is None:
            return  # migrate creates the file
        # The backup API copies a consistent snapshot, including pages still in the WAL.
        with sqlite3.connect(template.name) as source, sqlite3.connect(db.name) as target:
            source.backup(target)
        source.close()
        target.close()
        return
    with _pg_admin() as admin:
        suffix = f" TEMPLATE {template.name}" if template else ""
        admin.execute(f"CREATE DATABASE {db.name}{suffix}")


def _drop(db: _Database) -> None:
    if db.engine == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(db.name + suffix).unlink(missing_ok=True)
        return
    with _pg_admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {db.name} WITH (FORCE)")


def _template(engine: str, demo: tuple[str, ...]) -> _Database:
    """The migrated template of `engine`, with `salesflow demo *demo` generated when given."""
    key = (engine, demo)
    if key in _pool.templates:
        return _pool.templates[key]
    base = _template(engine, ()) if demo else None
    db = _pool.new(engine, "tpl")
    try:
        _create(db, base)
        if demo:
            progress(f"{engine}: generating a template database: salesflow demo {' '.join(demo)}")
            salesflow(["demo", *demo], database_url=db.url)
        else:
            progress(f"{engine}: migrating a template database")
            salesflow(["manage", "migrate", "--noinput", "-v", "0"], database_url=db.url)
    except BaseException:
        _drop(db)  # not a template yet, so cleanup() would not find it
        raise
    _pool.templates[key] = db
    return db


@contextmanager
def fresh_database(
    engine: str, *, demo: tuple[str, ...] = (), keep_as_demo: tuple[str, ...] = ()
) -> Iterator[str]:
    """A throw-away migrated database (with the demo generated if `demo` is given); yields its URL.

    `keep_as_demo` is for a caller that generates the demo itself (the demo scenario): when it
    succeeds, the database becomes the template for later `demo=keep_as_demo` requests instead
    of being dropped, which saves generating the same company twice.
    """
    db = _pool.new(engine, "db")
    _create(db, _template(engine, demo))
    try:
        yield db.url
    except BaseException:
        _drop(db)
        raise
    if keep_as_demo and (engine, keep_as_demo) not in _pool.templates:
        _pool.templates[(engine, keep_as_demo)] = db
    else:
        _drop(db)


def databases(options: Options) -> Iterator[tuple[str, Callable[[], AbstractContextManager[str]]]]:
    """(engine, fresh-database factory) for each engine asked for."""
    for engine in options.engines:
        yield engine, functools.partial(fresh_database, engine)


def run_inner(inner: str, options: Options, *, timeout: float) -> dict[str, Any]:
    """Run `salesflow bench --inner INNER` once per engine on a fresh database; its JSON by engine."""
    figures: dict[str, Any] = {}
    for engine, fresh in databases(options):
        with fresh() as url:
            progress(f"{engine}: {inner}")
            args = ["bench", "--inner", inner] + (["--quick"] if options.quick else [])
            args += ["--size", str(options.size)] if options.size else []
            done = salesflow(args, database_url=url, timeout=timeout)
            figures[engine] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def cleanup() -> None:
    """Drop every template left by this run (idempotent; also runs at exit)."""
    for db in list(_pool.templates.values()):
        try:
            _drop(db)
        except Exception as exc:  # cleanup must not hide the error that got us here
            print(f"bench: could not drop {db.name}: {exc}", file=sys.stderr)
    _pool.templates.clear()
    if _pool.folder is not None:
        shutil.rmtree(_pool.folder, ignore_errors=True)
        _pool.folder = None


atexit.register(cleanup)


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used for the bench, or None when it can."""
    try:
        with _pg_admin() as admin:
            admin.execute("SELECT 1")
    except Exception as exc:
        return f"{PG_ADMIN_URL}: {exc}".strip()
    return None


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the fields after it do not.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return pids


def machine_cpu_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot (/proc/stat), so the
    difference over a run is all the work done meanwhile: ours, the database's and the neighbours'."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    busy = sum(fields[:8]) - idle  # guest time is already inside user
    return busy / os.sysconf("SC_CLK_TCK")


def group_usage(pgid: int) -> dict[str, float]:
    """Memory (MiB) and CPU seconds of a process group, summed over its processes (Linux /proc).

    RSS counts pages shared by forked workers once per process; PSS splits them, so its sum
    is the group's real footprint.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {"processes": 0.0, "rss_mb": 0.0, "peak_rss_mb": 0.0, "pss_mb": 0.0, "cpu_seconds": 0.0}
    for pid in _group_pids(pgid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue  # exited meanwhile
        kb = {
            line.split(":")[0]: int(line.split()[1])
            for line in (status + rollup).splitlines()
            if line.startswith(("VmRSS:", "VmHWM:", "Pss:"))
        }
        totals["processes"] += 1
        totals["rss_mb"] += kb.get("VmRSS", 0) / 1024
        totals["peak_rss_mb"] += kb.get("VmHWM", 0) / 1024
        totals["pss_mb"] += kb.get("Pss", 0) / 1024
        totals["cpu_seconds"] += (int(stat[11]) + int(stat[12])) / ticks  # utime + stime
    return totals


@dataclass
class Server:
    """`salesflow serve` running in its own process group on loopback."""

    port: int
    process: subprocess.Popen[bytes]
    log: Any = None  # the file the server's stderr (error log, Django's tracebacks) goes to

    def log_text(self, start: int = 0) -> str:
        """The server's stderr from byte `start` on, read without moving the file offset the
        server writes at (the descriptor is shared with the child)."""
        if self.log is None:
            return ""
        fd = self.log.fileno()
        size = os.fstat(fd).st_size
        return os.pread(fd, max(0, size - start), start).decode("utf-8", "replace")

    def log_size(self) -> int:
        """How many bytes the server has written to stderr so far."""
        return 0 if self.log is None else os.fstat(self.log.fileno()).st_size

    @property
    def pgid(self) -> int:
        """The process group: gunicorn's master and its workers."""
        return self.process.pid

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        """A new keep-alive connection to the server."""
        return http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout)


def _wait_healthy(server: Server, errors: Any, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace")[-3000:]
            raise RuntimeError(f"server exited {server.process.returncode}:\n{tail}")
        try:
            conn = server.connection(timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not answer /healthz within the start-up time")


@contextmanager
def serve(
    database_url: str,
    *,
    workers: int,
    threads: int,
    env: dict[str, str] | None = None,
    background_worker: bool = False,
) -> Iterator[Server]:
    """Start the production server (gunicorn) on a free loopback port; stop it on the way out.

    `background_worker` keeps the embedded worker `serve` starts by default (a child process of
    gunicorn's master); without it the server runs with `--no-worker`.

    It gets its own session so that stopping it reaches gunicorn's workers too, and so that a
    Ctrl-C in the terminal reaches only the bench, which then stops the server in order.
    """
    port = free_port()
    args = ["serve", "--host", LOOPBACK, "--port", str(port), "--quiet"]
    args += [] if background_worker else ["--no-worker"]
    args += ["--workers", str(workers), "--threads", str(threads)]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            _command(args),
            env=child_env(database_url, **(env or {})),
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
            cwd=ROOT,
        )
        server = Server(port=port, process=process, log=errors)
        try:
            # collectstatic runs first; on a busy shared machine that alone can take a minute or more.
            _wait_healthy(server, errors, time.monotonic() + 300)
            yield server
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the group (gunicorn shuts down gracefully), SIGKILL whatever is left after 30 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        process.wait()
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with contextlib.suppress(ProcessLookupError):  # workers orphaned by a master that died first
        os.killpg(process.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- output


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory_mb() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20)
    except (ValueError, OSError):
        return None


def _commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # read-only: never touch the index
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def machine(engines: Sequence[str] = ()) -> dict[str, Any]:
    """What the figures were measured on (and which code): compare runs only on like machines."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_mb": _memory_mb(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": _commit(),
        "sqlite": sqlite3.sqlite_version,
        # Other work on the machine skews the figures; a high load here explains an odd run.
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    if "postgresql" in engines:
        try:
            with _pg_admin() as admin:
                info["postgresql"] = admin.execute("SHOW server_version").fetchone()[0]
        except Exception:
            info["postgresql"] = None
    return info


def write_result(
    scenario: str,
    *,
    started: datetime,
    seconds: float,
    parameters: dict[str, Any],
    figures: dict[str, Any],
    engines: Sequence[str],
) -> Path:
    """Write one JSON result file, named after the scenario and its UTC start, and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{scenario}-{started:%Y%m%dT%H%M%SZ}.json"
    document = {
        "scenario": scenario,
        "started_at": started.isoformat(),
        "duration_seconds": round(seconds, 1),
        "machine": machine(engines),
        "parameters": parameters,
        "figures": figures,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def utcnow() -> datetime:
    """The current UTC time, for result timestamps."""
    return datetime.now(UTC)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "-" if value is None else str(value)


def table(figures: dict[str, dict[str, Any]], columns: Sequence[str] = ()) -> list[str]:
    """A plain-text table: one row per figure key, one column per (scalar) figure."""
    if not figures:
        return []
    if not columns:
        first = next(iter(figures.values()))
        columns = [k for k, v in first.items() if isinstance(v, int | float | str | bool)]
    header = ["", *columns]
    rows = [[key, *(_cell(values.get(c)) for c in columns)] for key, values in figures.items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        )

    return [line(header), *(line(r) for r in rows)]
