"""Step 1 of ``hvnet status``: kernel facts (plus an optional config) → a status document.

:func:`gather` is the only I/O. A live host is read the way ``ip -d link show`` reads it
(one netlink dump plus /proc/net/bonding, :mod:`hvnet.status.live`), because reading sysfs
file by file costs a minute on a host with thousands of VLANs; a recorded tree (``--root``)
is read by :func:`hvnet.kernel.sysfs.read_tree`. Both produce the same
:class:`~hvnet.kernel.facts.KernelFacts` (values in sysfs spelling), so everything after
this point is one code path; the lab checks that both readers agree on a real kernel.
libvirt's runtime XML adds guest names. :func:`build` is pure: it turns the facts into
:class:`~hvnet.status.doc.StatusDoc` observations, with every verdict still unjudged
(that is :mod:`hvnet.status.health`).

A config (``--config``) adds expectations the kernel cannot know: which slaves a bond
*should* have (a slave that fell out of the bond is invisible in the kernel), the intended
primary, the intended bridge ports, and the guests' MACs for naming their taps. The config
is passed as plain tuples (:class:`Expectations`) so this module never imports the
pydantic-based model: ``hvnet status`` must start fast.
"""

from __future__ import annotations

import os
import time

from hvnet.kernel.facts import BondFacts, BridgeFacts, KernelFacts, LinkFacts, VlanFacts
from hvnet.kernel.record import Record, field
from hvnet.status.doc import (
    BondStatus,
    BridgePortStatus,
    BridgeStatus,
    HostInfo,
    Lacp,
    LinkStatus,
    Monitoring,
    SlaveStatus,
    StatusDoc,
    Stp,
    VlanCounters,
    VlanFlags,
    VlanStatus,
)
from hvnet.status.guests import config_mac_index, is_guest_port, name_guest_port

TYPE_CHECKING = False  # not typing's: importing typing costs more than this command

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from pathlib import Path

    from hvnet.model import Host

_STP_MODES = {0: "off", 1: "kernel", 2: "user"}
#: Kinds shown as NICs: physical ports have none (sysfs shows none for veth/dummy either).
_NIC_KINDS = frozenset({None, "veth", "dummy", "tun"})


class VlanExtra(Record):
    """What netlink adds to /proc for one VLAN (protocol is ``802.1q`` or ``802.1ad``)."""

    protocol: str | None = None
    flags: VlanFlags = field(default_factory=VlanFlags)


class Expectations(Record):
    """The config's intent, reduced to what status needs (see module docstring)."""

    file: str | None = None
    bond_slaves: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bond_primary: dict[str, str | None] = field(default_factory=dict)
    bridge_ports: dict[str, tuple[str, ...]] = field(default_factory=dict)
    guest_macs: tuple[tuple[str, str | None], ...] = ()


def expectations_from_host(host: Host, file: str | None = None) -> Expectations:
    """Reduce a loaded config to :class:`Expectations` (bonds, bridges, guest MACs)."""
    return Expectations(
        file=file,
        bond_slaves={b.name: tuple(b.slaves) for b in host.bonds},
        bond_primary={b.name: b.options.primary for b in host.bonds},
        bridge_ports={b.name: b.port_names for b in host.bridges},
        guest_macs=tuple((g.name, nic.mac) for g in host.guests for nic in g.nics),
    )


class Gathered(Record):
    """Everything read from one host, before any interpretation."""

    facts: KernelFacts
    live: bool
    hostname: str | None = None
    kernel_release: str | None = None
    libvirt_ports: dict[str, str] = field(default_factory=dict)
    vlan_extras: dict[str, VlanExtra] | None = None


