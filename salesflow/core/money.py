"""Money in words: an amount in Chinese financial capitals (大写金额), as quotes and contracts print it.

Rules of the written form (as on invoices and cheques): groups of four digits with 万 and 亿, a
zero between non-zero digits read once as 零, 元 then 角 and 分, and 整 when there are no fen
(e.g. ¥1,409.50 → 壹仟肆佰零玖元伍角整, ¥100,000.00 → 壹拾万元整, ¥0.05 → 伍分).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿", "万亿")
MAX_AMOUNT = Decimal("1e16")


def _group(number: int) -> str:
    """0 < number < 10000 in words, with 零 for inner zeros (trailing zeros are silent)."""
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + SMALL_UNITS[position]
    return text


def _yuan(number: int) -> str:
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    text, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        # A lower group below 1000 after a higher one reads a 零 (壹万零伍佰).
        if text and (pending_zero or group < 1000):
            text += "零"
        text += _group(group) + GROUP_UNITS[index]
        pending_zero = False
    return text


def amount_in_words(amount: Decimal) -> str:
    """`amount` yuan (rounded to the fen) in Chinese financial capitals; negative with 负."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(value) >= MAX_AMOUNT:
        raise ValueError("amount too large to write out")
    sign = "负" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    text = _yuan(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan and fen:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return sign + text
