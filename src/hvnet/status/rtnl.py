"""rtnetlink link dumps decoded the cheap way: the wire half of :mod:`hvnet.status.live`.

One ``RTM_GETLINK`` dump, like ``ip -d link show``; each message is walked once through
uint8/uint16/uint32 views of the receive buffer, and only the attributes ``hvnet status``
needs are decoded (bond, bond-slave, bridge, bridge-port and VLAN data from
``IFLA_LINKINFO``, plus operstate, carrier, MTU, MAC, master and statistics). Values come
out in sysfs spelling (``802.3ad``, ``going down``, timers in seconds) so the result can be
assembled into the same facts ``read_tree`` produces. Numbers are from
``include/uapi/linux/if_link.h``; pyroute2 is not used because it decodes every attribute
into Python objects, several times the cost on a host with thousands of links. The
socket is CPython's ``_socket`` type itself: the :mod:`socket` wrapper module builds enums
of every constant when imported, which costs more than the dump under emulation.
"""

from __future__ import annotations

import _socket
import os
import struct

from hvnet.kernel.facts import BOND_MODE_NAMES, BRIDGE_PORT_STATES, LacpPortState
from hvnet.kernel.record import Record
from hvnet.native import rtnl as c_decoder
from hvnet.status.doc import VlanFlags

TYPE_CHECKING = False  # not typing's: importing typing costs more than this command
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_NLMSG = struct.Struct("=IHHII")
_IFINFO = struct.Struct("=BxHiII")
_NLA = struct.Struct("=HH")
_U32 = struct.Struct("=I")
_STATS64 = struct.Struct("=9Q")
_RTM_NEWLINK, _RTM_GETLINK, _NLMSG_ERROR, _NLMSG_DONE = 16, 18, 2, 3
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_IFF_UP = 0x1

# IFLA_* (top level)
_ADDRESS, _IFNAME, _MTU, _LINK, _MASTER, _OPERSTATE = 1, 3, 4, 5, 10, 16
_LINKINFO, _STATS64_ATTR, _EXT_MASK, _CARRIER, _CARRIER_CHANGES, _NETNSID = 18, 23, 29, 33, 35, 37
# IFLA_INFO_*
_INFO_KIND, _INFO_DATA, _INFO_SLAVE_KIND, _INFO_SLAVE_DATA = 1, 2, 4, 5
_STATISTICS = (
    "rx_packets",
    "tx_packets",
    "rx_bytes",
    "tx_bytes",
    "rx_errors",
    "tx_errors",
    "rx_dropped",
    "tx_dropped",
    "multicast",
)
OPERSTATES = ("unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up")
_SLAVE_MII = ("up", "going down", "down", "going back")
_SLAVE_STATE = ("active", "backup")
# Bond enum numbers -> sysfs names (drivers/net/bonding/bond_options.c tables).
_XMIT = ("layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac")
_ARP_VALIDATE = ("none", "active", "backup", "all", "filter", "filter_active", "filter_backup")
_RESELECT = ("always", "better", "failure")
_FOM = ("none", "active", "follow")
_AD_SELECT = ("stable", "bandwidth", "count")
_VLAN_PROTOCOLS = {0x8100: "802.1q", 0x88A8: "802.1ad"}


def _align(n: int) -> int:
    return (n + 3) & ~3


def attrs(
    h: memoryview, start: int, end: int, want: frozenset[int] | None = None
) -> dict[int, int]:
    """One attribute level: type → position of the attribute header.

    ``h`` is the buffer viewed as native uint16: attributes are 4-aligned, so an
    attribute's length and type are two indexed reads, no struct call and no tuple. This
    loop runs ~100 times per link; it is most of the decoding time. With ``want``, only
    those types are kept and the walk stops once all of them were seen: the kernel puts
    a bridge's and a bridge port's STP facts first and some thirty multicast and timer
    attributes after them, which this skips (same result: only ``want`` is ever read).
    """
    out: dict[int, int] = {}
    i = start >> 1
    stop = (end >> 1) - 1
    if want is None:
        while i < stop:
            length = h[i]
            if length < 4:
                break
            out[h[i + 1] & 0x3FFF] = i << 1
            i += ((length + 3) >> 2) << 1
        return out
    left = len(want)
    while i < stop:
        length = h[i]
        if length < 4:
            break
        kind = h[i + 1] & 0x3FFF
        if kind in want and kind not in out:
            out[kind] = i << 1
            left -= 1
            if not left:
                break
        i += ((length + 3) >> 2) << 1
    return out


