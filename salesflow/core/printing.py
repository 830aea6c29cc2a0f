"""HTML printed to PDF by WeasyPrint: the quote snapshot (报价快照) and the meeting minutes (会议纪要).

Two things make a print cheap, both measured on a 20-line quote (benchmarks/results/README.md,
Quotes, "Fifth round"):

- **The print font.** The machine's Noto Sans CJK faces come in 20 MB collections of 65,535 glyphs.
  WeasyPrint copies the whole collection into Python and HarfBuzz subsets it again on every print,
  about a third of the time. The print font is the SC face cut once per machine to GB2312, Latin and
  punctuation (about 8,000 characters, 14,000 glyphs with their alternates, 3.5 MB), by HarfBuzz
  in a fraction of a second, under `VAR_DIR/fonts`. A character outside it (喆 or 珺 in a name)
  falls back to the full face through the stylesheets' font-family list: nothing prints as a box.
- **One font configuration per thread.** Loading the print font's faces into Pango costs as much as
  laying out a page; the loaded configuration and the parsed stylesheets are kept for the thread
  (Pango's font map is not safe to share between threads).

Only `data:` URLs (the QR code) and the print font's own files are fetched while printing: the
HTML holds what users typed, escaped, and the printer never reaches the network or other files.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# The family the stylesheets name first; the full machine face follows it as the fallback.
PRINT_FAMILY = "Noto Sans CJK SC Print"
SOURCE_FAMILY = "Noto Sans CJK SC"
SOURCE_FONTS = {400: "NotoSansCJK*-Regular.tt[co]", 700: "NotoSansCJK*-Bold.tt[co]"}
FONT_ROOTS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))

# WeasyPrint reports each layout step at INFO: one line per step of every print.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

_build_lock = threading.Lock()
_thread = threading.local()


@atexit.register
def _forget_printer() -> None:
    """Drop the main thread's printer before the interpreter tears down the modules its
    font configuration needs to delete its temporary folder."""
    _thread.__dict__.pop("printer", None)


def print_charset() -> list[int]:
    """The code points the print font keeps: GB2312 (the 6,763 common hanzi and its symbols),
    ASCII, Latin-1 and Latin Extended-A, general punctuation, CJK punctuation and full-width forms."""
    points = {*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2000, 0x2070), *range(0x3000, 0x3040)}
    points |= {*range(0xFF00, 0xFFF0), 0x20AC, 0x2103, 0x2116}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(points)


def font_dir() -> Path:
    """Where the print font is kept (made on the first print of the machine)."""
    return Path(settings.VAR_DIR) / "fonts"


def _source_face(weight: int) -> Any | None:
    """The machine's Noto Sans CJK SC face of `weight` (HarfBuzz face), or None if not installed."""
    import uharfbuzz as hb

    for root in FONT_ROOTS:
        for path in sorted(root.rglob(SOURCE_FONTS[weight])) if root.is_dir() else ():
            blob = hb.Blob.from_file_path(str(path))
            for index in range(hb.Face(blob).count):
                face = hb.Face(blob, index)
                if face.get_name(hb.OTNameIdPredefined.FONT_FAMILY) == SOURCE_FAMILY:
                    return face
    return None


def _make_print_font(weight: int, target: Path) -> bool:
    """Cut the machine's face of `weight` to `print_charset()` into `target`; False without a face."""
    import uharfbuzz as hb

    face = _source_face(weight)
    if face is None:
        return False
    subset_input = hb.SubsetInput()
    for point in print_charset():
        subset_input.unicode_set.add(point)
    data = hb.subset(face, subset_input).blob.data
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.part")
    partial.write_bytes(data)
    os.replace(partial, target)  # atomic: a concurrent print sees the whole file or none
    return True


def print_fonts() -> dict[int, Path]:
    """The print font's files by CSS weight, made on first use; empty when the machine lacks
    Noto Sans CJK SC (prints then use whatever fontconfig finds, just slower)."""
    fonts = {weight: font_dir() / f"print-sc-v1-{weight}.otf" for weight in SOURCE_FONTS}
    with _build_lock:
        for weight, path in fonts.items():
            if not path.exists() and not _make_print_font(weight, path):
                logger.warning("Noto Sans CJK SC is not installed: PDFs print with the system fonts")
                return {}
    return fonts


def _font_face_css(fonts: dict[int, Path]) -> str:
    return "".join(
        f'@font-face {{ font-family: "{PRINT_FAMILY}"; src: url("{path.as_uri()}"); '
        f"font-weight: {weight}; }}\n"
        for weight, path in fonts.items()
    )


def _printer() -> Any:
    """This thread's font configuration, fetcher and parsed stylesheets (made on its first print)."""
    printer = getattr(_thread, "printer", None)
    if printer is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        fonts = print_fonts()
        allowed = {path.as_uri() for path in fonts.values()}

        class PrintFetcher(URLFetcher):
            """Fetches `data:` URLs and the print font, refuses everything else."""

            def fetch(self, url: str, headers: Any = None) -> Any:
                if url.startswith("data:") or url in allowed:
                    return super().fetch(url, headers)
                raise ValueError(f"Printing fetches no external resource: {url[:80]}")

        font_config = FontConfiguration()
        fetcher = PrintFetcher()
        faces = CSS(string=_font_face_css(fonts), font_config=font_config, url_fetcher=fetcher)
        printer = _thread.printer = {
            "font_config": font_config,
            "fetcher": fetcher,
            "faces": faces,
            "css": {},
        }
    return printer


def render_pdf(html: str, *, stylesheet: Path) -> bytes:
    """PDF bytes of `html` styled by `stylesheet` (fonts subset and embedded by WeasyPrint)."""
    from weasyprint import CSS, HTML

    printer = _printer()
    key = (str(stylesheet), stylesheet.stat().st_mtime_ns)
    css = printer["css"].get(key)
    if css is None:
        css = printer["css"][key] = CSS(
            filename=str(stylesheet), font_config=printer["font_config"], url_fetcher=printer["fetcher"]
        )
    document = HTML(string=html, base_url=None, url_fetcher=printer["fetcher"])
    pdf: bytes = document.write_pdf(stylesheets=[printer["faces"], css], font_config=printer["font_config"])
    return pdf
