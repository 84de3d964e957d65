"""Dump links, addresses and routes over a raw netlink socket and decode what hvnet reads.

The snapshot is taken before and after every apply and by every check, so its cost decides
how fast a no-op re-apply is. pyroute2's generic decoder builds a rich object for every
attribute of every message (statistics, qdisc, AF_SPEC, ...); under emulation that costs tens
of milliseconds per link. We decode only the ~20 attributes the snapshot uses, with struct,
into tiny message objects that answer the same ``msg[field]`` / ``msg.get_attr(NAME)`` calls as
pyroute2's, so :func:`hvnet.kernel.netlink.snapshot_from_messages` takes either.
``tests/kernel/test_nldump.py`` checks that both give identical snapshots.
"""

from __future__ import annotations

import _socket
import struct
import sys
from collections.abc import Callable
from ipaddress import ip_address
from typing import Any

from hvnet.kernel.nlrequests import (
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETROUTE,
    SNAPSHOT_DUMPS,
    dump_request,
)
from hvnet.native import rtnl

_HDR = struct.Struct("=IHHII")
_RTA = struct.Struct("=HH")
_IFINFO = struct.Struct("=BxHiII")
_U32 = struct.Struct("=I")
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_OPERSTATES = ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP")

Decoder = Callable[[bytes], Any]
_ORDER = sys.byteorder  # netlink integers are in host order


def _u8(b: bytes) -> int:
    return b[0]


def _u16(b: bytes) -> int:
    return int.from_bytes(b[:2], _ORDER)


def _u32(b: bytes) -> int:
    return int.from_bytes(b[:4], _ORDER)


def _be16(b: bytes) -> int:
    return int(struct.unpack_from(">H", b)[0])


def _str(b: bytes) -> str:
    return b.split(b"\0", 1)[0].decode(errors="replace")


def _mac(b: bytes) -> str:
    return b.hex(":")


def _ip(b: bytes) -> str:
    return str(ip_address(b)) if len(b) in (4, 16) else b.hex()


def _oper(b: bytes) -> str:
    return _OPERSTATES[b[0]] if b[0] < len(_OPERSTATES) else "UNKNOWN"


_DATA_TABLES: dict[str, dict[int, tuple[str, Decoder]]] = {
    "vlan": {1: ("IFLA_VLAN_ID", _u16), 5: ("IFLA_VLAN_PROTOCOL", _be16)},
    "bridge": {
        1: ("IFLA_BR_FORWARD_DELAY", _u32),
        2: ("IFLA_BR_HELLO_TIME", _u32),
        3: ("IFLA_BR_MAX_AGE", _u32),
        4: ("IFLA_BR_AGEING_TIME", _u32),
        5: ("IFLA_BR_STP_STATE", _u32),
        6: ("IFLA_BR_PRIORITY", _u16),
        7: ("IFLA_BR_VLAN_FILTERING", _u8),
    },
}
_SLAVE_TABLES: dict[str, dict[int, tuple[str, Decoder]]] = {
    "bridge": {
        1: ("IFLA_BRPORT_STATE", _u8),
        2: ("IFLA_BRPORT_PRIORITY", _u16),
        3: ("IFLA_BRPORT_COST", _u32),
    },
}
_LINK_ATTRS: dict[int, tuple[str, Decoder]] = {
    1: ("IFLA_ADDRESS", _mac),
    3: ("IFLA_IFNAME", _str),
    4: ("IFLA_MTU", _u32),
    5: ("IFLA_LINK", _u32),
    10: ("IFLA_MASTER", _u32),
    16: ("IFLA_OPERSTATE", _oper),
    33: ("IFLA_CARRIER", _u8),
}
_ADDR_ATTRS: dict[int, tuple[str, Decoder]] = {
    1: ("IFA_ADDRESS", _ip),
    2: ("IFA_LOCAL", _ip),
    8: ("IFA_FLAGS", _u32),
}
_ROUTE_ATTRS: dict[int, tuple[str, Decoder]] = {
    1: ("RTA_DST", _ip),
    4: ("RTA_OIF", _u32),
    5: ("RTA_GATEWAY", _ip),
    6: ("RTA_PRIORITY", _u32),
    15: ("RTA_TABLE", _u32),
}


