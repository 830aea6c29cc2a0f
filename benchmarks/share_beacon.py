"""`share-beacon`: the share link's reading beacon (`POST /q/<token>/read`) of issue #13.

A fresh migrated database gets one sent quote (through the quote services, PDF included). Then
the customer's page is simulated: a stream of beacons — each a section (the lines, the totals, a
clause) read for a few seconds — is posted through the test client, one after another, against
the live link; every beacon resolves the token (a digest lookup), logs the access at most once an
hour per address, and adds the reading (an upsert of the section's row). Figures: beacons per
second from one client, latency p50/p95, queries per beacon. No server or network in between:
the figure is the view and the database.
"""

from __future__ import annotations

import json
import os
from typing import Any

from benchmarks.common import Options, Scenario, Stopwatch, median, percentile, progress, run_inner

BEACONS = {False: 2000, True: 200}
CHILD_TIMEOUT_SECONDS = 1800


def _sent_quote() -> tuple[str, list[str]]:
    """A sent quote's share path and the section codes its page reports."""
    from salesflow.catalog import services as catalog
    from salesflow.customers import services as customers
    from salesflow.org import services as org
    from salesflow.org.choices import Role
    from salesflow.pipeline import services as pipeline
    from salesflow.quotes import services as quotes
    from salesflow.quotes.selectors import current_version

    rep = org.user_create(
        username="rep", display_name="销售", role=Role.REP, team=None, manager=None, actor=None
    )
    fin = org.user_create(
        username="fin", display_name="财务", role=Role.FINANCE, team=None, manager=None, actor=None
    )
    product = catalog.product_create(actor=fin, sku="BEACON-1", name="骨科耗材", unit="套", list_price="1000")
    customer = customers.customer_create(name="基准医院", actor=None, owner=rep)
    deal = pipeline.opportunity_create(
        customer=customer, title="基准采购", actor=None, owner=rep, amount="1000"
    )
    made = quotes.quote_create(
        opportunity=deal,
        actor=rep,
        data=quotes.QuoteInput(lines=[quotes.LineInput(product=product.pk, quantity=3)]),
    )
    sent = quotes.quote_send(quote=made, actor=rep, share_base_url="http://testserver")
    path = sent.share_url.removeprefix("http://testserver")
    return path, list(quotes.sections_of(current_version(sent.quote)))


def measure(*, quick: bool) -> dict[str, Any]:
    """Runs inside a Django process connected to a fresh migrated bench database."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    progress("a sent quote (renders its PDF)")
    path, sections = _sent_quote()
    client = Client(REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile")
    url = path + "read"
    total = BEACONS[quick]
    timings: list[float] = []
    statuses: dict[int, int] = {}
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        client.get(path)  # the open, as the page load logs it
        with Stopwatch() as whole:
            for n in range(total):
                body = json.dumps({"section": sections[n % len(sections)], "seconds": 3 + n % 5})
                with Stopwatch() as one:
                    response = client.post(url, body, content_type="application/json")
                timings.append(one.seconds * 1000)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        with CaptureQueriesContext(connection) as captured:
            client.post(
                url, json.dumps({"section": sections[0], "seconds": 4}), content_type="application/json"
            )
    return {
        "beacons": total,
        "beacons_per_s": round(total / whole.seconds, 1),
        "p50_ms": round(median(timings), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "max_ms": round(max(timings), 1),
        "queries_per_beacon": len(captured.captured_queries),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def run(options: Options) -> dict[str, Any]:
    """One fresh database per engine; measured in its own process."""
    return run_inner("share-beacon", options, timeout=CHILD_TIMEOUT_SECONDS)


def parameters(options: Options) -> dict[str, Any]:
    """How many beacons were posted."""
    return {"beacons": BEACONS[options.quick], "clients": 1, "through": "django.test.Client, no server"}


SHARE_BEACON = Scenario(
    name="share-beacon",
    run=run,
    parameters=parameters,
    columns=("beacons", "beacons_per_s", "p50_ms", "p95_ms", "queries_per_beacon"),
)
