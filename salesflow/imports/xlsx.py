"""Reading an uploaded workbook and writing one (openpyxl, streaming in both directions)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet import _reader
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.functions import iterparse

from salesflow.core import clock
from salesflow.core.errors import FieldErrors

# Beyond this a browser upload is a mistake rather than a customer list (100,000 rows ≈ 8 MB).
MAX_BYTES = 50 * 1024 * 1024
# What the parts of a workbook may expand to: the shared strings are held in memory whole,
# so a few MB of zip must not become gigabytes of text.
MAX_EXPANDED_BYTES = 1024 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024


def _declared_size(self: _reader.WorkSheetParser) -> tuple[int, int, int, int] | None:
    """The sheet's <dimension>, looked for only before <sheetData> (where the format puts it).

    openpyxl's own search stops at the *end* of <sheetData>, so opening a sheet without a
    dimension (every streamed workbook, our exports included) parsed all of it once more
    before the first row was read: seconds for a big file, inside the upload request.
    """
    for _event, element in iterparse(self.source, events=("start",)):
        if element.tag == _reader.DIMENSION_TAG:
            boundaries: tuple[int, int, int, int] = SheetDimension.from_tree(element).boundaries
            return boundaries
        if element.tag == _reader.DATA_TAG:
            return None
    return None


_reader.WorkSheetParser.parse_dimensions = _declared_size


@dataclass
class Sheet:
    """The first sheet of a workbook: its header row and data rows with their Excel row numbers.

    `truncated` when reading stopped early on purpose (`stop_after`): the rows are a sample.
    """

    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    truncated: bool = False
    # Data rows the sheet says it has (its <dimension>), when it says; a guess, not a count.
    declared_rows: int | None = None


def _refuse(field: str, message: str) -> FieldErrors:
    return FieldErrors({field: [message]})


def _too_many_rows(field: str, max_rows: int) -> FieldErrors:
    return _refuse(field, f"表格超过 {max_rows} 行上限 / The sheet has more than {max_rows} rows.")


def _too_many_columns(field: str, max_columns: int) -> FieldErrors:
    return _refuse(field, f"表格超过 {max_columns} 列上限 / The sheet has more than {max_columns} columns.")


def _check_expansion(data: bytes, field: str) -> None:
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # load_workbook says it is not a workbook
    shared = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    if sum(p.file_size for p in parts) > MAX_EXPANDED_BYTES or shared > MAX_SHARED_STRINGS_BYTES:
        raise _refuse(field, "文件解压后过大 / The workbook expands to too much data.")


def _blank(cells: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in cells)


def read(
    data: bytes,
    *,
    field: str = "file",
    max_rows: int | None = None,
    max_columns: int | None = None,
    stop_after: int | None = None,
) -> Sheet:
    """Parse `data` as .xlsx, streaming; FieldErrors naming `field` when it is not a readable
    workbook or holds more than `max_rows` data rows or `max_columns` columns (the pack's
    `imports` section by default). The sheet's declared size is checked before any cell is
    read; cells are read row by row and never beyond the bounds. With `stop_after`, reading
    stops after that many data rows (`truncated` says whether more followed).
    """
    if max_rows is None or max_columns is None:
        from salesflow.rules.selectors import active_pack

        policy = active_pack()[1].imports
        max_rows = policy.max_rows if max_rows is None else max_rows
        max_columns = policy.max_columns if max_columns is None else max_columns
    if not data:
        raise _refuse(field, "文件为空 / The file is empty.")
    if len(data) > MAX_BYTES:
        raise _refuse(field, "文件过大（上限 50 MB） / The file is larger than 50 MB.")
    _check_expansion(data, field)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise _refuse(field, "不是有效的 Excel（.xlsx）文件 / Not a valid .xlsx workbook.") from None
    try:
        return _rows(book.worksheets[0], field, max_rows, max_columns, stop_after)
    finally:
        book.close()


def _rows(sheet: Any, field: str, max_rows: int, max_columns: int, stop_after: int | None) -> Sheet:
    # The declared size (the <dimension> element) costs nothing to check; a sheet without one,
    # or one that understates, is still bounded below because cells are read within the bounds.
    declared_columns, declared_rows = sheet.max_column, sheet.max_row
    if declared_columns is not None and declared_columns > max_columns:
        raise _too_many_columns(field, max_columns)
    if declared_rows is not None and declared_rows > max_rows + 1:
        raise _too_many_rows(field, max_rows)
    # One column past the bound, to notice a cell there; openpyxl pads every row to this width.
    width = declared_columns if declared_columns is not None else max_columns + 1
    if declared_columns is None and hasattr(sheet, "_get_row"):
        # openpyxl drops cells beyond `width` without a word; an unsized sheet's far cell
        # (column XFD, say) should be refused like a declared one, so look at the raw row.
        shape_row = sheet._get_row

        def bounded_row(row: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
            if any(c["column"] > max_columns and c["value"] not in (None, "") for c in row):
                raise _too_many_columns(field, max_columns)
            return shape_row(row, *args, **kwargs)

        sheet._get_row = bounded_row
    headers: list[str] | None = None
    header_row = 1
    rows: list[tuple[int, list[Any]]] = []
    truncated = False
    for number, values in enumerate(
        sheet.iter_rows(values_only=True, max_col=width, max_row=max_rows + 2), start=1
    ):
        cells = list(values)
        if len(cells) > max_columns:
            if not _blank(cells[max_columns:]):
                raise _too_many_columns(field, max_columns)
            cells = cells[:max_columns]
        if _blank(cells):
            continue
        if headers is None:
            headers = [str(v).strip() if v is not None else "" for v in cells]
            header_row = number
            continue
        if number > max_rows + 1 or len(rows) >= max_rows:
            raise _too_many_rows(field, max_rows)
        if stop_after is not None and len(rows) >= stop_after:
            truncated = True
            break
        rows.append((number, cells))
    if headers is None:
        raise _refuse(field, "表格没有表头行 / The sheet has no header row.")
    if declared_columns is None:
        # Unsized sheet: the rows were padded to the bound; keep the columns that hold anything.
        used = max(
            [i + 1 for i, v in enumerate(headers) if v]
            + [i + 1 for _n, cells in rows for i, v in enumerate(cells) if v is not None and v != ""]
            + [0]
        )
        headers = headers[:used]
        rows = [(n, cells[:used]) for n, cells in rows]
    declared = declared_rows - header_row if declared_rows is not None else None
    return Sheet(headers=headers, rows=rows, truncated=truncated, declared_rows=declared)


# Text starting with one of these is read as a formula by Excel (or by openpyxl, for "="), and
# the text may come from anyone: the public website form writes lead names and remarks.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _as_text(sheet: Any, value: Any) -> Any:
    """`value` as data: without the control characters a workbook cannot hold (a name typed
    through the API may have them), and formula-like text as a cell that stays text in Excel.

    The cell is a plain string cell (never a formula) with Excel's "quote prefix" flag, which is
    what Excel itself stores when a user types '=…: the value reads back unchanged (no added
    apostrophe), so importing our own export gives the same text again.
    """
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith(FORMULA_PREFIXES):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


# Number formats of the cells export writes (see spec.Column.fmt).
FORMATS = {
    "money": '"¥"#,##0.00',
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "number": "0",
}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE7F7")


def _styled(sheet: Any, value: Any, fmt: str) -> Any:
    """A number or date cell with its Excel format; a time in Asia/Shanghai, as people read it."""
    if isinstance(value, datetime):
        value = clock.to_local(value).replace(tzinfo=None) if value.tzinfo is not None else value
    if fmt not in FORMATS or not isinstance(value, int | float | Decimal | date):
        return _as_text(sheet, value)
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = FORMATS[fmt]
    return cell


def _header(sheet: Any, text: Any) -> Any:
    """A header cell, bold on a fill; still data (a skipped-rows file repeats the upload's headers)."""
    value = _as_text(sheet, text)
    cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=value)
    cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    return cell


def write(
    headers: list[str],
    rows: Iterable[list[Any]],
    *,
    title: str = "Sheet1",
    formats: list[str] | None = None,
    widths: list[int] | None = None,
) -> bytes:
    """A workbook with one sheet: a bold, filled header row frozen at the top, then `rows`
    (streamed, constant memory).

    `formats` gives each column's number format (spec.Column.fmt: money, date, datetime);
    `widths` each column's width. Every other value is written as data: text that looks like a
    formula stays text.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        width = widths[index - 1] if widths and index <= len(widths) else max(10, 2 * len(str(header)) + 4)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_header(sheet, h) for h in headers])
    fmts = formats or []
    for row in rows:
        sheet.append([_styled(sheet, v, fmts[i] if i < len(fmts) else "") for i, v in enumerate(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
