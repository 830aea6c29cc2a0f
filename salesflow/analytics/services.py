"""Writes of the cockpit's own data: sales targets (销售目标)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction

from salesflow.analytics.models import SalesTarget
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.org.choices import COMPANY_WIDE_ROLES, Role
from salesflow.org.models import Team, User
from salesflow.org.selectors import managers_above


def may_set_target(actor: User, *, team: Team | None = None, person: User | None = None) -> bool:
    """Company-wide roles set any target; a manager or director those of their own team subtree
    and the people in it."""
    if actor.is_superuser or actor.role in COMPANY_WIDE_ROLES:
        return True
    if actor.role not in (Role.MANAGER, Role.DIRECTOR) or actor.team_id is None:
        return False
    own_path = Team.objects.values_list("path", flat=True).get(pk=actor.team_id)
    if team is not None:
        return team.path.startswith(own_path)
    return person is not None and actor.pk in {boss.pk for boss in managers_above(person)}


def target_set(
    *,
    actor: User,
    month: date,
    amount: Decimal,
    team: Team | None = None,
    person: User | None = None,
    now: datetime | None = None,
) -> SalesTarget:
    """Set (create or replace) the monthly target of `team` or `person`."""
    errors: dict[str, list[str]] = {}
    if (team is None) == (person is None):
        errors["team"] = ["请选择团队或人员之一 / Choose either a team or a person."]
    if amount < 0:
        errors["amount"] = ["目标不能为负数 / The target cannot be negative."]
    if errors:
        raise FieldErrors(errors)
    if not may_set_target(actor, team=team, person=person):
        raise PermissionDenied(
            "只有上级主管或运营管理员可以设置此目标 / Only a manager above or the ops admin may set it."
        )
    now = now or clock.now()
    with transaction.atomic():
        target, _created = SalesTarget.objects.select_for_update().get_or_create(
            team=team,
            person=person,
            month=month.replace(day=1),
            defaults={"amount": amount, "updated_at": now},
        )
        target.amount = amount
        target.set_by = actor
        target.updated_at = now
        attach_actor(target, actor, now)
        target.save()
    return target