class _Msg:
    """Typed reads of attributes in one receive buffer (absent or short → None).

    ``data``, ``h`` and ``w`` view the same bytes as uint8, uint16 and uint32 (native byte
    order, as netlink uses); payloads start 4 bytes after an attribute's header.
    """

    __slots__ = ("data", "h", "w")

    def __init__(self, data: Any) -> None:
        view = memoryview(data).cast("B")
        view = view[: len(view) - len(view) % 4]
        self.data = view
        self.h = view.cast("H")
        self.w = view.cast("I")

    def length(self, pos: int) -> int:
        length: int = self.h[pos >> 1]
        return length

    def u8(self, table: dict[int, int], key: int) -> int | None:
        pos = table.get(key)
        if pos is None or self.h[pos >> 1] < 5:
            return None
        value: int = self.data[pos + 4]
        return value

    def u16(self, table: dict[int, int], key: int) -> int | None:
        pos = table.get(key)
        if pos is None or self.h[pos >> 1] < 6:
            return None
        value: int = self.h[(pos + 4) >> 1]
        return value

    def u32(self, table: dict[int, int], key: int) -> int | None:
        pos = table.get(key)
        if pos is None or self.h[pos >> 1] < 8:
            return None
        value: int = self.w[(pos + 4) >> 2]
        return value

    def be16(self, table: dict[int, int], key: int) -> int | None:
        pos = table.get(key)
        if pos is None or self.h[pos >> 1] < 6:
            return None
        data = self.data
        return int((data[pos + 4] << 8) | data[pos + 5])

    def flag(self, table: dict[int, int], key: int) -> bool | None:
        value = self.u8(table, key)
        return None if value is None else value != 0

    def raw(self, table: dict[int, int], key: int) -> bytes | None:
        pos = table.get(key)
        if pos is None:
            return None
        return bytes(self.data[pos + 4 : pos + self.h[pos >> 1]])

    def text(self, table: dict[int, int], key: int) -> str | None:
        raw = self.raw(table, key)
        return None if raw is None else raw.split(b"\0", 1)[0].decode("utf-8", "replace")

    def mac(self, table: dict[int, int], key: int) -> str | None:
        raw = self.raw(table, key)
        return raw.hex(":") if raw else None

    def nested(
        self, table: dict[int, int], key: int, want: frozenset[int] | None = None
    ) -> dict[int, int]:
        pos = table.get(key)
        return {} if pos is None else attrs(self.h, pos + 4, pos + self.h[pos >> 1], want)

    def bridge_id(self, table: dict[int, int], key: int) -> str | None:
        """``struct ifla_bridge_id`` as sysfs prints it: ``8000.020000000b00``."""
        raw = self.raw(table, key)
        if raw is None or len(raw) < 8:
            return None
        return raw[:2].hex() + "." + raw[2:8].hex()


def _name(table: tuple[str, ...], value: int | None) -> str | None:
    if value is None:
        return None
    return table[value] if 0 <= value < len(table) else str(value)


class RawLink(Record):
    """One link as decoded, before indexes are turned into names."""

    index: int
    name: str
    link: dict[str, Any]
    kind: str | None
    link_index: int | None
    master_index: int | None
    data: dict[str, Any]
    slave_kind: str | None
    slave_data: dict[str, Any]


Table = dict[int, int]