class Msg:
    """A decoded message or nested attribute set: ``msg[field]`` and ``msg.get_attr(NAME)``."""

    __slots__ = ("attrs", "fields")

    def __init__(self, fields: dict[str, Any], attrs: dict[str, Any]) -> None:
        self.fields = fields
        self.attrs = attrs

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def get_attr(self, name: str) -> Any:
        return self.attrs.get(name)

    def get(self, key: str, default: Any = None) -> Any:
        """A field, like pyroute2's ``nla.get`` (used for devconf values)."""
        return self.fields.get(key, default)


def _attrs(
    data: bytes, offset: int, table: dict[int, tuple[str, Decoder]], end: int | None = None
) -> dict[str, Any]:
    """The attributes of *table* found in ``data[offset:end]``, decoded; others skipped
    without a copy. Stops once all of *table* is found: a bridge's IFLA_INFO_DATA holds about
    forty attributes and a bridge port's thirty, and the kernel puts the few we read first."""
    out: dict[str, Any] = {}
    unpack = _RTA.unpack_from
    stop = len(data) if end is None else end
    wanted = len(table)
    while offset + 4 <= stop:
        length, kind = unpack(data, offset)
        if length < 4:
            break
        entry = table.get(kind & 0x3FFF)
        if entry is not None:
            out[entry[0]] = entry[1](data[offset + 4 : offset + length])
            if len(out) == wanted:
                break
        offset += (length + 3) & ~3
    return out


def _nest(h: Any, start: int, end: int) -> dict[int, int]:
    """Attribute type → position of its header, for one nest of ``h`` (the buffer as uint16;
    attributes are 4-aligned, so length and type are two indexed loads, no struct call)."""
    found: dict[int, int] = {}
    pos = start
    while pos + 4 <= end:
        length = h[pos >> 1]
        if length < 4:
            break
        found[h[(pos >> 1) + 1] & 0x3FFF] = pos
        pos += (length + 3) & ~3
    return found


def _wanted(
    data: bytes, h: Any, start: int, end: int, table: dict[int, tuple[str, Decoder]]
) -> dict[str, Any]:
    """The attributes of *table* in one nest, decoded; stops once all of them are found
    (a bridge's IFLA_INFO_DATA holds about forty attributes and a bridge port's thirty, and
    the kernel puts the few we read first)."""
    out: dict[str, Any] = {}
    wanted = len(table)
    pos = start
    while pos + 4 <= end:
        length = h[pos >> 1]
        if length < 4:
            break
        entry = table.get(h[(pos >> 1) + 1] & 0x3FFF)
        if entry is not None:
            out[entry[0]] = entry[1](data[pos + 4 : pos + length])
            if len(out) == wanted:
                break
        pos += (length + 3) & ~3
    return out


def _linkinfo(data: bytes, h: Any, start: int, end: int) -> Msg:
    raw = _nest(h, start, end)
    at = raw.get(1)
    kind = _str(data[at + 4 : at + h[at >> 1]]) if at is not None else ""
    at = raw.get(4)
    slave_kind = _str(data[at + 4 : at + h[at >> 1]]) if at is not None else ""
    attrs: dict[str, Any] = {"IFLA_INFO_KIND": kind or None}
    at = raw.get(2)
    if at is not None and kind in _DATA_TABLES:
        found = _wanted(data, h, at + 4, at + h[at >> 1], _DATA_TABLES[kind])
        attrs["IFLA_INFO_DATA"] = Msg({}, found)
    at = raw.get(5)
    if at is not None and slave_kind in _SLAVE_TABLES:
        found = _wanted(data, h, at + 4, at + h[at >> 1], _SLAVE_TABLES[slave_kind])
        attrs["IFLA_INFO_SLAVE_DATA"] = Msg({}, found)
    return Msg({}, attrs)


