"""Netplan's scalar value syntax: booleans, integers, time spans, addresses, MACs.

Netplan reads every scalar as text with its own rules (``y``/``n`` are booleans, integers are
decimal, time spans may carry systemd suffixes such as ``100ms`` or ``1s``), which differ from
YAML 1.1's. Each parser here takes a located :class:`Node` and raises the importer's fatal
error at the value when netplan itself would refuse it, so messages read like netplan's.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv6Address,
    IPv6Interface,
    ip_address,
    ip_interface,
)

from hvnet.importers.netplan_yaml import Node
from hvnet.model import IPAddress, IPInterface

_TRUE = {"true", "on", "yes", "y"}
_FALSE = {"false", "off", "no", "n"}
_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")

#: systemd.time(7) units, as multiples of one millisecond.
_UNITS_MS: dict[str, Decimal] = {
    "us": Decimal("0.001"),
    "usec": Decimal("0.001"),
    "µs": Decimal("0.001"),
    "ms": Decimal(1),
    "msec": Decimal(1),
    "s": Decimal(1000),
    "sec": Decimal(1000),
    "second": Decimal(1000),
    "seconds": Decimal(1000),
    "m": Decimal(60_000),
    "min": Decimal(60_000),
    "minute": Decimal(60_000),
    "minutes": Decimal(60_000),
    "h": Decimal(3_600_000),
    "hr": Decimal(3_600_000),
    "hour": Decimal(3_600_000),
    "hours": Decimal(3_600_000),
    "d": Decimal(86_400_000),
    "day": Decimal(86_400_000),
    "days": Decimal(86_400_000),
    "w": Decimal(604_800_000),
    "week": Decimal(604_800_000),
    "weeks": Decimal(604_800_000),
}
_SPAN_PART = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zµ]*)\s*")


def text(node: Node) -> str:
    """The scalar as netplan sees it: text (YAML's typing undone for bools and numbers)."""
    if not node.is_scalar:
        node.fail("expected scalar")
    value = node.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def boolean(node: Node) -> bool:
    if isinstance(node.value, bool):
        return node.value
    word = text(node).lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    node.fail(f"invalid boolean value '{text(node)}'")


def unsigned(node: Node, what: str = "unsigned int value") -> int:
    """A decimal unsigned integer (netplan uses strtoull base 10: no sign, no 0x)."""
    if isinstance(node.value, int) and not isinstance(node.value, bool) and node.value >= 0:
        return node.value
    word = text(node)
    if not word.isdigit():
        node.fail(f"invalid {what} '{word}'")
    return int(word)


def duration_ms(node: Node, default_unit: str) -> Decimal:
    """A netplan/systemd time span in milliseconds; bare numbers are in *default_unit*.

    Netplan passes these through to networkd's ``...Sec=`` settings, adding ``ms`` to bare
    numbers of bond intervals and reading bridge times as seconds, so ``100``, ``100ms`` and
    ``0.1s`` are the same bond interval. Several parts add up (``1s 500ms``).
    """
    word = text(node).strip().lower()
    pos, total = 0, Decimal(0)
    if not word:
        node.fail("invalid time span ''")
    while pos < len(word):
        match = _SPAN_PART.match(word, pos)
        if match is None or match.end() == pos:
            node.fail(f"invalid time span '{text(node)}'")
        unit = match.group(2) or default_unit
        if unit not in _UNITS_MS:
            node.fail(f"invalid time span '{text(node)}': unknown unit '{unit}'")
        try:
            total += Decimal(match.group(1)) * _UNITS_MS[unit]
        except InvalidOperation:  # pragma: no cover - the pattern only admits decimals
            node.fail(f"invalid time span '{text(node)}'")
        pos = match.end()
    return total


def interface_address(node: Node) -> IPInterface:
    """An ``addr/prefix`` entry of ``addresses:``; netplan requires the prefix."""
    word = text(node).strip()
    if "/" not in word:
        node.fail(f"address '{word}' is missing /prefixlength")
    addr, _, prefix = word.rpartition("/")
    try:
        parsed = ip_interface(f"{addr}/{int(prefix)}") if prefix.isdigit() else None
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            ip_address(addr)
        except ValueError:
            node.fail(f"malformed address '{word}', must be X.X.X.X/NN or X:X:X:X:X:X:X:X/NN")
        node.fail(f"invalid prefix length in address '{word}'")
    if parsed.network.prefixlen == 0:
        node.fail(f"invalid prefix length in address '{word}'")
    return parsed


def address(node: Node, version: int | None = None) -> IPAddress:
    """A single address without prefix (gateways, nameservers, route ``via``)."""
    word = text(node).strip()
    try:
        parsed = ip_address(word)
    except ValueError:
        family = {4: "IPv4 ", 6: "IPv6 "}.get(version or 0, "")
        node.fail(f"invalid {family}address '{word}'")
    if version is not None and parsed.version != version:
        node.fail(f"invalid IPv{version} address '{word}'")
    return parsed


def ipv4(node: Node) -> IPv4Address:
    parsed = address(node, 4)
    assert isinstance(parsed, IPv4Address)
    return parsed


def ipv6(node: Node) -> IPv6Address:
    parsed = address(node, 6)
    assert isinstance(parsed, IPv6Address)
    return parsed


def prefix(node: Node) -> IPv4Interface | IPv6Interface:
    """A route destination: ``addr/prefix`` or a bare address (a host route)."""
    word = text(node).strip()
    try:
        return ip_interface(word)
    except ValueError:
        node.fail(f"invalid route destination '{word}'")


def is_mac(word: str) -> bool:
    return bool(_MAC.match(word))


def mac(node: Node) -> str:
    """A colon-separated MAC address, lower-cased like the hvnet loader stores it."""
    word = text(node).strip()
    if not is_mac(word):
        node.fail(f"Invalid MAC address '{word}', must be XX:XX:XX:XX:XX:XX")
    return word.lower()
