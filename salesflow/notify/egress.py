"""Where channels may send: https to public addresses, plus the operator's on-premise allow-list.

A channel's URL is typed by whoever owns it (a rep's personal robot), and the server then POSTs
to it. Without limits that turns the server into a proxy into its own network (127.0.0.1, the
database, cloud metadata at 169.254.169.254 …). The policy:

* the URL must be `https://` to a host whose every address is public (globally routable);
* a host or network on the allow-list may be reached over http or https even though it is
  private — that is how an on-premise chat robot is used. The allow-list is the deployment's
  `SALESFLOW_NOTIFY_ALLOWED_TARGETS` (host names, IP addresses or CIDRs, e.g.
  `robot.intranet,10.20.0.0/16`) plus the entries the ops admin adds in the app
  (`EgressAllowance`, 设置 → 通知渠道), read afresh for every check so a removal holds at once.

The URL is checked when the channel is saved (a clear field error) and again at send time,
because DNS can answer differently later (rebinding). At send time the connection goes to the
very address that was checked, with the Host header and TLS SNI/certificate check still using
the host name, and redirects are never followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from salesflow.notify.selectors import allowance_entries

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

REFUSED = "已拒绝：地址不允许"


class TargetRefused(Exception):
    """The URL may not be requested; the message (Chinese, for the channel owner) says why."""


@dataclass(frozen=True)
class AllowList:
    """The operator's on-premise exceptions: exact host names and networks."""

    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.networks)


# The broadest network an in-app entry may name. An entry lets channels reach private
# addresses over plain http, so it is meant for an on-premise segment, not for address space
# as such: 0.0.0.0/0 or ::/0 would switch the whole policy off, and anything wider than a /8
# (IPv4; a /32 is what one organisation is given in IPv6) spans more than any one site's
# network — a mistyped prefix, not an on-premise target. The deployment setting is not bound by
# this: whoever configures the server decides there.
MIN_PREFIX = {4: 8, 6: 32}
# IPv6 ranges that carry an IPv4 address: targets in them are judged as that IPv4 address
# (see `_unmapped`), so an IPv6 entry there would never match; the IPv4 entry is what works.
IPV4_CARRIERS = (
    ipaddress.IPv6Network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64
    ipaddress.IPv6Network("2002::/16"),  # 6to4
    ipaddress.IPv6Network("2001::/32"),  # Teredo
)
# RFC 1123: labels of letters, digits and hyphens, 1–63 long, no hyphen at either end.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
HOST_MAX = 253


def canonical_entry(text: str) -> str:
    """`text` as an allow-list entry in canonical form; ValueError with a Chinese message otherwise.

    A host name (RFC 1123, lower-cased, no trailing dot), an IP address, or a network in CIDR
    notation (`10.20.0.0/16`); a network no broader than MIN_PREFIX.
    """
    entry = text.strip()
    if not entry:
        raise ValueError("请填写主机名、IP 地址或网段 / Enter a host name, an IP address or a network.")
    # One colon is host:port (IPv6 has two or more); "%" a zone, which names a local interface.
    if (
        "://" in entry
        or entry.count("/") > 1
        or entry.count(":") == 1
        or any(c in entry for c in "?#@[]%\\ \t")
    ):
        raise ValueError(
            "只填写主机名、IP 地址或网段，不含 http://、端口或路径 / "
            "A host name, IP address or network only: no scheme, port or path."
        )
    if "/" in entry or ":" in entry or all(c.isdigit() or c == "." for c in entry):
        return _canonical_network(entry)
    return _canonical_host(entry)


def _canonical_network(entry: str) -> str:
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        raise ValueError(f"“{entry}” 不是有效的 IP 地址或网段 / Not a valid IP address or network.") from None
    if "/" in entry and ipaddress.ip_address(entry.split("/", 1)[0]) != network.network_address:
        raise ValueError(f"网段的主机位应为 0，是否要填 {network}？ / Host bits set: did you mean {network}?")
    if network.prefixlen < MIN_PREFIX[network.version]:
        limit = MIN_PREFIX[network.version]
        raise ValueError(
            f"网段过大：IPv{network.version} 最大 /{limit}，白名单只用于内网的具体网段 / "
            f"Too broad: at most /{limit} for IPv{network.version}; list the on-premise segment only."
        )
    if isinstance(network, ipaddress.IPv6Network) and any(network.overlaps(c) for c in IPV4_CARRIERS):
        raise ValueError(
            "该 IPv6 地址内含 IPv4 地址，请直接填写 IPv4 地址或网段 / "
            "This IPv6 range carries IPv4 addresses: enter the IPv4 address or network instead."
        )
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _canonical_host(entry: str) -> str:
    host = entry.lower().rstrip(".")
    if not host.isascii():
        raise ValueError(
            "中文等非 ASCII 域名请填写其 xn-- 形式（Punycode） / "
            "Enter an internationalised name in its xn-- form."
        )
    try:
        socket.inet_aton(host)  # "0x7f.1" is a name by RFC 1123 but the resolver reads it as 127.0.0.1
    except OSError:
        pass
    else:
        raise ValueError("IP 地址请用点分十进制填写，如 10.20.1.5 / Write an IP address as e.g. 10.20.1.5.")
    labels = host.split(".")
    if len(host) > HOST_MAX or not all(_LABEL.match(label) for label in labels):
        raise ValueError(
            f"“{entry}” 不是有效的主机名（字母、数字和连字符，每段最多 63 个字符） / "
            "Not a valid host name (RFC 1123)."
        )
    return host


