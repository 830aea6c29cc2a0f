"""Keyset pagination: stable under inserts and fast on big tables (no OFFSET)."""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from django.db import models

from salesflow.core.errors import FieldErrors

M = TypeVar("M", bound=models.Model)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode_cursor(last_id: int) -> str:
    """An opaque cursor pointing after `last_id`."""
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor points after; a clear field error for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if kind != "id":
            raise ValueError(kind)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise FieldErrors(
            {"cursor": ["Invalid cursor; use the `next` value of a previous page."]},
            location="query",
        ) from None


def keyset_page(
    queryset: models.QuerySet[M],
    *,
    cursor: str | None,
    limit: int | None,
    newest_first: bool = False,
) -> tuple[list[M], str | None]:
    """One page of `queryset` ordered by id, and the cursor of the next page (None at the end)."""
    size = min(max(limit or DEFAULT_LIMIT, 1), MAX_LIMIT)
    qs = queryset.order_by("-id" if newest_first else "id")
    if cursor:
        after = decode_cursor(cursor)
        qs = qs.filter(id__lt=after) if newest_first else qs.filter(id__gt=after)
    rows = list(qs[: size + 1])
    if len(rows) > size:
        rows = rows[:size]
        last: Any = rows[-1]
        return rows, encode_cursor(last.id)
    return rows, None
