"""Reads about the organisation: reporting lines, subtrees, role lookups and data scope."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from salesflow.core.errors import AuthenticationFailed, FieldErrors
from salesflow.org.choices import COMPANY_WIDE_ROLES, Role
from salesflow.org.models import LeavePeriod, Team, User

# Reporting lines are shallow (rep → manager → director → GM); this bounds a bad cycle.
_MAX_DEPTH = 12


def current_user(request: HttpRequest) -> User:
    """The signed-in caller of a page or an endpoint (both run only after authentication)."""
    user = request.user
    if not isinstance(user, User):
        raise AuthenticationFailed("请先登录 / Log in first.")
    return user


def manager_of(user: User) -> User | None:
    """Who manages `user` directly (None at the top)."""
    return user.manager


def managers_above(user: User) -> list[User]:
    """The reporting chain above `user`, nearest first."""
    chain: list[User] = []
    seen = {user.pk}
    current = user.manager
    while current is not None and current.pk not in seen and len(chain) < _MAX_DEPTH:
        chain.append(current)
        seen.add(current.pk)
        current = current.manager
    return chain


def report_ids_below(user: User) -> set[int]:
    """Ids of everyone reporting to `user`, directly or not (one query per level)."""
    found: set[int] = set()
    frontier = {user.pk}
    for _ in range(_MAX_DEPTH):
        level = set(
            User.objects.filter(manager_id__in=frontier)
            .exclude(pk__in=found | {user.pk})
            .values_list("pk", flat=True)
        )
        if not level:
            break
        found |= level
        frontier = level
    return found


def users_in_subtree_of(user: User) -> QuerySet[User]:
    """Everyone below `user` in the reporting line (not `user`)."""
    return User.objects.filter(pk__in=report_ids_below(user))


def team_subtree(team: Team) -> QuerySet[Team]:
    """`team` and every team beneath it."""
    return Team.objects.filter(path__startswith=team.path)


def users_in_team_subtree(team: Team) -> QuerySet[User]:
    """Members of `team` and of every team beneath it."""
    return User.objects.filter(team__path__startswith=team.path)


def role_holder_above(user: User, role: Role | str) -> User | None:
    """The nearest person holding `role` above `user`.

    First along the reporting line; then, for roles outside it (legal, finance, COO …),
    the nearest active holder in the user's team or an enclosing team.
    """
    for boss in managers_above(user):
        if boss.role == role and boss.is_active:
            return boss
    team = user.team
    if team is None:
        return User.objects.filter(role=role, is_active=True).exclude(pk=user.pk).order_by("pk").first()
    ancestor_ids = [int(x) for x in team.path.strip("/").split("/") if x]
    for team_id in reversed(ancestor_ids):
        holder = (
            User.objects.filter(role=role, is_active=True, team__path__startswith=_path_of(team_id))
            .exclude(pk=user.pk)
            .order_by("team__path", "pk")
            .first()
        )
        if holder is not None:
            return holder
    return None


def _path_of(team_id: int) -> str:
    return Team.objects.values_list("path", flat=True).get(pk=team_id)


def answers_for(actor: User, owner_id: int | None) -> bool:
    """Whether `actor` may act as the manager of `owner_id`'s records: someone above the owner
    in the reporting line, or the GM (whose scope is the whole company, reporting line or not).

    A pooled record (no owner) has nobody to answer for.
    """
    if owner_id is None:
        return False
    if actor.role == Role.GM and actor.is_active:
        return True
    owner = User.objects.filter(pk=owner_id).first()
    return owner is not None and actor.pk in {boss.pk for boss in managers_above(owner)}


def visible_owner_ids(user: User) -> set[int] | None:
    """Whose records `user` may see: None means everyone's (company-wide roles)."""
    if user.is_superuser or user.role in COMPANY_WIDE_ROLES:
        return None
    if user.role in (Role.MANAGER, Role.DIRECTOR):
        return report_ids_below(user) | {user.pk}
    return {user.pk}


def owner_scope_q(user: User, owner_field: str = "owner") -> Q:
    """A filter limiting records with an owner to those `user` may see (pooled ones included)."""
    owners = visible_owner_ids(user)
    pooled = Q(**{f"{owner_field}__isnull": True})
    if owners is None:
        return Q()
    return Q(**{f"{owner_field}__in": owners}) | pooled


def directory_for(user: User) -> QuerySet[User]:
    """The company directory: active colleagues, with team and manager for display."""
    return User.objects.filter(is_active=True).select_related("team", "manager")


def user_records_visible_to(user: User) -> QuerySet[User]:
    """User records whose details (history, leave, workload) `user` may open.

    Oneself, the people one manages, and everyone for company-wide roles.
    """
    owners = visible_owner_ids(user)
    qs = User.objects.select_related("team", "manager")
    if owners is None:
        return qs
    return qs.filter(pk__in=owners)


def teams_visible_to(user: User) -> QuerySet[Team]:
    """The team tree is public inside the company."""
    return Team.objects.all()


def is_on_leave(user: User, day: date) -> bool:
    """Whether `user` is on leave on `day`."""
    return LeavePeriod.objects.filter(user=user, starts_on__lte=day, ends_on__gte=day).exists()


def users_on_leave(day: date) -> set[int]:
    """Ids of everyone on leave on `day` (one query, for assignment)."""
    return set(
        LeavePeriod.objects.filter(starts_on__lte=day, ends_on__gte=day).values_list("user_id", flat=True)
    )


def skill_codes(user: User, kind: str) -> list[str]:
    """The codes of one skill kind `user` has, sorted."""
    return sorted(user.skills.filter(kind=kind).values_list("code", flat=True))


def team_and_ancestor_names(team: Team) -> list[str]:
    """The names of `team` and every team above it, nearest first (e.g. team, region, company)."""
    ids = [int(x) for x in team.path.strip("/").split("/") if x]
    names = dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [names[i] for i in reversed(ids) if i in names]


def owned_in_team(queryset: QuerySet[Any], team: str) -> QuerySet[Any]:
    """Records of `queryset` owned by members of a team or of the teams beneath it (a list's `team`)."""
    team = team.strip()
    if not team:
        return queryset
    if not team.isdigit():
        raise FieldErrors({"team": ["应为团队 id / use a team id"]}, location="query")
    team_id = int(team)
    path = Team.objects.filter(pk=team_id).values_list("path", flat=True).first()
    if path is None:
        raise FieldErrors({"team": [f"没有编号为 {team_id} 的团队 / No team {team_id}."]}, location="query")
    return queryset.filter(owner__team__path__startswith=path)


def list_filter_choices(user: User) -> tuple[list[User], list[Team]]:
    """The people and teams a manager (director, GM …) may narrow a list by; none for a rep.

    The people are those whose records `user` sees; the teams are theirs (every team for a
    company-wide role).
    """
    if user.role == Role.REP and not user.is_superuser:
        return [], []
    owners = visible_owner_ids(user)
    people = User.objects.filter(is_active=True)
    teams = Team.objects.all()
    if owners is not None:
        people = people.filter(pk__in=owners)
        teams = teams.filter(pk__in=people.values("team_id"))
    return list(people.order_by("display_name", "username")), list(teams.order_by("path"))
