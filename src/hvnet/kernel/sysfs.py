"""Read bonds, VLANs, bridges and links from a live system or a recorded tree.

``read_tree(root)`` looks under ``root/proc/net/{bonding,vlan}`` and
``root/sys/class/net`` so the same code inspects ``/`` and an unpacked support
bundle or sosreport.  Recorded trees differ from real sysfs: interface entries
and ``master``/``brif``/``lower_*`` links may be symlinks (possibly dangling)
or plain copied directories, and any file may be missing.  Nothing here raises
for such gaps: a value that cannot be read is ``None`` ("unknown").

Speed matters because a hypervisor may carry thousands of VLANs and bridges:
each directory is listed once and only files known to exist are opened
(exceptions are the slow path), with raw ``os.open``/``os.read`` and string
concatenation for paths.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

from hvnet.kernel.facts import (
    BRIDGE_PORT_STATES,
    BondFacts,
    BondProcInfo,
    BondSlaveFacts,
    BridgeFacts,
    BridgePortFacts,
    KernelFacts,
    LacpPortState,
    LinkFacts,
    VlanFacts,
    VlanProcDev,
    VlanProcEntry,
)
from hvnet.kernel.procfs import (
    attr_bool,
    attr_centiseconds,
    attr_enum,
    attr_hex,
    attr_int,
    attr_str,
    parse_bonding,
    parse_uevent,
    parse_vlan_config,
    parse_vlan_dev,
    parse_vlan_name_type,
)
from hvnet.kernel.record import replace

__all__ = ["STATUS_STATISTICS", "read_tree"]

#: Counters read by default: enough to spot errors, drops and traffic per link.
STATUS_STATISTICS: tuple[str, ...] = (
    "rx_bytes", "tx_bytes", "rx_packets", "tx_packets",
    "rx_errors", "tx_errors", "rx_dropped", "tx_dropped",
)  # fmt: skip

_EXPECTED_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EINVAL, errno.ENODEV})


class _Reader:
    """Small file/dir helpers that turn every OS error into ``None``.

    Errors other than "missing" / EINVAL (which sysfs returns for e.g.
    ``carrier`` of a down link) are collected as problems for the report.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []

    def _note(self, path: str, exc: OSError) -> None:
        if exc.errno not in _EXPECTED_ERRNOS:
            self.problems.append(f"{path}: {exc.strerror or exc}")

    def listdir(self, path: str) -> set[str]:
        try:
            return set(os.listdir(path))
        except OSError as exc:
            self._note(path, exc)
            return set()

    def entries(self, path: str) -> dict[str, os.DirEntry[str]]:
        try:
            with os.scandir(path) as it:
                return {e.name: e for e in it}
        except OSError as exc:
            self._note(path, exc)
            return {}

    def text(self, path: str) -> str | None:
        try:
            # O_NONBLOCK: a FIFO planted in a recorded tree must not hang us.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            self._note(path, exc)
            return None
        try:
            # sysfs attributes fit in one page: one read, loop only for big files.
            data = os.read(fd, 65536)
            if len(data) == 65536:
                chunks = [data]
                while chunk := os.read(fd, 65536):
                    chunks.append(chunk)
                data = b"".join(chunks)
        except OSError as exc:
            self._note(path, exc)
            return None
        finally:
            os.close(fd)
        return data.decode("utf-8", errors="replace")


def _port_state(text: str | None) -> LacpPortState | None:
    value = attr_int(text)
    return LacpPortState.from_int(value) if value is not None and 0 <= value <= 255 else None


_LINK_SUFFIX = ".symlink"


