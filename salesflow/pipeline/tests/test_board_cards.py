"""The board's cards: the longest-waiting `COLUMN_LIMIT` open deals per stage of the viewer's scope.

The cards are read by one `ORDER BY stage_entered_at, id LIMIT n` per stage (issue #15); these
tests hold that read to the rule it replaced — several stages, more deals than the limit in a
stage, ties on `stage_entered_at` broken by id, closed deals and other pipelines left out, each
viewer's scope — against the same rule worked out in Python.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.customers import services as customers
from salesflow.org.models import User
from salesflow.pipeline import selectors, views
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity
from salesflow.rules.selectors import active_pack

pytestmark = pytest.mark.django_db
LIMIT = 3


def _stages() -> list[str]:
    _number, pack = active_pack()
    template = next(t for t in pack.stage_templates if t.code == "standard")
    return [s.code for s in template.stages]


def _deals(trio: Trio) -> list[Opportunity]:
    """Deals over three stages for three reps and nobody: more than LIMIT in a stage, ties on
    `stage_entered_at`, closed ones entered earliest and open ones in another pipeline."""
    stages = _stages()[:3]
    base = clock.now() - timedelta(days=60)
    owners: list[User | None] = [trio.owner, trio.teammate, trio.outsider, None]
    made = []
    for o_index, owner in enumerate(owners):
        customer = customers.customer_create(name=f"医院{o_index}", actor=None, owner=owner)
        for s_index, stage in enumerate(stages):
            for n in range(LIMIT + 2):
                # Hours repeat across owners and every second deal shares its hour: ties on
                # stage_entered_at that only the id breaks, newest ids first in some.
                entered = base + timedelta(hours=(n * 7 + s_index * 3) % 11 // 2)
                made.append(
                    Opportunity(
                        customer=customer,
                        title=f"{stage}-{o_index}-{n}",
                        amount=Decimal(100 * n + o_index),
                        pipeline="standard",
                        stage=stage,
                        stage_entered_at=entered,
                        owner=owner,
                        created_at=entered,
                    )
                )
            # Waiting longest, but closed, or in another pipeline: never a card of this board.
            for status in (OpportunityStatus.WON, OpportunityStatus.LOST):
                made.append(
                    Opportunity(
                        customer=customer,
                        title=f"closed-{stage}-{o_index}-{status}",
                        pipeline="standard",
                        stage=stage,
                        stage_entered_at=base - timedelta(days=30),
                        status=status,
                        owner=owner,
                        created_at=base,
                    )
                )
            made.append(
                Opportunity(
                    customer=customer,
                    title=f"other-{stage}-{o_index}",
                    pipeline="other_pipeline",
                    stage=stage,
                    stage_entered_at=base - timedelta(days=30),
                    owner=owner,
                    created_at=base,
                )
            )
    # Created newest-first within each hour so that id order differs from creation order.
    Opportunity.objects.bulk_create(reversed(made))
    return list(Opportunity.objects.all())


def _expected(deals: list[Opportunity], owners: set[int | None] | None, limit: int) -> list[int]:
    """The rule in Python: open, this pipeline, in scope, first `limit` per stage by (entered, id)."""
    chosen = []
    for stage in _stages():
        here = sorted(
            (
                d
                for d in deals
                if d.stage == stage
                and d.pipeline == "standard"
                and d.status == OpportunityStatus.OPEN
                and (owners is None or d.owner_id in owners)
            ),
            key=lambda d: (d.stage_entered_at, d.pk),
        )
        chosen += here[:limit]
    return [d.pk for d in sorted(chosen, key=lambda d: (d.stage_entered_at, d.pk))]


def _read(user: User, owner: str = "") -> list[int]:
    visible = selectors.opportunities_list(user=user, filters=selectors.OpportunityFilters(owner=owner))
    open_here = visible.filter(pipeline="standard", status=OpportunityStatus.OPEN)
    return [o.pk for o in selectors.first_per_stage(open_here, _stages(), limit=LIMIT)]


def test_first_per_stage_is_the_longest_waiting_open_deals_of_each_stage_in_scope(trio: Trio) -> None:
    deals = _deals(trio)
    team = {trio.owner.pk, trio.teammate.pk, None}
    # The rep: own and pooled deals; the manager: the team's; a director: everyone's.
    assert _read(trio.owner) == _expected(deals, {trio.owner.pk, None}, LIMIT)
    assert _read(trio.owner, owner="me") == _expected(deals, {trio.owner.pk}, LIMIT)
    assert _read(trio.manager) == _expected(deals, team, LIMIT)
    assert _read(trio.director) == _expected(deals, None, LIMIT)
    # The reads did cut: each stage holds more open deals than the limit.
    assert len(_read(trio.director)) == 3 * LIMIT
    # A stage list without deals, or none at all, reads nothing.
    visible = selectors.opportunities_visible_to(trio.director)
    assert list(selectors.first_per_stage(visible.filter(status="open"), [], limit=LIMIT)) == []
    assert list(selectors.first_per_stage(visible, ["no_such_stage"], limit=LIMIT)) == []


def _board(user: User) -> tuple[dict[str, list[int]], dict[str, str]]:
    client = Client()
    client.force_login(user)
    response = client.get("/opportunities/?pipeline=standard")
    assert response.status_code == 200
    page = response.content.decode()
    cards: dict[str, list[int]] = {}
    counts: dict[str, str] = {}
    for column in re.split(r'(?=<div class="sf-column card")', page)[1:]:
        stage = re.search(r'data-stage="([^"]+)"', column)
        assert stage
        cards[stage.group(1)] = [int(i) for i in re.findall(r'data-testid="card-(\d+)"', column)]
        count = re.search(r"<span class=\"badge bg-blue-lt\" data-count>(\d+)</span>", column)
        assert count
        counts[stage.group(1)] = count.group(1)
    return cards, counts


@pytest.mark.parametrize("viewer", ["owner", "manager", "director"])
def test_board_columns_show_the_same_cards_counts_and_sums(trio: Trio, viewer: str, monkeypatch: Any) -> None:
    monkeypatch.setattr(views, "COLUMN_LIMIT", LIMIT)
    deals = _deals(trio)
    scope: dict[str, set[int | None] | None] = {
        "owner": {trio.owner.pk, None},
        "manager": {trio.owner.pk, trio.teammate.pk, None},
        "director": None,
    }
    owners = scope[viewer]
    cards, counts = _board(getattr(trio, viewer))
    expected = _expected(deals, owners, LIMIT)
    by_id = {d.pk: d for d in deals}
    for stage in _stages():
        assert cards[stage] == [pk for pk in expected if by_id[pk].stage == stage]
        in_stage = [
            d
            for d in deals
            if d.stage == stage
            and d.pipeline == "standard"
            and d.status == OpportunityStatus.OPEN
            and (owners is None or d.owner_id in owners)
        ]
        assert counts[stage] == str(len(in_stage))
    assert sum(len(c) for c in cards.values()) == 3 * LIMIT


def test_board_cards_escape_what_people_typed(trio: Trio) -> None:
    customer = customers.customer_create(name='<i>医院</i> & "Co"', actor=None, owner=trio.owner)
    Opportunity.objects.create(
        customer=customer,
        title="<script>alert(1)</script>",
        amount=Decimal("1234.5"),
        pipeline="standard",
        stage=_stages()[0],
        stage_entered_at=clock.now() - timedelta(days=2, hours=3),
        owner=trio.owner,
        created_at=clock.now(),
    )
    client = Client()
    client.force_login(trio.owner)
    page = client.get("/opportunities/?pipeline=standard").content.decode()
    assert "<script>alert(1)</script>" not in page and "<i>医院</i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;i&gt;医院&lt;/i&gt; &amp; &quot;Co&quot;" in page
    assert 'data-amount="1234.50"' in page and "¥1,234.50" in page and "2.1 天" in page