def _read_small(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            text = handle.read(4096).decode("utf-8", errors="replace").strip()
    except OSError:
        return None
    return text or None


def gather(root: str | Path | None = None) -> Gathered:
    """Read the live host (``root`` None) or a recorded tree; never raises for gaps.

    Live: one netlink dump plus /proc/net/bonding (:mod:`hvnet.status.live`); raises
    :class:`OSError` when netlink cannot be read. Recorded: :func:`read_tree`; raises
    :class:`OSError` only when there is nothing to read at all (neither ``sys/class/net``
    nor ``proc/net`` under the root): that is an unusable source, not a partial one.
    """
    from hvnet.status.guests import read_libvirt_ports

    if root is None:
        from hvnet.status.live import read_live

        facts, extras = read_live()
        return Gathered(
            facts=facts,
            live=True,
            hostname=os.uname().nodename,  # what gethostname() returns on Linux
            kernel_release=os.uname().release,
            libvirt_ports=read_libvirt_ports("/"),
            vlan_extras=extras,
        )
    import pathlib

    from hvnet.kernel.sysfs import read_tree

    base = os.fspath(root)
    if not any(os.path.isdir(os.path.join(base, sub)) for sub in ("sys/class/net", "proc/net")):
        raise OSError(f"{base}: neither sys/class/net nor proc/net exists under it")
    hostname = _read_small(os.path.join(base, "etc/hostname")) or _read_small(
        os.path.join(base, "proc/sys/kernel/hostname")
    )
    return Gathered(
        facts=read_tree(pathlib.Path(base)),
        live=False,
        hostname=hostname,
        kernel_release=_read_small(os.path.join(base, "proc/sys/kernel/osrelease")),
        libvirt_ports=read_libvirt_ports(base),
    )


# --- pure part --------------------------------------------------------------------------


def _slave(
    bond: BondFacts, name: str, links: Mapping[str, LinkFacts], configured: bool | None
) -> SlaveStatus:
    sf = next((s for s in bond.slave_facts if s.name == name), None)
    link = links.get(name)
    enslaved = bond.slaves is None or name in bond.slaves or (sf is not None and sf.bond)
    if sf is None:
        return SlaveStatus(
            name=name,
            enslaved=bool(enslaved) and name in (bond.slaves or ()),
            configured=configured,
            operstate=link.operstate if link else None,
            mtu=link.mtu if link else None,
            speed_mbps=link.speed_mbps if link else None,
            duplex=link.duplex if link else None,
        )
    proc = sf.proc
    actor = proc.actor_lacp if proc else None
    partner = proc.partner_lacp if proc else None
    actor_state = sf.ad_actor_oper_port_state or (actor.port_state if actor else None)
    partner_state = sf.ad_partner_oper_port_state or (partner.port_state if partner else None)
    speed = proc.speed_mbps if proc and proc.speed_mbps is not None else None
    if speed is None and link is not None:
        speed = link.speed_mbps
    return SlaveStatus(
        name=name,
        enslaved=True,
        configured=configured,
        mii_status=sf.mii_status or (proc.mii_status if proc else None),
        state=sf.state,
        operstate=link.operstate if link else None,
        speed_mbps=speed,
        duplex=(proc.duplex if proc and proc.duplex else None) or (link.duplex if link else None),
        link_failure_count=sf.link_failure_count
        if sf.link_failure_count is not None
        else (proc.link_failure_count if proc else None),
        perm_hwaddr=sf.perm_hwaddr or (proc.perm_hwaddr if proc else None),
        queue_id=sf.queue_id if sf.queue_id is not None else (proc.queue_id if proc else None),
        mtu=link.mtu if link else None,
        aggregator_id=sf.ad_aggregator_id
        if sf.ad_aggregator_id is not None
        else (proc.aggregator_id if proc else None),
        actor_key=actor.port_key if actor else None,
        partner_mac=partner.system_mac if partner else None,
        partner_key=partner.port_key if partner else None,
        actor_port_state=actor_state.value if actor_state else None,
        partner_port_state=partner_state.value if partner_state else None,
        actor_churn_state=proc.actor_churn_state if proc else None,
        partner_churn_state=proc.partner_churn_state if proc else None,
    )


def _monitoring(b: BondFacts) -> Monitoring:
    if b.arp_interval_ms:
        method: str | None = "arp"
    elif b.miimon_ms:
        method = "mii"
    elif b.miimon_ms == 0 and b.arp_interval_ms in (0, None):
        method = "none"
    else:
        method = None
    return Monitoring(
        method=method,
        miimon_ms=b.miimon_ms,
        updelay_ms=b.updelay_ms,
        downdelay_ms=b.downdelay_ms,
        arp_interval_ms=b.arp_interval_ms,
        arp_ip_targets=b.arp_ip_targets,
        arp_validate=b.arp_validate,
        arp_missed_max=b.arp_missed_max,
    )


def _bond(b: BondFacts, links: Mapping[str, LinkFacts], expect: Expectations) -> BondStatus:
    link = links.get(b.name)
    want = expect.bond_slaves.get(b.name)
    names: list[str] = [s.name for s in b.slave_facts] or list(b.slaves or ())
    if want is not None:
        names += [s for s in want if s not in names]
    slaves = tuple(_slave(b, n, links, None if want is None else n in want) for n in names)
    lacp = None
    if b.mode == "802.3ad":
        lacp = Lacp(
            rate=b.lacp_rate,
            active=b.lacp_active,
            ad_select=b.ad_select,
            actor_system=b.ad_actor_system,
            system_priority=b.ad_actor_sys_prio,
            aggregator_id=b.ad_aggregator,
            number_of_ports=b.ad_num_ports,
            actor_key=b.ad_actor_key,
            partner_key=b.ad_partner_key,
            partner_mac=b.ad_partner_mac,
        )
    return BondStatus(
        name=b.name,
        mode=b.mode,
        mii_status=b.mii_status,
        operstate=link.operstate if link else None,
        mtu=link.mtu if link else None,
        address=link.address if link else None,
        monitoring=_monitoring(b),
        primary=b.primary,
        configured_primary=expect.bond_primary.get(b.name),
        primary_reselect=b.primary_reselect,
        active_slave=b.active_slave,
        xmit_hash_policy=b.xmit_hash_policy,
        min_links=b.min_links,
        lacp=lacp,
        slaves=slaves,
        configured_slaves=want,
    )


def _vlan(v: VlanFacts, links: Mapping[str, LinkFacts], extra: VlanExtra | None) -> VlanStatus:
    link = links.get(v.name)
    parent = links.get(v.parent) if v.parent else None
    proc = v.proc
    stats = link.statistics if link else {}
    flags = extra.flags if extra is not None else VlanFlags()
    if flags.reorder_hdr is None and v.reorder_hdr is not None:
        flags = VlanFlags(
            v.reorder_hdr, flags.gvrp, flags.mvrp, flags.loose_binding, flags.bridge_binding
        )
    return VlanStatus(
        name=v.name,
        vid=v.vid,
        parent=v.parent,
        protocol=extra.protocol if extra is not None else None,
        operstate=link.operstate if link else None,
        parent_operstate=parent.operstate if parent else None,
        mtu=link.mtu if link else None,
        address=link.address if link else None,
        flags=flags,
        counters=VlanCounters(
            rx_frames=proc.rx_frames if proc else stats.get("rx_packets"),
            rx_bytes=proc.rx_bytes if proc else stats.get("rx_bytes"),
            rx_multicast=proc.rx_multicast if proc else None,
            tx_frames=proc.tx_frames if proc else stats.get("tx_packets"),
            tx_bytes=proc.tx_bytes if proc else stats.get("tx_bytes"),
            rx_errors=stats.get("rx_errors"),
            tx_errors=stats.get("tx_errors"),
            rx_dropped=stats.get("rx_dropped"),
            tx_dropped=stats.get("tx_dropped"),
        ),
        ingress_map=dict(v.ingress_map),
        egress_map=dict(v.egress_map),
    )


def _bridge(
    br: BridgeFacts,
    links: Mapping[str, LinkFacts],
    expect: Expectations,
    libvirt: Mapping[str, str],
    config_macs: Mapping[str, str],
) -> BridgeStatus:
    link = links.get(br.name)
    want = expect.bridge_ports.get(br.name)
    ports: list[BridgePortStatus] = []
    for p in br.ports:
        plink = links.get(p.name)
        guest = None
        role = "uplink"
        if is_guest_port(p.name, plink.kind if plink else None) and (
            want is None or p.name not in want
        ):
            role = "guest"
            guest = name_guest_port(p.name, plink.address if plink else None, libvirt, config_macs)
        ports.append(
            BridgePortStatus(
                name=p.name,
                role=role,
                stp_state=p.state_name,
                priority=p.priority,
                path_cost=p.path_cost,
                operstate=plink.operstate if plink else None,
                mtu=plink.mtu if plink else None,
                address=plink.address if plink else None,
                configured=None if want is None else p.name in want,
                guest=guest,
            )
        )
    # A bridge whose brif listing is absent from a recorded tree: its ports are unknown,
    # unless the link's lower_* links still name them.
    known = bool(br.ports) or link is None or bool(link.lowers) or link.operstate is not None
    stp_state = br.stp_state
    return BridgeStatus(
        name=br.name,
        operstate=link.operstate if link else None,
        mtu=link.mtu if link else None,
        address=link.address if link else None,
        stp=Stp(
            enabled=None if stp_state is None else stp_state != 0,
            mode=None if stp_state is None else _STP_MODES.get(stp_state, str(stp_state)),
            priority=br.priority,
            bridge_id=br.bridge_id,
            root_id=br.root_id,
            root_port=br.root_port,
            root_path_cost=br.root_path_cost,
            forward_delay_s=br.forward_delay_s,
            hello_time_s=br.hello_time_s,
            max_age_s=br.max_age_s,
            topology_change=br.topology_change,
        ),
        ageing_time_s=br.ageing_time_s,
        vlan_filtering=br.vlan_filtering,
        ports=tuple(ports),
        ports_known=known,
        configured_ports=want,
    )


def _role(name: str, link: LinkFacts, facts: KernelFacts, bridge_ports: Mapping[str, str]) -> str:
    if name in facts.bonds:
        return "bond"
    if name in facts.vlans:
        return "vlan"
    if name in facts.bridges:
        return "bridge"
    if is_guest_port(name, link.kind) and (name in bridge_ports or link.kind in _NIC_KINDS):
        return "guest"
    if link.kind in _NIC_KINDS:
        return "nic"
    return "other"


def build(
    gathered: Gathered,
    expect: Expectations | None = None,
    *,
    now: datetime | None = None,
) -> StatusDoc:
    """Turn gathered facts into an unjudged status document (pure; no I/O)."""
    facts = gathered.facts
    expect = expect or Expectations()
    links = facts.links
    config_macs = config_mac_index(expect.guest_macs)
    extras = gathered.vlan_extras or {}
    bonds = tuple(_bond(b, links, expect) for b in facts.bonds.values())
    vlans = tuple(_vlan(v, links, extras.get(v.name)) for v in facts.vlans.values())
    bridges = tuple(
        _bridge(br, links, expect, gathered.libvirt_ports, config_macs)
        for br in facts.bridges.values()
    )
    bridge_ports = {p.name: br.name for br in facts.bridges.values() for p in br.ports}
    link_rows = tuple(
        LinkStatus(
            name=name,
            role=_role(name, link, facts, bridge_ports),
            kind=link.kind,
            operstate=link.operstate,
            carrier=link.carrier,
            mtu=link.mtu,
            address=link.address,
            master=link.master,
            speed_mbps=link.speed_mbps,
            duplex=link.duplex,
            carrier_changes=link.carrier_changes,
            statistics=dict(link.statistics),
        )
        for name, link in links.items()
        if name != "lo"
    )
    # time.strftime, not datetime: the same ISO 8601 text without importing datetime
    stamp = (
        now.replace(microsecond=0).isoformat()
        if now is not None
        else time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    )
    return StatusDoc(
        host=HostInfo(
            hostname=gathered.hostname,
            source="live" if gathered.live else "recorded",
            root=facts.root,
            kernel_release=gathered.kernel_release,
            generated=stamp,
            config=expect.file,
        ),
        bonds=bonds,
        vlans=vlans,
        bridges=bridges,
        links=link_rows,
        problems=facts.problems,
    )
