"""Rules about bonds: link monitoring, delays, ARP monitoring, options that depend on the mode.

The bonding driver accepts many settings that do nothing or silently change (kernel
semantics §2, ENI dialects §3.3): delays are rounded down to a multiple of miimon, miimon and
arp_interval cancel each other, mode-restricted options fail with EACCES half way through
ifup. On a hypervisor the bond is what keeps every guest reachable when a cable or switch
fails, so a bond that looks redundant but never fails over is the worst kind of mistake.
Mode facts come from :mod:`hvnet.options` (one table for every consumer), never repeated here.
"""

from __future__ import annotations

from collections.abc import Iterator

from hvnet.diagnostics import Diagnostic, Severity, error, warning
from hvnet.model import Bond, Bridge, Link, Method4, Vlan
from hvnet.options import (
    BOND_OPTION_SPECS,
    MIIMON_FORCED_MODES,
    SEPARATE_SWITCH_SAFE_MODES,
    BondMode,
)
from hvnet.rules import Rule, RuleContext
from hvnet.rules.topology import kinds, per_context

E, W = Severity.ERROR, Severity.WARNING
DELAYS = ("updelay", "downdelay", "peer_notif_delay")


def _modes(modes: frozenset[BondMode]) -> str:
    return ", ".join(m.value for m in BondMode if m in modes)


def effective_miimon(bond: Bond) -> int:
    """The MII interval the kernel ends up with: modes 802.3ad/tlb/alb force 100 when unset."""
    miimon = bond.options.miimon or 0
    if miimon == 0 and bond.options.mode in MIIMON_FORCED_MODES:
        return 100
    return miimon


def _arp_allowed(bond: Bond) -> bool:
    kernel = BOND_OPTION_SPECS["arp_interval"].kernel_modes
    return kernel is None or bond.options.mode in kernel


