"""Every approvals test runs with the test subject kind and the test chain installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salesflow.approvals.tests.helpers import Cast, approvable_kind, cast, install_chain
from salesflow.core.testing import Trio


@pytest.fixture
def people(trio: Trio) -> Iterator[Cast]:
    """The trio, two finance people and the GM; the test kind and chain in place."""
    with approvable_kind():
        install_chain()
        yield cast(trio)