def _bond_data(m: _Msg, d: Table) -> dict[str, Any]:
    u8, u16, u32 = m.u8, m.u16, m.u32
    info = m.nested(d, 23)
    targets = m.nested(d, 8)
    return {
        "mode": _name(BOND_MODE_NAMES, u8(d, 1)),
        "active_slave": u32(d, 2),
        "primary": u32(d, 11),
        "miimon_ms": u32(d, 3),
        "updelay_ms": u32(d, 4),
        "downdelay_ms": u32(d, 5),
        "use_carrier": u8(d, 6),
        "arp_interval_ms": u32(d, 7),
        # the kernel omits the nest when the bond has no ARP targets: that is "none", not unknown
        "arp_ip_targets": tuple(
            _socket.inet_ntoa(raw)
            for raw in (m.raw(targets, k) for k in sorted(targets))
            if raw and len(raw) == 4
        ),
        "arp_validate": _name(_ARP_VALIDATE, u32(d, 9)),
        "arp_all_targets": _name(("any", "all"), u32(d, 10)),
        "primary_reselect": _name(_RESELECT, u8(d, 12)),
        "fail_over_mac": _name(_FOM, u8(d, 13)),
        "xmit_hash_policy": _name(_XMIT, u8(d, 14)),
        "num_peer_notif": u8(d, 16),
        "all_slaves_active": u8(d, 17),
        "min_links": u32(d, 18),
        "packets_per_slave": u32(d, 20),
        "lacp_rate": _name(("slow", "fast"), u8(d, 21)),
        "ad_select": _name(_AD_SELECT, u8(d, 22)),
        "ad_aggregator": u16(info, 1),
        "ad_num_ports": u16(info, 2),
        "ad_actor_key": u16(info, 3),
        "ad_partner_key": u16(info, 4),
        "ad_partner_mac": m.mac(info, 5),
        "ad_actor_sys_prio": u16(d, 24),
        "ad_user_port_key": u16(d, 25),
        "ad_actor_system": m.mac(d, 26),
        "tlb_dynamic_lb": u8(d, 27),
        "peer_notif_delay_ms": u32(d, 28),
        "lacp_active": _name(("off", "on"), u8(d, 29)),
        "arp_missed_max": u8(d, 30),
    }


def _bridge_data(m: _Msg, d: Table) -> dict[str, Any]:
    u16, u32 = m.u16, m.u32

    def seconds(key: int) -> float | None:
        value = u32(d, key)
        return None if value is None else value / 100.0

    # Only what status shows. The VLAN protocol, group forward mask and default PVID
    # (8, 9, 39) are left out on purpose: with them, the walk over the bridge's attributes
    # could not stop after the STP block (kernels without VLAN filtering never send 8/39).
    return {
        "forward_delay_s": seconds(1),
        "hello_time_s": seconds(2),
        "max_age_s": seconds(3),
        "ageing_time_s": seconds(4),
        "stp_state": u32(d, 5),
        "priority": u16(d, 6),
        "vlan_filtering": m.flag(d, 7),
        "root_id": m.bridge_id(d, 10),
        "bridge_id": m.bridge_id(d, 11),
        "root_port": u16(d, 12),
        "root_path_cost": u32(d, 13),
        "topology_change": m.flag(d, 14),
    }


def _vlan_data(m: _Msg, d: Table) -> dict[str, Any]:
    flags_value = m.u32(d, 2)  # struct ifla_vlan_flags {flags, mask}: flags first
    proto = m.be16(d, 5)

    def qos(key: int) -> dict[int, int]:
        # Every mapping is an IFLA_VLAN_QOS_MAPPING (type 1) of its own: walked one by one,
        # not through attrs(), which keeps only one attribute per type.
        out: dict[int, int] = {}
        pos = d.get(key)
        if pos is None:
            return out
        h, w = m.h, m.w
        i, end = pos + 4, pos + h[pos >> 1]
        while i + 4 <= end:
            length = h[i >> 1]
            if length < 4:
                break
            if length >= 12:
                out[w[(i + 4) >> 2]] = w[(i + 8) >> 2]
            i += (length + 3) & ~3
        return out

    flags = VlanFlags()
    if flags_value is not None:
        flags = VlanFlags(
            bool(flags_value & 1),
            bool(flags_value & 2),
            bool(flags_value & 8),
            bool(flags_value & 4),
            bool(flags_value & 16),
        )
    return {
        "vid": m.u16(d, 1),
        "protocol": None if proto is None else _VLAN_PROTOCOLS.get(proto, f"0x{proto:04x}"),
        "flags": flags,
        "egress_map": qos(3),
        "ingress_map": qos(4),
    }


