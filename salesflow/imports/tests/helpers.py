"""Building workbooks in memory for import tests."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook, load_workbook

from salesflow.imports import xlsx


def book(headers: list[str], rows: list[list[Any]]) -> bytes:
    """An .xlsx with a header row and `rows`."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sheet(headers: list[str], rows: list[list[Any]]) -> xlsx.Sheet:
    """The parsed sheet of such a workbook."""
    return xlsx.read(book(headers, rows))


def cells(data: bytes) -> list[list[Any]]:
    """Every row of the first sheet of `data`, header first."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
