"""Keyset pagination: stable under inserts and fast on big tables (no OFFSET)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import QueryDict

from salesflow.core.errors import FieldErrors

M = TypeVar("M", bound=models.Model)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# A list page counts its rows exactly up to this many; past it the total reads "超过 10000"
# (more than). An exact COUNT(*) over a million scoped rows costs more than the page itself
# (counting a team's 100,000 leads took 400 ms at 1M leads, issue #15), and nobody pages
# through ten thousand rows: the filters are the way in.
COUNT_CAP = 10_000


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


# ---------------------------------------------------------------------------------------------
# Sorted lists: keyset over several columns (the 客户 / 线索 / 商机 pages)


@dataclass(frozen=True)
class SortKey:
    """One way a list may be sorted: its `sort=` code, the columns (alias, descending) it orders by.

    Every column must be non-null (annotate with Coalesce) so that "after this row" is a plain
    comparison; the id is always appended as the last tiebreaker.
    """

    code: str
    columns: tuple[tuple[str, bool], ...]
    # Rows matching `leading` all sort before every other row (ascending): e.g. open leads,
    # whose lights are red, yellow or green, before the grey closed ones. The page then reads
    # them first and only reaches the rest when they run out, so the costly sort columns are
    # computed for the few open rows instead of the whole history. It must agree with the
    # columns exactly; the id-ordered cursor works the same across the two parts.
    leading: Q | None = None


@dataclass
class SortedPage(Generic[M]):
    """One page of a sorted list: its rows, the total, where it starts and the next page's cursor."""

    rows: list[M]
    total: int
    first: int  # 1-based position of the first row (0 on an empty page)
    next: str | None
    sort: str
    descending: bool
    # False when the list holds more than COUNT_CAP rows: `total` is then that cap, a lower bound.
    total_exact: bool = True

    @property
    def last(self) -> int:
        """1-based position of the last row on the page."""
        return self.first + len(self.rows) - 1 if self.rows else 0


def choose_sort(value: str, keys: dict[str, SortKey], default: str) -> tuple[SortKey, bool, str]:
    """The sort a `sort=` value asks for (`name` or `-name`); an unknown one falls back to `default`.

    A list page never fails on a stale or hand-edited link: an unknown key means the default.
    Returns the key, whether to reverse it and the canonical `sort=` value.
    """
    value = (value or "").strip()
    descending = value.startswith("-")
    key = keys.get(value[1:] if descending else value)
    if key is None:
        return keys[default], False, default
    return key, descending, value


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value:
            return datetime.fromisoformat(value["t"])
        if "d" in value:
            return Decimal(value["d"])
        raise ValueError(value)
    if value is None or isinstance(value, bool) or not isinstance(value, int | str | float):
        raise ValueError(value)
    return value


