"""A newcomer's first commands: `salesflow demo` migrates an empty database and shows its progress."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from salesflow.core.demo import describe_counts


@pytest.mark.django_db
def test_demo_prints_a_step_line_per_part_with_counts_and_seconds() -> None:
    out = StringIO()
    call_command("demo", "--seed", "4", "--reps", "12", "--months", "1", stdout=out)
    lines = out.getvalue().splitlines()
    org = next(line for line in lines if line.strip().startswith("组织架构："))
    assert re.search(r"人员 \d+、团队 \d+.* … \d+\.\d s$", org), org
    assert any(re.match(r"\s+线索：.*线索 \d+.* … \d+\.\d s$", line) for line in lines), lines
    # Each part announces itself before it runs, so a slow part is never silence.
    assert lines.index("  客户与订单 …") < next(
        i for i, line in enumerate(lines) if line.startswith("  客户与订单：")
    )


def test_counts_read_in_chinese_in_a_stable_order() -> None:
    assert describe_counts({"teams": 14, "users": 66, "leave_periods": 0}) == "人员 66、团队 14"
    assert describe_counts({"widgets": 2, "leads": 3}) == "线索 3、widgets 2"


def test_demo_on_an_empty_unmigrated_database_migrates_first(tmp_path: Path) -> None:
    database = tmp_path / "fresh.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "salesflow.cli", "demo", "--reps", "6", "--months", "1"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "salesflow.settings.test",
            "DATABASE_URL": f"sqlite:///{database}",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "先执行迁移" in result.stdout
    assert "Demo company generated" in result.stdout
