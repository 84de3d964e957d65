"""The live host's facts from one rtnetlink link dump plus /proc/net/bonding, fast.

``read_tree`` reads a dozen to forty sysfs files per interface: right for recorded trees,
but on a hypervisor with thousands of VLANs and bridges it costs tens of thousands of
system calls, while ``ip -d link show`` learns the same from one netlink dump. So the live
path of ``hvnet status`` does what ``ip`` does: one ``RTM_GETLINK`` dump (bond, bond-slave,
bridge, bridge-port and VLAN details all travel in ``IFLA_LINKINFO``), decoded with
:mod:`struct` touching only the attributes status needs, plus ``/proc/net/bonding/*`` for
what only it shows (the LACP partner per slave, churn). pyroute2 is not used: it decodes
every attribute into Python objects and costs several times more.

The result is the same :class:`~hvnet.kernel.facts.KernelFacts` ``read_tree`` returns, with
values in sysfs spelling (mode names, ``going down``, centisecond timers as seconds), so
everything after collection is one code path for live hosts and support bundles. Numbers
come from ``include/uapi/linux/if_link.h``.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hvnet.kernel.facts import (
    BOND_MODE_NAMES,
    BRIDGE_PORT_STATES,
    BondFacts,
    BondSlaveFacts,
    BridgeFacts,
    BridgePortFacts,
    KernelFacts,
    LacpPortState,
    LinkFacts,
    VlanFacts,
)
from hvnet.kernel.procfs import parse_bonding
from hvnet.status.collect import VlanExtra
from hvnet.status.doc import VlanFlags

_NLMSG = struct.Struct("=IHHII")
_IFINFO = struct.Struct("=BxHiII")
_NLA = struct.Struct("=HH")
_U8, _U16, _U32, _BE16 = (
    struct.Struct("=B"),
    struct.Struct("=H"),
    struct.Struct("=I"),
    struct.Struct("!H"),
)
_STATS64 = struct.Struct("=9Q")
_RTM_NEWLINK, _RTM_GETLINK, _NLMSG_ERROR, _NLMSG_DONE = 16, 18, 2, 3
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_IFF_UP = 0x1

# IFLA_* (top level)
_ADDRESS, _IFNAME, _MTU, _LINK, _MASTER, _OPERSTATE = 1, 3, 4, 5, 10, 16
_LINKINFO, _STATS64_ATTR, _EXT_MASK, _CARRIER, _CARRIER_CHANGES, _NETNSID = 18, 23, 29, 33, 35, 37
# IFLA_INFO_*
_INFO_KIND, _INFO_DATA, _INFO_SLAVE_KIND, _INFO_SLAVE_DATA = 1, 2, 4, 5
_STATISTICS = ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes",
               "rx_errors", "tx_errors", "rx_dropped", "tx_dropped", "multicast")  # fmt: skip
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
_PORT_FLAGS = {8: "learning", 9: "unicast_flood", 27: "multicast_flood", 30: "broadcast_flood",
               4: "hairpin_mode", 5: "bpdu_guard", 6: "root_block", 33: "isolated"}  # fmt: skip


def _align(n: int) -> int:
    return (n + 3) & ~3


def attrs(data: Any, start: int, end: int) -> dict[int, tuple[int, int]]:
    """One attribute level: type → (payload start, payload end). Later duplicates win."""
    out: dict[int, tuple[int, int]] = {}
    unpack = _NLA.unpack_from
    pos = start
    while pos + 4 <= end:
        length, kind = unpack(data, pos)
        if length < 4:
            break
        out[kind & 0x3FFF] = (pos + 4, pos + length)
        pos += (length + 3) & ~3
    return out


class _Msg:
    """Typed reads of one message's attributes (absent or short attribute → None)."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def num(self, table: dict[int, tuple[int, int]], key: int, fmt: struct.Struct) -> int | None:
        span = table.get(key)
        if span is None or span[1] - span[0] < fmt.size:
            return None
        value: int = fmt.unpack_from(self.data, span[0])[0]
        return value

    def text(self, table: dict[int, tuple[int, int]], key: int) -> str | None:
        span = table.get(key)
        if span is None:
            return None
        raw = bytes(self.data[span[0] : span[1]]).split(b"\0", 1)[0]
        return raw.decode("utf-8", errors="replace")

    def mac(self, table: dict[int, tuple[int, int]], key: int) -> str | None:
        span = table.get(key)
        if span is None or span[1] <= span[0]:
            return None
        return ":".join(f"{b:02x}" for b in bytes(self.data[span[0] : span[1]]))

    def nested(self, table: dict[int, tuple[int, int]], key: int) -> dict[int, tuple[int, int]]:
        span = table.get(key)
        return attrs(self.data, span[0], span[1]) if span else {}

    def bridge_id(self, table: dict[int, tuple[int, int]], key: int) -> str | None:
        """``struct ifla_bridge_id`` as sysfs prints it: ``8000.020000000b00``."""
        span = table.get(key)
        if span is None or span[1] - span[0] < 8:
            return None
        raw = bytes(self.data[span[0] : span[0] + 8])
        return raw[:2].hex() + "." + raw[2:].hex()


