"""Every work-order test gets the cast of departments around the trio."""

from __future__ import annotations

import pytest

from salesflow.core.testing import Trio
from salesflow.workorders.tests.helpers import Cast, cast


@pytest.fixture
def people(trio: Trio) -> Cast:
    """The trio with presales, delivery, legal, finance, the COO and the GM."""
    return cast(trio)
