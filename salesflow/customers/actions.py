"""Actions of customers: `release_to_pool` (a commitment ladder's last step returns the customer to
the pool) and `expire_grant` (the grant-expiry timer ends a temporary grant)."""

from __future__ import annotations

from django.db import models
from pydantic import BaseModel, ConfigDict

from salesflow.core.errors import DomainError
from salesflow.rules.actions import ActionContext, register_action


class ReleaseParams(BaseModel):
    """Return the record to its pool with this reason on the timeline."""

    model_config = ConfigDict(extra="forbid")
    reason: str = "超期无有效互动"


@register_action("release_to_pool", "退回客户池", ReleaseParams)
def _release_to_pool(ctx: ActionContext, params: ReleaseParams) -> None:
    from salesflow.customers import services
    from salesflow.customers.choices import ReleaseReason
    from salesflow.customers.models import Customer

    subject: models.Model | None = ctx.subject
    if not isinstance(subject, Customer):
        raise DomainError("release_to_pool works on customers")
    subject.refresh_from_db(fields=["owner"])
    if subject.owner_id is None:
        ctx.notes.append("already in the pool")
        return
    services.customer_release(
        customer=subject,
        reason=ctx.text(params.reason),
        actor=None,
        reason_code=ReleaseReason.NO_INTERACTION,
        now=ctx.now,
    )
    ctx.notes.append("released to the pool")


class ExpireGrantParams(BaseModel):
    """End the temporary grant the timer runs on (no parameters)."""

    model_config = ConfigDict(extra="forbid")


@register_action("expire_grant", "收回临时授权", ExpireGrantParams)
def _expire_grant(ctx: ActionContext, params: ExpireGrantParams) -> None:
    from salesflow.customers import services
    from salesflow.customers.models import CustomerGrant

    subject: models.Model | None = ctx.subject
    if not isinstance(subject, CustomerGrant):
        raise DomainError("expire_grant works on temporary grants")
    ended = services.grant_expire(grant=subject, now=ctx.now)
    ctx.notes.append("grant expired" if ended else "grant already ended or not yet due")