def _name(table: tuple[str, ...], value: int | None) -> str | None:
    if value is None:
        return None
    return table[value] if 0 <= value < len(table) else str(value)


@dataclass(slots=True)
class _Raw:
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


def _bond_data(m: _Msg, d: dict[int, tuple[int, int]]) -> dict[str, Any]:
    n = m.num
    info = m.nested(d, 23)
    targets = m.nested(d, 8)
    return {
        "mode": _name(BOND_MODE_NAMES, n(d, 1, _U8)),
        "active_slave": n(d, 2, _U32), "primary": n(d, 11, _U32),
        "miimon_ms": n(d, 3, _U32), "updelay_ms": n(d, 4, _U32), "downdelay_ms": n(d, 5, _U32),
        "use_carrier": n(d, 6, _U8), "arp_interval_ms": n(d, 7, _U32),
        "arp_ip_targets": tuple(socket.inet_ntoa(bytes(m.data[s : s + 4]))
                                for s, e in targets.values() if e - s >= 4)
        if 8 in d else None,
        "arp_validate": _name(_ARP_VALIDATE, n(d, 9, _U32)),
        "arp_all_targets": _name(("any", "all"), n(d, 10, _U32)),
        "primary_reselect": _name(_RESELECT, n(d, 12, _U8)),
        "fail_over_mac": _name(_FOM, n(d, 13, _U8)),
        "xmit_hash_policy": _name(_XMIT, n(d, 14, _U8)),
        "num_peer_notif": n(d, 16, _U8), "all_slaves_active": n(d, 17, _U8),
        "min_links": n(d, 18, _U32), "packets_per_slave": n(d, 20, _U32),
        "lacp_rate": _name(("slow", "fast"), n(d, 21, _U8)),
        "ad_select": _name(_AD_SELECT, n(d, 22, _U8)),
        "ad_aggregator": n(info, 1, _U16), "ad_num_ports": n(info, 2, _U16),
        "ad_actor_key": n(info, 3, _U16), "ad_partner_key": n(info, 4, _U16),
        "ad_partner_mac": m.mac(info, 5),
        "ad_actor_sys_prio": n(d, 24, _U16), "ad_user_port_key": n(d, 25, _U16),
        "ad_actor_system": m.mac(d, 26), "tlb_dynamic_lb": n(d, 27, _U8),
        "peer_notif_delay_ms": n(d, 28, _U32),
        "lacp_active": _name(("off", "on"), n(d, 29, _U8)),
        "arp_missed_max": n(d, 30, _U8),
    }  # fmt: skip


def _bridge_data(m: _Msg, d: dict[int, tuple[int, int]]) -> dict[str, Any]:
    n = m.num

    def seconds(key: int) -> float | None:
        value = n(d, key, _U32)
        return None if value is None else value / 100.0

    vlan_proto = n(d, 8, _BE16)
    return {
        "forward_delay_s": seconds(1), "hello_time_s": seconds(2), "max_age_s": seconds(3),
        "ageing_time_s": seconds(4), "stp_state": n(d, 5, _U32), "priority": n(d, 6, _U16),
        "vlan_filtering": None if 7 not in d else bool(n(d, 7, _U8)),
        "vlan_protocol": None if vlan_proto is None else f"0x{vlan_proto:04x}",
        "group_fwd_mask": n(d, 9, _U16), "root_id": m.bridge_id(d, 10),
        "bridge_id": m.bridge_id(d, 11), "root_port": n(d, 12, _U16),
        "root_path_cost": n(d, 13, _U32),
        "topology_change": None if 14 not in d else bool(n(d, 14, _U8)),
        "default_pvid": n(d, 39, _U16),
    }  # fmt: skip


