"""The enabled channels a process keeps (issue #15): read once for many notifications, forgotten
when a channel is saved or deleted in this process, re-read after the interval otherwise."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesflow.core.testing import Trio
from salesflow.notify import selectors, services
from salesflow.notify.models import Channel, Delivery


def _notify(trio: Trio) -> list[Delivery]:
    [note] = services.notify(
        recipients=[trio.owner], kind="lead.assigned", title="新线索", body="", subject=None, actor=None
    )
    return list(Delivery.objects.filter(notification=note))


def _channel_reads(ctx: CaptureQueriesContext) -> int:
    return sum('FROM "notify_channel"' in q["sql"] for q in ctx.captured_queries)


def test_many_notifications_read_the_channels_once(trio: Trio) -> None:
    services.channel_create(
        actor=trio.owner, kind="wecom", name="企微", target="https://qyapi.weixin.qq.com/x", user=trio.owner
    )
    with CaptureQueriesContext(connection) as ctx:
        deliveries = [_notify(trio) for _ in range(3)]
    assert [len(d) for d in deliveries] == [1, 1, 1]
    assert _channel_reads(ctx) == 1


def test_a_channel_saved_or_deleted_here_counts_at_once(trio: Trio) -> None:
    assert _notify(trio) == []  # nothing configured: the empty list is kept
    channel = services.channel_create(
        actor=trio.owner, kind="wecom", name="企微", target="https://qyapi.weixin.qq.com/x", user=trio.owner
    )
    assert len(_notify(trio)) == 1
    services.channel_update(channel=channel, actor=trio.owner, enabled=False)
    assert _notify(trio) == []
    Channel.objects.filter(pk=channel.pk).update(enabled=True)  # behind the process's back
    services.channel_delete(channel=Channel.objects.get(pk=channel.pk), actor=trio.owner)
    assert _notify(trio) == []


def test_a_change_made_elsewhere_is_seen_after_the_interval(
    trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "CHANNELS_TTL_SECONDS", 3600.0)  # however slow this machine is
    assert _notify(trio) == []
    # Another process adds a channel: no signal reaches this one.
    Channel.objects.bulk_create(
        [Channel(kind="wecom", name="企微", target="https://qyapi.weixin.qq.com/x", user=trio.owner)]
    )
    assert _notify(trio) == []  # still within the interval
    monkeypatch.setattr(selectors, "CHANNELS_TTL_SECONDS", 0.0)
    assert len(_notify(trio)) == 1
