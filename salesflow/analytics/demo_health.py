"""The demo company's acquisition spend, a year of earlier conversions and its health history.

Runs after every record-making part, so the attribution and health pages say something on
first open: spend per lead source for the history and the year before it (so the acquisition
cost has a year-on-year comparison), the conversions of that earlier year (imported history:
converted leads without an owner), and the daily health check replayed over the last weeks so
breaches that lasted their window have fired their alerts — at the time they would have.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from salesflow.analytics import health, services
from salesflow.analytics.attribution import add_months
from salesflow.core import clock
from salesflow.core.demo import DemoContext, demo_part
from salesflow.customers.models import Customer
from salesflow.leads.choices import LeadStatus
from salesflow.leads.models import Lead
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.rules.selectors import active_pack

# Spend per month of each source in ¥ thousands (the year before the history is dearer).
MONTHLY_SPEND = {"baidu": 60, "wechat": 30, "expo": 80, "website": 20, "referral": 5}
REPLAY_DAYS = 21


@demo_part(order=90, label="归因与健康度")
def demo_attribution_and_health(ctx: DemoContext) -> None:
    """Spend rows, last year's conversions, and the health check replayed day by day."""
    rng = ctx.rng
    admin = User.objects.filter(role=Role.OPS_ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return
    _number, pack = active_pack()
    today = clock.to_local(ctx.now).date()
    this_month = today.replace(day=1)
    first = add_months(this_month, -(max(ctx.months, pack.settings.attribution_months) + 12))
    month = first
    while month < this_month:
        year_before = month < add_months(this_month, -12)
        for source, thousands in MONTHLY_SPEND.items():
            factor = Decimal(
                str(round(rng.uniform(1.15, 1.45) if year_before else rng.uniform(0.8, 1.05), 2))
            )
            amount = (Decimal(thousands * 1000) * factor).quantize(Decimal("100"))
            services.spend_set(actor=admin, source=source, month=month, amount=amount, now=ctx.now)
            ctx.count("acquisition_spend")
        month = add_months(month, 1)
    # The year before the history: leads that converted then into some of the company's
    # customers (imported, so nobody owns the lead now), at about the rate the generated history
    # converts, so the years compare. A converted lead always names its customer.
    zone = clock.local_zone()
    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:200])
    converted = Lead.objects.filter(status=LeadStatus.CONVERTED).count()
    per_month = max(1.0, converted / max(1, ctx.months))
    sources = list(MONTHLY_SPEND)
    old = []
    month = first
    while customers and month < add_months(this_month, -ctx.months):
        for _ in range(max(1, round(per_month * rng.uniform(0.8, 1.2)))):
            at = datetime.combine(month + timedelta(days=rng.randint(0, 27)), time(10), tzinfo=zone)
            old.append(
                Lead(
                    name=ctx.faker.name(),
                    company=ctx.faker.company(),
                    source=rng.choice(sources),
                    status=LeadStatus.CONVERTED,
                    customer_id=rng.choice(customers),
                    converted_at=at,
                    created_at=at - timedelta(days=rng.randint(5, 40)),
                )
            )
        month = add_months(month, 1)
    Lead.objects.bulk_create(old)
    ctx.count("history_conversions", len(old))
    # The nightly check as it would have run: alerts fire on the day their window is reached.
    at = datetime.combine(
        today - timedelta(days=REPLAY_DAYS),
        time.fromisoformat(pack.settings.customer_nightly_at),
        tzinfo=zone,
    )
    while at <= ctx.now:
        ctx.count("health_alerts", len(health.health_check(now=at).fired))
        at += timedelta(days=1)