def _vlan_data(m: _Msg, d: dict[int, tuple[int, int]]) -> dict[str, Any]:
    flags_value = m.num(d, 2, _U32)
    proto = m.num(d, 5, _BE16)

    def qos(key: int) -> dict[int, int]:
        out: dict[int, int] = {}
        for s, e in m.nested(d, key).values():
            if e - s >= 8:
                a, b = struct.unpack_from("=II", m.data, s)
                out[a] = b
        return out

    flags = VlanFlags()
    if flags_value is not None:
        flags = VlanFlags(bool(flags_value & 1), bool(flags_value & 2), bool(flags_value & 8),
                          bool(flags_value & 4), bool(flags_value & 16))  # fmt: skip
    return {
        "vid": m.num(d, 1, _U16),
        "protocol": None if proto is None else _VLAN_PROTOCOLS.get(proto, f"0x{proto:04x}"),
        "flags": flags,
        "egress_map": qos(3),
        "ingress_map": qos(4),
    }


def _bond_slave_data(m: _Msg, d: dict[int, tuple[int, int]]) -> dict[str, Any]:
    n = m.num
    actor, partner = n(d, 7, _U8), n(d, 8, _U16)
    return {
        "state": _name(_SLAVE_STATE, n(d, 1, _U8)),
        "mii_status": _name(_SLAVE_MII, n(d, 2, _U8)),
        "link_failure_count": n(d, 3, _U32), "perm_hwaddr": m.mac(d, 4),
        "queue_id": n(d, 5, _U16), "ad_aggregator_id": n(d, 6, _U16),
        "ad_actor_oper_port_state": None if actor is None else LacpPortState.from_int(actor),
        "ad_partner_oper_port_state":
            None if partner is None or partner > 255 else LacpPortState.from_int(partner),
    }  # fmt: skip


def _bridge_port_data(m: _Msg, d: dict[int, tuple[int, int]]) -> dict[str, Any]:
    n = m.num
    state = n(d, 1, _U8)
    out: dict[str, Any] = {
        "state": state,
        "state_name": None if state is None else BRIDGE_PORT_STATES.get(state),
        "priority": n(d, 2, _U16), "path_cost": n(d, 3, _U32),
        "designated_root": m.bridge_id(d, 13), "designated_bridge": m.bridge_id(d, 14),
        "designated_port": n(d, 15, _U16), "designated_cost": n(d, 16, _U16),
        "port_id": n(d, 17, _U16), "port_no": n(d, 18, _U16),
    }  # fmt: skip
    for key, flag in _PORT_FLAGS.items():
        out[flag] = None if key not in d else bool(n(d, key, _U8))
    return out


_KIND_DATA: dict[str, Callable[[_Msg, dict[int, tuple[int, int]]], dict[str, Any]]] = {
    "bond": _bond_data, "bridge": _bridge_data, "vlan": _vlan_data,
}  # fmt: skip
_SLAVE_DATA: dict[str, Callable[[_Msg, dict[int, tuple[int, int]]], dict[str, Any]]] = {
    "bond": _bond_slave_data, "bridge": _bridge_port_data,
}  # fmt: skip


