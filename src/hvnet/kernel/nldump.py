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

import socket
import struct
import sys
from collections.abc import Callable
from ipaddress import ip_address
from typing import Any

_HDR = struct.Struct("=IHHII")
_RTA = struct.Struct("=HH")
_IFINFO = struct.Struct("=BxHiII")
_U32 = struct.Struct("=I")
_S32 = struct.Struct("=i")
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_F_REQUEST_DUMP = 0x1 | 0x300
RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE = 18, 22, 26
_IFLA_EXT_MASK, _RTEXT_FILTER_SKIP_STATS = 29, 1 << 3
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


def _spans(data: bytes, start: int, end: int) -> dict[int, tuple[int, int]]:
    """Attribute type → (payload start, payload end) for one small nest, without copying."""
    out: dict[int, tuple[int, int]] = {}
    unpack = _RTA.unpack_from
    offset = start
    while offset + 4 <= end:
        length, kind = unpack(data, offset)
        if length < 4:
            break
        out[kind & 0x3FFF] = (offset + 4, offset + length)
        offset += (length + 3) & ~3
    return out


def _linkinfo(data: bytes, start: int, end: int) -> Msg:
    raw = _spans(data, start, end)
    kind = _str(data[slice(*raw[1])]) if 1 in raw else ""
    slave_kind = _str(data[slice(*raw[4])]) if 4 in raw else ""
    attrs: dict[str, Any] = {"IFLA_INFO_KIND": kind or None}
    if 2 in raw and kind in _DATA_TABLES:
        first, stop = raw[2]
        attrs["IFLA_INFO_DATA"] = Msg({}, _attrs(data, first, _DATA_TABLES[kind], stop))
    if 5 in raw and slave_kind in _SLAVE_TABLES:
        first, stop = raw[5]
        table = _SLAVE_TABLES[slave_kind]
        attrs["IFLA_INFO_SLAVE_DATA"] = Msg({}, _attrs(data, first, table, stop))
    return Msg({}, attrs)


#: IFLA_AF_SPEC → AF_INET → IFLA_INET_CONF is a u32 array where element i is IPV4_DEVCONF
#: index i + 1 (linux/ip.h); AF_INET6 → IFLA_INET6_CONF an s32 array indexed by DEVCONF_*
#: (linux/ipv6.h). These carry the isolation sysctls, so the snapshot needs no file reads.
_IFLA_AF_SPEC, _IFLA_INET_CONF, _IFLA_INET6_CONF = 26, 1, 2
_INET_CONF = (("rp_filter", 8 - 1), ("arp_ignore", 19 - 1))
_INET6_CONF = (("disable_ipv6", 26),)


def _conf(
    data: bytes, span: tuple[int, int], kind: int, table: tuple[tuple[str, int], ...], fmt: Any
) -> Msg | None:
    """The chosen devconf values from one family's nest (None when the nest lacks them)."""
    found = _spans(data, *span).get(kind)
    if found is None:
        return None
    first, stop = found
    count = (stop - first) // 4
    return Msg({name: fmt(data, first + 4 * i)[0] for name, i in table if i < count}, {})


def _af_spec(data: bytes, start: int, end: int) -> Msg:
    """IFLA_AF_SPEC shaped like pyroute2's: ``AF_INET[name]`` and
    ``AF_INET6.IFLA_INET6_CONF[name]``."""
    families = _spans(data, start, end)
    attrs: dict[str, Any] = {}
    if socket.AF_INET in families:
        attrs["AF_INET"] = _conf(
            data, families[socket.AF_INET], _IFLA_INET_CONF, _INET_CONF, _U32.unpack_from
        )
    if socket.AF_INET6 in families:
        conf = _conf(
            data, families[socket.AF_INET6], _IFLA_INET6_CONF, _INET6_CONF, _S32.unpack_from
        )
        attrs["AF_INET6"] = Msg({}, {"IFLA_INET6_CONF": conf})
    return Msg({}, attrs)


def _link(data: bytes) -> Msg:
    """One RTM_NEWLINK message: a single pass over its attributes, decoding only those the
    snapshot reads (a link message carries about forty, over a kilobyte; under emulation
    every generator step, slice and dictionary per attribute shows at thousands of links)."""
    _family, _type, index, flags, _change = _IFINFO.unpack_from(data, 16)
    attrs: dict[str, Any] = {}
    table = _LINK_ATTRS
    unpack = _RTA.unpack_from
    offset, end = 32, len(data)
    while offset + 4 <= end:
        length, kind = unpack(data, offset)
        if length < 4:
            break
        kind &= 0x3FFF
        entry = table.get(kind)
        if entry is not None:
            attrs[entry[0]] = entry[1](data[offset + 4 : offset + length])
        elif kind == 18:
            attrs["IFLA_LINKINFO"] = _linkinfo(data, offset + 4, offset + length)
        elif kind == _IFLA_AF_SPEC:
            attrs["IFLA_AF_SPEC"] = _af_spec(data, offset + 4, offset + length)
        offset += (length + 3) & ~3
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
    sock: socket.socket, mtype: int, body: bytes, parse: Callable[[bytes], Msg], seq: int
) -> list[Msg]:
    sock.send(_HDR.pack(_HDR.size + len(body), mtype, _F_REQUEST_DUMP, seq, 0) + body)
    out: list[Msg] = []
    while True:
        data = sock.recv(1 << 20)
        offset = 0
        while offset < len(data):
            length, kind, _flags, got_seq, _pid = _HDR.unpack_from(data, offset)
            message = data[offset : offset + length]
            offset += (length + 3) & ~3
            if got_seq != seq:
                continue
            if kind == _NLMSG_DONE:
                return out
            if kind == _NLMSG_ERROR:
                (code,) = struct.unpack_from("=i", message, 16)
                raise OSError(-code, f"netlink dump {mtype} failed")
            out.append(parse(message))


def dump_all() -> tuple[list[Msg], list[Msg], list[Msg]]:
    """Links (without statistics), addresses and main-table routes, one dump each."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        sock.bind((0, 0))
        skip_stats = struct.pack("=HHI", 8, _IFLA_EXT_MASK, _RTEXT_FILTER_SKIP_STATS)
        links = _dump(
            sock, RTM_GETLINK, struct.pack("=BxHiII", 0, 0, 0, 0, 0) + skip_stats, _link, 1
        )
        addrs = _dump(sock, RTM_GETADDR, struct.pack("=BBBBI", 0, 0, 0, 0, 0), _addr, 2)
        routes = _dump(
            sock, RTM_GETROUTE, struct.pack("=BBBBBBBBI", 0, 0, 0, 0, 0, 0, 0, 0, 0), _route, 3
        )
        return links, addrs, [r for r in routes if (r.get_attr("RTA_TABLE") or r["table"]) == 254]
    finally:
        sock.close()
