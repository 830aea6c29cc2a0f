"""A pack stored before the approvals app gets the shipped chain and step SLA on migrate."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from salesflow.core import clock
from salesflow.rules import packs
from salesflow.rules.models import RulePackVersion

pytestmark = pytest.mark.django_db


def test_an_older_stored_pack_gets_the_shipped_chain_and_a_newer_one_is_left_alone() -> None:
    ship = importlib.import_module("salesflow.approvals.migrations.0002_ship_default_chain").ship_chain
    document = packs.to_document(packs.load_default())
    old = {k: v for k, v in document.items() if k != "approval_chains"}
    old["sla_policies"] = [p for p in old["sla_policies"] if p["code"] != "approval_step_sla"]
    edited = {**document, "approval_chains": []}
    RulePackVersion.objects.all().delete()
    older = RulePackVersion.objects.create(number=1, document=old, is_active=False, created_at=clock.now())
    newer = RulePackVersion.objects.create(number=2, document=edited, is_active=True, created_at=clock.now())
    ship(apps, None)
    older.refresh_from_db()
    newer.refresh_from_db()
    pack = packs.validate(older.document)
    assert pack.chain("special_quote") is not None and pack.policy("approval_step_sla") is not None
    assert newer.document["approval_chains"] == []
