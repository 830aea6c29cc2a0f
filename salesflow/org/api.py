"""REST endpoints of the organisation: tokens, the caller, the directory."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security import HttpBearer

from salesflow.core.errors import NotFound
from salesflow.core.pagination import keyset_page
from salesflow.core.security import client_address
from salesflow.org import selectors, services
from salesflow.org.models import Team, User


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` checked against the stored digests."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = services.api_token_authenticate(raw_token=token)
        if user is not None:
            request.user = user
        return user


auth_router = Router(tags=["auth"])
router = Router(tags=["org"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
    expires_at: datetime


# The one current-user helper lives with the other org reads; endpoints import it from here too.
current_user = selectors.current_user


@auth_router.post("/token", response={201: TokenOut}, auth=None)
def issue_token(request: HttpRequest, payload: TokenIn) -> Status[TokenOut]:
    """Exchange a username and password for a bearer token (401 if wrong, 429 if throttled).

    The throttle is the one the login pages share: failures on any way in count here.
    """
    token, raw = services.api_token_issue(
        username=payload.username,
        password=payload.password,
        client=client_address(request),
        name=payload.name,
    )
    return Status(201, TokenOut(token=raw, expires_at=token.expires_at))


class TeamRef(Schema):
    id: int
    name: str
    kind: str


class UserRef(Schema):
    id: int
    username: str
    display_name: str


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    phone: str
    email: str
    team: TeamRef | None
    manager: UserRef | None
    seniority: int
    max_open_workload: int
    product_lines: list[str]
    customer_tiers: list[str]


def user_out(user: User) -> UserOut:
    """The API shape of a person."""
    return UserOut(
        id=user.pk,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        role_label=str(user.get_role_display()),
        phone=user.phone,
        email=user.email,
        team=TeamRef(id=user.team.pk, name=user.team.name, kind=user.team.kind) if user.team else None,
        manager=UserRef(
            id=user.manager.pk,
            username=user.manager.username,
            display_name=user.manager.display_name,
        )
        if user.manager
        else None,
        seniority=user.seniority,
        max_open_workload=user.max_open_workload,
        product_lines=sorted(s.code for s in user.skills.all() if s.kind == "product_line"),
        customer_tiers=sorted(s.code for s in user.skills.all() if s.kind == "customer_tier"),
    )


@router.get("/me", response=UserOut)
def me(request: HttpRequest) -> UserOut:
    """The signed-in user with role, team and manager."""
    user = (
        User.objects.select_related("team", "manager")
        .prefetch_related("skills")
        .get(pk=current_user(request).pk)
    )
    return user_out(user)


class UserPage(Schema):
    items: list[UserOut]
    next: str | None


@router.get("/users", response=UserPage)
def list_users(
    request: HttpRequest,
    team: int | None = None,
    role: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> UserPage:
    """The company directory, filtered by team subtree and role."""
    qs = selectors.directory_for(current_user(request)).prefetch_related("skills")
    if team is not None:
        root = Team.objects.filter(pk=team).first()
        if root is None:
            raise NotFound(f"No team with id {team}.", id=team)
        qs = qs.filter(team__path__startswith=root.path)
    if role:
        qs = qs.filter(role=role)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit)
    return UserPage(items=[user_out(u) for u in rows], next=next_cursor)


@router.get("/users/{user_id}", response=UserOut)
def get_user(request: HttpRequest, user_id: int) -> UserOut:
    """One colleague from the directory."""
    user = (
        selectors.directory_for(current_user(request)).prefetch_related("skills").filter(pk=user_id).first()
    )
    if user is None:
        raise NotFound(f"No user with id {user_id}.", id=user_id)
    return user_out(user)


class TeamOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None
    path: str


@router.get("/teams", response=list[TeamOut])
def list_teams(request: HttpRequest) -> list[TeamOut]:
    """The team tree, root first."""
    return [
        TeamOut(id=t.pk, name=t.name, kind=t.kind, parent_id=t.parent_id, path=t.path)
        for t in selectors.teams_visible_to(current_user(request))
    ]