def decode_link(data: Any, start: int, end: int) -> _Raw | None:
    """One ``RTM_NEWLINK`` message body (after the netlink header)."""
    _family, _type, index, flags, _change = _IFINFO.unpack_from(data, start)
    m = _Msg(data)
    top = attrs(data, start + _IFINFO.size, end)
    name = m.text(top, _IFNAME)
    if not name:
        return None
    info = m.nested(top, _LINKINFO)
    kind = m.text(info, _INFO_KIND) if info else None
    slave_kind = m.text(info, _INFO_SLAVE_KIND) if info else None
    operstate = m.num(top, _OPERSTATE, _U8)
    carrier = m.num(top, _CARRIER, _U8)
    stats: dict[str, int] = {}
    span = top.get(_STATS64_ATTR)
    if span is not None and span[1] - span[0] >= _STATS64.size:
        stats = dict(zip(_STATISTICS, _STATS64.unpack_from(data, span[0]), strict=True))
    link = {
        "ifindex": index,
        "iflink": m.num(top, _LINK, _U32),
        "kind": kind,
        "type": _type,
        "operstate": None if operstate is None else _name(OPERSTATES, operstate),
        # sysfs refuses ``carrier`` of an admin-down link; report it the same way.
        "carrier": None if carrier is None or not flags & _IFF_UP else bool(carrier),
        "carrier_changes": m.num(top, _CARRIER_CHANGES, _U32),
        "mtu": m.num(top, _MTU, _U32),
        "address": m.mac(top, _ADDRESS),
        "statistics": stats,
    }
    parse = _KIND_DATA.get(kind or "")
    parse_slave = _SLAVE_DATA.get(slave_kind or "")
    return _Raw(
        index=index,
        name=name,
        link=link,
        kind=kind,
        link_index=None if _NETNSID in top else m.num(top, _LINK, _U32),
        master_index=m.num(top, _MASTER, _U32),
        data=parse(m, m.nested(info, _INFO_DATA)) if parse else {},
        slave_kind=slave_kind,
        slave_data=parse_slave(m, m.nested(info, _INFO_SLAVE_DATA)) if parse_slave else {},
    )


def dump_request(seq: int = 1) -> bytes:
    """A plain ``RTM_GETLINK`` dump request with no extended (VF) information."""
    body = _IFINFO.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + _NLA.pack(8, _EXT_MASK) + _U32.pack(0)
    return _NLMSG.pack(_NLMSG.size + len(body), _RTM_GETLINK, _NLM_F_REQUEST | _NLM_F_DUMP,
                       seq, 0) + body  # fmt: skip


def decode_dump(buffer: Any, size: int, out: list[_Raw]) -> bool:
    """Decode one ``recv`` worth of messages into ``out``; True once the dump is done."""
    pos = 0
    while pos + 16 <= size:
        length, mtype = _NLMSG.unpack_from(buffer, pos)[:2]
        if length < 16:
            break
        if mtype == _RTM_NEWLINK:
            raw = decode_link(buffer, pos + 16, pos + length)
            if raw is not None:
                out.append(raw)
        elif mtype == _NLMSG_DONE:
            return True
        elif mtype == _NLMSG_ERROR:
            code = struct.unpack_from("=i", buffer, pos + 16)[0]
            if code:
                raise OSError(-code, f"netlink link dump: {os.strerror(-code)}")
        pos += _align(length)
    return False


def dump_links() -> list[_Raw]:
    """Every link of this network namespace, decoded (raises OSError if netlink fails)."""
    out: list[_Raw] = []
    buffer = bytearray(1 << 20)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.settimeout(30)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.bind((0, 0))
        sock.send(dump_request())
        while True:
            size = sock.recv_into(buffer)
            if decode_dump(buffer, size, out):
                return out


# --- assembly into KernelFacts ------------------------------------------------------------


