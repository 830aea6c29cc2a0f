from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import CommandError

from salesflow.core.demo import build_context, run_demo
from salesflow.core.models import Event
from salesflow.leads.models import Lead
from salesflow.org.models import LeavePeriod, Team, User

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _snapshot() -> dict[str, object]:
    users = list(
        User.objects.order_by("username").values_list(
            "username",
            "display_name",
            "phone",
            "role",
            "team__name",
            "manager__username",
            "seniority",
            "max_open_workload",
        )
    )
    skills = sorted(User.objects.values_list("username", "skills__kind", "skills__code"), key=str)
    teams = list(Team.objects.order_by("name").values_list("name", "kind", "parent__name"))
    leave = sorted(LeavePeriod.objects.values_list("user__username", "starts_on", "ends_on", "reason"))
    leads = sorted(Lead.objects.values_list("name", "phone", "company", "owner__username", "score", "status"))
    events = sorted(Event.objects.values_list("name", "occurred_at"))
    return {
        "users": users,
        "skills": skills,
        "teams": teams,
        "leave": leave,
        "events": events,
        "leads": leads,
    }


def _generate(seed: int, reps: int = 48, months: int = 1) -> dict[str, int]:
    ctx = build_context(seed=seed, reps=reps, months=months, now=NOW, password_hash=make_password("x"))
    return run_demo(ctx)


def _wipe() -> None:
    call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_same_seed_gives_the_same_company() -> None:
    _wipe()  # start from the same (empty) state each time
    _generate(7)
    first = _snapshot()
    _wipe()
    _generate(7)
    assert _snapshot() == first
    _wipe()
    _generate(8)
    assert _snapshot()["users"] != first["users"]


@pytest.mark.django_db
def test_default_demo_has_the_promised_organisation() -> None:
    counts = _generate(2026)
    assert counts["users"] >= 40 + 6 + 3
    assert Team.objects.filter(kind="region").count() == 3
    assert Team.objects.filter(kind="team", parent__kind="region").count() >= 6
    assert User.objects.filter(role="rep").count() == 48
    manager1 = User.objects.get(username="manager1")
    assert {f"rep{i}" for i in range(1, 9)} <= set(manager1.reports.values_list("username", flat=True))
    assert manager1.manager is not None and manager1.manager.username == "director1"
    for username in ["admin", "gm", "coo", "presales1", "legal1", "finance1", "delivery1"]:
        assert User.objects.filter(username=username).exists(), username
    assert User.objects.get(username="admin").is_superuser
    # Chinese names from Faker zh_CN, mainland mobile numbers.
    rep1 = User.objects.get(username="rep1")
    assert all("\u4e00" <= ch <= "\u9fff" for ch in rep1.display_name)
    assert rep1.phone.startswith("1") and len(rep1.phone) == 11
    # Made through services: events and field history exist.
    assert Event.objects.filter(name="user.created").count() == counts["users"]
    assert Event.objects.filter(name="user.updated").exists()
    assert rep1.history.exists()
    # Quote to cash (issue #13): special quotes wait for manager1, finance1 and the GM.
    from salesflow.approvals.selectors import pending_for

    for username in ("manager1", "finance1", "gm"):
        assert pending_for(User.objects.get(username=username)).exists(), username


@pytest.mark.django_db
def test_demo_command_refuses_a_non_empty_database() -> None:
    out = StringIO()
    call_command("demo", "--seed", "3", "--reps", "12", "--months", "1", stdout=out)
    assert "manager1 / salesflow-demo" in out.getvalue()
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo", "--reps", "12", stdout=StringIO())
    quiet = StringIO()
    call_command("demo", "--if-empty", stdout=quiet)
    assert "not generated" in quiet.getvalue()
    assert User.objects.filter(role="rep").count() == 12
    assert User.objects.get(username="rep1").check_password("salesflow-demo")


@pytest.mark.django_db(transaction=True)
def test_demo_reset_regenerates() -> None:
    call_command("demo", "--reps", "12", "--months", "1", stdout=StringIO())
    call_command("demo", "--reps", "18", "--months", "1", "--reset", stdout=StringIO())
    assert User.objects.filter(role="rep").count() == 18


@pytest.mark.django_db
def test_users_list_json() -> None:
    _generate(5, reps=12)
    out = StringIO()
    call_command("users", "list", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    rep1 = next(r for r in rows if r["username"] == "rep1")
    assert rep1["role"] == "rep" and rep1["manager"] == "manager1"


def _settings_import(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import salesflow.settings.production"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_refuse_debug_and_development_key() -> None:
    good_key = secrets.token_urlsafe(50)
    debug = _settings_import({"DEBUG": "1", "SECRET_KEY": good_key})
    assert debug.returncode != 0 and "DEBUG must be off" in debug.stderr
    dev_key = _settings_import({"DEBUG": "0", "SECRET_KEY": ""})
    assert dev_key.returncode != 0 and "SECRET_KEY" in dev_key.stderr
    fine = _settings_import({"DEBUG": "0", "SECRET_KEY": good_key})
    assert fine.returncode == 0, fine.stderr


def test_cli_manage_passes_through_to_django() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "salesflow.cli",
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "CRITICAL",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "salesflow.settings.test"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
