"""`quote-pdf`: the quote snapshot (报价快照) of issue #13 — a 20-line quote printed to PDF.

In memory, no database: the quote, its version and 20 lines are unsaved model instances, so the
figure is the printing alone — the template (`documents.quote_html`, with the QR code of the
share link) and WeasyPrint (`documents.render_pdf`, Noto CJK fonts subset and embedded). A first
print is timed apart (WeasyPrint loads Pango and the fonts once per process); then several timed
prints give the median and the maximum, as wall time and as this process's CPU time. Target
(issue #13): p50 < 300 ms.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from benchmarks.common import Options, Scenario, progress

LINES = 20
REPEATS = {False: 15, True: 5}


def _quote() -> tuple[Any, Any, list[Any]]:
    from salesflow.core import clock
    from salesflow.customers.models import Customer
    from salesflow.org.models import User
    from salesflow.quotes.models import Quote, QuoteLine, QuoteVersion

    now = clock.now()
    customer = Customer(name="上海市第六人民医院骨科", created_at=now)
    owner = User(username="bench", display_name="王磊")
    quote = Quote(number="BJ202612-00001", title="关节与脊柱耗材年度采购", customer=customer, owner=owner)
    lines = []
    for i in range(LINES):
        price = Decimal(1000 + 731 * i)
        discount = Decimal(i % 4 * 2)
        net = (price * (100 - discount) / 100).quantize(Decimal("0.01"))
        quantity = Decimal(1 + i % 7)
        lines.append(
            QuoteLine(
                position=i + 1,
                sku=f"JT-BENCH-{i:02d}",
                name=f"全髋关节假体 钛合金髋臼杯 {40 + i}mm",
                unit="套",
                quantity=quantity,
                list_price=price,
                discount_pct=discount,
                net_price=net,
                line_total=net * quantity,
                tax_rate_pct=Decimal("13"),
            )
        )
    subtotal = sum((line.line_total for line in lines), Decimal(0))
    tax = (subtotal * Decimal("0.13")).quantize(Decimal("0.01"))
    version = QuoteVersion(
        quote=quote,
        number=1,
        valid_until=date.today() + timedelta(days=30),
        payment_terms="合同签订后 7 日内支付 30% 预付款",
        delivery_terms="合同生效后 30 日内送货到院",
        clauses=[
            {
                "code": f"c{i}",
                "title": f"条款 {i}",
                "text": "设备自验收合格之日起质保 12 个月，质保期内免费维修或更换。" * 2,
            }
            for i in range(6)
        ],
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        sent_at=datetime.now().astimezone(),
    )
    return quote, version, lines


def measure(quick: bool) -> dict[str, Any]:
    """Print the 20-line quote: the first print apart, then the repeats (median and max)."""
    from salesflow.quotes import documents

    quote, version, lines = _quote()
    share = "https://crm.example.cn/q/" + "x" * 43 + "/"

    def one() -> tuple[float, float, float, int]:
        wall, cpu = time.perf_counter(), time.process_time()
        html = documents.quote_html(
            quote=quote, version=version, lines=lines, share_url=share, company="华瑞医疗"
        )
        html_ms = (time.perf_counter() - wall) * 1000
        pdf = documents.render_pdf(html)
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, html_ms, len(pdf)

    progress("first print (loads Pango and the fonts)")
    first_ms, _cpu, _html, size = one()
    walls, cpus, htmls = [], [], []
    for _ in range(REPEATS[quick]):
        wall, cpu, html_ms, size = one()
        walls.append(wall)
        cpus.append(cpu)
        htmls.append(html_ms)
    return {
        "lines": LINES,
        "first_print_ms": round(first_ms, 1),
        "html_p50_ms": round(statistics.median(htmls), 1),
        "pdf_p50_ms": round(statistics.median(walls), 1),
        "pdf_max_ms": round(max(walls), 1),
        "pdf_cpu_p50_ms": round(statistics.median(cpus), 1),
        "pdf_kib": round(size / 1024, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def run(options: Options) -> dict[str, dict[str, Any]]:
    """One row: WeasyPrint in this process (no database engine involved)."""
    return {"weasyprint": measure(options.quick)}


def parameters(options: Options) -> dict[str, Any]:
    """What was printed."""
    return {"lines": LINES, "repeats": REPEATS[options.quick]}


QUOTE_PDF = Scenario(
    name="quote-pdf",
    run=run,
    parameters=parameters,
    columns=(
        "lines",
        "first_print_ms",
        "html_p50_ms",
        "pdf_p50_ms",
        "pdf_max_ms",
        "pdf_cpu_p50_ms",
        "pdf_kib",
        "load_average_1m",
    ),
)