class _Dir:
    """One listed directory: read only attributes present in the listing.

    Links are found in three shapes: real symlinks, copied directories, and the
    ``NAME.symlink`` text files (holding the link target) that some capture
    tools, including hvnet's lab, write where a symlink cannot be stored.
    """

    def __init__(self, reader: _Reader, path: str) -> None:
        self.reader = reader
        self.path = path
        self.prefix = path.rstrip(os.sep) + os.sep  # concatenation beats os.path.join
        self.entries = reader.listdir(path)
        self.names = {n.removesuffix(_LINK_SUFFIX) for n in self.entries}

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def get(self, name: str) -> str | None:
        if name not in self.entries:
            return None
        return self.reader.text(self.prefix + name)

    def sub(self, name: str) -> _Dir | None:
        return _Dir(self.reader, self.prefix + name) if name in self.entries else None

    def link_target(self, name: str) -> str | None:
        """Target text of link ``name`` (symlink or ``.symlink`` file), if any."""
        if name in self.entries:
            try:
                return os.readlink(self.prefix + name)
            except OSError:
                return None
        return attr_str(self.get(name + _LINK_SUFFIX))

    def link_name(self, name: str) -> str | None:
        """Interface a link points to: target basename, or a copied dir's uevent."""
        target = self.link_target(name)
        if target is not None:
            return os.path.basename(target.rstrip("/")) or None
        if name in self.entries:
            uevent = self.reader.text(self.prefix + name + os.sep + "uevent")
            return parse_uevent(uevent).get("INTERFACE")
        return None

    def resolve(self, root: str, name: str) -> str:
        """Path to follow for link ``name``, kept inside a recorded tree.

        Bundlers may store absolute links (``eth0 -> /sys/devices/...``); followed
        as is they would read the *examining* host's sysfs, so they are re-rooted.
        """
        target = self.link_target(name)
        if target is None or (name in self.entries and not os.path.isabs(target)):
            return self.prefix + name  # plain directory, or a symlink the OS follows
        if os.path.isabs(target):
            if os.path.abspath(root) == os.sep:
                return self.prefix + name
            return os.path.join(root, target.lstrip(os.sep))
        return os.path.normpath(self.prefix + target)


# --- links -------------------------------------------------------------------


def _read_link(d: _Dir, name: str, statistics: Collection[str]) -> LinkFacts:
    uevent = parse_uevent(d.get("uevent"))
    kind = uevent.get("DEVTYPE")
    if kind is None:
        kind = "bond" if "bonding" in d else "bridge" if "bridge" in d else None
    speed = attr_int(d.get("speed"))
    duplex = attr_str(d.get("duplex"))
    stats: dict[str, int] = {}
    sd = d.sub("statistics") if statistics else None
    if sd is not None:
        wanted = sorted(sd.entries) if "*" in statistics else statistics
        for stat in wanted:
            value = attr_int(sd.get(stat))
            if value is not None:
                stats[stat] = value
    lowers = sorted(n.partition("_")[2] for n in d.names if n.startswith(("lower_", "slave_")))
    uppers = sorted(n.partition("_")[2] for n in d.names if n.startswith("upper_"))
    return LinkFacts(
        name=name,
        ifindex=attr_int(d.get("ifindex") or uevent.get("IFINDEX")),
        iflink=attr_int(d.get("iflink")),
        kind=kind,
        type=attr_int(d.get("type")),
        operstate=attr_str(d.get("operstate")),
        carrier=attr_bool(d.get("carrier")),
        carrier_changes=attr_int(d.get("carrier_changes")),
        mtu=attr_int(d.get("mtu")),
        address=attr_str(d.get("address")),
        speed_mbps=speed if speed is not None and speed >= 0 else None,
        duplex=duplex if duplex in ("full", "half") else None,
        master=d.link_name("master"),
        lowers=tuple(lowers),
        uppers=tuple(uppers),
        statistics=stats,
    )


# --- bonds -------------------------------------------------------------------


def _read_bond_slave(d: _Dir, name: str, bond: str | None) -> BondSlaveFacts:
    return BondSlaveFacts(
        name=name,
        bond=bond,
        state=attr_str(d.get("state")),
        mii_status=attr_str(d.get("mii_status")),
        link_failure_count=attr_int(d.get("link_failure_count")),
        perm_hwaddr=attr_str(d.get("perm_hwaddr")),
        queue_id=attr_int(d.get("queue_id")),
        prio=attr_int(d.get("prio")),
        ad_aggregator_id=attr_int(d.get("ad_aggregator_id")),
        ad_actor_oper_port_state=_port_state(d.get("ad_actor_oper_port_state")),
        ad_partner_oper_port_state=_port_state(d.get("ad_partner_oper_port_state")),
    )


