from __future__ import annotations

import pytest

from salesflow.core.errors import FieldErrors
from salesflow.core.pagination import decode_cursor, encode_cursor, keyset_page
from salesflow.core.testing import Trio, api_client_for
from salesflow.org.models import User


def test_cursor_round_trip_and_garbage() -> None:
    assert decode_cursor(encode_cursor(42)) == 42
    with pytest.raises(FieldErrors) as err:
        decode_cursor("%%%not-a-cursor")
    assert "cursor" in err.value.errors


def test_keyset_pages_cover_every_row_once(trio: Trio) -> None:
    seen: list[int] = []
    cursor = None
    while True:
        rows, cursor = keyset_page(User.objects.all(), cursor=cursor, limit=3)
        seen.extend(u.pk for u in rows)
        if cursor is None:
            break
    assert seen == sorted(User.objects.values_list("pk", flat=True))


def test_users_api_pages_with_next_cursor(trio: Trio) -> None:
    api = api_client_for(trio.owner)
    first = api.get("/api/v1/users", {"limit": 4}).json()
    assert len(first["items"]) == 4 and first["next"]
    second = api.get("/api/v1/users", {"limit": 4, "cursor": first["next"]}).json()
    assert {u["id"] for u in first["items"]}.isdisjoint({u["id"] for u in second["items"]})
    bad = api.get("/api/v1/users", {"cursor": "garbage!"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_healthz_reports_database(db: None, client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