#: IFLA_AF_SPEC → AF_INET → IFLA_INET_CONF is a u32 array where element i is IPV4_DEVCONF
#: index i + 1 (linux/ip.h); AF_INET6 → IFLA_INET6_CONF an s32 array indexed by DEVCONF_*
#: (linux/ipv6.h). These carry the isolation sysctls, so the snapshot needs no file reads.
_IFLA_AF_SPEC, _IFLA_INET_CONF, _IFLA_INET6_CONF = 26, 1, 2
_INET_CONF = (("rp_filter", 8 - 1), ("arp_ignore", 19 - 1))
_INET6_CONF = (("disable_ipv6", 26),)


def _conf(
    h: Any, w: Any, family: int, kind: int, table: tuple[tuple[str, int], ...], signed: bool
) -> Msg | None:
    """The chosen devconf values from one family's nest (None when the nest lacks them)."""
    at = _nest(h, family + 4, family + h[family >> 1]).get(kind)
    if at is None:
        return None
    first, count = (at + 4) >> 2, (h[at >> 1] - 4) >> 2
    values: dict[str, Any] = {}
    for name, i in table:
        if i < count:
            value = w[first + i]
            values[name] = value - (1 << 32) if signed and value >= 1 << 31 else value
    return Msg(values, {})


def _af_spec(h: Any, w: Any, start: int, end: int) -> Msg:
    """IFLA_AF_SPEC shaped like pyroute2's: ``AF_INET[name]`` and
    ``AF_INET6.IFLA_INET6_CONF[name]``."""
    families = _nest(h, start, end)
    attrs: dict[str, Any] = {}
    at = families.get(_socket.AF_INET)
    if at is not None:
        attrs["AF_INET"] = _conf(h, w, at, _IFLA_INET_CONF, _INET_CONF, False)
    at = families.get(_socket.AF_INET6)
    if at is not None:
        conf = _conf(h, w, at, _IFLA_INET6_CONF, _INET6_CONF, True)
        attrs["AF_INET6"] = Msg({}, {"IFLA_INET6_CONF": conf})
    return Msg({}, attrs)


def _link(data: bytes) -> Msg:
    """One RTM_NEWLINK message on its own (tests, recordings); see :func:`_link_at`."""
    view = memoryview(data)
    view = view[: len(view) & ~3]
    return _link_at(data, view.cast("H"), view.cast("I"), 0, len(view))


def _link_at(data: bytes, h: Any, w: Any, start: int, end: int) -> Msg:
    """One RTM_NEWLINK message at ``data[start:end]``: a single pass over its attributes.

    A link message carries about fifty top-level attributes, over a kilobyte, and the
    snapshot reads nine of them; under emulation every struct call, slice and tuple per
    attribute shows at thousands of links. So the walk reads each attribute's length and
    type as two indexed loads from ``h`` (the buffer viewed as uint16; attributes are
    4-aligned) and only remembers where the wanted ones are; those are decoded afterwards.
    """
    index, flags = w[(start + 20) >> 2], w[(start + 24) >> 2]
    found: dict[int, int] = {}
    pos = start + 32
    while pos + 4 <= end:
        length = h[pos >> 1]
        if length < 4:
            break
        found[h[(pos >> 1) + 1] & 0x3FFF] = pos
        pos += (length + 3) & ~3
    attrs: dict[str, Any] = {}
    for kind, (name, decode) in _LINK_ATTRS.items():
        at = found.get(kind)
        if at is not None:
            attrs[name] = decode(data[at + 4 : at + h[at >> 1]])
    at = found.get(18)
    if at is not None:
        attrs["IFLA_LINKINFO"] = _linkinfo(data, h, at + 4, at + h[at >> 1])
    at = found.get(_IFLA_AF_SPEC)
    if at is not None:
        attrs["IFLA_AF_SPEC"] = _af_spec(h, w, at + 4, at + h[at >> 1])
    return Msg({"index": index, "flags": flags}, attrs)


