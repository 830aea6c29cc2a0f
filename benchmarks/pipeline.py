"""Pipeline at scale: stage dwell statistics, evidence photo uploads, the pipeline board.

`dwell`: 200,000 StageVisit rows (`--quick` 20,000) bulk-created over 40,000 opportunities of
both pack pipelines, 6 teams of 8 reps; then `pipeline.selectors.dwell_by_stage` for the
company (no team) and for one team, median and p95 of repeated calls, and the plan of each
query (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL) with a note when a plan
reads the whole table.

`evidence-upload`: a ~2 MB, 8-megapixel JPEG with camera EXIF (time, GPS) is generated once,
then `pipeline.services.evidence_add` uploads it as the door-plate photo of a hospital-visit
opportunity: sniffing, decoding, EXIF read, re-encode, perceptual hash, SHA-256, storage
write, the event. Each timed upload gets its own photo (the same generator with another
seed, same size, JPEG quality and EXIF, all made before the clock starts), so the
reused-photo check finds nothing, as for honest reps; a second, smaller series uploads the
same photo again and again and so also times the reuse flag and the manager's notification.

`board`: a team of 8 reps under one manager with 5,000 open opportunities; the manager's
GET of the pipeline board (`pipeline-board`, /opportunities/) through the Django test client:
median server time of several runs and the query count (CaptureQueriesContext).

Each measurement runs in a child process (`salesflow bench --inner dwell|…`) connected to a
fresh migrated database, as the other inner scenarios do.
"""

from __future__ import annotations

import io
import random
import resource
import shutil
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from benchmarks.common import (
    Options,
    Scenario,
    Stopwatch,
    median,
    percentile,
    progress,
    run_inner,
)

SEED = 6
TEAMS, REPS_PER_TEAM = 6, 8
DWELL_ROWS = {False: 200_000, True: 20_000}
DWELL_RUNS = {False: 15, True: 5}
UPLOADS = {False: 30, True: 6}
REUSED_UPLOADS = {False: 10, True: 3}
PHOTO_SIZE = (3264, 2448)  # 8 MP, a mid-range phone camera
PHOTO_TARGET_MB = 2.0
BOARD_OPPORTUNITIES = {False: 5_000, True: 500}
BOARD_RUNS = {False: 7, True: 3}
BOARD_URL_NAME = "pipeline-board"
BOARD_PATH = "/opportunities/"
BOARD_PIPELINE = "standard"
CHILD_TIMEOUT_SECONDS = 3600


# --------------------------------------------------------------------------- shared set-up


def _org(now: datetime, teams: int = TEAMS) -> tuple[list[Any], list[list[Any]]]:
    """A company with `teams` teams, each a manager and 8 reps (through the org services)."""
    from salesflow.org import services
    from salesflow.org.choices import Role, TeamKind

    company = services.team_create(name="基准公司", kind=TeamKind.COMPANY, parent=None, actor=None, now=now)
    managers, reps = [], []
    for t in range(teams):
        team = services.team_create(
            name=f"销售{t + 1}组", kind=TeamKind.TEAM, parent=company, actor=None, now=now
        )
        manager = services.user_create(
            username=f"m{t}",
            display_name=f"主管{t}",
            role=Role.MANAGER,
            team=team,
            manager=None,
            actor=None,
            now=now,
        )
        managers.append(manager)
        reps.append(
            [
                services.user_create(
                    username=f"r{t}_{n}",
                    display_name=f"销售{t}_{n}",
                    role=Role.REP,
                    team=team,
                    manager=manager,
                    actor=None,
                    now=now,
                )
                for n in range(REPS_PER_TEAM)
            ]
        )
    return managers, reps


