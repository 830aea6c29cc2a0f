"""The record types that reach the agenda today, described for the review (work orders register
themselves from their own app)."""

from __future__ import annotations

from typing import Any

from salesflow.reviews import registry


def _owner_team(owner_field: str) -> Any:
    def team(record: Any) -> Any:
        owner = getattr(record, owner_field, None)
        return getattr(owner, "team", None)

    return team


def _lead_name(lead: Any) -> str:
    return " · ".join(part for part in (lead.name, lead.company) if part) or f"#{lead.pk}"


def _opportunity_name(opportunity: Any) -> str:
    # Titles often start with the customer's name already.
    customer = opportunity.customer.name
    return opportunity.title if customer in opportunity.title else f"{opportunity.title} · {customer}"


def _quote_name(quote: Any) -> str:
    return f"{quote.number} · {quote.customer.name}"


def install() -> None:
    """Register leads, customers, opportunities and quotes."""
    registry.register(
        "leads.lead", name=_lead_name, team=_owner_team("owner"), select_related=("owner__team",)
    )
    registry.register(
        "customers.customer",
        name=lambda c: c.name,
        team=_owner_team("owner"),
        select_related=("owner__team",),
    )
    registry.register(
        "pipeline.opportunity",
        name=_opportunity_name,
        team=_owner_team("owner"),
        select_related=("owner__team", "customer"),
    )
    registry.register(
        "quotes.quote",
        name=_quote_name,
        team=_owner_team("owner"),
        select_related=("owner__team", "customer"),
    )
