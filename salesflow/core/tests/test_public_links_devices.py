"""Device classes from User-Agent headers, and the keyed address hash of public link accesses."""

from __future__ import annotations

import pytest

from salesflow.core.public_links import device_class, ip_hash

UAS = {
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148": "phone",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36": "phone",
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/120 Safari/537.36": "tablet",
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148": "tablet",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36": "desktop",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0": "desktop",
    "Mozilla/5.0 (Linux; Android 12; V2049A) AppleWebKit/537.36 MicroMessenger/8.0 Mobile": "phone",
    "curl/8.0": "other",
    "": "other",
}


@pytest.mark.parametrize(("agent", "device"), list(UAS.items()))
def test_device_class(agent: str, device: str) -> None:
    assert device_class(agent) == device


def test_the_address_hash_is_stable_keyed_and_not_the_address() -> None:
    assert ip_hash("203.0.113.7") == ip_hash("203.0.113.7") != ip_hash("203.0.113.8")
    assert "203" not in ip_hash("203.0.113.7") and len(ip_hash("203.0.113.7")) == 64
    assert ip_hash("") == ""