def _bond_slave_data(m: _Msg, d: Table) -> dict[str, Any]:
    u8, u16 = m.u8, m.u16
    actor, partner = u8(d, 7), u16(d, 8)
    return {
        "state": _name(_SLAVE_STATE, u8(d, 1)),
        "mii_status": _name(_SLAVE_MII, u8(d, 2)),
        "link_failure_count": m.u32(d, 3),
        "perm_hwaddr": m.mac(d, 4),
        "queue_id": u16(d, 5),
        "ad_aggregator_id": u16(d, 6),
        "ad_actor_oper_port_state": None if actor is None else LacpPortState.from_int(actor),
        "ad_partner_oper_port_state": None
        if partner is None or partner > 255
        else LacpPortState.from_int(partner),
    }


def _bridge_port_data(m: _Msg, d: Table) -> dict[str, Any]:
    """STP state, priority and cost: all ``hvnet status`` shows of a port.

    The kernel sends some forty attributes per port (flags, designated bridge, timers);
    on a host with a thousand bridges, decoding them cost more than everything status
    does with a port, so the live reader leaves them unknown (``None``). The sysfs reader
    (``--root``, support bundles) still records them.
    """
    state = m.u8(d, 1)
    return {
        "state": state,
        "state_name": None if state is None else BRIDGE_PORT_STATES.get(state),
        "priority": m.u16(d, 2),
        "path_cost": m.u32(d, 3),
    }


if TYPE_CHECKING:
    _Parser = tuple[Callable[[_Msg, Table], dict[str, Any]], frozenset[int] | None]
#: kind → its IFLA_INFO_DATA parser and the attribute types it reads (None: all).
_KIND_DATA: dict[str, _Parser] = {
    "bond": (_bond_data, None),
    "bridge": (_bridge_data, frozenset({1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14})),
    "vlan": (_vlan_data, None),
}
_SLAVE_DATA: dict[str, _Parser] = {
    "bond": (_bond_slave_data, None),
    "bridge": (_bridge_port_data, frozenset({1, 2, 3})),
}
_INFO_WANT = frozenset({_INFO_KIND, _INFO_DATA, _INFO_SLAVE_KIND, _INFO_SLAVE_DATA})


def decode_link(m: _Msg, start: int, end: int) -> RawLink | None:
    """One ``RTM_NEWLINK`` message body (``start``: after the netlink header)."""
    # The top level is read inline (no method call per attribute): it runs for every link.
    w, h, buf = m.w, m.h, m.data
    index, flags = w[(start + 4) >> 2], w[(start + 8) >> 2]
    top = attrs(h, start + 16, end)
    get = top.get
    pos = get(_IFNAME)
    if pos is None:
        return None
    name = bytes(buf[pos + 4 : pos + h[pos >> 1]]).split(b"\0", 1)[0].decode("utf-8", "replace")
    if not name:
        return None
    info = m.nested(top, _LINKINFO, _INFO_WANT)
    kind = m.text(info, _INFO_KIND) if info else None
    slave_kind = m.text(info, _INFO_SLAVE_KIND) if info else None
    operstate = buf[pos + 4] if (pos := get(_OPERSTATE)) is not None and h[pos >> 1] >= 5 else None
    carrier = buf[pos + 4] if (pos := get(_CARRIER)) is not None and h[pos >> 1] >= 5 else None
    stats: dict[str, int] = {}
    pos = get(_STATS64_ATTR)
    if pos is not None and h[pos >> 1] >= 4 + _STATS64.size:
        stats = dict(zip(_STATISTICS, _STATS64.unpack_from(buf, pos + 4), strict=True))
    iflink = w[(pos + 4) >> 2] if (pos := get(_LINK)) is not None and h[pos >> 1] >= 8 else None
    pos = get(_ADDRESS)
    address = bytes(buf[pos + 4 : pos + h[pos >> 1]]).hex(":") if pos is not None else None
    link = {
        "ifindex": index,
        "iflink": iflink,
        "kind": kind,
        "type": h[(start + 2) >> 1],
        "operstate": None if operstate is None else _name(OPERSTATES, operstate),
        # sysfs refuses ``carrier`` of an admin-down link; report it the same way.
        "carrier": None if carrier is None or not flags & _IFF_UP else bool(carrier),
        "carrier_changes": m.u32(top, _CARRIER_CHANGES),
        "mtu": m.u32(top, _MTU),
        "address": address or None,
        "statistics": stats,
    }
    parse = _KIND_DATA.get(kind or "")
    parse_slave = _SLAVE_DATA.get(slave_kind or "")
    data = parse[0](m, m.nested(info, _INFO_DATA, parse[1])) if parse else {}
    slave_data = (
        parse_slave[0](m, m.nested(info, _INFO_SLAVE_DATA, parse_slave[1])) if parse_slave else {}
    )
    return RawLink(
        index=index,
        name=name,
        link=link,
        kind=kind,
        link_index=None if _NETNSID in top else iflink,
        master_index=m.u32(top, _MASTER),
        data=data,
        slave_kind=slave_kind,
        slave_data=slave_data,
    )


