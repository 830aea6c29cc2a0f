"""Amounts in Chinese financial capitals, as invoices write them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesflow.core.money import amount_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),
        ("105", "壹佰零伍元整"),
        ("1409.50", "壹仟肆佰零玖元伍角整"),
        ("1000.07", "壹仟元零柒分"),
        ("10500", "壹万零伍佰元整"),
        ("100000", "壹拾万元整"),
        ("1010000", "壹佰零壹万元整"),
        ("12995", "壹万贰仟玖佰玖拾伍元整"),
        ("100000001", "壹亿零壹元整"),
        ("33922.60", "叁万叁仟玖佰贰拾贰元陆角整"),
        ("-8.8", "负捌元捌角整"),
    ],
)
def test_amounts_read_like_an_invoice(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


def test_an_amount_beyond_the_written_range_is_refused() -> None:
    with pytest.raises(ValueError):
        amount_in_words(Decimal("1e17"))
