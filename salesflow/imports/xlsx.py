"""Reading an uploaded workbook and writing one (openpyxl, streaming in both directions)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException

from salesflow.core.errors import FieldErrors

# Beyond this a browser upload is a mistake rather than a customer list (100,000 rows ≈ 8 MB).
MAX_BYTES = 50 * 1024 * 1024


@dataclass
class Sheet:
    """The first sheet of a workbook: its header row and data rows with their Excel row numbers."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]


def read(data: bytes, *, field: str = "file") -> Sheet:
    """Parse `data` as .xlsx; FieldErrors naming `field` when it is not a readable workbook."""
    if not data:
        raise FieldErrors({field: ["文件为空 / The file is empty."]})
    if len(data) > MAX_BYTES:
        raise FieldErrors({field: ["文件过大（上限 50 MB） / The file is larger than 50 MB."]})
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise FieldErrors({field: ["不是有效的 Excel（.xlsx）文件 / Not a valid .xlsx workbook."]}) from None
    try:
        sheet = book.worksheets[0]
        headers: list[str] | None = None
        rows: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = list(values)
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
                continue
            if headers is None:
                headers = [str(v).strip() if v is not None else "" for v in cells]
                continue
            rows.append((number, cells))
    finally:
        book.close()
    if headers is None:
        raise FieldErrors({field: ["表格没有表头行 / The sheet has no header row."]})
    return Sheet(headers=headers, rows=rows)


# Text starting with one of these is read as a formula by Excel (or by openpyxl, for "="), and
# the text may come from anyone: the public website form writes lead names and remarks.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _as_text(sheet: Any, value: Any) -> Any:
    """`value`, or for formula-like text a cell that stays text in Excel even when edited.

    The cell is a plain string cell (never a formula) with Excel's "quote prefix" flag, which is
    what Excel itself stores when a user types '=…: the value reads back unchanged (no added
    apostrophe), so importing our own export gives the same text again.
    """
    if not (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def write(headers: list[str], rows: Iterable[list[Any]], *, title: str = "Sheet1") -> bytes:
    """A workbook with one sheet: a bold header row, then `rows` (streamed, constant memory).

    Every value is written as data: text that looks like a formula stays text.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([_as_text(sheet, v) for v in headers])
    for row in rows:
        sheet.append([_as_text(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