def _customers(total: int, owners: list[Any], now: datetime, rng: random.Random) -> list[Any]:
    """Bulk-created customers, each owned by one of `owners` (not what is measured)."""
    from salesflow.core import normalize
    from salesflow.customers.models import Customer

    made = []
    for start in range(0, total, 5000):
        batch = []
        for n in range(start, min(total, start + 5000)):
            name = f"{rng.choice(['杭州', '广州', '北京', '上海'])}第{n}人民医院"
            owner = rng.choice(owners)
            batch.append(
                Customer(
                    name=name,
                    name_key=normalize.company(name),
                    search_text=name,
                    owner=owner,
                    claimed_at=now,
                    created_at=now - timedelta(days=200),
                )
            )
        made += Customer.objects.bulk_create(batch, batch_size=1000)
    return made


def _opportunities(
    count: int, customers: list[Any], now: datetime, rng: random.Random, *, pipelines: tuple[str, ...]
) -> list[Any]:
    """Bulk-created open opportunities of `pipelines`, each in a random stage of its pipeline."""
    from salesflow.pipeline.models import Opportunity
    from salesflow.pipeline.services import pipeline_for

    templates = [t for code in pipelines if (t := pipeline_for(code)) is not None]
    made = []
    for start in range(0, count, 5000):
        batch = []
        for n in range(start, min(count, start + 5000)):
            template = rng.choice(templates)
            customer = rng.choice(customers)
            stage = rng.choice(template.stages)
            entered = now - timedelta(days=rng.uniform(0.1, 20))
            batch.append(
                Opportunity(
                    customer=customer,
                    title=f"{customer.name} 采购项目 {n}",
                    amount=Decimal(rng.randint(50, 2000) * 1000),
                    product_lines=[template.product_line or "spine"],
                    pipeline=template.code,
                    stage=stage.code,
                    stage_entered_at=entered,
                    owner_id=customer.owner_id,
                    last_update_at=entered + timedelta(hours=rng.uniform(0, 30)),
                    created_at=entered - timedelta(days=rng.uniform(1, 60)),
                )
            )
        made += Opportunity.objects.bulk_create(batch, batch_size=1000)
    return made


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _explain(sql: str) -> list[str]:
    """The plan of an SQL text as it was run (parameters already inlined by the backend)."""
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def _full_scan(plan: list[str], table: str) -> bool:
    """Whether a plan reads all of `table` (SQLite `SCAN t` without an index, PostgreSQL Seq Scan)."""
    for line in plan:
        if f"Seq Scan on {table}" in line:
            return True
        if f"SCAN {table}" in line and "INDEX" not in line:
            return True
    return False


# --------------------------------------------------------------------------- dwell