def deployment_entries() -> list[str]:
    """The entries of the deployment setting, as configured (blank ones dropped)."""
    raw = getattr(settings, "SALESFLOW_NOTIFY_ALLOWED_TARGETS", []) or []
    return [entry for entry in (str(item).strip() for item in raw) if entry]


def allow_list() -> AllowList:
    """The effective allow-list: the deployment setting and the ops admin's in-app entries.

    One query per call, and no cache across calls: a check made after an entry is removed
    must refuse, whichever process (web or worker) removed it.
    Entries that parse as an IP or CIDR are networks, the rest host names.
    """
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in [*deployment_entries(), *allowance_entries()]:
        entry = str(raw).strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.lower().rstrip("."))
    return AllowList(hosts=frozenset(hosts), networks=tuple(networks))


# The well-known NAT64 prefix: a NAT64 gateway turns 64:ff9b::a00:1 into 10.0.0.1.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _unmapped(address: IPAddress) -> IPAddress:
    """::ffff:127.0.0.1, NAT64, 6to4 and Teredo are judged as the IPv4 address they carry."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def is_public(address: IPAddress) -> bool:
    """Globally routable and not special (loopback, private, link-local, CGNAT, multicast …)."""
    plain = _unmapped(address)
    return bool(plain.is_global) and not (
        plain.is_multicast or plain.is_reserved or plain.is_loopback or plain.is_link_local
    )


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@dataclass(frozen=True)
class Target:
    """A URL that passed the policy, split for a pinned connection."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line
    allow_listed_host: bool


def parse(url: str, allowed: AllowList | None = None) -> Target:
    """Split and check the URL's form (scheme, host, port); TargetRefused when it is not usable.

    `allowed` is the allow-list the caller already read (read here when not given).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("地址格式不正确") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in ("http", "https") or not host:
        raise TargetRefused("请输入 https:// 开头的地址")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("地址中不能包含用户名或密码")
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    allowed = allowed if allowed is not None else allow_list()
    return Target(
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        path=path,
        allow_listed_host=allowed.allows_host(host),
    )


def _check_address(target: Target, address: IPAddress, allowed: AllowList) -> None:
    on_premise = target.allow_listed_host or allowed.allows_address(_unmapped(address))
    if on_premise:
        return
    if not is_public(address):
        raise TargetRefused(f"{REFUSED}（{target.host} 指向内网或本机地址，需运营管理员加入白名单）")
    if target.scheme != "https":
        raise TargetRefused("只允许 https:// 地址（内网地址需运营管理员加入白名单）")


def _resolve(host: str, port: int) -> list[IPAddress]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    return seen


def check_on_save(url: str) -> None:
    """The save-time check: form, scheme and, where the host can be resolved now, its addresses.

    A name that does not resolve at the moment is accepted (DNS may be down or split-horizon);
    the send-time check decides then.
    """
    allowed = allow_list()
    target = parse(url, allowed)
    if target.allow_listed_host:
        return
    try:
        addresses = _resolve(target.host, target.port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses and target.scheme != "https":
        raise TargetRefused("只允许 https:// 地址（内网地址需运营管理员加入白名单）")
    for address in addresses:
        _check_address(target, address, allowed)


def resolve_for_send(target: Target, allowed: AllowList | None = None) -> IPAddress:
    """The address to connect to: every address the host resolves to must pass (no mixed answers)."""
    allowed = allowed if allowed is not None else allow_list()
    try:
        addresses = _resolve(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise OSError(f"cannot resolve {target.host}: {exc}") from None
    if not addresses:
        raise OSError(f"cannot resolve {target.host}")
    for address in addresses:
        _check_address(target, address, allowed)
    return addresses[0]


class _PinnedMixin:
    """Connect to the checked address; http.client keeps using the host name for Host and SNI."""

    pinned: IPAddress

    def _pinned_connection(
        self, address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        return socket.create_connection((str(self.pinned), address[1]), timeout, source_address)


class PinnedHTTPConnection(_PinnedMixin, http.client.HTTPConnection):
    """Plain HTTP to a pinned address (only for allow-listed on-premise targets)."""

    def __init__(self, host: str, port: int, *, pinned: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned = pinned
        self._create_connection = self._pinned_connection


class PinnedHTTPSConnection(_PinnedMixin, http.client.HTTPSConnection):
    """HTTPS to a pinned address; the certificate is verified against the host name."""

    def __init__(self, host: str, port: int, *, pinned: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned = pinned
        self._create_connection = self._pinned_connection


def open_connection(url: str, *, timeout: float) -> tuple[http.client.HTTPConnection, Target]:
    """A connection to the URL's checked address; TargetRefused when the policy forbids it."""
    allowed = allow_list()  # read once per send: the form check and the address check agree
    target = parse(url, allowed)
    pinned = resolve_for_send(target, allowed)
    cls = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    return cls(target.host, target.port, pinned=pinned, timeout=timeout), target
