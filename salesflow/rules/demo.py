"""Demo: the shipped rule pack as version 1 (a `--reset` flush empties the versions table)."""

from __future__ import annotations

from datetime import timedelta

from salesflow.core.demo import DemoContext, demo_part
from salesflow.rules import packs, services
from salesflow.rules.models import RulePackVersion


@demo_part(order=2, label="规则包")
def install_default_pack(ctx: DemoContext) -> None:
    """Activate the default pack when no version exists yet."""
    if not RulePackVersion.objects.exists():
        services.pack_version_create(
            pack=packs.load_default(),
            actor=None,
            note="出厂默认规则包",
            now=ctx.now - timedelta(days=30 * ctx.months + 31),
        )