def _encode_sorted_cursor(values: list[Any]) -> str:
    # The last value of a list page's cursor is a plain int: the next page's first position.
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_sorted_cursor(cursor: str, width: int) -> tuple[list[Any], int | None]:
    """The sort values a cursor points after, and the position of the row after them when the
    cursor carries it (cursors of this version do; an older one is counted as before)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list) or len(values) not in (width, width + 1):
            raise ValueError(values)
        position = None
        if len(values) == width + 1:
            position = values.pop()
            if not isinstance(position, int) or isinstance(position, bool) or position < 1:
                raise ValueError(position)
        return [_decode_value(v) for v in values], position
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, InvalidOperation):
        raise FieldErrors(
            {"cursor": ["无效的翻页位置，请从第一页开始 / Invalid cursor; start from the first page."]},
            location="query",
        ) from None


def capped_count(queryset: models.QuerySet[Any], cap: int | None = None) -> tuple[int, bool]:
    """How many rows `queryset` holds, counting no further than `cap` (COUNT_CAP): (count, exact)."""
    cap = COUNT_CAP if cap is None else cap
    found = queryset.order_by().values("pk")[: cap + 1].count()
    return (cap, False) if found > cap else (found, True)


def _after(columns: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows strictly after `values` in the order of `columns`: (a > x) | (a = x & b > y) | ..."""
    condition = Q()
    for i, (alias, descending) in enumerate(columns):
        step = Q(**{f"{alias}__{'lt' if descending else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{columns[j][0]: values[j]})
        condition = step if i == 0 else condition | step
    return condition


def sorted_page(
    queryset: models.QuerySet[M],
    *,
    key: SortKey,
    descending: bool = False,
    cursor: str | None,
    limit: int | None,
    sort: str = "",
) -> SortedPage[M]:
    """One page of `queryset` in the order of `key` (reversed when `descending`), with the total.

    Two queries whatever the page size: the total (exact up to COUNT_CAP rows, see
    `capped_count`) and the page itself (one row more than asked, to know whether there is a next
    page). The cursor carries the position of the next page's first row, for "第 51–100 条".
    """
    size = min(max(limit or DEFAULT_LIMIT, 1), MAX_LIMIT)
    columns = [(alias, desc != descending) for alias, desc in key.columns] + [("id", descending)]
    ordering = [f"-{alias}" if desc else alias for alias, desc in columns]
    qs = queryset.order_by(*ordering)
    total, exact = capped_count(queryset)
    before = 0
    if cursor:
        values, position = _decode_sorted_cursor(cursor, len(columns))
        after = _after(columns, values)
        if position is not None:
            before = position - 1
        else:
            before = max(0, queryset.count() - queryset.filter(after).count())
        qs = qs.filter(after)
    rows = _rows(qs, key.leading, descending, size + 1, left=total - before if exact else None)
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        position = before + size + 1
        next_cursor = _encode_sorted_cursor(
            [getattr(rows[-1], alias) for alias, _desc in columns] + [position]
        )
    if exact and before + len(rows) > total:
        total = before + len(rows)  # rows added since the first page was counted
    return SortedPage(
        rows=rows,
        total=total,
        first=before + 1 if rows else 0,
        next=next_cursor,
        sort=sort or key.code,
        descending=descending,
        total_exact=exact,
    )


def _rows(
    qs: models.QuerySet[M], leading: Q | None, descending: bool, count: int, *, left: int | None
) -> list[M]:
    """The first `count` rows of `qs`; with `leading`, the part sorting first is read first, and
    the rest only when that part runs out before `count` rows and before the `left` rows the
    total says remain (when it is exact)."""
    if leading is None:
        return _first(qs, count)
    first, then = (~leading, leading) if descending else (leading, ~leading)
    rows = _first(qs.filter(first), count)
    if len(rows) < count and (left is None or len(rows) < left):
        rows += _first(qs.filter(then), count - len(rows))
    return rows


def _first(qs: models.QuerySet[M], count: int) -> list[M]:
    """The first `count` rows of the ordered `qs`, in one statement that picks their ids first:
    that inner read needs only the filter and sort columns, which an index may cover (the 线索
    list's `lead_open_owned`), and only the rows picked are then read whole."""
    return list(qs.filter(pk__in=qs.values("pk")[:count]))


# The traffic lights in the order a list shows them by default: most urgent first.
LIGHTS = ("red", "yellow", "green", "grey")
# "No countdown" sorts after every real one.
NO_DEADLINE = datetime(9999, 1, 1, tzinfo=UTC)
# "Never" for a start time: before everything.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def light_of_rank(rank: int) -> str:
    """The light a `light_rank` annotation stands for."""
    return LIGHTS[rank] if 0 <= rank < len(LIGHTS) else "grey"


# The owner's shown name (display name, else username; "" for the pool) as a sort column.
OWNER_KEY = Coalesce(
    NullIf(F("owner__display_name"), Value("")), F("owner__username"), Value(""), output_field=CharField()
)


def with_light(queryset: models.QuerySet[M], light: str) -> models.QuerySet[M]:
    """`queryset` (annotated with `light_rank`) narrowed to one light; anything else is a field error."""
    if light not in LIGHTS:
        raise FieldErrors({"light": [f"应为 {', '.join(LIGHTS)} 之一"]}, location="query")
    return queryset.filter(light_rank=LIGHTS.index(light))


def list_links(params: QueryDict, page: SortedPage[Any], sortable: Iterable[str]) -> dict[str, Any]:
    """Links of a list page that keep its filters: each column's sort toggle, the next and first page.

    `sorts[code]` holds the query string that sorts by that column (reversed when it already is),
    and whether it is the current sort and in which direction.
    """

    def query(**changes: str | None) -> str:
        copy = params.copy()
        for name, value in changes.items():
            copy.pop(name, None)
            if value:
                copy[name] = value
        return copy.urlencode()

    current = page.sort.lstrip("-")
    sorts = {}
    for code in sortable:
        active = code == current
        target = code if not (active and not page.descending) else f"-{code}"
        sorts[code] = {
            "query": query(sort=target, cursor=None),
            "active": active,
            "descending": page.descending,
        }
    return {
        "sorts": sorts,
        "next_query": query(cursor=page.next) if page.next else "",
        "first_query": query(cursor=None),
        "filter_query": query(cursor=None, sort=None),
    }


@dataclass(frozen=True)
class ListParams:
    """What every list page reads from its URL besides its own filters; bad values are dropped.

    A list page never fails on a hand-edited link: an unknown owner, team, light or size is as
    if it were not given (the API, by contrast, answers 422 naming the field).
    """

    owner: str = ""  # "me" or a user id
    team: str = ""  # a team id
    light: str = ""
    sort: str = ""
    cursor: str = ""
    limit: int = DEFAULT_LIMIT

    @classmethod
    def from_query(cls, params: QueryDict) -> ListParams:
        """The list parameters of a page's query string."""
        owner = params.get("owner", "").strip()
        team = params.get("team", "").strip()
        light = params.get("light", "").strip()
        limit = params.get("limit", "").strip()
        return cls(
            owner=owner if owner == "me" or owner.isdigit() else "",
            team=team if team.isdigit() else "",
            light=light if light in LIGHTS else "",
            sort=params.get("sort", "").strip()[:30],
            cursor=params.get("cursor", "").strip()[:500],
            limit=min(int(limit), MAX_LIMIT) if limit.isdigit() and int(limit) > 0 else DEFAULT_LIMIT,
        )


def light_and_due(row: Any, now: datetime) -> dict[str, Any]:
    """A row's light, next deadline and time left, from a list's `with_list_keys` annotations."""
    due = getattr(row, "due_key", NO_DEADLINE)
    due = None if due == NO_DEADLINE else due
    return {
        "light": light_of_rank(getattr(row, "light_rank", 3)),
        "due": due,
        "left": due - now if due else None,
    }
