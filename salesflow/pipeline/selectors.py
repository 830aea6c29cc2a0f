"""Reads of opportunities, scoped to who is asking."""

from __future__ import annotations

from django.db.models import QuerySet

from salesflow.org.models import User
from salesflow.org.selectors import owner_scope_q
from salesflow.pipeline.models import Opportunity


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    """Own opportunities and, for managers and directors, their people's."""
    return Opportunity.objects.filter(owner_scope_q(user)).select_related("owner", "customer")
