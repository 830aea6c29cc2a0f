"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest

from salesflow.core.testing import Trio, make_trio


@pytest.fixture
def trio(db: None) -> Trio:
    """Owner, teammate, outsider and their managers (see salesflow.core.testing)."""
    return make_trio()


@pytest.fixture(autouse=True)
def _fresh_rule_pack_cache() -> None:
    """Each test's rolled-back transaction may have held another pack version."""
    from salesflow.rules.selectors import forget_active_pack

    forget_active_pack()
