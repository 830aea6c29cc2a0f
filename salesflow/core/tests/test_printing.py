"""The PDF printer (core.printing): the print font cut from the machine's Noto CJK face, the fallback
to the full face for characters outside it, and a fetcher that reaches nothing but the QR code and
the print font."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import uharfbuzz as hb
from PIL import Image
from pypdf import PdfReader

from salesflow.core import printing
from salesflow.quotes.documents import STYLESHEET


def _pdffonts(pdf: bytes) -> list[str]:
    if shutil.which("pdffonts") is None:
        pytest.fail("pdffonts is missing: install Debian's poppler-utils (make install does)")
    listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout
    return [line.split()[0] for line in listing.decode().splitlines()[2:] if line.strip()]


def _pdftotext(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_the_print_font_is_cut_once_to_gb2312_and_keeps_what_a_quote_prints(
    settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    fonts = printing.print_fonts()
    assert set(fonts) == {400, 700} and all(path.parent == tmp_path / "fonts" for path in fonts.values())
    made = {weight: path.stat().st_mtime_ns for weight, path in fonts.items()}
    assert printing.print_fonts() == fonts
    assert {weight: path.stat().st_mtime_ns for weight, path in fonts.items()} == made  # not cut again

    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(fonts[400]))))
    # About 8,000 characters, 14,000 glyphs with their layout alternates; the machine's face holds 65,535.
    assert 8_000 < font.face.glyph_count < 16_000
    for character in "仁和医院壹万贰仟玖佰拾伍元整¥，。（）：%ABCxyz019":
        assert font.get_nominal_glyph(ord(character)), character
    assert font.get_nominal_glyph(ord("喆")) is None  # outside GB2312: printed from the full face


def test_a_character_outside_the_print_font_falls_back_to_the_full_face() -> None:
    pdf = printing.render_pdf("<p>客户联系人：张喆（上海仁和医院）</p>", stylesheet=STYLESHEET)
    assert "张喆（上海仁和医院）" in _pdftotext(pdf)
    fonts = _pdffonts(pdf)
    assert any(name.endswith("+Noto-Sans-CJK-SC-Print") for name in fonts), fonts
    assert any(name.endswith("+Noto-Sans-CJK-SC") for name in fonts), fonts  # 喆 only


def test_printing_fetches_no_file_and_no_address_a_document_names(tmp_path: Path) -> None:
    picture = tmp_path / "secret.png"
    Image.new("RGB", (40, 40), "red").save(picture)
    html = (
        f'<p>附件</p><img src="{picture.as_uri()}"><img src="http://127.0.0.1:9/x.png">'
        f'<link rel="stylesheet" href="{picture.as_uri()}">'
    )
    pdf = printing.render_pdf(html, stylesheet=STYLESHEET)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert "附件" in page.extract_text()
    resources: Any = page["/Resources"]
    assert "/XObject" not in resources or not resources["/XObject"], resources  # no picture drawn

    fetcher = printing._printer()["fetcher"]
    for url in (picture.as_uri(), "http://127.0.0.1:9/x.png", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    allowed = fetcher.fetch("data:text/plain,ok")
    assert allowed.read() == b"ok"
    allowed.close()


def test_a_quote_line_is_never_split_across_two_pages() -> None:
    from benchmarks.quotes import _quote
    from salesflow.quotes import documents

    quote, version, lines = _quote()  # 20 lines with two-line product names: two pages
    share = "https://crm.example.cn/q/" + "x" * 43 + "/"
    html = documents.quote_html(
        quote=quote, version=version, lines=lines, share_url=share, company="华瑞医疗"
    )
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(documents.render_pdf(html))).pages]
    assert len(pages) == 2
    for line in lines:
        # The SKU and the end of the product name ("… 56mm") print on the same page.
        on = [i for i, text in enumerate(pages) if line.sku in text]
        ends = [i for i, text in enumerate(pages) if line.name.rsplit(" ", 1)[1] in text]
        assert len(on) == 1 and on == ends, (line.sku, on, ends)