# Attribute tables: BondFacts field -> file in /sys/class/net/BOND/bonding/.
# fmt: off
_BOND_INT = {
    "miimon_ms": "miimon", "updelay_ms": "updelay", "downdelay_ms": "downdelay",
    "peer_notif_delay_ms": "peer_notif_delay", "arp_interval_ms": "arp_interval",
    "arp_missed_max": "arp_missed_max", "ad_actor_sys_prio": "ad_actor_sys_prio",
    "ad_user_port_key": "ad_user_port_key", "ad_aggregator": "ad_aggregator",
    "ad_num_ports": "ad_num_ports", "ad_actor_key": "ad_actor_key",
    "ad_partner_key": "ad_partner_key", "min_links": "min_links",
    "num_peer_notif": "num_grat_arp", "packets_per_slave": "packets_per_slave",
    "tlb_dynamic_lb": "tlb_dynamic_lb", "use_carrier": "use_carrier",
    "all_slaves_active": "all_slaves_active",
}
_BOND_ENUM = (
    "mode", "primary_reselect", "arp_validate", "arp_all_targets", "fail_over_mac",
    "xmit_hash_policy", "lacp_rate", "lacp_active", "ad_select",
)
_BOND_STR = ("active_slave", "primary", "mii_status", "ad_actor_system", "ad_partner_mac")
# Fields BondProcInfo and BondFacts share by name (used when sysfs lacks them).
_PROC_SHARED = (
    "mode", "active_slave", "primary_reselect", "mii_status", "miimon_ms", "updelay_ms",
    "downdelay_ms", "peer_notif_delay_ms", "arp_interval_ms", "arp_ip_targets",
    "arp_missed_max", "fail_over_mac", "xmit_hash_policy", "lacp_rate", "ad_select",
    "min_links",
)
# fmt: on


def _sysfs_bond_fields(d: _Dir) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for attr, fname in _BOND_INT.items():
        fields[attr] = attr_int(d.get(fname))
    for fname in _BOND_ENUM:
        fields[fname] = attr_enum(d.get(fname))
    for fname in _BOND_STR:
        fields[fname] = attr_str(d.get(fname))
    slaves = d.get("slaves")
    fields["slaves"] = None if slaves is None else tuple(slaves.split())
    targets = d.get("arp_ip_target")
    fields["arp_ip_targets"] = None if targets is None else tuple(targets.split())
    return fields


def _proc_bond_fields(p: BondProcInfo) -> dict[str, Any]:
    """Fallback values from /proc for a bond whose sysfs directory is missing."""
    agg = p.active_aggregator
    fields = {key: getattr(p, key) for key in _PROC_SHARED}
    fields.update(
        slaves=tuple(s.name for s in p.slaves) if p.slaves else None,
        primary=p.primary_slave,
        lacp_active=None if p.lacp_active is None else ("on" if p.lacp_active else "off"),
        ad_actor_sys_prio=p.system_priority,
        ad_aggregator=agg.aggregator_id if agg else None,
        ad_num_ports=agg.number_of_ports if agg else None,
        ad_actor_key=agg.actor_key if agg else None,
        ad_partner_key=agg.partner_key if agg else None,
        ad_partner_mac=agg.partner_mac if agg else None,
    )
    return fields


def _build_bond(
    name: str,
    sysfs: dict[str, Any] | None,
    proc: BondProcInfo | None,
    slave_facts: dict[str, BondSlaveFacts],
) -> BondFacts:
    fields: dict[str, Any] = dict(sysfs or {})
    if proc is not None:
        for key, value in _proc_bond_fields(proc).items():
            if fields.get(key) is None:
                fields[key] = value
    proc_slaves = {s.name: s for s in proc.slaves} if proc is not None else {}
    order: list[str] = list(fields.get("slaves") or ())
    order += [s for s in proc_slaves if s not in order]
    order += sorted(s for s, f in slave_facts.items() if f.bond == name and s not in order)
    facts = []
    for slave in order:
        base = slave_facts.get(slave) or BondSlaveFacts(name=slave, bond=name)
        facts.append(replace(base, proc=proc_slaves.get(slave)))
    return BondFacts(name=name, **fields, slave_facts=tuple(facts), proc=proc)


