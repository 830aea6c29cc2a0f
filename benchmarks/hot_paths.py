"""`hot-paths`: what one hot write costs inside the server process (issue #15).

Runs in a child process (`salesflow bench --inner hot-paths`) on a fresh copy of the one-month
demo company (the intake scenario's). Every call goes through Django's test `Client`, so it
passes the same middleware, URL resolver, authentication and Ninja view as under gunicorn:

- `intake`: `POST /api/v1/intake/<key>` (a website lead: validated, deduped, scored, assigned,
  timed, notified), each lead with its own phone so none is merged;
- `activity`: `POST /api/v1/activities`, a 2-minute call (an effective contact) on one of the
  leads just taken in, by its owner (first contact: it stops the lead's response timers);
- `claim`: `POST /api/v1/customers/<id>/claim`, a pool customer taken by a rep;
- `advance`: `POST /api/v1/opportunities/<id>/advance`, standard pipeline, lead_registered →
  first_contact (no evidence asked);
- `evidence`: `POST /api/v1/evidence` (multipart), a 320×240 door-plate photo with camera EXIF
  on a hospital-visit opportunity; the large-photo cost is the `evidence-upload` scenario's.

The reps calling the API authenticate with bearer tokens, as integrations and the app do.

Each path is measured in three separate passes after a short warm-up, because measuring one
thing disturbs the others:

1. CPU: `time.process_time()` around each call, nothing else attached → `cpu_ms_p50` /
   `cpu_ms_mean` (server-side Python CPU plus the test client's small share; on PostgreSQL the
   database server's own CPU is not in it — `db_cpu_ms_per_call` reads the backend's
   /proc/<pid>/stat when it is on this machine);
2. queries: `CaptureQueriesContext` per call → `queries_p50` / `queries_max`. It counts every
   statement Django logs on the connection: SELECT/INSERT/UPDATE/DELETE, SAVEPOINT and
   RELEASE SAVEPOINT, and (Django ≥ 5.0 logs transaction control too) the BEGIN — `BEGIN
   IMMEDIATE` on SQLite — and COMMIT of each outermost atomic block, so it is the number of
   round trips to the database. `data_queries_p50` leaves BEGIN/COMMIT/ROLLBACK/SAVEPOINT/
   RELEASE out; `queries_by_kind_per_call` splits them by first word; `commits_per_call`
   counts outermost commits (a patched `_commit`), i.e. write transactions per call;
3. profile: cProfile over the whole pass, timed with `time.process_time` (CPU, so the
   neighbours on a shared machine do not show up as slow functions; the profiler's own
   overhead does, about doubling the total); the top ten functions by cumulative and by own
   time (`tottime`), plus the top ten of salesflow's own functions by cumulative, ms per call.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RESULTS,
    ROOT,
    Options,
    Scenario,
    fresh_database,
    percentile,
    progress,
    salesflow,
    utcnow,
)

PATHS = ("intake", "activity", "claim", "advance", "evidence")
# (warm-up, CPU pass, query pass, profiled pass) per path.
SIZES: dict[bool, dict[str, tuple[int, int, int, int]]] = {
    False: {
        "intake": (5, 200, 50, 100),
        "activity": (3, 100, 20, 50),
        "claim": (3, 100, 20, 50),
        "advance": (3, 100, 20, 50),
        "evidence": (2, 30, 10, 20),
    },
    True: {
        "intake": (2, 20, 5, 10),
        "activity": (2, 10, 5, 5),
        "claim": (2, 10, 5, 5),
        "advance": (2, 10, 5, 5),
        "evidence": (1, 5, 3, 3),
    },
}
TOP = 10
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
CHILD_TIMEOUT_SECONDS = 1800
LAT, LNG = 30.274100, 120.155100


# --------------------------------------------------------------------------- measuring


def _pg_backend_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend, when it runs on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _counting_commits() -> Iterator[list[int]]:
    """Count the outermost commits on the default connection while the block runs."""
    from django.db import connections

    wrapper: Any = connections["default"]  # `_commit` is the backends' private hook
    original = wrapper._commit
    count = [0]

    def counted() -> Any:
        count[0] += 1
        return original()

    wrapper._commit = counted
    try:
        yield count
    finally:
        del wrapper._commit  # the instance attribute goes; the class's method shows again


def _function_name(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if filename == "~":
        return re.sub(r" at 0x[0-9a-f]+", "", name)  # a built-in (or a C-level wrapper)
    for prefix in (str(ROOT) + os.sep, *(p + os.sep for p in _site_dirs())):
        if filename.startswith(prefix):
            filename = filename[len(prefix) :]
            break
    return f"{filename}:{line}({name})"


def _site_dirs() -> list[str]:
    import site
    import sysconfig

    found = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"]]
    found += site.getsitepackages() if hasattr(site, "getsitepackages") else []
    return sorted(set(found), key=len, reverse=True)


def _top(stats: pstats.Stats, key: str, calls: int, *, own: bool = False) -> list[dict[str, Any]]:
    """The top functions by `key` ("cumulative" or "tottime"), ms per measured call."""
    rows = stats.stats  # type: ignore[attr-defined]
    index = 3 if key == "cumulative" else 2
    chosen = sorted(rows.items(), key=lambda item: item[1][index], reverse=True)
    if own:
        package = str(ROOT / "salesflow")
        chosen = [item for item in chosen if item[0][0].startswith(package)]
    return [
        {
            "function": _function_name(func),
            "calls_per_call": round(nc / calls, 2),
            "tottime_ms": round(tt / calls * 1000, 3),
            "cumtime_ms": round(ct / calls * 1000, 3),
        }
        for func, (_cc, nc, tt, ct, _callers) in chosen[:TOP]
    ]


def _measure(
    name: str,
    call: Callable[[int], Any],
    sizes: tuple[int, int, int, int],
    expected: int,
) -> tuple[dict[str, Any], str]:
    """Run `call(i)` for i = 0, 1, … through the warm-up and the three passes; figures and profile text."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    warm, cpu_n, query_n, profile_n = sizes
    statuses: Counter[str] = Counter()
    counter = iter(range(10**9))

    def one() -> None:
        response = call(next(counter))
        if response.status_code != expected:
            statuses[f"{response.status_code}: {response.content[:200].decode('utf-8', 'replace')}"] += 1

    for _ in range(warm):
        one()

    # 1. CPU, nothing attached.
    cpu: list[float] = []
    db_before = _pg_backend_cpu()
    wall_started = time.perf_counter()
    for _ in range(cpu_n):
        started = time.process_time()
        one()
        cpu.append((time.process_time() - started) * 1000)
    wall = time.perf_counter() - wall_started
    db_after = _pg_backend_cpu()

    # 2. Queries.
    queries: list[int] = []
    data_queries: list[int] = []
    kinds: Counter[str] = Counter()
    sample: list[str] = []
    with _counting_commits() as commits:
        for i in range(query_n):
            with CaptureQueriesContext(connection) as captured:
                one()
            queries.append(len(captured.captured_queries))
            words = [q["sql"].split(None, 1)[0].upper() if q["sql"].strip() else "?" for q in captured]
            kinds.update(words)
            data_queries.append(sum(word not in TRANSACTION_CONTROL for word in words))
            if i == 0:
                sample = [q["sql"][:160] for q in captured.captured_queries]

    # 3. Profile.
    # CPU time, not wall time: on a shared machine the wall clock mostly measures the neighbours.
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(profile_n):
        one()
    profile.disable()
    stats = pstats.Stats(profile)

    text = io.StringIO()
    text.write(f"== {name}: {profile_n} calls profiled ({connection.vendor})\n\n")
    for key in ("cumulative", "tottime"):
        text.write(f"-- top {TOP} by {key}\n")
        pstats.Stats(profile, stream=text).sort_stats(key).print_stats(TOP)
    figures: dict[str, Any] = {
        "calls": cpu_n,
        "cpu_ms_p50": statistics.median(cpu),
        "cpu_ms_mean": statistics.fmean(cpu),
        "cpu_ms_p95": percentile(cpu, 95),
        "wall_ms_mean": wall / cpu_n * 1000,
        "db_cpu_ms_per_call": (
            (db_after - db_before) / cpu_n * 1000 if db_before is not None and db_after is not None else None
        ),
        "queries_p50": statistics.median(queries),
        "queries_max": max(queries),
        "data_queries_p50": statistics.median(data_queries),
        "queries_by_kind_per_call": {k: round(v / query_n, 2) for k, v in kinds.most_common()},
        "commits_per_call": commits[0] / query_n,
        "first_call_queries": sample,
        "unexpected": dict(statuses.most_common(5)),
        "unexpected_count": sum(statuses.values()),
        "profiled_calls": profile_n,
        "profile_seconds_per_call": stats.total_tt / profile_n,  # type: ignore[attr-defined]
        "top_cumulative": _top(stats, "cumulative", profile_n),
        "top_tottime": _top(stats, "tottime", profile_n),
        "top_salesflow_cumulative": _top(stats, "cumulative", profile_n, own=True),
    }
    return figures, text.getvalue()


