"""Writes to the organisation: every change goes through here, with an event and history."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from salesflow.core import clock, events, throttle
from salesflow.core.errors import AuthenticationFailed, FieldErrors
from salesflow.core.history import attach_actor
from salesflow.core.inputs import forbidden_character
from salesflow.org.choices import Role, SkillKind, TeamKind
from salesflow.org.models import ApiToken, LeavePeriod, Team, User, UserSkill

_TOKEN_BYTES = 32
_UPDATABLE_USER_FIELDS = {
    "display_name",
    "phone",
    "email",
    "role",
    "team",
    "manager",
    "seniority",
    "max_open_workload",
    "is_active",
}


def team_create(
    *,
    name: str,
    kind: TeamKind | str,
    parent: Team | None,
    actor: User | None,
    now: datetime | None = None,
) -> Team:
    """Create a team under `parent` (None only for the company root)."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["请填写团队名称 / Team name is required."]
    if kind not in TeamKind.values:
        errors["kind"] = [f"“{kind}” 不是有效层级 / not a valid level ({', '.join(TeamKind.values)})."]
    if parent is None and kind != TeamKind.COMPANY:
        errors["parent"] = ["只有公司可以没有上级 / Only the company has no parent."]
    if errors:
        raise FieldErrors(errors)
    now = now or clock.now()
    with transaction.atomic():
        team = Team(name=name.strip(), kind=kind, parent=parent, path="")
        attach_actor(team, actor, now)
        team.save()
        team.path = f"{parent.path if parent else '/'}{team.pk}/"
        attach_actor(team, actor, now)
        team.save(update_fields=["path"])
        events.record(
            name="team.created",
            subject=team,
            actor=actor,
            occurred_at=now,
            payload={"name": team.name, "kind": team.kind, "parent": parent.pk if parent else None},
        )
    return team


