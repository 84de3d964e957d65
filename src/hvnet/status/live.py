"""The live host's facts from one rtnetlink link dump plus /proc/net/bonding, fast.

``read_tree`` reads a dozen to forty sysfs files per interface: right for recorded trees,
but on a hypervisor with thousands of VLANs and bridges it costs tens of thousands of
system calls, while ``ip -d link show`` learns the same from one netlink dump. So the live
path of ``hvnet status`` does what ``ip`` does: one ``RTM_GETLINK`` dump (bond, bond-slave,
bridge, bridge-port and VLAN details all travel in ``IFLA_LINKINFO``; decoded by
:mod:`hvnet.status.rtnl`), plus ``/proc/net/bonding/*`` for what only it shows (the LACP
partner per slave, churn), plus speed/duplex of the few physical NICs from sysfs.

This module assembles those into the same :class:`~hvnet.kernel.facts.KernelFacts`
``read_tree`` returns, with values in sysfs spelling (mode names, ``going down``,
centisecond timers as seconds), so everything after collection is one code path for live
hosts and support bundles; the lab checks that both readers agree on a real kernel.
"""

from __future__ import annotations

import os

from hvnet.kernel.facts import (
    BondFacts,
    BondSlaveFacts,
    BridgeFacts,
    BridgePortFacts,
    KernelFacts,
    LinkFacts,
    VlanFacts,
)
from hvnet.status.collect import VlanExtra
from hvnet.status.doc import VlanFlags
from hvnet.status.rtnl import RawLink, dump_links
from hvnet.status.sysread import nic_speed, read_small

TYPE_CHECKING = False  # not typing's: importing typing costs more than this command
if TYPE_CHECKING:
    from typing import Any


def _proc_bonds(proc: str, problems: list[str]) -> dict[str, Any]:
    directory = os.path.join(proc, "net", "bonding")
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return {}
    out = {}
    if names:  # the parser (and its regular expressions) only when there are bonds
        from hvnet.kernel.procfs import parse_bonding
    for name in names:
        text = read_small(os.path.join(directory, name))
        if text is None:
            problems.append(f"{directory}/{name}: unreadable")
        else:
            out[name] = parse_bonding(text)
    return out


def assemble(
    raws: list[RawLink], proc: str = "/proc", sys: str = "/sys"
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
            speed, duplex = nic_speed(sys_net, r.name)
        links[r.name] = LinkFacts(
            name=r.name,
            **r.link,
            speed_mbps=speed,
            duplex=duplex,
            master=names.get(r.master_index) if r.master_index else None,
            lowers=tuple(sorted(lowers.get(r.name, ()))),
            uppers=tuple(sorted(uppers.get(r.name, ()))),
        )

    proc_bonds = _proc_bonds(proc, problems)
    bonds: dict[str, BondFacts] = {}
    bridges: dict[str, BridgeFacts] = {}
    vlans: dict[str, VlanFacts] = {}
    extras: dict[str, VlanExtra] = {}
    by_master: dict[str, list[RawLink]] = {}
    for r in raws:
        if r.master_index in names:
            by_master.setdefault(names[r.master_index or 0], []).append(r)
    for r in raws:
        if r.kind == "bond":
            bonds[r.name] = _bond(
                r, names, by_master.get(r.name, []), proc_bonds.get(r.name), links[r.name]
            )
        elif r.kind == "bridge":
            ports = sorted(
                (p for p in by_master.get(r.name, []) if p.slave_kind == "bridge"),
                key=lambda p: p.name,
            )
            bridges[r.name] = BridgeFacts(
                name=r.name,
                **r.data,
                ports=tuple(
                    BridgePortFacts(name=p.name, bridge=r.name, **p.slave_data) for p in ports
                ),
            )
        elif r.kind == "vlan":
            d = r.data
            flags: VlanFlags = d["flags"]
            vlans[r.name] = VlanFacts(
                name=r.name,
                vid=d["vid"],
                parent=names.get(r.link_index or 0),
                reorder_hdr=flags.reorder_hdr,
                ingress_map=d["ingress_map"],
                egress_map=d["egress_map"],
            )
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


def _bond(
    r: RawLink, names: dict[int, str], members: list[RawLink], proc: Any, link: LinkFacts
) -> BondFacts:
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
        name=r.name,
        **d,
        mii_status=mii,
        slaves=tuple(order),
        slave_facts=tuple(
            BondSlaveFacts(name=s, bond=r.name, **slaves[s].slave_data, proc=proc_slaves.get(s))
            for s in order
        ),
        proc=proc,
    )


def read_live(proc: str = "/proc", sys: str = "/sys") -> tuple[KernelFacts, dict[str, VlanExtra]]:
    """Facts of the running kernel (this network namespace) and the VLANs' netlink extras."""
    return assemble(dump_links(), proc, sys)
