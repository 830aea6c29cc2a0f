"""The domain apps' imports point one way (DESIGN.md, README "Layout"): no app imports one above it.

Only an app's domain modules count (models, choices, services, selectors and helpers); its edges
(api, views, urls, forms, admin, demo, apps, testing, management commands, template tags, tests,
migrations) may call the services and selectors of any app, since nothing imports them back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import salesflow

ROOT = Path(salesflow.__file__).parent
# Lower first; apps in one tuple are one tier and may import each other.
ORDER: list[tuple[str, ...]] = [
    ("core",),
    ("org",),
    ("timers", "notify", "rules"),
    ("customers",),
    ("leads",),
    ("pipeline",),
    ("activities",),
    ("catalog",),
    ("approvals",),
    ("quotes",),
    ("contracts",),
    ("workorders",),
    # The monthly process review: reads any record through registries; apps register into it
    # from their AppConfig.ready (an edge), so work orders may sit below it.
    ("reviews",),
    ("imports",),
    ("workflows", "analytics", "calendars"),
]
RANK = {app: rank for rank, tier in enumerate(ORDER) for app in tier}
EDGE_FILES = {"api.py", "views.py", "urls.py", "forms.py", "admin.py", "demo.py", "apps.py", "testing.py"}
EDGE_DIRS = {"tests", "migrations", "management", "templatetags"}
# Upward imports that are deliberate, with why (none today).
ALLOWED: set[tuple[str, str]] = set()


def _domain_modules(app: str) -> list[Path]:
    files = []
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT / app)
        if path.name in EDGE_FILES and len(relative.parts) == 1:
            continue
        if relative.parts[0] in EDGE_DIRS:
            continue
        files.append(path)
    return files


def _imported_apps(path: Path) -> set[str]:
    """Every salesflow app the module imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "salesflow":
                names = [f"salesflow.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "salesflow" and len(parts) > 1 and parts[1] in RANK:
                found.add(parts[1])
    return found


def upward_imports() -> list[str]:
    """`module → app` for each import of a higher app by a domain module."""
    problems = []
    for app in RANK:
        for path in _domain_modules(app):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for target in _imported_apps(path):
                if RANK[target] > RANK[app] and (module, target) not in ALLOWED:
                    problems.append(f"{module} → {target}")
    return sorted(problems)


def test_every_app_is_placed_in_the_layering() -> None:
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps == set(RANK), "place a new app in ORDER (and the README's Layout)"


def test_domain_modules_import_only_their_own_tier_and_below() -> None:
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "services.py"
    module.write_text("def f():\n    from salesflow.workflows import services\n", encoding="utf-8")
    assert _imported_apps(module) == {"workflows"}
