"""Evidence images are bounded by the pack's `evidence.max_pixels`, checked before decoding."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from PIL import Image

from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customers
from salesflow.pipeline import evidence as evidence_checks
from salesflow.pipeline.models import Evidence
from salesflow.rules import services as rules
from salesflow.rules.selectors import active_pack


def _png(width: int, height: int, mode: str = "1") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), 0).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 200)).save(out, format="JPEG", quality=50)
    return out.getvalue()


def _named(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A 12000 × 12000 PNG: about 17 KB on the wire, over 400 MB once decoded."""
    return _png(12_000, 12_000)


def test_a_decompression_bomb_png_is_refused_by_its_header_without_decoding(bomb: bytes) -> None:
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(evidence_checks.TooManyPixels) as refused:
            evidence_checks.check_file(bomb, kind="photo", max_pixels=40_000_000)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "12000×12000" in str(refused.value) and "40,000,000" in str(refused.value)
    assert peak < 20 * 2**20  # nothing near the 144 million pixels was allocated
    # A document kind that also takes images says the image is too large, not "not a document".
    with pytest.raises(evidence_checks.TooManyPixels):
        evidence_checks.check_file(bomb, kind="document", max_pixels=40_000_000)


def test_a_large_jpeg_is_decoded_smaller_instead_of_refused() -> None:
    checked = evidence_checks.check_file(_jpeg(4000, 3000), kind="photo", max_pixels=4_000_000)
    with Image.open(io.BytesIO(checked.data)) as stored:
        width, height = stored.size
    assert width * height <= 4_000_000 and (width, height) == (2000, 1500)


@pytest.mark.django_db
def test_the_evidence_api_answers_a_bomb_with_a_422_naming_the_file_and_stores_nothing(
    trio: Trio, bomb: bytes
) -> None:
    customer = customers.customer_create(name="金华市中心医院", actor=None, owner=trio.owner)
    api = api_client_for(trio.owner)
    code = api.post(
        "/api/v1/visits",
        {"customer": customer.pk, "package": "hospital_visit"},
        content_type="application/json",
    ).json()["code"]
    response = api.post(
        "/api/v1/evidence",
        {"visit": code, "requirement": "door_plate_photo", "file": _named(bomb, "门牌.png")},
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == "file" and "像素上限" in error["msg"]
    assert not Evidence.objects.exists()


@pytest.mark.django_db
def test_the_pixel_limit_comes_from_the_pack(trio: Trio) -> None:
    customer = customers.customer_create(name="金华市中心医院", actor=None, owner=trio.owner)
    api = api_client_for(trio.owner)
    code = api.post(
        "/api/v1/visits",
        {"customer": customer.pk, "package": "hospital_visit"},
        content_type="application/json",
    ).json()["code"]
    photo = _png(1500, 1000, mode="RGB")  # 1.5 million pixels: fine under the default
    _number, pack = active_pack()
    assert pack.evidence.max_pixels == 40_000_000
    strict = pack.model_copy(update={"evidence": pack.evidence.model_copy(update={"max_pixels": 1_000_000})})
    rules.pack_version_create(pack=strict, actor=trio.admin, note="1 MP")
    refused = api.post(
        "/api/v1/evidence", {"visit": code, "requirement": "door_plate_photo", "file": _named(photo, "p.png")}
    )
    assert refused.status_code == 422 and "1,000,000" in refused.json()["detail"][0]["msg"]
    rules.pack_version_create(pack=pack, actor=trio.admin, note="back")
    accepted = api.post(
        "/api/v1/evidence", {"visit": code, "requirement": "door_plate_photo", "file": _named(photo, "p.png")}
    )
    assert accepted.status_code == 201, accepted.content
