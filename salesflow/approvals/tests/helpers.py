"""Shared set-up of the approvals tests: a test subject kind on opportunities, a chain for it,
and the finance and GM people the default chain asks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from salesflow.approvals import registry, services
from salesflow.approvals.models import ApprovalRequest
from salesflow.core.testing import Trio, make_user
from salesflow.customers import services as customers
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline import services as pipeline
from salesflow.pipeline.models import Opportunity
from salesflow.rules import packs
from salesflow.rules import services as rules_services
from salesflow.rules.selectors import active_pack, forget_active_pack

KIND = "test_opportunity"
CHAIN = "test_special"
decided: list[tuple[int, str]] = []


def describe(opportunity: Opportunity) -> list[tuple[str, str]]:
    """What approvers see of a test subject."""
    return [("客户", opportunity.customer.name), ("金额", f"¥{opportunity.amount:,.2f}")]


def on_decided(request: ApprovalRequest) -> None:
    """Remember each ended request (the hook runs inside the deciding transaction)."""
    decided.append((request.pk, request.state))


@contextmanager
def approvable_kind() -> Iterator[None]:
    """The `test_opportunity` kind registered on pipeline.Opportunity, removed afterwards."""
    decided.clear()
    with registry.registered(
        KIND,
        model=Opportunity,
        label="商机",
        describe=describe,
        on_decided=on_decided,
        detail_url=lambda o: f"/opportunities/{o.pk}/",
    ):
        yield


def install_chain(**changes: Any) -> None:
    """Activate a copy of the pack with `test_special`: the default special-quote chain on the test kind."""
    forget_active_pack()
    _number, pack = active_pack()
    document = packs.to_document(pack)
    (special,) = [c for c in document["approval_chains"] if c["code"] == "special_quote"]
    chain = {**special, "code": CHAIN, "subject": KIND, **changes}
    document["approval_chains"] = [c for c in document["approval_chains"] if c["code"] != CHAIN] + [chain]
    rules_services.pack_import(text=packs.to_yaml(document), actor=None, note="approvals test")
    forget_active_pack()


@dataclass
class Cast:
    """The trio plus finance people and the general manager."""

    trio: Trio
    finance: User
    finance2: User
    gm: User


def cast(trio: Trio) -> Cast:
    """Two finance people (either may decide) and the GM, at company level."""
    company = trio.admin.team
    return Cast(
        trio=trio,
        finance=make_user("fin", Role.FINANCE, company, None),
        finance2=make_user("fin2", Role.FINANCE, company, None),
        gm=make_user("gm", Role.GM, company, None),
    )


def opportunity(owner: User, *, title: str = "审批测试商机", amount: str = "100000") -> Opportunity:
    """An opportunity of `owner` on a new customer."""
    customer = customers.customer_create(name=f"{title}医院", actor=owner, owner=owner)
    return pipeline.opportunity_create(
        customer=customer, title=title, pipeline="standard", owner=owner, actor=owner, amount=amount
    )


def start(
    subject: Opportunity, requester: User, *, discount: str = "10", amount: str = "100000", **kw: Any
) -> ApprovalRequest:
    """A request through the test chain with the given discount (%) and amount."""
    return services.approval_request_start(
        subject=subject,
        chain_code=CHAIN,
        requester=requester,
        facts={"discount_pct": Decimal(discount), "amount": Decimal(amount), "margin_pct": Decimal("30")},
        **kw,
    )
