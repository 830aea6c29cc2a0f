"""The money panels of 今日战报: yellow quotes (sent, unconfirmed past the pack's
`lights.quote_yellow_unconfirmed`) and collections (contracts green at the pack's
`lights.payment_green_progress_pct`, receivables overdue). Registered like the other panels;
they read the quote and contract records of the report's team."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Sum
from django.utils.translation import gettext_lazy as _

from salesflow.analytics.battle import LIST_ROWS, BattleContext, person_label, register_battle_panel
from salesflow.contracts import selectors as contract_selectors
from salesflow.contracts.choices import LIVE_STATES, OUTSTANDING_STATES
from salesflow.contracts.models import Contract, Instalment
from salesflow.quotes.choices import QuoteState
from salesflow.quotes.models import Quote
from salesflow.timers.durations import parse_duration


def yellow_quotes(ctx: BattleContext) -> dict[str, Any]:
    """黄灯报价: quotes sent longer ago than the pack's limit without the customer's answer."""
    limit = parse_duration(ctx.pack.lights.quote_yellow_unconfirmed).as_timedelta()
    qs = Quote.objects.filter(ctx.scope.q(), state=QuoteState.SENT, sent_at__lt=ctx.now - limit)
    rows = list(qs.select_related("customer", "owner").order_by("sent_at")[:LIST_ROWS])
    return {
        "count": qs.count(),
        "limit": limit,
        "items": [
            {
                "number": q.number,
                "customer": q.customer.name,
                "owner": person_label(q.owner),
                "amount": q.total,
                "waiting": ctx.now - q.sent_at if q.sent_at else None,
            }
            for q in rows
        ],
    }


def collections(ctx: BattleContext) -> dict[str, Any]:
    """回款: live contracts and how many are green, the share collected, and what is overdue."""
    pct = contract_selectors.green_pct()
    totals = Contract.objects.filter(ctx.scope.q(), state__in=LIVE_STATES, amount__gt=0).aggregate(
        contracts=Count("id"),
        signed_total=Sum("amount"),
        received_sum=Sum("received_total"),
        green_contracts=Count("id", filter=contract_selectors.green_q()),
    )
    overdue = Instalment.objects.filter(
        ctx.scope.q("contract__owner"),
        contract__state__in=LIVE_STATES,
        state__in=OUTSTANDING_STATES,
        due_date__lt=ctx.today,
    )
    late = overdue.aggregate(late_count=Count("id"), late_sum=Sum(F("amount") - F("received")))
    rows = list(
        overdue.select_related("contract__customer", "contract__owner").order_by("due_date")[:LIST_ROWS]
    )
    amount, received = totals["signed_total"] or Decimal(0), totals["received_sum"] or Decimal(0)
    return {
        "contracts": totals["contracts"] or 0,
        "green": totals["green_contracts"],
        "green_pct": pct,
        "collected_pct": round(float(100 * received / amount), 1) if amount else None,
        "overdue_count": late["late_count"],
        "overdue_amount": late["late_sum"] or Decimal(0),
        "items": [
            {
                "customer": i.contract.customer.name,
                "name": i.name,
                "owner": person_label(i.contract.owner),
                "outstanding": i.amount - i.received,
                "days": (ctx.today - i.due_date).days if i.due_date else 0,
            }
            for i in rows
        ],
    }


def install() -> None:
    """Add the money panels to every battle report (from AnalyticsConfig.ready)."""
    register_battle_panel(
        "yellow_quotes",
        yellow_quotes,
        "analytics/battle/panel_yellow_quotes.html",
        title=_("黄灯报价"),
        order=70,
    )
    register_battle_panel(
        "collections", collections, "analytics/battle/panel_collections.html", title=_("回款"), order=80
    )