def _addr(data: bytes) -> Msg:
    family, prefixlen, flags, scope, index = struct.unpack_from("=BBBBI", data, 16)
    return Msg(
        {"family": family, "prefixlen": prefixlen, "flags": flags, "scope": scope, "index": index},
        _attrs(data, 24, _ADDR_ATTRS),
    )


def _route(data: bytes) -> Msg:
    family, dst_len, _src, _tos, table, proto, scope, rtype, _f = struct.unpack_from(
        "=BBBBBBBBI", data, 16
    )
    return Msg(
        {
            "family": family,
            "dst_len": dst_len,
            "table": table,
            "proto": proto,
            "scope": scope,
            "type": rtype,
        },
        _attrs(data, 28, _ROUTE_ATTRS),
    )


def _dump(
    sock: _socket.socket,
    mtype: int,
    body: bytes,
    parse: Callable[[bytes], Msg],
    seq: int,
    feed: Callable[[bytes], object] | None,
) -> list[Msg]:
    sock.send(dump_request(mtype, body, seq))
    out: list[Msg] = []
    while True:
        data = sock.recv(1 << 20)
        if feed is not None:
            feed(data)
        if decode_buffer(data, mtype, parse, seq, out):
            return out


def decode_buffer(
    data: bytes, mtype: int, parse: Callable[[bytes], Msg], seq: int, out: list[Msg]
) -> bool:
    """Decode one ``recv`` worth of dump messages into ``out``; True once the dump is done.

    Link messages go to the C decoder (:mod:`hvnet._rtnl`, the same Msg objects) when it
    was built; :func:`decode_buffer_py` is the reference.
    """
    if mtype == RTM_GETLINK and _C is not None:
        done: bool = _C.snapshot_links(data, len(data), seq, out, Msg)
        return done
    return decode_buffer_py(data, mtype, parse, seq, out)


_C = rtnl()


def decode_buffer_py(
    data: bytes, mtype: int, parse: Callable[[bytes], Msg], seq: int, out: list[Msg]
) -> bool:
    """The Python decoder of :func:`decode_buffer` (the reference for the C one)."""
    offset = 0
    if mtype == RTM_GETLINK:  # views of the whole buffer, made once per recv
        view = memoryview(data)
        view = view[: len(view) & ~3]
        h, w = view.cast("H"), view.cast("I")
    while offset + _HDR.size <= len(data):
        length, kind, _flags, got_seq, _pid = _HDR.unpack_from(data, offset)
        if length < _HDR.size:  # malformed: would never advance
            break
        here = offset
        offset += (length + 3) & ~3
        if got_seq != seq:
            continue
        if kind == _NLMSG_DONE:
            return True
        if kind == _NLMSG_ERROR:
            (code,) = struct.unpack_from("=i", data, here + 16)
            raise OSError(-code, f"netlink dump {mtype} failed")
        if mtype == RTM_GETLINK:
            out.append(_link_at(data, h, w, here, min(here + length, len(view))))
        else:
            out.append(parse(data[here : here + length]))
    return False


def dump_all(
    feed: Callable[[bytes], object] | None = None,
) -> tuple[list[Msg], list[Msg], list[Msg]]:
    """Links (without statistics), addresses and main-table routes, one dump each.

    ``feed`` sees every receive buffer as well (the no-op fingerprint of
    :mod:`hvnet.apply.settled` is taken from the very messages the snapshot is built from).
    """
    sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, 0)
    parsers = {RTM_GETLINK: _link, RTM_GETADDR: _addr, RTM_GETROUTE: _route}
    try:
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, 8 * 1024 * 1024)
        sock.bind((0, 0))
        links, addrs, routes = (
            _dump(sock, mtype, body, parsers[mtype], seq, feed)
            for seq, (mtype, body) in enumerate(SNAPSHOT_DUMPS, 1)
        )
        return links, addrs, [r for r in routes if (r.get_attr("RTA_TABLE") or r["table"]) == 254]
    finally:
        sock.close()
