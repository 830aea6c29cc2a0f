"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest

from salesflow.core.testing import Trio, make_trio


@pytest.fixture
def trio(db: None) -> Trio:
    """Owner, teammate, outsider and their managers (see salesflow.core.testing)."""
    return make_trio()