def _fill_stage_visits(total: int, reps: list[list[Any]], now: datetime) -> float:
    """`total` StageVisit rows: each opportunity's history, stay by stay, 90 % of stays closed."""
    from django.db import transaction

    from salesflow.pipeline.models import Opportunity, StageVisit
    from salesflow.pipeline.services import pipeline_for

    rng = random.Random(SEED)
    owners = [r for team in reps for r in team]
    team_of = {r.pk: r.team_id for r in owners}
    customers = _customers(max(1000, total // 40), owners, now, rng)
    templates = [t for code in ("standard", "hospital_visit") if (t := pipeline_for(code)) is not None]
    made = 0
    with Stopwatch() as sw:
        while made < total:
            opportunities: list[Any] = []
            histories: list[list[tuple[str, datetime, datetime | None]]] = []
            while made < total and len(opportunities) < 2000:
                template = rng.choice(templates)
                depth = min(total - made, rng.randint(1, len(template.stages)))
                customer = rng.choice(customers)
                at = now - timedelta(days=rng.uniform(20, 400))
                stays = []
                for index in range(depth):
                    days = rng.lognormvariate(1.0, 0.7)  # a median stay of about 2.7 days
                    left = at + timedelta(days=days)
                    closed = index < depth - 1 or rng.random() < 0.9
                    stays.append((template.stages[index].code, at, left if closed else None))
                    at = left
                opportunities.append(
                    Opportunity(
                        customer=customer,
                        title=f"{customer.name} 项目",
                        pipeline=template.code,
                        stage=stays[-1][0],
                        stage_entered_at=stays[-1][1],
                        owner_id=customer.owner_id,
                        last_update_at=stays[-1][1],
                        created_at=stays[0][1],
                    )
                )
                histories.append(stays)
                made += depth
            with transaction.atomic():
                saved = Opportunity.objects.bulk_create(opportunities, batch_size=1000)
                StageVisit.objects.bulk_create(
                    [
                        StageVisit(
                            opportunity=o,
                            pipeline=o.pipeline,
                            stage=stage,
                            entered_at=entered,
                            exited_at=exited,
                            team_id=team_of[o.owner_id],
                        )
                        for o, stays in zip(saved, histories, strict=True)
                        for stage, entered, exited in stays
                    ],
                    batch_size=2000,
                )
            if made and made % 50_000 < 2000:
                progress(f"{made:,} stage visits")
    _analyze()
    return sw.seconds


def measure_dwell(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to a fresh migrated bench database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salesflow.core import clock
    from salesflow.pipeline import selectors
    from salesflow.pipeline.models import StageVisit

    now = clock.now()
    total = DWELL_ROWS[quick]
    managers, reps = _org(now)
    teams = [m.team for m in managers]
    fill_seconds = _fill_stage_visits(total, reps, now)
    figures: dict[str, Any] = {
        "stage_visits": StageVisit.objects.count(),
        "closed_stays": StageVisit.objects.filter(exited_at__isnull=False).count(),
        "fill_seconds": fill_seconds,
        "plans": {},
    }
    cases = {
        "overall": {"pipeline": "hospital_visit", "team_id": None},
        "team": {"pipeline": "hospital_visit", "team_id": teams[0].pk},
    }
    for case, kwargs in cases.items():
        selectors.dwell_by_stage(**kwargs)  # warm the cache and the pack
        timings = []
        for _ in range(DWELL_RUNS[quick]):
            with Stopwatch() as sw:
                result = selectors.dwell_by_stage(**kwargs)
            timings.append(sw.seconds * 1000)
        with CaptureQueriesContext(connection) as captured:
            selectors.dwell_by_stage(**kwargs)
        figures[f"{case}_p50_ms"] = median(timings)
        figures[f"{case}_p95_ms"] = percentile(timings, 95)
        figures[f"{case}_stages"] = len(result)
        figures[f"{case}_queries"] = len(captured.captured_queries)
        sql = captured.captured_queries[-1]["sql"]
        plan = _explain(sql)
        full = _full_scan(plan, StageVisit._meta.db_table)
        figures[f"{case}_full_scan"] = full
        figures["plans"][case] = {"sql": sql, "plan": plan, "full_scan": full}
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def dwell_parameters(options: Options) -> dict[str, Any]:
    """Sizes and shape of the dwell measurement."""
    return {
        "stage_visits": DWELL_ROWS[options.quick],
        "runs": DWELL_RUNS[options.quick],
        "teams": TEAMS,
        "reps_per_team": REPS_PER_TEAM,
        "call": "pipeline.selectors.dwell_by_stage(pipeline='hospital_visit', team_id=None | one team)",
        "closed_share_of_last_stays": 0.9,
    }


# --------------------------------------------------------------------------- evidence-upload


def base_photo(
    taken_at: datetime, lat: float, lng: float, *, seed: int = SEED, quality: int | None = None
) -> tuple[bytes, int]:
    """A ~2 MB 8-megapixel JPEG with camera EXIF: the demo's drawn photo, scaled up, with sensor noise.

    Without `quality`, the first quality from 92 down that lands within 10 % of the target size.
    """
    from PIL import Image

    from salesflow.pipeline.demo import demo_photo

    small = Image.open(io.BytesIO(demo_photo(random.Random(seed), taken_at=taken_at, lat=lat, lng=lng)))
    exif = small.getexif()
    big = small.convert("RGB").resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
    noise = Image.effect_noise(PHOTO_SIZE, 40).convert("RGB")
    picture = Image.blend(big, noise, 0.2)
    best, chosen = b"", 0
    for q in [quality] if quality else [92, 88, 84, 80, 76, 72, 68, 64, 60]:
        out = io.BytesIO()
        picture.save(out, format="JPEG", quality=q, exif=exif)
        best, chosen = out.getvalue(), q
        if len(best) <= PHOTO_TARGET_MB * 2**20 * 1.1:
            break
    return best, chosen


def measure_evidence_upload(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to a fresh migrated bench database."""
    from django.test import override_settings

    from salesflow.core import clock
    from salesflow.customers import services as customers
    from salesflow.pipeline import services
    from salesflow.pipeline.models import Evidence

    now = clock.now()
    _managers, reps = _org(now, teams=1)
    rep = reps[0][0]
    lat, lng = 30.274100, 120.155100
    with Stopwatch() as made:
        taken = now - timedelta(minutes=10)
        base, quality = base_photo(taken, lat, lng)
        # Each upload its own picture (drawn from another seed: its own perceptual hash), same
        # size, quality and EXIF, so the reuse check finds nothing, as for an honest rep.
        warm, *photos = [
            base_photo(taken, lat, lng, seed=SEED + 1 + n, quality=quality)[0]
            for n in range(UPLOADS[quick] + 1)
        ]
    media = tempfile.mkdtemp(prefix="salesflow-bench-media-")
    try:
        with override_settings(MEDIA_ROOT=media):
            customer = customers.customer_create(name="杭州市第一人民医院", actor=rep, owner=rep, now=now)
            opportunity = services.opportunity_create(
                customer=customer,
                title="关节假体入院",
                actor=rep,
                owner=rep,
                pipeline="hospital_visit",
                now=now,
            )
            opportunity = services.opportunity_advance(
                opportunity=opportunity, to_stage="hospital_visit", actor=rep, now=now
            )

            def upload(data: bytes) -> tuple[float, Any]:
                with Stopwatch() as sw:
                    evidence = services.evidence_add(
                        requirement="door_plate_photo",
                        actor=rep,
                        opportunity=opportunity,
                        data=data,
                        filename="IMG_0001.jpg",
                        captured_at=now - timedelta(minutes=10),
                        lat=Decimal(f"{lat:.6f}"),
                        lng=Decimal(f"{lng:.6f}"),
                        now=now,
                    )
                return sw.seconds, evidence

            upload(warm)  # first use: imports, the pack, the storage folder (not timed)
            distinct: list[float] = []
            flagged = 0
            with Stopwatch() as total:
                for data in photos:
                    seconds, evidence = upload(data)
                    distinct.append(seconds * 1000)
                    flagged += bool(evidence.flags)
            reused: list[float] = []
            reuse_flags = 0
            for _ in range(REUSED_UPLOADS[quick]):
                seconds, evidence = upload(photos[0])
                reused.append(seconds * 1000)
                reuse_flags += any(f.startswith("reused:") for f in evidence.flags)
            stored = Evidence.objects.filter(kind="photo").first()
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return {
        "photo_mb": len(base) / 2**20,
        "jpeg_quality": quality,
        "photo_pixels": f"{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}",
        "variants_mb_mean": sum(len(p) for p in photos) / len(photos) / 2**20,
        "prepare_seconds": made.seconds,
        "uploads": len(distinct),
        "photos_per_s": len(distinct) / total.seconds,
        "p50_ms": median(distinct),
        "p95_ms": percentile(distinct, 95),
        "max_ms": max(distinct),
        "flagged": flagged,
        "stored_mb": (stored.size / 2**20) if stored else None,
        "exif_read": bool(stored and stored.exif_taken_at and stored.exif_lat),
        "reused_uploads": len(reused),
        "reused_p50_ms": median(reused),
        "reused_flagged": reuse_flags,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def evidence_parameters(options: Options) -> dict[str, Any]:
    """Sizes of the upload measurement."""
    return {
        "uploads": UPLOADS[options.quick],
        "reused_uploads": REUSED_UPLOADS[options.quick],
        "photo": f"JPEG {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}, ~{PHOTO_TARGET_MB} MB, EXIF DateTimeOriginal + GPS",
        "call": "pipeline.services.evidence_add(requirement='door_plate_photo', opportunity=…, data=…)",
        "storage": "FileSystemStorage in a temporary MEDIA_ROOT",
    }


# --------------------------------------------------------------------------- board


def _board_path() -> str | None:
    """The board's URL when the view exists, else None."""
    from django.urls import NoReverseMatch, Resolver404, resolve, reverse

    try:
        return reverse(BOARD_URL_NAME)
    except NoReverseMatch:
        pass
    try:
        resolve(BOARD_PATH)
    except Resolver404:
        return None
    return BOARD_PATH


def measure_board(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to a fresh migrated bench database."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from salesflow.core import clock

    path = _board_path()
    if path is None:
        return {"board_view": False, "note": f"no {BOARD_URL_NAME} view at {BOARD_PATH} yet"}
    path += f"?pipeline={BOARD_PIPELINE}"
    now = clock.now()
    rng = random.Random(SEED + 2)
    managers, reps = _org(now, teams=2)
    team = reps[0]
    customers = _customers(1000, team, now, rng)
    total = BOARD_OPPORTUNITIES[quick]
    # All in one pipeline: the board shows one pipeline at a time, so this is its worst case.
    _opportunities(total, customers, now, rng, pipelines=(BOARD_PIPELINE,))
    # Another team's deals and the team's deals in the other pipeline: not on this board.
    _opportunities(total // 5, _customers(200, reps[1], now, rng), now, rng, pipelines=(BOARD_PIPELINE,))
    _opportunities(total // 5, customers, now, rng, pipelines=("hospital_visit",))
    _analyze()
    client = Client()
    client.force_login(managers[0])
    timings: list[float] = []
    with override_settings(ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"]):
        first = client.get(path)
        status, size = first.status_code, len(first.content)
        for _ in range(BOARD_RUNS[quick]):
            with Stopwatch() as sw:
                response = client.get(path)
            timings.append(sw.seconds * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
    return {
        "board_view": True,
        "path": path,
        "status": status,
        "open_opportunities_in_team": total,
        "html_kb": size / 1024,
        "p50_ms": median(timings),
        "max_ms": max(timings),
        "queries": len(captured.captured_queries),
        "last_status": response.status_code,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def board_parameters(options: Options) -> dict[str, Any]:
    """Sizes of the board measurement."""
    return {
        "open_opportunities_in_team": BOARD_OPPORTUNITIES[options.quick],
        "pipeline": BOARD_PIPELINE,
        "same_team_other_pipeline": BOARD_OPPORTUNITIES[options.quick] // 5,
        "other_team_opportunities": BOARD_OPPORTUNITIES[options.quick] // 5,
        "runs": BOARD_RUNS[options.quick],
        "viewer": "the team's manager (8 reps)",
        "url": f"{BOARD_URL_NAME} ({BOARD_PATH}) through django.test.Client",
    }


# --------------------------------------------------------------------------- running


def run_dwell(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    return run_inner("dwell", options, timeout=CHILD_TIMEOUT_SECONDS)


def run_evidence_upload(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    return run_inner("evidence-upload", options, timeout=CHILD_TIMEOUT_SECONDS)


def run_board(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    return run_inner("board", options, timeout=CHILD_TIMEOUT_SECONDS)


DWELL = Scenario(
    name="dwell",
    run=run_dwell,
    parameters=dwell_parameters,
    columns=(
        "stage_visits",
        "overall_p50_ms",
        "overall_p95_ms",
        "overall_full_scan",
        "team_p50_ms",
        "team_p95_ms",
        "team_full_scan",
    ),
)
EVIDENCE_UPLOAD = Scenario(
    name="evidence-upload",
    run=run_evidence_upload,
    parameters=evidence_parameters,
    columns=(
        "photo_mb",
        "variants_mb_mean",
        "uploads",
        "photos_per_s",
        "p50_ms",
        "p95_ms",
        "flagged",
        "reused_p50_ms",
    ),
)
BOARD = Scenario(
    name="board",
    run=run_board,
    parameters=board_parameters,
    columns=("board_view", "open_opportunities_in_team", "p50_ms", "max_ms", "queries", "html_kb"),
)
