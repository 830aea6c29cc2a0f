"""Test helpers shared by every app: a small organisation and the owner/teammate/outsider trio.

Later issues test every endpoint with `trio`: the owner may act, the teammate (same team,
same manager) and the outsider (another team) may not, the owner's manager may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.test import Client
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from salesflow.org import services
from salesflow.org.choices import Role, TeamKind
from salesflow.org.models import Team, User

TEST_PASSWORD = "test-pass-123"  # noqa: S105


@dataclass
class Trio:
    """Three reps and the people above them, for permission tests."""

    owner: User
    teammate: User
    outsider: User
    manager: User
    other_manager: User
    director: User
    admin: User
    team: Team
    other_team: Team


def make_user(username: str, role: Role, team: Team | None, manager: User | None, **extra: Any) -> User:
    """A user created through the service, with the shared test password."""
    return services.user_create(
        username=username,
        display_name=extra.pop("display_name", username),
        role=role,
        team=team,
        manager=manager,
        password=TEST_PASSWORD,
        actor=None,
        **extra,
    )


def make_trio() -> Trio:
    """Company → region → two teams; owner and teammate share a manager, the outsider not."""
    company = services.team_create(name="测试公司", kind=TeamKind.COMPANY, parent=None, actor=None)
    region = services.team_create(name="华东大区", kind=TeamKind.REGION, parent=company, actor=None)
    team = services.team_create(name="上海一组", kind=TeamKind.TEAM, parent=region, actor=None)
    other_team = services.team_create(name="杭州组", kind=TeamKind.TEAM, parent=region, actor=None)
    admin = make_user("ops", Role.OPS_ADMIN, company, None)
    director = make_user("dir", Role.DIRECTOR, region, None)
    manager = make_user("mgr", Role.MANAGER, team, director)
    other_manager = make_user("mgr2", Role.MANAGER, other_team, director)
    return Trio(
        owner=make_user("owner", Role.REP, team, manager),
        teammate=make_user("teammate", Role.REP, team, manager),
        outsider=make_user("outsider", Role.REP, other_team, other_manager),
        manager=manager,
        other_manager=other_manager,
        director=director,
        admin=admin,
        team=team,
        other_team=other_team,
    )


def api_client_for(user: User) -> Client:
    """A test client sending a fresh bearer token of `user` with every request."""
    _token, raw = services.api_token_issue(username=user.username, password=TEST_PASSWORD, client="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def run_ready_tasks() -> list[Any]:
    """Run every queued task whose `run_after` has come, as `salesflow worker` would; their results.

    Uses django-tasks-db's own `Worker.run_task`; only the claiming loop is repeated here,
    because the worker's `close_old_connections()` would drop the test's transaction.
    """
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="notify-tests",
        excluded_queue_names=[],
    )
    results = []
    while (queued := DBTaskResult.objects.ready().get_locked()) is not None:
        queued.claim(worker.worker_id)
        worker.run_task(queued)
        queued.refresh_from_db()
        assert queued.status == "SUCCESSFUL", queued.traceback
        results.append(queued.return_value)
    return results
