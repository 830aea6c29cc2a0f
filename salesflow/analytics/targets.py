"""The target sheet (销售目标): one month's targets of a person's team subtree, with what was signed.

The sheet is what 设置 → 销售目标 and `GET /api/v1/analytics/targets` show: every team node the
reader may set targets for (their own subtree; every node for company-wide roles), each with
its own target, the target its sub-teams add up to when it has none, the amount signed (won)
that month in its subtree and the completion; under each team its sales people with theirs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum

from salesflow.analytics.models import SalesTarget
from salesflow.analytics.selectors import month_of
from salesflow.analytics.services import may_set_target
from salesflow.core import clock
from salesflow.org.choices import COMPANY_WIDE_ROLES, Role
from salesflow.org.models import Team, User
from salesflow.org.selectors import report_ids_below
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity

# The people who carry a personal target: reps, and managers who sell themselves.
TARGET_CARRIERS = (Role.REP, Role.MANAGER)


def may_open_targets(user: User) -> bool:
    """Whoever may set some target: company-wide roles, managers and directors (with a team)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.role in COMPANY_WIDE_ROLES:
        return True
    return user.role in (Role.MANAGER, Role.DIRECTOR) and user.team_id is not None


@dataclass(frozen=True)
class TargetRow:
    """One line of the sheet: a team node (depth from the sheet's top) or a person under a team."""

    kind: str  # "team" | "person"
    team: Team
    person: User | None
    depth: int
    amount: Decimal | None  # the row's own target
    covered: Decimal | None  # own target, else what its sub-teams add up to (teams only)
    signed: Decimal
    editable: bool

    @property
    def key(self) -> str:
        """The form field of the row's target: `team-<id>` or `person-<id>`."""
        return f"person-{self.person.pk}" if self.person is not None else f"team-{self.team.pk}"

    @property
    def name(self) -> str:
        return str(self.person or self.team)

    @property
    def completion(self) -> float | None:
        """Signed over the (covered) target in percent (one decimal); None without a target."""
        target = self.amount if self.kind == "person" else self.covered
        if not target:
            return None
        return round(float(self.signed * 100 / target), 1)


def parse_month(raw: str | None, *, default: date | None = None) -> date | None:
    """`2026-12` or `2026-12-01` → the month's first day; None when unreadable or out of range."""
    text = (raw or "").strip()
    if not text:
        return default
    try:
        value = date.fromisoformat(text if len(text) > 7 else f"{text}-01")
    except ValueError:
        return None
    return value.replace(day=1) if 2000 <= value.year <= 2099 else None


def this_month() -> date:
    """The first day of the current local month."""
    return clock.to_local(clock.now()).date().replace(day=1)


def sheet_teams(user: User) -> list[Team]:
    """The team nodes of `user`'s sheet, in tree order."""
    teams = Team.objects.order_by("path")
    if user.is_superuser or user.role in COMPANY_WIDE_ROLES:
        return list(teams)
    if user.team_id is None:
        return []
    own_path = Team.objects.values_list("path", flat=True).get(pk=user.team_id)
    return list(teams.filter(path__startswith=own_path))


def _covered(path: str, own: dict[str, Decimal], children: dict[str, list[str]]) -> Decimal | None:
    """A node's own target, else the sum of its children's covered targets (None if none set)."""
    if path in own:
        return own[path]
    parts = [c for c in (_covered(child, own, children) for child in children[path]) if c is not None]
    return sum(parts, Decimal(0)) if parts else None


def target_sheet(user: User, month: date) -> list[TargetRow]:
    """The month's sheet for `user` (see the module docstring); empty for those without one."""
    teams = sheet_teams(user)
    if not teams:
        return []
    by_path = {t.path: t for t in teams}
    children: dict[str, list[str]] = defaultdict(list)
    for team in teams:
        parent_path = team.path.rsplit("/", 2)[0] + "/"
        if parent_path in by_path:
            children[parent_path].append(team.path)
    team_ids = [t.pk for t in teams]
    people = list(
        User.objects.filter(team_id__in=team_ids, is_active=True, role__in=TARGET_CARRIERS)
        .select_related("team")
        .order_by("-role", "id")
    )
    own_team: dict[str, Decimal] = {}
    own_person: dict[int, Decimal] = {}
    targets = SalesTarget.objects.filter(month=month).filter(
        Q(team_id__in=team_ids) | Q(person_id__in=[p.pk for p in people])
    )
    for team_path, person_id, amount in targets.values_list("team__path", "person_id", "amount"):
        if team_path:
            own_team[team_path] = amount
        elif person_id is not None:
            own_person[person_id] = amount
    start, end = month_of(month)
    signed = (
        Opportunity.objects.filter(
            status=OpportunityStatus.WON,
            closed_at__gte=clock.local_midnight(start),
            closed_at__lt=clock.local_midnight(end + timedelta(days=1)),
            owner__team_id__in=team_ids,
        )
        .values_list("owner_id", "owner__team__path")
        .annotate(total=Sum("amount"))
    )
    signed_by_owner: dict[int, Decimal] = {}
    signed_by_path: dict[str, Decimal] = defaultdict(Decimal)
    for owner_id, owner_path, total in signed:
        signed_by_owner[owner_id] = total or Decimal(0)
        for team_path in by_path:
            if owner_path.startswith(team_path):
                signed_by_path[team_path] += total or Decimal(0)
    company_wide = user.is_superuser or user.role in COMPANY_WIDE_ROLES
    reports = set() if company_wide else report_ids_below(user)
    people_by_team: dict[int, list[User]] = defaultdict(list)
    for person in people:
        people_by_team[person.team_id or 0].append(person)
    top_depth = min(t.path.count("/") for t in teams)
    rows: list[TargetRow] = []
    carrier_paths = {person.team.path for person in people if person.team is not None}
    for team in teams:
        # Departments without anyone who sells (legal, finance …) carry no target.
        if team.path not in own_team and not any(p.startswith(team.path) for p in carrier_paths):
            continue
        depth = team.path.count("/") - top_depth
        rows.append(
            TargetRow(
                kind="team",
                team=team,
                person=None,
                depth=depth,
                amount=own_team.get(team.path),
                covered=_covered(team.path, own_team, children),
                signed=signed_by_path.get(team.path, Decimal(0)),
                editable=may_set_target(user, team=team),
            )
        )
        for person in people_by_team.get(team.pk, []):
            rows.append(
                TargetRow(
                    kind="person",
                    team=team,
                    person=person,
                    depth=depth + 1,
                    amount=own_person.get(person.pk),
                    covered=own_person.get(person.pk),
                    signed=signed_by_owner.get(person.pk) or Decimal(0),
                    editable=company_wide or person.pk in reports,
                )
            )
    return rows