def check_monitoring(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV401 no monitor; HV406 both monitors (the kernel keeps one)."""
    for bond in kinds(ctx).bonds:
        miimon, arp = bond.options.miimon or 0, bond.options.arp_interval or 0
        if effective_miimon(bond) == 0 and arp == 0:
            yield warning(
                "HV401",
                f"bond {bond.name} has no link monitoring (miimon and arp_interval unset or 0)",
                "set miimon: 100 (or arp_interval with arp_ip_target): without a monitor the "
                "bond never notices a dead link and keeps sending to it",
                (*bond.origin, "miimon"),
            )
        if miimon > 0 and arp > 0 and _arp_allowed(bond):
            yield error(
                "HV406",
                f"bond {bond.name} sets both miimon ({miimon}) and arp_interval ({arp})",
                "choose one monitor: setting either makes the kernel zero the other, and "
                "ifenslave writes miimon last, so ARP monitoring is silently off; keep miimon "
                "unless the switch can fail without losing carrier",
                (*bond.origin, "arp_interval"),
            )


def check_delays(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV402: delays need miimon (EPERM) and are stored in whole miimon periods."""
    for bond in kinds(ctx).bonds:
        miimon = effective_miimon(bond)
        implicit = not bond.options.miimon and miimon > 0
        for field in DELAYS:
            value = getattr(bond.options, field)
            if not value:
                continue
            path = (*bond.origin, field)
            if miimon == 0:
                yield error(
                    "HV402",
                    f"bond {bond.name}: {field} {value} is set but miimon is 0",
                    f"the kernel refuses {field} without MII monitoring (EPERM): set miimon "
                    f"(e.g. 100) or remove {field}",
                    path,
                )
                continue
            if implicit:
                yield warning(
                    "HV402",
                    f"bond {bond.name}: {field} relies on the miimon 100 that mode "
                    f"{bond.options.mode.value} forces",
                    f"set miimon: 100 explicitly: ifenslave writes {field} before the mode, "
                    f"while miimon is still 0, and the kernel refuses it (EPERM)",
                    path,
                )
            if value % miimon:
                rounded = value // miimon * miimon
                effect = f"{rounded} ms" if rounded else "0 ms, i.e. no delay at all"
                yield warning(
                    "HV402",
                    f"bond {bond.name}: {field} {value} is not a multiple of miimon {miimon}; "
                    f"the kernel rounds it down to {effect}",
                    f"use a multiple of {miimon}, e.g. {field}: {rounded or miimon}",
                    path,
                )


@per_context
def _uppers(ctx: RuleContext) -> dict[str, list[Link]]:
    """Links stacked directly on each link (VLANs on their parent, bridges on their ports)."""
    found: dict[str, list[Link]] = {}
    for link in ctx.host.links.values():
        if isinstance(link, Vlan | Bridge):
            for lower in kinds(ctx).lowers[link.name]:
                found.setdefault(lower, []).append(link)
    return found


def _ipv4_above(ctx: RuleContext, bond: Bond) -> bool:
    """Whether the bond or a link stacked on it (VLAN, bridge, ...) has an IPv4 source."""
    uppers, seen = _uppers(ctx), {bond.name}
    todo: list[Link] = [bond]
    while todo:
        link = todo.pop()
        if link.method is Method4.DHCP or any(a.version == 4 for a in link.addresses):
            return True
        for upper in uppers.get(link.name, ()):
            if upper.name not in seen:
                seen.add(upper.name)
                todo.append(upper)
    return False


def check_arp(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV403: the ARP monitor needs targets and an IPv4 source address to probe from."""
    for bond in kinds(ctx).bonds:
        options = bond.options
        if not _arp_allowed(bond):
            continue  # HV404 reports arp_interval in 802.3ad/tlb/alb
        if not options.arp_interval:
            if options.arp_ip_target:
                yield warning(
                    "HV403",
                    f"bond {bond.name}: arp_ip_target is set but arp_interval is 0",
                    "the targets are never probed: set arp_interval (e.g. 200) to use ARP "
                    "monitoring, or remove arp_ip_target",
                    (*bond.origin, "arp_ip_target"),
                )
            continue
        if not options.arp_ip_target:
            yield error(
                "HV403",
                f"bond {bond.name}: arp_interval is set but arp_ip_target is empty",
                "list 1-16 IPv4 addresses that always answer ARP (the gateway, a switch "
                "management address): without targets no slave is ever seen as up",
                (*bond.origin, "arp_interval"),
            )
        elif not _ipv4_above(ctx, bond):
            validating = options.arp_validate is not None and options.arp_validate.value != "none"
            make = error if validating else warning
            yield make(
                "HV403",
                f"bond {bond.name}: ARP monitoring but no IPv4 address on the bond or on any "
                f"VLAN/bridge above it",
                "the probes leave with source 0.0.0.0, which many targets ignore"
                + (" and arp_validate then marks every slave down" if validating else "")
                + "; give the bond (or the network on it) an IPv4 address, or use miimon",
                (*bond.origin, "arp_ip_target"),
            )


def check_mode_options(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV404: options the kernel refuses (EACCES) or ignores in the bond's mode."""
    for bond in kinds(ctx).bonds:
        mode = bond.options.mode
        for field, spec in BOND_OPTION_SPECS.items():
            value = getattr(bond.options, field, None)
            if field == "mode" or value is None or value == ():
                continue
            path = (*bond.origin, field)
            if spec.kernel_modes is not None and mode not in spec.kernel_modes:
                yield error(
                    "HV404",
                    f"bond {bond.name}: {field} is not allowed in mode {mode.value}; the kernel "
                    f"refuses it (EACCES) and ifup stops there",
                    f"remove {field}, or use a mode where it applies ({_modes(spec.kernel_modes)})",
                    path,
                )
            elif spec.effective_modes is not None and mode not in spec.effective_modes:
                yield warning(
                    "HV404",
                    f"bond {bond.name}: {field} has no effect in mode {mode.value}",
                    f"remove it (it only matters in {_modes(spec.effective_modes)})",
                    path,
                )
            elif (
                field == "xmit_hash_policy"
                and mode in (BondMode.BALANCE_TLB, BondMode.BALANCE_ALB)
                and bond.options.tlb_dynamic_lb is not False
            ):
                yield warning(
                    "HV404",
                    f"bond {bond.name}: xmit_hash_policy has no effect in {mode.value} unless "
                    f"tlb_dynamic_lb is false",
                    "set tlb_dynamic_lb: false to hash flows, or remove xmit_hash_policy",
                    path,
                )
        primary = bond.options.primary
        if primary is not None and primary in ctx.host.links and primary not in bond.slaves:
            yield error(
                "HV404",
                f"bond {bond.name}: primary {primary} is not one of its slaves "
                f"({', '.join(bond.slaves) or 'none'})",
                "name one of the bond's slaves as primary, or add it to slaves",
                (*bond.origin, "primary"),
            )


def check_separate_switches(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV405: aggregation modes need both slaves on one switch (or an MLAG pair)."""
    for bond in kinds(ctx).bonds:
        mode = bond.options.mode
        if bond.separate_switches and mode not in SEPARATE_SWITCH_SAFE_MODES:
            yield error(
                "HV405",
                f"bond {bond.name}: mode {mode.value} cannot work with separate_switches: true",
                f"use mode: active-backup (or broadcast) for slaves on independent switches; "
                f"{mode.value} needs one switch (or an MLAG pair) on the other end",
                (*bond.origin, "mode"),
            )


def check_slave_count(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV407/HV408: a bond is only redundant with two or more slaves."""
    for bond in kinds(ctx).bonds:
        path = (*bond.origin, "slaves")
        if not bond.slaves:
            yield warning(
                "HV407",
                f"bond {bond.name} has no slaves",
                "list its NICs under slaves: (a bond without slaves has no carrier, so "
                "everything on it is down)",
                path,
            )
        elif len(bond.slaves) == 1:
            yield warning(
                "HV408",
                f"bond {bond.name} has a single slave ({bond.slaves[0]}): no redundancy",
                "add a second NIC (ideally on another card and switch), or drop the bond",
                path,
            )


def check_option_values(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV409/HV410: values the kernel refuses, or that keep the bond down."""
    for bond in kinds(ctx).bonds:
        options = bond.options
        system = options.ad_actor_system
        if system is not None and int(system.split(":")[0], 16) & 1:
            yield error(
                "HV409",
                f"bond {bond.name}: ad_actor_system {system} is a multicast address",
                "the kernel refuses multicast LACP system MACs (EINVAL): use a unicast MAC, "
                "e.g. one with first octet 02",
                (*bond.origin, "ad_actor_system"),
            )
        for field in ("arp_ip_target", "ns_ip6_target"):
            targets = getattr(options, field)
            if len(set(targets)) != len(targets):
                yield error(
                    "HV409",
                    f"bond {bond.name}: {field} lists an address twice",
                    "the kernel refuses duplicate targets (EINVAL); list each once",
                    (*bond.origin, field),
                )
        wanted = options.min_links or 0
        if options.mode is BondMode.LACP and wanted > len(bond.slaves):
            yield error(
                "HV410",
                f"bond {bond.name}: min_links {wanted} but only {len(bond.slaves)} slave(s)",
                "the bond never gets carrier, so everything on it stays down: lower min_links "
                "or add slaves",
                (*bond.origin, "min_links"),
            )


RULES = [
    Rule(
        "HV401",
        W,
        "bond without link monitoring",
        "With miimon 0 and no arp_interval the bonding driver never checks its slaves: when a "
        "cable, NIC or switch port dies, the bond keeps sending on it and every guest behind "
        "it loses part or all of its traffic. The kernel accepts this silently. Modes "
        "802.3ad, balance-tlb and balance-alb are not reported: the kernel forces miimon 100 "
        "there, which works (set it explicitly to choose another interval). Set miimon: 100, "
        "or ARP monitoring when failures do not drop the carrier.",
        check_monitoring,
    ),
    Rule(
        "HV402",
        E,
        "delay without miimon, or not a multiple of it",
        "updelay, downdelay and peer_notif_delay count in miimon periods. With miimon 0 the "
        "kernel refuses them (EPERM; ifupdown2 drops them) - an error. Otherwise it stores "
        "value // miimon periods, silently rounding down (a 150 ms updelay with miimon 100 is "
        "100 ms, one below miimon is 0) - a warning showing the effective value. Relying on "
        "the miimon 100 forced in 802.3ad/tlb/alb is also a warning: ifenslave writes the "
        "delays before the mode, when miimon is still 0.",
        check_delays,
    ),
    Rule(
        "HV403",
        E,
        "ARP monitoring that cannot work",
        "The ARP monitor (arp_interval) marks a slave up only when ARP replies from "
        "arp_ip_target come back through it. Without targets nothing is probed and the slaves "
        "never come up. Without an IPv4 address on the bond or on a VLAN or bridge stacked on "
        "it, the probes leave with source 0.0.0.0: many hosts ignore them, and with "
        "arp_validate the kernel then marks every slave down (an error; a warning otherwise).",
        check_arp,
    ),
    Rule(
        "HV404",
        E,
        "bond option that does not apply to the mode",
        "Many bonding options are restricted to modes (kernel semantics §2). Outside its "
        "modes, the kernel refuses an option with EACCES, so ifup stops configuring the bond "
        "(error: primary outside active-backup/tlb/alb, lacp_rate outside 802.3ad, ARP "
        "options in 802.3ad/tlb/alb...). Other options are accepted but do nothing outside "
        "their modes (warning: xmit_hash_policy in active-backup, min_links outside 802.3ad). "
        "A primary that is not one of the bond's slaves is an error too.",
        check_mode_options,
    ),
    Rule(
        "HV405",
        E,
        "separate switches with an aggregation mode",
        "With slaves cabled to two independent switches, only active-backup (and broadcast) "
        "work: balance-rr/xor and 802.3ad need a LAG or LACP on one switch (or an MLAG pair), "
        "and balance-tlb/alb make the switches see the host's MACs move constantly. The "
        "result is lost or duplicated frames and flapping guests. Use mode: active-backup, or "
        "set separate_switches: false if the switches form an MLAG.",
        check_separate_switches,
    ),
    Rule(
        "HV406",
        E,
        "both MII and ARP monitoring",
        "The kernel runs one link monitor per bond: setting miimon zeroes arp_interval and "
        "the other way round, so the result depends on the order the tool writes them. "
        "ifenslave writes miimon last, so ARP monitoring is silently off; netlink tools that "
        "send both in one message get an error. Choose one: miimon for carrier loss, ARP when "
        "a failure upstream of the switch must be detected.",
    ),
    Rule(
        "HV407",
        W,
        "bond without slaves",
        "A bond with no slaves has no carrier, so every VLAN, bridge and guest on it is "
        "down. Sometimes intended while hardware is missing; usually the slaves list was "
        "forgotten or names NICs under another key. List the bond's NICs under slaves:.",
        check_slave_count,
    ),
    Rule(
        "HV408",
        W,
        "bond with a single slave",
        "A bond with one slave works but gives no redundancy. The point of bonding on a "
        "hypervisor is that guests survive a failed NIC, cable or switch. Add a second NIC, "
        "ideally on another card and another switch.",
    ),
    Rule(
        "HV409",
        E,
        "bond option value the kernel refuses",
        "Some option values pass the schema but are refused by the kernel with EINVAL: a "
        "multicast ad_actor_system MAC, or the same ARP/NS target listed twice. ifup stops at "
        "that option and the bond is left half configured. Use a unicast MAC and list each "
        "target once.",
        check_option_values,
    ),
    Rule(
        "HV410",
        E,
        "min_links above the number of slaves",
        "In 802.3ad the bond has carrier only while at least min_links slaves are active. With "
        "min_links larger than the number of slaves this never happens, so the bond and "
        "everything stacked on it stay down. Lower min_links (0 or 1 mean any slave) or add "
        "slaves.",
    ),
]
