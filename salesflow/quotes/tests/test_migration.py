"""A pack stored before quotes gets the shipped quote section and send gate on migrate."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from salesflow.core import clock
from salesflow.rules import packs
from salesflow.rules.models import RulePackVersion

pytestmark = pytest.mark.django_db


def test_an_older_stored_pack_gets_the_quote_section_and_an_edited_one_is_left_alone() -> None:
    ship = importlib.import_module("salesflow.quotes.migrations.0003_ship_quote_policy").ship_quote_policy
    document = packs.to_document(packs.load_default())
    old = {k: v for k, v in document.items() if k != "quotes"}
    old["rules"] = [r for r in old["rules"] if r["code"] != "quote_frozen_send_gate"]
    edited = {**document, "quotes": {**document["quotes"], "validity_days": 7}}
    RulePackVersion.objects.all().delete()
    older = RulePackVersion.objects.create(number=1, document=old, is_active=False, created_at=clock.now())
    newer = RulePackVersion.objects.create(number=2, document=edited, is_active=True, created_at=clock.now())
    ship(apps, None)
    older.refresh_from_db()
    newer.refresh_from_db()
    pack = packs.validate(older.document)
    assert (
        pack.quotes.discount_limit("rep") == Decimal(10) and pack.rule("quote_frozen_send_gate") is not None
    )
    assert [d.code for d in pack.quotes.documents] == ["technical_doc", "competitor_sheet"]
    assert newer.document["quotes"]["validity_days"] == 7
