"""A pack stored before contracts gets the shipped contract section, legal review chain and
overdue ladder on migrate; a pack that has them keeps its own."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from salesflow.core import clock
from salesflow.rules import packs
from salesflow.rules.models import RulePackVersion

pytestmark = pytest.mark.django_db


def test_an_older_stored_pack_gets_contracts_and_an_edited_one_is_left_alone() -> None:
    ship = importlib.import_module(
        "salesflow.contracts.migrations.0002_ship_contract_policy"
    ).ship_contract_policy
    document = packs.to_document(packs.load_default())
    old = {k: v for k, v in document.items() if k != "contracts"}
    old["approval_chains"] = [c for c in old["approval_chains"] if c["code"] != "contract_review"]
    old["sla_policies"] = [p for p in old["sla_policies"] if p["code"] != "payment_overdue"]
    edited = {**document, "contracts": {**document["contracts"], "number_prefix": "XS"}}
    RulePackVersion.objects.all().delete()
    older = RulePackVersion.objects.create(number=1, document=old, is_active=False, created_at=clock.now())
    newer = RulePackVersion.objects.create(number=2, document=edited, is_active=True, created_at=clock.now())
    ship(apps, None)
    older.refresh_from_db()
    newer.refresh_from_db()
    pack = packs.validate(older.document)
    assert pack.contracts.number_prefix == "HT" and [i.pct for i in pack.contracts.payment_plan] == [
        30,
        60,
        10,
    ]
    assert pack.chain("contract_review") is not None and pack.policy("payment_overdue") is not None
    assert newer.document["contracts"]["number_prefix"] == "XS"
    assert [c["code"] for c in newer.document["approval_chains"]].count("contract_review") == 1
