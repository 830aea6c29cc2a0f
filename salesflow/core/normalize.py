"""Normalising contact data so duplicates are found however they were typed."""

from __future__ import annotations

import re
import unicodedata

_NOT_DIGITS = re.compile(r"\D")
_SPACES = re.compile(r"\s+")
# Longest first: "股份有限公司" must go before "有限公司" gets a chance to leave "股份".
_COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团", "公司")
_BRACKETS = str.maketrans("", "", "()（）[]【】")


def _half_width(text: str) -> str:
    # NFKC turns full-width letters, digits and brackets (ＡＢＣ１２３（）) into ASCII.
    return unicodedata.normalize("NFKC", text or "")


def phone(raw: str) -> str:
    """Mainland mobiles as 11 digits (+86, 0086, spaces and dashes removed); other numbers as digits."""
    digits = _NOT_DIGITS.sub("", _half_width(raw))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11 and digits[len(prefix)] == "1":
            return digits[len(prefix) :]
    return digits


def email(raw: str) -> str:
    """E-mail addresses compare case-insensitively."""
    return _half_width(raw).strip().lower()


def company(raw: str) -> str:
    """A company name without legal-form suffixes, brackets, spaces or case differences."""
    name = _SPACES.sub("", _half_width(raw)).translate(_BRACKETS).lower()
    changed = True
    while changed:
        changed = False
        for suffix in _COMPANY_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                changed = True
    return name
