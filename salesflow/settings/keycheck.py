"""What makes a SECRET_KEY unfit for production (no Django imports: settings load it early)."""

from __future__ import annotations

import itertools
import math
from collections import Counter

MIN_LENGTH = 32
MIN_DISTINCT = 12
# Shannon estimate of the key's characters: a random 32-character base64 key has ~150 bits.
MIN_BITS = 128


def secret_key_problem(key: str, *, development_key: str) -> str | None:
    """Why `key` must not sign production sessions, or None when it looks random enough.

    Refused: the development key and Django's "django-insecure-" keys, short keys, keys of
    few distinct characters, a short unit repeated ("abcabc…"), runs of neighbouring
    characters ("abcdef…", "123456…", "aaaa…"), and keys with too little estimated entropy.
    """
    if key == development_key or key.startswith("django-insecure-"):
        return "is the development key"
    if len(key) < MIN_LENGTH:
        return f"is shorter than {MIN_LENGTH} characters"
    if len(set(key)) < MIN_DISTINCT:
        return f"has fewer than {MIN_DISTINCT} distinct characters"
    if (key + key).find(key, 1) < len(key):
        return "repeats a shorter pattern"
    neighbours = sum(1 for a, b in itertools.pairwise(key) if abs(ord(a) - ord(b)) <= 1)
    if neighbours * 3 > len(key) - 1:
        return "is mostly runs of neighbouring characters (abc…, 123…, aaa…)"
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if bits < MIN_BITS:
        return f"has too little entropy (about {bits:.0f} bits, {MIN_BITS} needed)"
    return None
