"""报价健康度: the quote health score (0–100) and its factors, from the pack's `quotes.health`.

Factors, each worth the pack's points:
- `purchase_frequency` — the customer's orders within the window against the orders that earn
  full marks (a repeat buyer is a safer quote);
- `price_change` — how far the net prices move against the last quote sent to this customer,
  averaged over the products both quote (full points up to `price_change_full_within_pct`,
  none from `price_change_zero_at_pct`); a first quote or no common product scores full;
- one factor per pack document (技术方案文件, 竞品对比表 …): attached to the quote, or present as
  the opportunity's evidence of one of the document's requirement codes.

A factor that is not met names what is missing and the template that helps (`missing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from salesflow.customers.models import Order
from salesflow.pipeline.models import Evidence
from salesflow.quotes.models import Quote, QuoteAttachment, QuoteLine
from salesflow.rules.messages import humanize
from salesflow.rules.schema import QuotePolicy
from salesflow.timers.durations import parse_duration

FACTOR_NAMES = {"purchase_frequency": "客户采购频次", "price_change": "与上次报价的价格变化"}


@dataclass(frozen=True)
class Factor:
    """One factor of the score: points earned of the points possible, and why."""

    code: str
    name: str
    points: int
    possible: int
    detail: str
    missing: bool  # a document factor that is not there (the warning names it)

    def as_json(self) -> dict[str, Any]:
        """The stored form (QuoteVersion.health_factors)."""
        return {
            "code": self.code,
            "name": self.name,
            "points": self.points,
            "possible": self.possible,
            "detail": self.detail,
            "missing": self.missing,
        }


def _scale(possible: int, fraction: Decimal) -> int:
    fraction = max(Decimal(0), min(Decimal(1), fraction))
    return int((possible * fraction).to_integral_value())


def _purchase_frequency(quote: Quote, policy: QuotePolicy, possible: int, now: datetime) -> Factor:
    since = (now - parse_duration(policy.health.window).as_timedelta()).date()
    orders = Order.objects.filter(customer_id=quote.customer_id, ordered_on__gte=since).count()
    full = policy.health.orders_for_full_marks
    points = _scale(possible, Decimal(orders) / Decimal(full))
    detail = f"近 {humanize(policy.health.window)}下单 {orders} 次（{full} 次得满分）"
    return Factor("purchase_frequency", FACTOR_NAMES["purchase_frequency"], points, possible, detail, False)


def _price_change(quote: Quote, lines: list[QuoteLine], policy: QuotePolicy, possible: int) -> Factor:
    name = FACTOR_NAMES["price_change"]
    last = (
        Quote.objects.filter(customer_id=quote.customer_id, sent_at__isnull=False)
        .exclude(pk=quote.pk)
        .order_by("-sent_at", "-id")
        .first()
    )
    if last is None:
        return Factor("price_change", name, possible, possible, "首次向该客户报价，无可比价格", False)
    before = {
        line.product_id: line.net_price
        for line in QuoteLine.objects.filter(version__quote=last, version__number=last.current_version)
    }
    changes = [
        abs(line.net_price - before[line.product_id]) * 100 / before[line.product_id]
        for line in lines
        if before.get(line.product_id)
    ]
    if not changes:
        return Factor("price_change", name, possible, possible, f"与上次报价 {last.number} 无相同产品", False)
    change = sum(changes, Decimal(0)) / len(changes)
    full, zero = policy.health.price_change_full_within_pct, policy.health.price_change_zero_at_pct
    fraction = Decimal(1) if change <= full else (zero - change) / (zero - full)
    detail = f"与上次报价 {last.number} 相比单价平均变化 {change.quantize(Decimal('0.1'))}%"
    return Factor("price_change", name, _scale(possible, fraction), possible, detail, False)


def _documents(quote: Quote, policy: QuotePolicy) -> dict[str, bool]:
    attached = set(QuoteAttachment.objects.filter(quote=quote).values_list("code", flat=True))
    requirements = {code for d in policy.documents for code in d.evidence}
    evidence = (
        set(
            Evidence.objects.filter(
                opportunity_id=quote.opportunity_id, requirement__in=requirements
            ).values_list("requirement", flat=True)
        )
        if requirements
        else set()
    )
    return {d.code: d.code in attached or bool(evidence & set(d.evidence)) for d in policy.documents}


def score(
    *, quote: Quote, lines: list[QuoteLine], policy: QuotePolicy, now: datetime
) -> tuple[int, list[Factor]]:
    """The health score of `quote` with `lines` (its current version) and each factor."""
    weights = policy.health.weights
    factors: list[Factor] = []
    if weights.get("purchase_frequency"):
        factors.append(_purchase_frequency(quote, policy, weights["purchase_frequency"], now))
    if weights.get("price_change"):
        factors.append(_price_change(quote, lines, policy, weights["price_change"]))
    present = _documents(quote, policy)
    for document in policy.documents:
        possible = weights.get(document.code, 0)
        if not possible:
            continue
        there = present[document.code]
        detail = "已提供" if there else f"缺少{document.name}"
        factors.append(
            Factor(document.code, document.name, possible if there else 0, possible, detail, not there)
        )
    return sum(f.points for f in factors), factors