def _read_small(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return None


def _proc_bonds(proc: str, problems: list[str]) -> dict[str, Any]:
    directory = os.path.join(proc, "net", "bonding")
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return {}
    out = {}
    for name in names:
        text = _read_small(os.path.join(directory, name))
        if text is None:
            problems.append(f"{directory}/{name}: unreadable")
        else:
            out[name] = parse_bonding(text)
    return out


def _speed(sys_net: str, name: str) -> tuple[int | None, str | None]:
    """Speed and duplex of a NIC (netlink has no ethtool data); unknown → None."""
    speed_text = _read_small(os.path.join(sys_net, name, "speed"))
    duplex = (_read_small(os.path.join(sys_net, name, "duplex")) or "").strip()
    try:
        speed: int | None = int(speed_text) if speed_text is not None else None
    except ValueError:
        speed = None
    return (speed if speed is not None and speed >= 0 else None,
            duplex if duplex in ("full", "half") else None)  # fmt: skip


def assemble(
    raws: list[_Raw], proc: str = "/proc", sys: str = "/sys"
) -> tuple[KernelFacts, dict[str, VlanExtra]]:
    """Decoded links (plus /proc/net/bonding) → the facts read_tree would have produced."""
    names = {r.index: r.name for r in raws}
    problems: list[str] = []
    lowers: dict[str, list[str]] = {}
    uppers: dict[str, list[str]] = {}
    for r in raws:
        master = names.get(r.master_index) if r.master_index else None
        if master:
            lowers.setdefault(master, []).append(r.name)
            uppers.setdefault(r.name, []).append(master)
        if r.kind == "vlan" and r.link_index in names:
            parent = names[r.link_index or 0]
            lowers.setdefault(r.name, []).append(parent)
            uppers.setdefault(parent, []).append(r.name)
    sys_net = os.path.join(sys, "class", "net")
    links: dict[str, LinkFacts] = {}
    for r in raws:
        speed = duplex = None
        if r.kind in (None, "veth") and r.name != "lo" and r.slave_kind != "bridge":
            speed, duplex = _speed(sys_net, r.name)
        links[r.name] = LinkFacts(
            name=r.name, **r.link, speed_mbps=speed, duplex=duplex,
            master=names.get(r.master_index) if r.master_index else None,
            lowers=tuple(sorted(lowers.get(r.name, ()))),
            uppers=tuple(sorted(uppers.get(r.name, ()))),
        )  # fmt: skip

    proc_bonds = _proc_bonds(proc, problems)
    bonds: dict[str, BondFacts] = {}
    bridges: dict[str, BridgeFacts] = {}
    vlans: dict[str, VlanFacts] = {}
    extras: dict[str, VlanExtra] = {}
    by_master: dict[str, list[_Raw]] = {}
    for r in raws:
        if r.master_index in names:
            by_master.setdefault(names[r.master_index or 0], []).append(r)
    for r in raws:
        if r.kind == "bond":
            bonds[r.name] = _bond(r, names, by_master.get(r.name, []), proc_bonds.get(r.name),
                                  links[r.name])  # fmt: skip
        elif r.kind == "bridge":
            ports = sorted((p for p in by_master.get(r.name, []) if p.slave_kind == "bridge"),
                           key=lambda p: p.name)  # fmt: skip
            bridges[r.name] = BridgeFacts(
                name=r.name, **r.data,
                ports=tuple(BridgePortFacts(name=p.name, bridge=r.name, **p.slave_data)
                            for p in ports),
            )  # fmt: skip
        elif r.kind == "vlan":
            d = r.data
            flags: VlanFlags = d["flags"]
            vlans[r.name] = VlanFacts(
                name=r.name, vid=d["vid"], parent=names.get(r.link_index or 0),
                reorder_hdr=flags.reorder_hdr, ingress_map=d["ingress_map"],
                egress_map=d["egress_map"],
            )  # fmt: skip
            extras[r.name] = VlanExtra(d["protocol"], flags)
    facts = KernelFacts(
        root="/",
        links=dict(sorted(links.items())),
        bonds=dict(sorted(bonds.items())),
        vlans=dict(sorted(vlans.items())),
        bridges=dict(sorted(bridges.items())),
        bonding_masters=tuple(sorted(bonds)),
        problems=tuple(problems),
    )
    return facts, extras


def _bond(r: _Raw, names: dict[int, str], members: list[_Raw], proc: Any,
          link: LinkFacts) -> BondFacts:  # fmt: skip
    d = dict(r.data)
    d["active_slave"] = names.get(d["active_slave"]) if d["active_slave"] else None
    d["primary"] = names.get(d["primary"]) if d["primary"] else None
    slaves = {m.name: m for m in members if m.slave_kind == "bond"}
    order = [s.name for s in proc.slaves if s.name in slaves] if proc is not None else []
    order += sorted(s for s in slaves if s not in order)
    proc_slaves = {s.name: s for s in proc.slaves} if proc is not None else {}
    mii = proc.mii_status if proc is not None else None
    if mii is None and link.carrier is not None:
        mii = "up" if link.carrier else "down"
    return BondFacts(
        name=r.name, **d, mii_status=mii, slaves=tuple(order),
        slave_facts=tuple(
            BondSlaveFacts(name=s, bond=r.name, **slaves[s].slave_data, proc=proc_slaves.get(s))
            for s in order
        ),
        proc=proc,
    )  # fmt: skip


def read_live(proc: str = "/proc", sys: str = "/sys") -> tuple[KernelFacts, dict[str, VlanExtra]]:
    """Facts of the running kernel (this network namespace) and the VLANs' netlink extras."""
    return assemble(dump_links(), proc, sys)
