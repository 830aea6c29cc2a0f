"""The learned lead score: trained on won and lost leads, explained by its top factors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from salesflow.core import clock
from salesflow.core.testing import Trio, api_client_for
from salesflow.customers.models import Customer
from salesflow.leads import learned
from salesflow.leads.models import Lead, LeadBehaviour
from salesflow.pipeline.models import Opportunity

pytestmark = pytest.mark.django_db


def _history(trio: Trio, *, won: int, lost: int) -> None:
    """Won leads are mostly 三甲 hospitals that read the pricing page; lost ones are mostly private."""
    now = clock.now()
    for i in range(won + lost):
        is_won = i < won
        typical = i % 5 != 0  # one in five goes against the pattern, so the fit is not perfect
        tier = ("tier3a" if typical else "private") if is_won else ("private" if typical else "tier3a")
        lead = Lead.objects.create(
            name=f"历史{i}", customer_tier=tier, status="converted", owner=trio.owner, created_at=now
        )
        if is_won and typical:
            LeadBehaviour.objects.bulk_create([LeadBehaviour(lead=lead, kind="pricing_view", at=now)] * 3)
        customer = Customer.objects.create(name=f"历史客户{i}", name_key=f"k{i}", created_at=now)
        Opportunity.objects.create(
            customer=customer,
            title="x",
            pipeline="standard",
            stage="delivery_payment",
            stage_entered_at=now,
            status="won" if is_won else "lost",
            lead=lead,
            created_at=now,
        )


def test_no_model_until_the_pack_minimum_history_exists(trio: Trio) -> None:
    _history(trio, won=5, lost=30)  # fewer than 10 won leads
    assert learned.train(now=clock.now()) is None
    lead = Lead.objects.create(
        name="新线索", customer_tier="tier3a", owner=trio.owner, status="assigned", created_at=clock.now()
    )
    assert api_client_for(trio.owner).get(f"/api/v1/leads/{lead.pk}").json()["learned"] is None


def test_learned_score_ranks_like_the_history_and_explains_itself(trio: Trio) -> None:
    _history(trio, won=30, lost=30)
    out = StringIO()
    call_command("train_lead_model", stdout=out)
    assert "trained on 60 leads (30 won)" in out.getvalue()
    now = clock.now()
    good = Lead.objects.create(
        name="好线索", customer_tier="tier3a", owner=trio.owner, status="assigned", created_at=now
    )
    LeadBehaviour.objects.create(lead=good, kind="pricing_view", at=now)
    weak = Lead.objects.create(
        name="弱线索", customer_tier="private", owner=trio.owner, status="assigned", created_at=now
    )
    good_body = api_client_for(trio.owner).get(f"/api/v1/leads/{good.pk}").json()["learned"]
    weak_body = api_client_for(trio.owner).get(f"/api/v1/leads/{weak.pk}").json()["learned"]
    assert good_body["score"] > 50 > weak_body["score"]
    assert good_body["samples"] == 60 and good_body["accuracy"] is not None
    top = {f["factor"]: f["points"] for f in good_body["factors"]}
    assert top["customer_tier=tier3a"] > 0 and top["behaviour:pricing_view"] > 0
    assert {f["factor"]: f["points"] for f in weak_body["factors"]}["customer_tier=private"] < 0