def dump_request(seq: int = 1) -> bytes:
    """A plain ``RTM_GETLINK`` dump request with no extended (VF) information."""
    body = _IFINFO.pack(_socket.AF_UNSPEC, 0, 0, 0, 0) + _NLA.pack(8, _EXT_MASK) + _U32.pack(0)
    return (
        _NLMSG.pack(_NLMSG.size + len(body), _RTM_GETLINK, _NLM_F_REQUEST | _NLM_F_DUMP, seq, 0)
        + body
    )


def decode_dump(buffer: Any, size: int, out: list[RawLink]) -> bool:
    """Decode one ``recv`` worth of messages into ``out``; True once the dump is done.

    Uses the C decoder (:mod:`hvnet._rtnl`, the same results several times faster) when
    it was built, else :func:`decode_dump_py`; ``HVNET_PURE_PYTHON=1`` forces the latter.
    """
    if _C is not None:
        done: bool = _C.decode_dump(buffer, size, out, _FACTORIES)
        return done
    return decode_dump_py(buffer, size, out)


def decode_dump_py(buffer: Any, size: int, out: list[RawLink]) -> bool:
    """The reference decoder in Python (what :mod:`hvnet._rtnl` must match exactly)."""
    m = _Msg(memoryview(buffer)[:size])
    w, h = m.w, m.h
    size = len(m.data)
    pos = 0
    while pos + 16 <= size:
        length, mtype = w[pos >> 2], h[(pos + 4) >> 1]
        if length < 16:
            break
        if mtype == _RTM_NEWLINK:
            raw = decode_link(m, pos + 16, min(pos + length, size))
            if raw is not None:
                out.append(raw)
        elif mtype == _NLMSG_DONE:
            return True
        elif mtype == _NLMSG_ERROR:
            code = struct.unpack_from("=i", m.data, pos + 16)[0]
            if code:
                raise OSError(-code, f"netlink link dump: {os.strerror(-code)}")
        pos += _align(length)
    return False


_C = c_decoder()
_FACTORIES = (RawLink, VlanFlags, LacpPortState.from_int)


def _dump(decode: Callable[[Any, int], bool]) -> None:
    """One ``RTM_GETLINK`` dump of this namespace; each receive buffer goes to ``decode``."""
    buffer = bytearray(1 << 20)
    sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, _socket.NETLINK_ROUTE)
    try:
        sock.settimeout(30)
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, 1 << 20)
        sock.bind((0, 0))
        sock.send(dump_request())
        while not decode(buffer, sock.recv_into(buffer)):
            pass
    finally:
        sock.close()


def dump_links() -> list[RawLink]:
    """Every link of this network namespace, decoded (raises OSError if netlink fails)."""
    out: list[RawLink] = []
    _dump(lambda buffer, size: decode_dump(buffer, size, out))
    return out


def dump_rows() -> tuple[list[tuple[Any, ...]], list[RawLink]]:
    """Status rows of every link and the RawLinks of bonds and their slaves (C decoder
    only; see :mod:`hvnet.status.fastjson`). Raises OSError if netlink fails."""
    if _C is None:
        raise RuntimeError("status rows need the C decoder (hvnet._rtnl)")
    rows: list[tuple[Any, ...]] = []
    bonds: list[RawLink] = []
    _dump(lambda buffer, size: _C.status_rows(buffer, size, rows, bonds, _FACTORIES))
    return rows, bonds