# --- bridges -----------------------------------------------------------------

_PORT_FLAGS = (
    "learning", "unicast_flood", "multicast_flood", "broadcast_flood",
    "hairpin_mode", "bpdu_guard", "root_block", "isolated",
)  # fmt: skip


def _read_bridge_port(d: _Dir, name: str, bridge: str | None) -> BridgePortFacts:
    state = attr_int(d.get("state"))
    flags = {flag: attr_bool(d.get(flag)) for flag in _PORT_FLAGS}
    return BridgePortFacts(
        name=name,
        bridge=bridge,
        path_cost=attr_int(d.get("path_cost")),
        priority=attr_int(d.get("priority")),
        port_id=attr_hex(d.get("port_id")),
        port_no=attr_hex(d.get("port_no")),
        state=state,
        state_name=BRIDGE_PORT_STATES.get(state) if state is not None else None,
        designated_root=attr_str(d.get("designated_root")),
        designated_bridge=attr_str(d.get("designated_bridge")),
        designated_port=attr_int(d.get("designated_port")),
        designated_cost=attr_int(d.get("designated_cost")),
        **flags,
    )


def _read_bridge(
    reader: _Reader, root: str, name: str, d: _Dir, ifaces: dict[str, _Dir]
) -> BridgeFacts:
    bd = d.sub("bridge")
    b = bd if bd is not None else _Dir(reader, os.path.join(d.path, "bridge"))
    ports: list[BridgePortFacts] = []
    brif = d.sub("brif") or _Dir(reader, d.prefix + "brif")
    for port in sorted(brif.names):
        pd = ifaces.get(port)
        # PORT/brport, else what brif/PORT links to (or a copied directory).
        pdir = (pd.sub("brport") if pd is not None else None) or _Dir(
            reader, brif.resolve(root, port)
        )
        ports.append(_read_bridge_port(pdir, port, name))
    return BridgeFacts(
        name=name,
        stp_state=attr_int(b.get("stp_state")),
        priority=attr_int(b.get("priority")),
        forward_delay_s=attr_centiseconds(b.get("forward_delay")),
        hello_time_s=attr_centiseconds(b.get("hello_time")),
        max_age_s=attr_centiseconds(b.get("max_age")),
        ageing_time_s=attr_centiseconds(b.get("ageing_time")),
        bridge_id=attr_str(b.get("bridge_id")),
        root_id=attr_str(b.get("root_id")),
        root_port=attr_int(b.get("root_port")),
        root_path_cost=attr_int(b.get("root_path_cost")),
        topology_change=attr_bool(b.get("topology_change")),
        vlan_filtering=attr_bool(b.get("vlan_filtering")),
        vlan_protocol=attr_str(b.get("vlan_protocol")),
        default_pvid=attr_int(b.get("default_pvid")),
        group_fwd_mask=attr_hex(b.get("group_fwd_mask")),
        ports=tuple(ports),
    )


# --- VLANs -------------------------------------------------------------------


def _build_vlan(
    name: str, entry: VlanProcEntry | None, dev: VlanProcDev | None, link: LinkFacts | None
) -> VlanFacts:
    vid = entry.vid if entry is not None else None
    parent = entry.parent if entry is not None else None
    if dev is not None:
        vid = vid if vid is not None else dev.vid
        parent = parent or dev.parent
    if parent is None and link is not None and len(link.lowers) == 1:
        parent = link.lowers[0]
    return VlanFacts(
        name=name,
        vid=vid,
        parent=parent,
        reorder_hdr=dev.reorder_hdr if dev is not None else None,
        ingress_map=dict(dev.ingress_map) if dev is not None else {},
        egress_map=dict(dev.egress_map) if dev is not None else {},
        proc=dev,
    )


