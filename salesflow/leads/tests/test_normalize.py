from __future__ import annotations

import pytest

from salesflow.core import normalize


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+86 138 1234 5678",
        "0086-138-1234-5678",
        "138-1234-5678",
        "86 13812345678",
        "１３８１２３４５６７８",
        "(138) 1234 5678",
    ],
)
def test_mainland_mobiles_in_any_format(raw: str) -> None:
    assert normalize.phone(raw) == "13812345678"


def test_landline_keeps_its_digits() -> None:
    assert normalize.phone("021-6288 1234") == "02162881234"


@pytest.mark.parametrize(
    "raw",
    [
        "杭州瑞康医疗器械有限公司",
        "杭州瑞康医疗器械股份有限公司",
        "杭州瑞康医疗器械（集团）有限公司",
        " 杭州 瑞康医疗器械有限公司 ",
        "杭州瑞康医疗器械",
    ],
)
def test_company_suffixes_brackets_and_spaces(raw: str) -> None:
    assert normalize.company(raw) == "杭州瑞康医疗器械"


def test_full_width_company_and_case() -> None:
    assert normalize.company("ＡＢＣ Medical Co有限公司") == normalize.company("abc medical co")


def test_email_case_insensitive() -> None:
    assert normalize.email(" Li.Ming@Example.CN ") == "li.ming@example.cn"
