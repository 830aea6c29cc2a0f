"""Demo: follow-up actions on the demo's opportunities, so 过程热力图 and 个人效率 say something
on first open (the pipeline part gives evidence; reps also call, visit and meet during a stay)."""

from __future__ import annotations

import random
from datetime import timedelta

from salesflow.activities import services as activities
from salesflow.core.demo import DemoContext, demo_part
from salesflow.pipeline.models import StageVisit
from salesflow.rules.selectors import active_pack

NOTES = ("需求沟通", "方案讲解", "技术交流", "商务沟通", "回访确认")
KINDS = (("visit", 0), ("call", 300), ("meeting", 0), ("call", 180))


@demo_part(order=60, label="过程动作")
def generate_process_actions(ctx: DemoContext) -> None:
    """One or two effective contacts per stage stay of an owned opportunity in the heatmap's
    default window, each inside its stay and logged through the activity service."""
    rng = random.Random(ctx.seed * 7 + 60)
    _number, pack = active_pack()
    since = ctx.now - timedelta(weeks=pack.process_views.heatmap_weeks)
    stays = (
        StageVisit.objects.filter(opportunity__owner__isnull=False, opportunity__owner__is_active=True)
        .select_related("opportunity__owner")
        .order_by("opportunity_id", "entered_at", "id")
    )
    for stay in stays:
        start = max(stay.entered_at, since)
        end = min(stay.exited_at or ctx.now, ctx.now)
        if end - start < timedelta(hours=2):
            continue
        opportunity = stay.opportunity
        assert opportunity.owner is not None
        for _ in range(rng.randint(1, 2)):
            when = start + (end - start) * rng.uniform(0.05, 0.95)
            kind, seconds = rng.choice(KINDS)
            activities.activity_log(
                opportunity=opportunity,
                kind=kind,
                occurred_at=when,
                actor=opportunity.owner,
                duration_seconds=seconds,
                note=rng.choice(NOTES),
                now=when,
            )
            ctx.count("activities")