def _proc_files(reader: _Reader, path: str) -> dict[str, str]:
    """Readable files of a /proc/net directory by name (unreadable: a problem)."""
    texts = {name: reader.text(os.path.join(path, name)) for name in sorted(reader.listdir(path))}
    return {name: text for name, text in texts.items() if text is not None}


def read_tree(root: Path = Path("/"), *, statistics: bool | Collection[str] = True) -> KernelFacts:
    """Read bonds, VLANs, bridges and links under ``root``; never raises for gaps.

    ``statistics``: True reads the :data:`STATUS_STATISTICS` counters, False
    none, a collection exactly those names (``("*",)`` = every file).  Each
    counter is a file read per interface, the bulk of the cost on big hosts.
    """
    wanted: Collection[str] = (
        STATUS_STATISTICS if statistics is True else () if statistics is False else statistics
    )
    reader = _Reader()
    base = os.fspath(root)
    net = os.path.join(base, "sys", "class", "net")
    proc_net = os.path.join(base, "proc", "net")

    ifaces: dict[str, _Dir] = {}
    links: dict[str, LinkFacts] = {}
    net_dir = _Dir(reader, net)
    for fname, entry in sorted(reader.entries(net).items()):
        name = fname.removesuffix(_LINK_SUFFIX)
        try:
            is_iface = entry.is_dir() or entry.is_symlink() or name != fname
        except OSError:
            is_iface = False
        if not is_iface or name in ifaces:
            continue
        d = _Dir(reader, net_dir.resolve(base, name))
        ifaces[name] = d
        links[name] = _read_link(d, name, wanted)

    masters_text = reader.text(os.path.join(net, "bonding_masters"))
    bonding_masters = None if masters_text is None else tuple(masters_text.split())

    proc_bonds = {
        name: parse_bonding(text)
        for name, text in _proc_files(reader, os.path.join(proc_net, "bonding")).items()
    }
    sysfs_bonds: dict[str, dict[str, Any]] = {}
    slave_facts: dict[str, BondSlaveFacts] = {}
    bridges: dict[str, BridgeFacts] = {}
    for name, d in ifaces.items():
        bd = d.sub("bonding")
        if bd is not None:
            sysfs_bonds[name] = _sysfs_bond_fields(bd)
        sd = d.sub("bonding_slave")
        if sd is not None:
            slave_facts[name] = _read_bond_slave(sd, name, links[name].master)
        if "bridge" in d or "brif" in d:
            bridges[name] = _read_bridge(reader, base, name, d, ifaces)

    bonds = {
        name: _build_bond(name, sysfs_bonds.get(name), proc_bonds.get(name), slave_facts)
        for name in sorted({*sysfs_bonds, *proc_bonds})
    }

    vlan_dir = os.path.join(proc_net, "vlan")
    vlan_texts = _proc_files(reader, vlan_dir)
    config = vlan_texts.pop("config", None)
    entries = {e.name: e for e in parse_vlan_config(config)} if config is not None else {}
    devs = {name: parse_vlan_dev(text) for name, text in vlan_texts.items()}
    vlan_names = {*entries, *devs, *(n for n, lf in links.items() if lf.kind == "vlan")}
    vlans = {
        name: _build_vlan(name, entries.get(name), devs.get(name), links.get(name))
        for name in sorted(vlan_names)
    }
    # Trees without uevent / master links: fill from the masters' own listings.
    for name in vlans.keys() & links.keys():
        if links[name].kind is None:
            links[name] = replace(links[name], kind="vlan")
    owners = {p.name: br for br, facts in bridges.items() for p in facts.ports}
    owners.update({s: bond for bond, facts in bonds.items() for s in facts.slaves or ()})
    for port, owner in owners.items():
        if port in links and links[port].master is None:
            links[port] = replace(links[port], master=owner)

    return KernelFacts(
        root=base,
        links=links,
        bonds=bonds,
        vlans=vlans,
        bridges=bridges,
        bonding_masters=bonding_masters,
        vlan_name_type=parse_vlan_name_type(config) if config is not None else None,
        problems=tuple(reader.problems),
    )
