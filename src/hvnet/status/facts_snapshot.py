"""A recorded tree's facts as a :class:`~hvnet.kernel.snapshot.KernelSnapshot`, for ``check``.

``hvnet check --root DIR`` must compare through :func:`hvnet.compare.compare`, the one
comparison engine, which reads a snapshot (the kernel as a :class:`~hvnet.model.Host`).
Live snapshots come from netlink (:mod:`hvnet.kernel.netlink`); this module builds the same
shape from /proc and sysfs facts and follows its conventions, so a tree captured from a host
and that host's live netlink snapshot compare alike:

* bond options are the values of the bonding sysfs files (kernel defaults included), enum
  files reduced to their names, booleans from ``0/1`` or ``on/off``, MACs lower-case;
* bridge times are seconds rounded to centiseconds; a port's priority 32 (the default) is
  ``None``;
* guest ports (taps, vifs) are not bridge ports but ``guest_ports``; guest NICs and ``lo``
  are not links.

What a tree cannot carry is reported, not invented: :class:`SourceLimits` lists attributes
no /proc or sysfs file records (addresses and routes, the VLAN protocol) and link
attributes whose files are missing from this particular tree. ``check`` shows the former as
skipped and the latter as unknown instead of calling them drift.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from hvnet.kernel.facts import BondFacts, BridgeFacts, KernelFacts, LinkFacts
from hvnet.kernel.snapshot import NIC_KINDS, KernelSnapshot, LinkRuntime
from hvnet.model import Bond, Bridge, BridgePort, Host, Link, Nic, Vlan, VlanProtocol
from hvnet.options import BondOptions, BridgeOptions
from hvnet.status.guests import is_guest_port

#: Attributes of hvnet.compare that no /proc or sysfs file records.
NOT_RECORDED = frozenset({"addresses", "gateway", "gateway6", "routes", "protocol"})
_IFF_UP = 0x1

# BondOptions field -> BondFacts attribute (same sysfs file, already parsed by read_tree).
_FROM_FACTS: dict[str, str] = {
    "mode": "mode", "miimon": "miimon_ms", "updelay": "updelay_ms",
    "downdelay": "downdelay_ms", "peer_notif_delay": "peer_notif_delay_ms",
    "use_carrier": "use_carrier", "arp_interval": "arp_interval_ms",
    "arp_ip_target": "arp_ip_targets", "arp_validate": "arp_validate",
    "arp_all_targets": "arp_all_targets", "arp_missed_max": "arp_missed_max",
    "primary": "primary", "primary_reselect": "primary_reselect",
    "fail_over_mac": "fail_over_mac", "xmit_hash_policy": "xmit_hash_policy",
    "lacp_rate": "lacp_rate", "lacp_active": "lacp_active", "ad_select": "ad_select",
    "ad_actor_sys_prio": "ad_actor_sys_prio", "ad_actor_system": "ad_actor_system",
    "ad_user_port_key": "ad_user_port_key", "min_links": "min_links",
    "all_slaves_active": "all_slaves_active", "num_grat_arp": "num_peer_notif",
    "packets_per_slave": "packets_per_slave", "tlb_dynamic_lb": "tlb_dynamic_lb",
}  # fmt: skip
#: BondOptions fields read_tree does not keep: read from the tree's bonding/ directory.
_EXTRA_SYSFS = ("resend_igmp", "lp_interval", "ns_ip6_target")
_BOOLS = frozenset({"use_carrier", "all_slaves_active", "tlb_dynamic_lb", "lacp_active"})


@dataclass(frozen=True, slots=True)
class SourceLimits:
    """What this source cannot tell: attribute names never recorded, (link, attr) missing."""

    not_recorded: frozenset[str] = NOT_RECORDED
    missing: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def classify(self, link: str, attribute: str) -> str | None:
        """Return "skip" (never recorded), "unknown" (missing here) or None (known)."""
        if attribute in self.not_recorded:
            return "skip"
        if (link, attribute) in self.missing or (link, "*") in self.missing:
            return "unknown"
        return None


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return str(value).split()[-1] in ("1", "on") if str(value).strip() else None


def _read_extra(root: str, bond: str, name: str) -> str | None:
    path = os.path.join(root, "sys", "class", "net", bond, "bonding", name)
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return None


def bond_options(root: str, b: BondFacts) -> tuple[BondOptions, set[str]]:
    """Options of one bond as netlink.read_bond_sysfs would build them, and missing fields."""
    values: dict[str, Any] = {}
    missing: set[str] = set()
    for opt, attr in _FROM_FACTS.items():
        value = getattr(b, attr)
        if value is None:
            missing.add(opt)
            continue
        if opt in _BOOLS:
            value = _bool(value)
        elif opt == "ad_actor_system":
            value = str(value).lower()
        values[opt] = value
    for opt in _EXTRA_SYSFS:
        text = _read_extra(root, b.name, opt)
        if text is None:
            missing.add(opt)
        elif opt == "ns_ip6_target":
            values[opt] = tuple(text.split())
        elif text.split() and text.split()[0].isdigit():
            values[opt] = int(text.split()[0])
    if "primary" in missing and b.slaves is not None:
        missing.discard("primary")  # an empty primary file reads as None: no primary
    while True:
        try:
            return BondOptions.model_validate(values), missing
        except ValidationError as exc:
            bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
            if not bad & values.keys():
                return BondOptions(), missing | set(_FROM_FACTS)
            for name in bad & values.keys():
                del values[name]
                missing.add(name)


def bridge_options(br: BridgeFacts) -> BridgeOptions:
    """Bridge options in netlink.py's shape: seconds to centiseconds, no maxwait."""

    def seconds(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return BridgeOptions.model_construct(
        stp=None if br.stp_state is None else bool(br.stp_state),
        forward_delay=seconds(br.forward_delay_s),
        hello_time=seconds(br.hello_time_s),
        max_age=seconds(br.max_age_s),
        ageing=seconds(br.ageing_time_s),
        priority=br.priority,
        vlan_filtering=br.vlan_filtering,
        maxwait=None,
    )


def _flags(root: str, name: str) -> int | None:
    path = os.path.join(root, "sys", "class", "net", name, "flags")
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return int(handle.read().strip(), 16)
    except (OSError, ValueError):
        return None


def _kind(name: str, facts: KernelFacts, link: LinkFacts) -> str:
    """The netlink kind: "" for NICs (and veth/dummy, which sysfs cannot tell apart)."""
    if name in facts.bonds:
        return "bond"
    if name in facts.vlans:
        return "vlan"
    if name in facts.bridges:
        return "bridge"
    return link.kind or ""


def _runtime(root: str, name: str, kind: str, link: LinkFacts) -> tuple[LinkRuntime, bool]:
    flags = _flags(root, name)
    if flags is not None:
        admin_up, known = bool(flags & _IFF_UP), True
    elif link.operstate in ("up", "unknown", "lowerlayerdown", "dormant"):
        admin_up, known = True, True  # the kernel reports these only for admin-up links
    else:
        admin_up, known = False, False
    return (
        LinkRuntime(
            name=name,
            ifindex=link.ifindex or 0,
            kind=kind,
            admin_up=admin_up,
            oper_state=(link.operstate or "unknown").upper(),
            carrier=link.carrier,
            master=link.master,
            mtu=link.mtu or 0,
            mac=link.address.lower() if link.address else None,
        ),
        known,
    )


def snapshot_from_facts(facts: KernelFacts) -> tuple[KernelSnapshot, SourceLimits]:
    """The tree's links as a snapshot for :func:`hvnet.compare.compare`, and its limits."""
    root = facts.root
    missing: set[tuple[str, str]] = set()
    runtime: dict[str, LinkRuntime] = {}
    links: dict[str, Link] = {}
    guest_ports: dict[str, list[str]] = {}
    for name, link in facts.links.items():
        kind = _kind(name, facts, link)
        runtime[name], known = _runtime(root, name, kind, link)
        if not known:
            missing.add((name, "admin state"))
        if link.mtu is None:
            missing.add((name, "mtu"))
        if link.address is None:
            missing.add((name, "mac"))
    for name, link in facts.links.items():
        kind = runtime[name].kind
        if name == "lo" or (kind in NIC_KINDS and is_guest_port(name, kind)):
            continue
        common: dict[str, Any] = {
            "name": name,
            "mtu": link.mtu,
            "mac": link.address.lower() if link.address else None,
        }
        if kind == "bond":
            b = facts.bonds[name]
            options, absent = bond_options(root, b)
            missing.update((name, opt) for opt in absent)
            if b.slaves is None and not b.slave_facts:
                missing.add((name, "slaves"))
            slaves = b.slaves if b.slaves is not None else tuple(s.name for s in b.slave_facts)
            links[name] = Bond(slaves=tuple(slaves), options=options, **common)
        elif kind == "vlan":
            v = facts.vlans[name]
            if v.vid is None:
                missing.add((name, "vlan id"))
            if v.parent is None:
                missing.add((name, "parent"))
            links[name] = Vlan(vid=v.vid or 0, parent=v.parent or "",
                               protocol=VlanProtocol.DOT1Q, **common)  # fmt: skip
        elif kind == "bridge":
            br = facts.bridges[name]
            ports = []
            for p in br.ports:
                plink = facts.links.get(p.name)
                if is_guest_port(p.name, plink.kind if plink else None):
                    guest_ports.setdefault(name, []).append(p.name)
                else:
                    prio = p.priority
                    ports.append(BridgePort(p.name, None if prio in (None, 32) else prio, None))
            links[name] = Bridge(ports=tuple(ports), options=bridge_options(br), **common)
            for opt, value in bridge_options(br).model_dump().items():
                if value is None and opt != "maxwait":
                    missing.add((name, opt))
        elif kind in NIC_KINDS:
            links[name] = Nic(**common)
    # Bonds and VLANs that /proc lists but sysfs lacks: still links, with what /proc said.
    for name, b in facts.bonds.items():
        if name not in links:
            options, absent = bond_options(root, b)
            missing.update((name, opt) for opt in absent)
            missing.update({(name, "mtu"), (name, "mac"), (name, "admin state")})
            links[name] = Bond(name=name, slaves=tuple(b.slaves or ()), options=options)
    for name, v in facts.vlans.items():
        if name not in links:
            missing.update({(name, "mtu"), (name, "mac"), (name, "admin state")})
            links[name] = Vlan(name=name, vid=v.vid or 0, parent=v.parent or "")
    snapshot = KernelSnapshot(
        Host(links=links), runtime, {k: tuple(v) for k, v in guest_ports.items()}
    )
    return snapshot, SourceLimits(NOT_RECORDED, frozenset(missing))
