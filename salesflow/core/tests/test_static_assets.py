"""Our own stylesheets stay well-formed: a lost closing brace (easy to drop when two branches
both append to salesflow.css) silently turns every later rule into a phone-only one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static" / "salesflow"
COMMENT = re.compile(r"/\*.*?\*/", re.S)
STRING = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")


def brace_problem(css: str) -> str | None:
    """Where the braces of a stylesheet stop balancing, or None when they balance."""
    depth = 0
    for number, line in enumerate(STRING.sub('""', COMMENT.sub("", css)).splitlines(), start=1):
        for char in line:
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth < 0:
                return f"line {number}: a closing brace without an opening one"
    return f"{depth} block(s) never closed" if depth else None


@pytest.mark.parametrize("sheet", sorted(STATIC.glob("*.css")), ids=lambda p: p.name)
def test_our_stylesheets_balance_their_braces(sheet: Path) -> None:
    assert brace_problem(sheet.read_text(encoding="utf-8")) is None


def test_the_check_finds_an_unclosed_media_block() -> None:
    assert brace_problem("@media (x) {\n  .a { b: c; }\n.d { e: f; }\n") == "1 block(s) never closed"
    assert brace_problem(".a { b: c; } }") == "line 1: a closing brace without an opening one"
    assert brace_problem('/* { */ .a { content: "}"; }') is None
