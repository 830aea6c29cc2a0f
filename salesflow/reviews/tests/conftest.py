"""The review tests' people: the trio, the COO, the GM and a rep of another region."""

from __future__ import annotations

import pytest

from salesflow.core.testing import Trio
from salesflow.reviews.tests.helpers import Cast, cast


@pytest.fixture
def people(trio: Trio) -> Cast:
    """The cast of the review tests."""
    return cast(trio)
