"""Forms of 设置 → 工作日历: one day, or a year's arrangement pasted or uploaded (CSV / xlsx).

Forms only parse input into `(date, is_workday, name)` rows; the services validate and write.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from itertools import islice
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import FieldErrors

CalendarRow = tuple[date, bool, str]

WORKDAY_WORDS = {"1", "true", "yes", "y", "是", "上班", "工作日", "workday", "makeup_workday"}
RESTDAY_WORDS = {"0", "false", "no", "n", "否", "休息", "放假", "休", "holiday"}
HEADER_WORDS = {"date", "day", "日期"}
# A year's arrangement is ~40 rows; these bounds stop a wrong file from being read whole.
MAX_UPLOAD_BYTES = 1_000_000
MAX_ROWS = 2_000


class CalendarDayForm(forms.Form):
    """Set one day to working or rest (e.g. 公司年会 on a weekday, or a 调休 Saturday)."""

    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(
        label=_("这一天"),
        choices=[("0", _("休息")), ("1", _("上班"))],
        coerce=lambda value: value == "1",
        empty_value=None,
    )
    name = forms.CharField(label=_("名称"), max_length=50, required=False)


class CalendarImportForm(forms.Form):
    """A year's arrangement as published by the State Council: a file or pasted lines."""

    file = forms.FileField(label=_("CSV 或 Excel 文件"), required=False)
    rows = forms.CharField(
        label=_("或粘贴，每行：日期,上班/休息,名称"), required=False, widget=forms.Textarea
    )

    def clean(self) -> dict[str, Any]:
        """Parse the file and the pasted lines into rows; errors name the line."""
        cleaned = super().clean() or {}
        rows: list[CalendarRow] = []
        try:
            upload = cleaned.get("file")
            if upload:
                rows += rows_from_upload(upload)
            if (cleaned.get("rows") or "").strip():
                rows += rows_from_records(csv.reader(io.StringIO(cleaned["rows"].strip())))
        except FieldErrors as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
            return cleaned
        if not rows and not self.errors:
            self.add_error("rows", _("请上传文件或粘贴放假安排"))
        cleaned["parsed"] = rows
        return cleaned


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def rows_from_records(records: Iterable[Iterable[Any]], *, field: str = "rows") -> list[CalendarRow]:
    """Records of `date,is_workday,name` → rows; FieldErrors under `field` names each bad line.

    Blank lines, `#` comments and a header line (日期 / date) are skipped.
    """
    rows: list[CalendarRow] = []
    errors: list[str] = []
    for number, raw in enumerate(records, start=1):
        if number > MAX_ROWS:
            errors.append(f"超过 {MAX_ROWS} 行，请只导入一年的安排")
            break
        record = [_cell(v) for v in raw]
        first = record[0] if record else ""
        if not first or first.startswith("#") or (number == 1 and first.lower() in HEADER_WORDS):
            continue
        try:
            day = date.fromisoformat(first.replace("/", "-"))
        except ValueError:
            errors.append(f"第 {number} 行：“{first}” 不是日期（YYYY-MM-DD）")
            continue
        flag = record[1].lower() if len(record) > 1 else ""
        if flag in WORKDAY_WORDS:
            is_workday = True
        elif flag in RESTDAY_WORDS:
            is_workday = False
        else:
            errors.append(f"第 {number} 行：第二列应为 上班/休息（1/0），而不是“{flag}”")
            continue
        rows.append((day, is_workday, record[2] if len(record) > 2 else ""))
    if errors:
        raise FieldErrors({field: errors})
    return rows


def rows_from_upload(upload: UploadedFile) -> list[CalendarRow]:
    """Rows of an uploaded `.csv` (UTF-8 or the GBK that Excel writes in China) or `.xlsx`."""
    name = (upload.name or "").lower()
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise FieldErrors({"file": ["文件太大（最多 1 MB）"]})
    data = upload.read()
    if name.endswith(".xlsx"):
        return rows_from_records(_xlsx_records(data), field="file")
    if name.endswith((".csv", ".txt")):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return rows_from_records(csv.reader(io.StringIO(text.strip())), field="file")
        raise FieldErrors({"file": ["无法识别文件编码，请另存为 UTF-8 CSV"]})
    raise FieldErrors({"file": ["请上传 .csv 或 .xlsx 文件"]})


def _xlsx_records(data: bytes) -> list[tuple[Any, ...]]:
    """The first sheet's rows (cell values, not formulas)."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise FieldErrors({"file": ["不是有效的 Excel（.xlsx）文件"]}) from None
    try:
        sheet = workbook.worksheets[0]
        return list(islice(sheet.iter_rows(values_only=True), MAX_ROWS + 1))
    finally:
        workbook.close()
