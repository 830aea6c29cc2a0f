"""Shared set-up of the contract tests: an accepted quote (which makes the contract draft), the
opportunity moved to 合同签订, finance and legal people, and a signed PDF."""

from __future__ import annotations

from decimal import Decimal

from salesflow.catalog.models import Product
from salesflow.contracts.models import Contract
from salesflow.core.testing import Trio, make_user
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity
from salesflow.quotes import services as quotes
from salesflow.quotes.tests.helpers import deal, products, quote, send

SIGNED_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def people(trio: Trio) -> tuple[User, User]:
    """Finance (made by the product helper) and legal, at company level."""
    fin = User.objects.filter(username="fin").first() or make_user("fin", Role.FINANCE, trio.admin.team, None)
    legal = User.objects.filter(username="legal").first() or make_user(
        "legal", Role.LEGAL, trio.admin.team, None
    )
    return fin, legal


def accepted_contract(
    trio: Trio, *, name: str = "仁和医院", stage: str = "contract_signed", owner: User | None = None
) -> Contract:
    """A quote of 10 hips at list price (¥113,000 with tax), sent and accepted: its contract draft.
    The opportunity is moved straight to `stage` (its earlier evidence is not what these tests check)."""
    people(trio)
    hip = Product.objects.filter(sku="HIP-52").first() or products(trio)[0]
    owner = owner or trio.owner
    _customer, opportunity = deal(trio, name=name, owner=owner)
    Opportunity.objects.filter(pk=opportunity.pk).update(stage=stage)
    made = send(quote(opportunity, owner, (hip, 10, 0)), owner)
    quotes.quote_feedback(quote=made, actor=owner, outcome="accepted", note="同意")
    return Contract.objects.get(quote=made)


AMOUNT = Decimal("113000.00")
