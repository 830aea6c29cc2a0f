"""Checking uploaded evidence by its content: file type sniffing, image re-encoding, EXIF, perceptual hash."""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import imagehash
from PIL import ExifTags, Image, UnidentifiedImageError

from salesflow.core import clock

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
OFFICE_PARTS = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


class ContentRefused(ValueError):
    """The bytes are not what the evidence kind needs."""


class TooManyPixels(ContentRefused):
    """An image whose header declares more pixels than the pack allows."""


@dataclass
class Checked:
    """What the content check found: the bytes to store and what they told us."""

    data: bytes
    content_type: str
    extension: str
    exif_taken_at: datetime | None = None
    exif_lat: Decimal | None = None
    exif_lng: Decimal | None = None
    phash: str = ""
    notes: list[str] = field(default_factory=list)


def is_pdf(data: bytes) -> bool:
    """A PDF starts with its header and ends with an end-of-file marker."""
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


def _office_type(data: bytes) -> str | None:
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next(
        (ctype for part, ctype in OFFICE_PARTS.items() if any(n.startswith(part) for n in names)), None
    )


def _ratio(value: object) -> float:
    if isinstance(value, tuple):
        return float(value[0]) / float(value[1]) if value[1] else 0.0
    return float(value)  # type: ignore[arg-type]


def _gps(exif: Image.Exif) -> tuple[Decimal, Decimal] | None:
    info = exif.get_ifd(ExifTags.IFD.GPSInfo)
    try:
        lat = info[2]
        lng = info[4]
        lat_ref, lng_ref = info.get(1, "N"), info.get(3, "E")
    except KeyError:
        return None
    to_deg = lambda dms: _ratio(dms[0]) + _ratio(dms[1]) / 60 + _ratio(dms[2]) / 3600  # noqa: E731
    lat_v = to_deg(lat) * (-1 if lat_ref == "S" else 1)
    lng_v = to_deg(lng) * (-1 if lng_ref == "W" else 1)
    return Decimal(f"{lat_v:.6f}"), Decimal(f"{lng_v:.6f}")


def _taken_at(exif: Image.Exif) -> datetime | None:
    raw = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) or exif.get(
        ExifTags.Base.DateTime
    )
    if not raw:
        return None
    try:
        local = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    # Cameras write local wall-clock time without a zone: read it as the company's time zone.
    return local.replace(tzinfo=clock.to_local(clock.now()).tzinfo)


def _too_many_pixels(size: str, max_pixels: int) -> TooManyPixels:
    return TooManyPixels(
        f"图片{size}超过像素上限 {max_pixels:,} / The image has more than {max_pixels:,} pixels."
    )


def _bound_pixels(image: Image.Image, max_pixels: int) -> None:
    """Refuse a picture larger than `max_pixels` by its header, before a pixel is decoded.

    A JPEG may instead be decoded at 1/2, 1/4 or 1/8 scale (the decoder does this for free),
    so a phone's 48-megapixel photo is kept, smaller, rather than refused.
    """
    width, height = image.size
    if width * height <= max_pixels:
        return
    if image.format == "JPEG":
        for scale in (2, 4, 8):
            if math.ceil(width / scale) * math.ceil(height / scale) <= max_pixels:
                image.draft(image.mode, (width // scale, height // scale))
                break
        # The decoder may decline (e.g. some progressive files): then the size is unchanged.
        if image.size[0] * image.size[1] <= max_pixels:
            return
    raise _too_many_pixels(f"为 {width}×{height} 像素，", max_pixels)


def check_image(data: bytes, *, max_pixels: int) -> Checked:
    """Decode an image (at most `max_pixels`), read its EXIF time and GPS, and re-encode it so
    nothing active survives."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        if image.format not in IMAGE_FORMATS:
            raise ContentRefused(f"不支持的图片格式 {image.format} / Unsupported image format.")
        _bound_pixels(image, max_pixels)
        image.load()
    except Image.DecompressionBombError as exc:
        # Pillow's own guard, for pictures far beyond any pack's limit.
        raise _too_many_pixels("", max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ContentRefused("不是有效的图片（JPEG / PNG / WebP） / Not a valid image.") from exc
    exif = image.getexif()
    gps = _gps(exif)
    # Pixels only: a fresh encode drops EXIF, XMP, ICC scripts and anything appended to the file.
    clean = image.convert("RGB") if image.mode not in ("RGB", "L") else image
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return Checked(
        data=out.getvalue(),
        content_type="image/jpeg",
        extension="jpg",
        exif_taken_at=_taken_at(exif),
        exif_lat=gps[0] if gps else None,
        exif_lng=gps[1] if gps else None,
        phash=str(imagehash.phash(clean)),
    )


def check_file(data: bytes, *, kind: str, max_pixels: int) -> Checked:
    """Accept the bytes for an evidence kind by what they are, never by the file name;
    images of more than `max_pixels` (the pack's `evidence.max_pixels`) are refused."""
    if kind == "photo":
        return check_image(data, max_pixels=max_pixels)
    if kind == "signed_pdf":
        if not is_pdf(data):
            raise ContentRefused("文件内容不是 PDF / The file is not a PDF.")
        return Checked(data=data, content_type="application/pdf", extension="pdf")
    if kind in ("document", "meeting_minutes", "milestone"):
        if is_pdf(data):
            return Checked(data=data, content_type="application/pdf", extension="pdf")
        office = _office_type(data)
        if office:
            extension = {"word": "docx", "spreadsheetml": "xlsx", "presentationml": "pptx"}
            ext = next(v for k, v in extension.items() if k in office)
            return Checked(data=data, content_type=office, extension=ext)
        try:
            return check_image(data, max_pixels=max_pixels)
        except TooManyPixels:
            raise  # an image, just too large: say so rather than "not a document"
        except ContentRefused:
            raise ContentRefused(
                "文件应为 PDF、Word、Excel、PowerPoint 或图片 / Must be a PDF, Office document or image."
            ) from None
    raise ContentRefused(f"“{kind}” 类证据不接受文件 / This kind takes no file.")


def distance_m(lat1: Decimal, lng1: Decimal, lat2: Decimal, lng2: Decimal) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))
