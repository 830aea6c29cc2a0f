"""An export never fails on text a workbook cannot hold (found by the API fuzzer: a 500)."""

from __future__ import annotations

import pytest

from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customers
from salesflow.imports.tests.helpers import cells

pytestmark = pytest.mark.django_db


def test_export_drops_control_characters_instead_of_failing(trio: Trio) -> None:
    customers.customer_create(name="X\x01控制\x1f字符医院", actor=trio.owner, owner=trio.owner)
    response = api_client_for(trio.owner).get("/api/v1/exports/customers.xlsx")
    assert response.status_code == 200
    names = [row[0] for row in cells(response.content)[1:]]
    assert names == ["X控制字符医院"]
