"""Customers at scale: search over 100,000 customers, and the nightly tag and health pass.

`customers-search`: 100,000 customers (`--quick` 10,000, `--size N` any number) bulk-created
with the search keys `customers.services.search_keys` computes, one or two contacts each,
60 % owned by 48 reps under 6 managers and 40 % in the pool. A manager searches what they may see
(`customers_visible_to(manager)`, their 8 reps' customers and the pool) the way the API does
(`selectors.search`, first keyset page of 50): pinyin initials, full pinyin, a Chinese
substring and a mobile number; p50/p95 per kind, and the plan of each kind's query.

`customers-nightly`: the same customers with 3 orders each in the last 180 days
(`--quick` 5,000 customers), then `customers.services.customers_nightly` once: seconds and
customers per second. With `SALESFLOW_BENCH_PROFILE=1` in the environment the pass runs
under cProfile and the figures carry its top functions (`profile_top`, by own and cumulative
time); the seconds then include the profiler's overhead.

Each measurement runs in a child process (`salesflow bench --inner customers-search|…`)
connected to a fresh migrated database, as the other inner scenarios do.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import resource
import time
from datetime import date, datetime, timedelta
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

SEED = 5
REPS, MANAGERS = 48, 6
SEARCH_SIZES = {False: 100_000, True: 10_000}
NIGHTLY_SIZES = {False: 100_000, True: 5_000}
ORDERS_PER_CUSTOMER = 3
QUERIES_PER_KIND = {False: 40, True: 10}
PAGE = 50
CHILD_TIMEOUT_SECONDS = 3600
# Set (to anything) to run the nightly pass under cProfile; its top functions join the figures.
PROFILE_ENV = "SALESFLOW_BENCH_PROFILE"
PROFILE_TOP = 25

CITIES = ["杭州", "宁波", "温州", "上海", "南京", "苏州", "合肥", "广州", "深圳", "佛山", "东莞", "厦门"]
CITIES += ["福州", "南宁", "北京", "天津", "石家庄", "太原", "济南", "青岛", "郑州", "武汉", "长沙", "成都"]
HOSPITALS = [
    "市第一人民医院",
    "市第二人民医院",
    "市中医院",
    "市中心医院",
    "骨科医院",
    "妇幼保健院",
    "康复医院",
]
BRANDS = ["康健", "瑞康", "华信", "联众", "恒泰", "佳和", "普济", "德润", "安泰", "百盛", "迈达", "同创"]
COMPANIES = ["医疗器械有限公司", "医疗科技有限公司", "医药器械贸易有限公司", "精密制造有限公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏辉"


def _name(rng: random.Random, n: int) -> str:
    """A customer name; the number keeps 100,000 of them distinct, as real branch names are."""
    city = rng.choice(CITIES)
    roll = rng.random()
    if roll < 0.45:
        return f"{city}{rng.choice(['', '东', '西', '南', '北', '新'])}{rng.choice(HOSPITALS)}{n}"
    return f"{city}{rng.choice(BRANDS)}{rng.choice(BRANDS)}{rng.choice(COMPANIES)}{n}"


def _person(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    phone = rng.choice(["139", "138", "135", "186", "177", "150"]) + f"{rng.randrange(10**8):08d}"
    return name, phone


def _org() -> tuple[Any, list[Any]]:
    """6 managers with 8 reps each (bulk-created: the org is not what is measured)."""
    from django.contrib.auth.hashers import make_password

    from salesflow.org.models import User

    unusable = make_password(None)
    managers = User.objects.bulk_create(
        [User(username=f"m{i}", role="manager", password=unusable) for i in range(MANAGERS)]
    )
    reps = User.objects.bulk_create(
        [
            User(username=f"r{i}", role="rep", password=unusable, manager=managers[i % MANAGERS])
            for i in range(REPS)
        ]
    )
    return managers[0], reps


def _fill_customers(total: int, reps: list[Any], now: datetime) -> tuple[float, float, list[tuple[str, str]]]:
    """Bulk-create `total` customers with contacts and search keys; seconds of the load and of
    the search index build, and (name, phone) samples."""
    from django.db import transaction

    from salesflow.core import normalize
    from salesflow.customers.models import Contact, Customer
    from salesflow.customers.services import search_keys

    rng = random.Random(SEED)
    samples: list[tuple[str, str]] = []
    chunk = 5000
    _search_index("drop")
    with Stopwatch() as sw:
        for start in range(0, total, chunk):
            customers, people = [], []
            for n in range(start, min(total, start + chunk)):
                name = _name(rng, n)
                contacts = [_person(rng) for _ in range(rng.choice([1, 2]))]
                text, initials, grams = search_keys(name, contacts)
                owner = rng.choice(reps) if rng.random() < 0.6 else None
                customers.append(
                    Customer(
                        name=name,
                        name_key=normalize.company(name),
                        search_text=text,
                        initials=initials,
                        initials_grams=grams,
                        owner=owner,
                        claimed_at=now if owner else None,
                        created_at=now,
                    )
                )
                people.append(contacts)
                if rng.random() < 0.01:
                    samples.append((name, contacts[0][1]))
            with transaction.atomic():
                made = Customer.objects.bulk_create(customers, batch_size=1000)
                Contact.objects.bulk_create(
                    [
                        Contact(
                            customer=c,
                            name=person,
                            phone=phone,
                            phone_key=normalize.phone(phone),
                            created_at=now,
                        )
                        for c, contacts in zip(made, people, strict=True)
                        for person, phone in contacts
                    ],
                    batch_size=1000,
                )
            if start and start % 50_000 == 0:
                progress(f"{start:,} customers")
    with Stopwatch() as indexing:
        _search_index("build")
    progress(f"search index built in {indexing.seconds:.0f} s")
    _analyze()
    return sw.seconds, indexing.seconds, samples


def _search_index(step: str) -> None:
    """Drop the search index before the bulk load, build it after (as migrating does for old rows).

    Keeping a trigram index current row by row makes the load several times slower; the
    statements are the migration's own, so the index measured is the one the migration makes.
    """
    import importlib

    from django.db import connection

    migration = importlib.import_module("salesflow.customers.migrations.0005_search_trigram_index")
    vendor = connection.vendor.upper()
    statements = getattr(migration, f"{vendor}_BACKWARD" if step == "drop" else f"{vendor}_FORWARD")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _queries(samples: list[tuple[str, str]], per_kind: int) -> dict[str, list[str]]:
    """Search terms a person would type, taken from customers that exist."""
    from pypinyin import Style, lazy_pinyin

    rng = random.Random(SEED + 1)
    picks = [rng.choice(samples) for _ in range(per_kind)]
    kinds: dict[str, list[str]] = {"initials": [], "full_pinyin": [], "chinese": [], "phone": []}
    for name, phone in picks:
        letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
        letters = "".join(ch for ch in letters if ch.isalpha())
        # The first letters of a few words one remembers: city + a later word (`hzyl` style).
        kinds["initials"].append(letters[:2] + letters[rng.randint(3, max(3, len(letters) - 3)) :][:2])
        full = "".join(lazy_pinyin(name[:4])).lower()
        kinds["full_pinyin"].append("".join(ch for ch in full if ch.isalpha()))
        start = rng.randint(0, max(0, len(name) - 5))
        kinds["chinese"].append(name[start : start + rng.choice([2, 3, 4])])
        kinds["phone"].append(phone)
    return kinds


def _plan(sql_params: tuple[str, Any]) -> list[str]:
    from django.db import connection

    sql, params = sql_params
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def _scan_search(qs: Any, text: str) -> Any:
    """`customers.selectors.search` as it was before the trigram index (issue #15): LIKE and the
    initials regex on every visible row, for the before/after figures of one run."""
    from django.db.models import Q

    from salesflow.core import normalize

    text = text.strip().lower()
    digits = normalize.phone(text)
    match = Q(search_text__contains=text.replace(" ", ""))
    if text.isascii() and text.isalpha():
        match |= Q(initials__startswith=text[0], initials__regex="^" + ".*".join(text))
    if len(digits) >= 4 and len(digits) >= len(text.replace(" ", "").replace("-", "")) - 3:
        match |= Q(search_text__contains=digits)
    return qs.filter(match)


def _uses_index(plan: list[str]) -> bool:
    """Whether a plan reads the trigram index (the FTS5 table on SQLite, the GIN index on PostgreSQL)."""
    return any("customers_customer_search" in line or "customer_search_trgm" in line for line in plan)


def measure_search(*, quick: bool, size: int | None = None) -> dict[str, Any]:
    """Runs inside a Django process connected to a fresh migrated bench database.

    `size` customers instead of the default (`salesflow bench --scenario customers-search --size N`).
    """
    from salesflow.core import clock
    from salesflow.core.pagination import keyset_page
    from salesflow.customers import selectors

    total = size or SEARCH_SIZES[quick]
    now = clock.now()
    manager, reps = _org()
    fill_seconds, index_seconds, samples = _fill_customers(total, reps, now)
    visible = selectors.customers_visible_to(manager)
    figures: dict[str, Any] = {
        "customers": total,
        "visible_to_manager": visible.count(),
        "fill_seconds": fill_seconds,
        "index_seconds": index_seconds,
        "plans": {},
    }
    for kind, terms in _queries(samples, QUERIES_PER_KIND[quick]).items():
        timings, cpu, hits, scans, same = [], [], [], [], 0
        for term in terms:
            keyset_page(selectors.search(visible, term), cursor=None, limit=PAGE, newest_first=True)  # warm
            cpu_started = time.process_time()
            with Stopwatch() as sw:
                rows, _next = keyset_page(
                    selectors.search(visible, term), cursor=None, limit=PAGE, newest_first=True
                )
            cpu.append((time.process_time() - cpu_started) * 1000)
            timings.append(sw.seconds * 1000)
            hits.append(len(rows))
            # The same term the way search ran before the index, under the same load.
            keyset_page(_scan_search(visible, term), cursor=None, limit=PAGE, newest_first=True)  # warm
            with Stopwatch() as sw:
                scanned, _next = keyset_page(
                    _scan_search(visible, term), cursor=None, limit=PAGE, newest_first=True
                )
            scans.append(sw.seconds * 1000)
            same += [c.pk for c in scanned] == [c.pk for c in rows]
        figures[f"{kind}_scan_p50_ms"] = median(scans)
        figures[f"{kind}_scan_p95_ms"] = percentile(scans, 95)
        figures[f"{kind}_same_as_scan"] = same / len(terms)
        # This process's CPU time per search: on a shared machine, wall time also counts the
        # waits for a core. On SQLite it is the whole query; on PostgreSQL the client side only.
        figures[f"{kind}_cpu_p50_ms"] = median(cpu)
        figures[f"{kind}_cpu_p95_ms"] = percentile(cpu, 95)
        figures[f"{kind}_p50_ms"] = median(timings)
        figures[f"{kind}_p95_ms"] = percentile(timings, 95)
        figures[f"{kind}_max_ms"] = max(timings)
        figures[f"{kind}_full_page_share"] = sum(h == PAGE for h in hits) / len(hits)
        # Terms under three characters (two-character Chinese) cannot use a trigram index.
        indexed = [ms for term, ms in zip(terms, timings, strict=True) if len(term.replace(" ", "")) >= 3]
        figures[f"{kind}_short_terms"] = len(terms) - len(indexed)
        if len(indexed) < len(terms):
            figures[f"{kind}_3plus_p50_ms"] = median(indexed)
            figures[f"{kind}_3plus_p95_ms"] = percentile(indexed, 95)
        qs = selectors.search(visible, terms[0]).order_by("-id")[:PAGE]
        plan = _plan(qs.query.sql_with_params())
        figures["plans"][kind] = {"term": terms[0], "plan": plan, "trigram_index": _uses_index(plan)}
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _fill_orders(reps: list[Any], total: int, now: datetime) -> float:
    """Customers with 3 orders each, spread over the last 180 days (bulk: not what is measured)."""
    from django.db import transaction

    from salesflow.core import normalize
    from salesflow.customers.models import Customer, Order

    rng = random.Random(SEED + 2)
    today = now.date()
    lines = ["joint", "spine", "trauma", "sports"]
    chunk = 5000
    with Stopwatch() as sw:
        for start in range(0, total, chunk):
            customers = []
            for n in range(start, min(total, start + chunk)):
                name = _name(rng, n)
                owner = rng.choice(reps) if rng.random() < 0.6 else None
                customers.append(
                    Customer(
                        name=name,
                        name_key=normalize.company(name),
                        search_text=name,
                        owner=owner,
                        claimed_at=now if owner else None,
                        created_at=now,
                    )
                )
            with transaction.atomic():
                made = Customer.objects.bulk_create(customers, batch_size=1000)
                orders = []
                for c in made:
                    for _ in range(ORDERS_PER_CUSTOMER):
                        day: date = today - timedelta(days=rng.randint(1, 179))
                        orders.append(
                            Order(
                                customer=c,
                                ordered_on=day,
                                amount=Decimal(rng.randint(50, 1500) * 100),
                                product_lines=[rng.choice(lines)],
                                models_bought="TKA-3 膝关节假体",
                                payment_term="月结 60 天",
                                created_at=now,
                            )
                        )
                Order.objects.bulk_create(orders, batch_size=2000)
            if start and start % 50_000 == 0:
                progress(f"{start:,} customers with orders")
    _analyze()
    return sw.seconds


def measure_nightly(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to a fresh migrated bench database."""
    from django.db import connection

    from salesflow.core import clock
    from salesflow.customers import services
    from salesflow.customers.models import Customer

    total = NIGHTLY_SIZES[quick]
    now = clock.now()
    _manager, reps = _org()
    fill_seconds = _fill_orders(reps, total, now)
    queries_before = _query_count(connection)
    profiler = cProfile.Profile() if os.environ.get(PROFILE_ENV) else None
    with Stopwatch() as sw:
        if profiler is not None:
            profiler.enable()
        result = services.customers_nightly(now=now)
        if profiler is not None:
            profiler.disable()
    figures: dict[str, Any] = {
        "customers": total,
        "orders": total * ORDERS_PER_CUSTOMER,
        "fill_seconds": fill_seconds,
        "swept": result["customers"],
        "tagged": result["tagged"],
        "proposed_a_class": Customer.objects.exclude(proposed_class="").count(),
        "nightly_seconds": sw.seconds,
        "customers_per_s": result["customers"] / sw.seconds if sw.seconds else float("nan"),
        "queries_per_customer": (_query_count(connection) - queries_before) / max(1, result["customers"]),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if profiler is not None:
        figures["profiled"] = True  # the seconds above include cProfile's overhead
        figures["profile_top"] = _profile_top(profiler)
    return figures


def _profile_top(profiler: cProfile.Profile, limit: int = PROFILE_TOP) -> dict[str, list[str]]:
    """The heaviest functions of a profiled run, by own time and by cumulative time (pstats lines)."""
    top = {}
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(limit)
        lines = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
        top[order] = [line.rstrip() for line in lines[start:] if line.strip()]
    return top


def _query_count(connection: Any) -> int:
    """Queries run so far on this connection (counted without keeping their text)."""
    return int(getattr(connection, "bench_queries", 0))


def _count_queries() -> None:
    """Count every query of the default connection through an execute wrapper."""
    from django.db import connection

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        connection.bench_queries = getattr(connection, "bench_queries", 0) + 1  # type: ignore[attr-defined]
        return execute(sql, params, many, context)

    connection.execute_wrappers.append(counter)


def search_parameters(options: Options) -> dict[str, Any]:
    """Sizes and the shape of the search measurement."""
    return {
        "customers": options.size or SEARCH_SIZES[options.quick],
        "queries_per_kind": QUERIES_PER_KIND[options.quick],
        "page": PAGE,
        "scope": f"customers_visible_to(manager of {REPS // MANAGERS} reps) = their customers + the pool",
        "owned_share": 0.6,
    }


def nightly_parameters(options: Options) -> dict[str, Any]:
    """Sizes of the nightly measurement."""
    return {
        "customers": NIGHTLY_SIZES[options.quick],
        "orders_per_customer": ORDERS_PER_CUSTOMER,
        "order_window_days": 180,
    }


def run_search(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    return run_inner("customers-search", options, timeout=CHILD_TIMEOUT_SECONDS)


def run_nightly(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    return run_inner("customers-nightly", options, timeout=CHILD_TIMEOUT_SECONDS)


def measure_nightly_counted(*, quick: bool) -> dict[str, Any]:
    """`measure_nightly` with the query counter installed (what `--inner` calls)."""
    _count_queries()
    return measure_nightly(quick=quick)


SEARCH = Scenario(
    name="customers-search",
    run=run_search,
    parameters=search_parameters,
    columns=(
        "customers",
        "visible_to_manager",
        "initials_p50_ms",
        "initials_p95_ms",
        "full_pinyin_p50_ms",
        "full_pinyin_p95_ms",
        "chinese_p50_ms",
        "chinese_p95_ms",
        "phone_p50_ms",
        "phone_p95_ms",
    ),
)
NIGHTLY = Scenario(
    name="customers-nightly",
    run=run_nightly,
    parameters=nightly_parameters,
    columns=(
        "customers",
        "orders",
        "swept",
        "tagged",
        "nightly_seconds",
        "customers_per_s",
        "queries_per_customer",
    ),
)


# --------------------------------------------------------------------------- customers-import

IMPORT_SIZES = {False: 100_000, True: 5_000}
IMPORT_HEADERS = ["客户名称", "行业细分", "客户等级", "地址", "付款条件偏好"]


def _workbook(total: int) -> bytes:
    """An ERP-style customer list of `total` rows, as the importer receives it."""
    from salesflow.imports import xlsx

    rng = random.Random(SEED + 3)
    segments = ["hospital_public", "hospital_private", "clinic", "distributor", "manufacturer"]
    tiers = ["tier3a", "tier2a", "private", ""]
    rows = (
        [
            _name(rng, n),
            rng.choice(segments),
            rng.choice(tiers),
            f"{rng.choice(CITIES)}市人民路{rng.randint(1, 999)}号",
            rng.choice(["月结 60 天", "月结 90 天", "款到发货"]),
        ]
        for n in range(total)
    )
    return xlsx.write(IMPORT_HEADERS, rows, title="客户")


def measure_import(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process: read the workbook, validate and write every row, all timed.

    Memory: peak RSS of this process (getrusage) before and after the import; the workbook
    is built first so its own memory is in the "before" figure.
    """
    from salesflow.core import clock
    from salesflow.imports import services, xlsx

    total = IMPORT_SIZES[quick]
    with Stopwatch() as build:
        data = _workbook(total)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    now = clock.now()
    with Stopwatch() as read:
        sheet = xlsx.read(data)
    with Stopwatch() as run:
        result = services.import_run(kind="customers", sheet=sheet, actor=None, now=now)
    from salesflow.customers.models import Customer

    seconds = read.seconds + run.seconds
    return {
        "rows": total,
        "workbook_mb": len(data) / 2**20,
        "build_seconds": build.seconds,
        "read_seconds": read.seconds,
        "import_seconds": run.seconds,
        "total_seconds": seconds,
        "rows_per_s": total / seconds if seconds else float("nan"),
        "created": result.created,
        "errors": len(result.errors),
        "customers_in_db": Customer.objects.count(),
        "rss_before_mb": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def import_parameters(options: Options) -> dict[str, Any]:
    """Size and shape of the workbook."""
    return {
        "rows": IMPORT_SIZES[options.quick],
        "columns": IMPORT_HEADERS,
        "call": "imports.services.import_run(kind='customers', actor=None) after xlsx.read",
    }


def run_import(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    return run_inner("customers-import", options, timeout=CHILD_TIMEOUT_SECONDS)


IMPORT = Scenario(
    name="customers-import",
    run=run_import,
    parameters=import_parameters,
    columns=(
        "rows",
        "created",
        "errors",
        "read_seconds",
        "import_seconds",
        "rows_per_s",
        "rss_before_mb",
        "peak_rss_mb",
    ),
)