# --------------------------------------------------------------------------- the paths


def measure(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to a fresh copy of the one-month demo company."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings

    from salesflow.core import clock
    from salesflow.customers import services as customers
    from salesflow.leads import services as leads
    from salesflow.leads.models import Lead
    from salesflow.org import services as org
    from salesflow.org.models import ApiToken, User
    from salesflow.pipeline import services as pipeline
    from salesflow.pipeline.demo import demo_photo

    sizes = SIZES[quick]
    figures: dict[str, Any] = {"engine": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[1]}
    profiles: list[str] = []
    media = tempfile.mkdtemp(prefix="salesflow-bench-media-")
    now = clock.now()
    limits = {"SALESFLOW_INTAKE_LIMIT_PER_IP": 10**6, "SALESFLOW_INTAKE_LIMIT_PER_FORM": 10**6}
    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
    tokens: dict[int, str] = {}

    def token_of(user: User) -> str:
        """A bearer token for `user`, stored as `api_token_issue` stores one (no password check)."""
        if user.pk not in tokens:
            raw = f"bench-{user.pk}-{random.getrandbits(64):x}"
            ApiToken.objects.create(
                user=user,
                digest=org._digest(raw),
                prefix=raw[:8],
                name="bench",
                created_at=now,
                expires_at=now + timedelta(days=1),
            )
            tokens[user.pk] = raw
        return f"Bearer {tokens[user.pk]}"

    def total(name: str) -> int:
        return sum(sizes[name])

    try:
        with override_settings(MEDIA_ROOT=media, **limits):
            admin = User.objects.get(username="admin")
            form = leads.form_create(name="bench", actor=admin)

            # -- intake
            def intake(i: int) -> Any:
                body = {
                    "name": f"热路径{i}",
                    "phone": f"137{i:08d}",
                    "company": f"热路径医院{i}",
                    "industry_segment": "hospital_public",
                    "customer_tier": "tier2a",
                    "product_line": "joint",
                }
                return client.post(
                    f"/api/v1/intake/{form.key}", json.dumps(body), content_type="application/json"
                )

            progress("hot-paths: intake")
            figures["intake"], text = _measure("intake", intake, sizes["intake"], 201)
            profiles.append(text)

            # -- activity: first contact on the leads just taken in, by their owners
            fresh = list(
                Lead.objects.filter(form=form, owner__isnull=False).select_related("owner").order_by("pk")
            )[: total("activity")]
            owners = {lead.pk: lead.owner for lead in fresh if lead.owner is not None}
            occurred = (now + timedelta(seconds=1)).isoformat()

            def activity(i: int) -> Any:
                lead = fresh[i]
                body = {"lead": lead.pk, "kind": "call", "occurred_at": occurred, "duration_seconds": 120}
                return client.post(
                    "/api/v1/activities",
                    json.dumps(body),
                    content_type="application/json",
                    HTTP_AUTHORIZATION=token_of(owners[lead.pk]),
                )

            progress(f"hot-paths: activity ({len(fresh)} owned leads)")
            if len(fresh) >= total("activity"):
                figures["activity"], text = _measure("activity", activity, sizes["activity"], 201)
                profiles.append(text)
            else:
                figures["activity"] = {"skipped": f"only {len(fresh)} intake leads have an owner"}

            # -- claim: pool customers, a few reps of our own (the pack's claim limit is 50)
            reps = [
                org.user_create(
                    username=f"hp_rep{n}",
                    display_name=f"热路径{n}",
                    role="rep",
                    team=None,
                    manager=None,
                    actor=None,
                    product_lines=["joint"],
                )
                for n in range(6)
            ]
            pool = [
                customers.customer_create(name=f"热路径公海客户{i}", actor=None, owner=None, now=now)
                for i in range(total("claim"))
            ]

            def claim(i: int) -> Any:
                rep = reps[i * len(reps) // len(pool)]
                return client.post(f"/api/v1/customers/{pool[i].pk}/claim", HTTP_AUTHORIZATION=token_of(rep))

            progress("hot-paths: claim")
            figures["claim"], text = _measure("claim", claim, sizes["claim"], 200)
            profiles.append(text)

            # -- advance: standard pipeline, lead_registered -> first_contact
            seller = reps[0]
            owned = customers.customer_create(name="热路径推进客户", actor=seller, owner=seller, now=now)
            opportunities = [
                pipeline.opportunity_create(
                    customer=owned, title=f"推进{i}", actor=seller, owner=seller, pipeline="standard", now=now
                )
                for i in range(total("advance"))
            ]

            def advance(i: int) -> Any:
                return client.post(
                    f"/api/v1/opportunities/{opportunities[i].pk}/advance",
                    json.dumps({"to_stage": "first_contact"}),
                    content_type="application/json",
                    HTTP_AUTHORIZATION=token_of(seller),
                )

            progress("hot-paths: advance")
            figures["advance"], text = _measure("advance", advance, sizes["advance"], 200)
            profiles.append(text)

            # -- evidence: a door-plate photo on a hospital-visit opportunity
            visit = pipeline.opportunity_create(
                customer=owned,
                title="医院拜访",
                actor=seller,
                owner=seller,
                pipeline="hospital_visit",
                product_lines=["joint"],
                now=now,
            )
            visit = pipeline.opportunity_advance(opportunity=visit, to_stage="hospital_visit", actor=seller)
            taken = clock.now() - timedelta(minutes=10)
            photos = [
                demo_photo(random.Random(1000 + i), taken_at=taken, lat=LAT, lng=LNG)
                for i in range(total("evidence"))
            ]

            def evidence(i: int) -> Any:
                return client.post(
                    "/api/v1/evidence",
                    {
                        "requirement": "door_plate_photo",
                        "opportunity": str(visit.pk),
                        "captured_at": taken.isoformat(),
                        "lat": f"{LAT:.6f}",
                        "lng": f"{LNG:.6f}",
                        "file": SimpleUploadedFile("IMG_0001.jpg", photos[i], "image/jpeg"),
                    },
                    HTTP_AUTHORIZATION=token_of(seller),
                )

            progress("hot-paths: evidence")
            figures["evidence"], text = _measure("evidence", evidence, sizes["evidence"], 201)
            figures["evidence"]["photo_kb_mean"] = sum(len(p) for p in photos) / len(photos) / 1024
            profiles.append(text)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    figures["profile_text"] = "\n".join(profiles)
    return figures


# --------------------------------------------------------------------------- the scenario


def parameters(options: Options) -> dict[str, Any]:
    """Calls per pass and what is counted."""
    from benchmarks.intake import INTAKE_DEMO

    return {
        "demo": " ".join(INTAKE_DEMO),
        "passes": {
            path: dict(zip(("warmup", "cpu", "queries", "profiled"), n, strict=True))
            for path, n in SIZES[options.quick].items()
        },
        "client": "django.test.Client through the full middleware stack; bearer tokens",
        "queries_counted": "statements through Django cursors (incl. SAVEPOINT/RELEASE, SQLite BEGIN "
        "IMMEDIATE); COMMIT and PostgreSQL's BEGIN are in round_trips_per_call only",
    }


def run(options: Options) -> dict[str, Any]:
    """One fresh demo company per engine, measured in its own process; profiles next to the JSON."""
    from benchmarks.intake import INTAKE_DEMO

    figures: dict[str, Any] = {}
    stamp = utcnow()
    for engine in options.engines:
        with fresh_database(engine, demo=INTAKE_DEMO) as url:
            progress(f"{engine}: hot-paths")
            args = ["bench", "--inner", "hot-paths"] + (["--quick"] if options.quick else [])
            done = salesflow(args, database_url=url, timeout=CHILD_TIMEOUT_SECONDS)
            measured = json.loads(done.stdout.strip().splitlines()[-1])
        RESULTS.mkdir(parents=True, exist_ok=True)
        profile_path = RESULTS / f"hot-paths-{stamp:%Y%m%dT%H%M%SZ}-{engine}.profile.txt"
        profile_path.write_text(measured.pop("profile_text"), encoding="utf-8")
        measured.pop("engine", None)
        for path in PATHS:
            entry = measured.get(path, {})
            entry["profile_file"] = profile_path.name
            figures[f"{engine} {path}"] = entry
    return figures


HOT_PATHS = Scenario(
    name="hot-paths",
    run=run,
    parameters=parameters,
    columns=(
        "calls",
        "queries_p50",
        "queries_max",
        "data_queries_p50",
        "commits_per_call",
        "cpu_ms_p50",
        "cpu_ms_mean",
        "db_cpu_ms_per_call",
        "unexpected_count",
    ),
)