def _validate_user_fields(fields: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "role" in fields and fields["role"] not in Role.values:
        errors["role"] = [f"“{fields['role']}” 不是有效角色 / not a valid role."]
    if "seniority" in fields and not 1 <= int(fields["seniority"]) <= 5:
        errors["seniority"] = ["资历等级应为 1–5 / Seniority must be 1–5."]
    if "max_open_workload" in fields and int(fields["max_open_workload"]) < 0:
        errors["max_open_workload"] = ["不能为负数 / Must not be negative."]
    return errors


def user_create(
    *,
    username: str,
    display_name: str,
    role: Role | str,
    team: Team | None,
    manager: User | None,
    actor: User | None,
    password: str | None = None,
    password_hash: str | None = None,
    phone: str = "",
    email: str = "",
    seniority: int = 1,
    max_open_workload: int = 30,
    product_lines: list[str] | None = None,
    customer_tiers: list[str] | None = None,
    is_superuser: bool = False,
    now: datetime | None = None,
) -> User:
    """Create a person with role, team, manager and skills; `password_hash` skips re-hashing."""
    errors = _validate_user_fields(
        {"role": role, "seniority": seniority, "max_open_workload": max_open_workload}
    )
    if not username.strip():
        errors["username"] = ["请填写用户名 / Username is required."]
    elif User.objects.filter(username=username).exists():
        errors["username"] = [f"用户名 “{username}” 已存在 / already taken."]
    if errors:
        raise FieldErrors(errors)
    now = now or clock.now()
    with transaction.atomic():
        user = User(
            username=username,
            display_name=display_name,
            role=role,
            team=team,
            manager=manager,
            phone=phone,
            email=email,
            seniority=seniority,
            max_open_workload=max_open_workload,
            is_superuser=is_superuser,
            is_staff=is_superuser,
            date_joined=now,
        )
        user.password = password_hash or make_password(password)
        attach_actor(user, actor, now)
        user.save()
        UserSkill.objects.bulk_create(
            [UserSkill(user=user, kind=SkillKind.PRODUCT_LINE, code=c) for c in product_lines or []]
            + [UserSkill(user=user, kind=SkillKind.CUSTOMER_TIER, code=c) for c in customer_tiers or []]
        )
        events.record(
            name="user.created",
            subject=user,
            actor=actor,
            occurred_at=now,
            payload={
                "username": username,
                "role": str(role),
                "team": team.pk if team else None,
                "manager": manager.pk if manager else None,
            },
        )
    return user


def user_update(*, user: User, actor: User | None, now: datetime | None = None, **changes: Any) -> User:
    """Change a person's profile fields; records old → new in history and an event."""
    unknown = set(changes) - _UPDATABLE_USER_FIELDS
    errors = {name: ["不可修改的字段 / Not an editable field."] for name in sorted(unknown)}
    errors.update(_validate_user_fields(changes))
    if changes.get("manager") is not None and changes["manager"].pk == user.pk:
        errors["manager"] = ["不能设置自己为上级 / A person cannot manage themselves."]
    if errors:
        raise FieldErrors(errors)
    now = now or clock.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        changed = {}
        for name, value in changes.items():
            old = getattr(locked, name)
            if old != value:
                setattr(locked, name, value)
                changed[name] = [_plain(old), _plain(value)]
        if changed:
            attach_actor(locked, actor, now)
            locked.save()
            events.record(
                name="user.updated",
                subject=locked,
                actor=actor,
                occurred_at=now,
                payload={"changes": changed},
            )
    return locked


def _plain(value: Any) -> Any:
    return getattr(value, "pk", value)


def user_set_skills(
    *,
    user: User,
    actor: User | None,
    product_lines: list[str],
    customer_tiers: list[str],
    now: datetime | None = None,
) -> User:
    """Replace the product lines and customer tiers `user` serves."""
    now = now or clock.now()
    with transaction.atomic():
        UserSkill.objects.filter(user=user).delete()
        UserSkill.objects.bulk_create(
            [UserSkill(user=user, kind=SkillKind.PRODUCT_LINE, code=c) for c in sorted(set(product_lines))]
            + [
                UserSkill(user=user, kind=SkillKind.CUSTOMER_TIER, code=c)
                for c in sorted(set(customer_tiers))
            ]
        )
        events.record(
            name="user.skills_set",
            subject=user,
            actor=actor,
            occurred_at=now,
            payload={
                "product_lines": sorted(set(product_lines)),
                "customer_tiers": sorted(set(customer_tiers)),
            },
        )
    return user


def leave_add(
    *,
    user: User,
    starts_on: date,
    ends_on: date,
    reason: str,
    actor: User | None,
    now: datetime | None = None,
) -> LeavePeriod:
    """Record a leave period; assignment skips `user` on those days."""
    if ends_on < starts_on:
        raise FieldErrors({"ends_on": ["结束日期不能早于开始日期 / The end is before the start."]})
    now = now or clock.now()
    with transaction.atomic():
        leave = LeavePeriod(user=user, starts_on=starts_on, ends_on=ends_on, reason=reason)
        attach_actor(leave, actor, now)
        leave.save()
        events.record(
            name="user.leave_added",
            subject=user,
            actor=actor,
            occurred_at=now,
            payload={
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "reason": reason,
            },
        )
    return leave


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def _storable(*texts: str) -> bool:
    """No NUL and no lone surrogate: text a stored name or password can be."""
    return all(forbidden_character(text) is None for text in texts)


def _login_slots(username: str, client: str) -> tuple[str, list[throttle.Slot]]:
    """The buckets a login attempt counts against: the (name, address) pair, the name, the address.

    The name is hashed: it is whatever the caller typed (any length, any characters).
    """
    name = hashlib.sha256(username.casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    pair = f"login:pair:{name}:{client}"
    return pair, [
        throttle.Slot(pair, settings.SALESFLOW_LOGIN_FAILURE_LIMIT),
        throttle.Slot(f"login:user:{name}", settings.SALESFLOW_LOGIN_FAILURE_LIMIT_PER_USER),
        throttle.Slot(f"login:ip:{client}", settings.SALESFLOW_LOGIN_FAILURE_LIMIT_PER_IP),
    ]


def login_check(*, username: str, password: str, client: str, now: datetime | None = None) -> User:
    """The active user these credentials belong to — the one check behind every way in.

    The token endpoint, the login page and the admin login (through `LoginThrottleBackend`)
    all come here. Each attempt first takes a place in the failure throttle (per name and
    address, per name, per address) in one atomic count, so concurrent guesses cannot
    overrun it; a throttled attempt raises `Throttled` without looking at the password. A
    wrong password raises `AuthenticationFailed`. An unknown or inactive name still runs the
    password hasher once, so the answer takes as long as for a real account.
    """
    now = now or clock.now()
    pair, slots = _login_slots(username, client)
    reservation = throttle.reserve(
        slots=slots,
        window_seconds=settings.SALESFLOW_LOGIN_FAILURE_WINDOW_SECONDS,
        now=now,
        message="登录失败次数过多，请稍后再试 / Too many failed attempts; try again later.",
    )
    # A NUL or a lone surrogate cannot be in a stored name or password (and PostgreSQL
    # refuses them in a query): such an attempt fails like an unknown name.
    user = User.objects.filter(username=username).first() if _storable(username, password) else None
    if user is None:
        User().set_password(secrets.token_urlsafe())  # the same hashing work as a real check
        raise AuthenticationFailed("用户名或密码错误 / Wrong username or password.")
    if not user.check_password(password) or not user.is_active:
        raise AuthenticationFailed("用户名或密码错误 / Wrong username or password.")
    # Only failures count: the right password frees this address for the name and gives
    # back the places it took in the name's and the address's totals.
    reservation.give_back()
    throttle.clear(bucket=pair)
    return user


def api_token_issue(
    *,
    username: str,
    password: str,
    client: str,
    name: str = "",
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Check credentials and issue a bearer token; returns the row and the raw token (shown once).

    The credentials go through `login_check`, the throttle shared with the login pages:
    past its limit the caller gets `Throttled`, whether or not the password is right.
    """
    now = now or clock.now()
    user = login_check(username=username, password=password, client=client, now=now)
    raw = secrets.token_urlsafe(_TOKEN_BYTES)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            digest=_digest(raw),
            prefix=raw[:8],
            name=name,
            created_at=now,
            expires_at=now + timedelta(days=settings.SALESFLOW_API_TOKEN_TTL_DAYS),
        )
        events.record(
            name="user.token_issued",
            subject=user,
            actor=user,
            occurred_at=now,
            payload={"prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
        )
    return token, raw


def api_token_authenticate(*, raw_token: str, now: datetime | None = None) -> User | None:
    """The active user a bearer token belongs to, or None if unknown, revoked or expired."""
    now = now or clock.now()
    token = ApiToken.objects.select_related("user").filter(digest=_digest(raw_token)).first()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    # Touch at most once a minute: a busy integration should not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_token_revoke(*, token: ApiToken, actor: User, now: datetime | None = None) -> ApiToken:
    """Revoke a token so it no longer authenticates."""
    now = now or clock.now()
    with transaction.atomic():
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        events.record(
            name="user.token_revoked",
            subject=token.user,
            actor=actor,
            occurred_at=now,
            payload={"prefix": token.prefix},
        )
    return token
