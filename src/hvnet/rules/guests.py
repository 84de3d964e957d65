"""Rules about guests: which network each virtual NIC joins, and its MAC address.

Guest mistakes do not break the host, but they break guests in ways that are hard to trace
from inside: a NIC on a misspelt network is silently left unplugged (or the hypervisor
refuses to start the guest), and two NICs with one MAC make the bridge flip its forwarding
entry between them, so both guests lose packets at random.
"""

from __future__ import annotations

from collections.abc import Iterator

from hvnet.diagnostics import Diagnostic, Path, Severity, error, warning
from hvnet.model import Nic
from hvnet.rules import Rule, RuleContext
from hvnet.rules.topology import kinds, suggest

E, W = Severity.ERROR, Severity.WARNING

#: OUIs registered for virtual NICs, which no physical hardware uses (Xen's).
VIRTUAL_OUIS = frozenset({"00:16:3e"})


def _nics(ctx: RuleContext) -> Iterator[tuple[str, int, str | None, Path]]:
    """(guest, index, lower-case MAC, path of the NIC) for every guest NIC."""
    for guest in ctx.host.guests:
        for i, nic in enumerate(guest.nics):
            yield guest.name, i, nic.mac, (*guest.origin, "nics", i)


def check_networks(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV601: a guest NIC must name a network (or an explicit bridge)."""
    host = ctx.host
    choices = [*host.networks, *(b.name for b in kinds(ctx).bridges)]
    for guest in host.guests:
        for i, nic in enumerate(guest.nics):
            if nic.bridge is not None or nic.network in ctx.config.networks:
                continue  # an unexpanded network is reported by HV104/HV105 already
            known = ", ".join(sorted(host.networks)) or "none defined"
            yield error(
                "HV601",
                f"guest {guest.name}: NIC {i} is on network {nic.network!r}, which is neither a "
                f"network nor a bridge",
                f"{suggest(nic.network, choices)}networks: {known}",
                (*guest.origin, "nics", i, "network"),
            )


def check_duplicate_macs(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV602: MACs are unique across all guests and the host's own links."""
    owners: dict[str, str] = {}
    for link in ctx.host.links.values():
        for mac in (link.mac, link.match_mac if isinstance(link, Nic) else None):
            if mac:
                owners.setdefault(mac.lower(), f"host {link.kind.value} {link.name}")
    for guest, i, mac, path in _nics(ctx):
        if mac is None:
            continue
        owner = owners.setdefault(mac, f"guest {guest} NIC {i}")
        if owner == f"guest {guest} NIC {i}":
            continue
        yield error(
            "HV602",
            f"guest {guest}: NIC {i} MAC {mac} is already used by {owner}",
            "give every virtual NIC its own MAC (e.g. 52:54:00 + three bytes derived from "
            "the VLAN and guest number); duplicates make the bridge flap between them",
            (*path, "mac"),
        )


def check_mac_kinds(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV603: multicast MACs are refused; globally administered ones may clash."""
    for guest, i, mac, path in _nics(ctx):
        if mac is None:
            continue
        first = int(mac[:2], 16)
        if first & 1 or mac == "00:00:00:00:00:00":
            what = "the all-zero address" if first & 1 == 0 else "a multicast address"
            yield error(
                "HV603",
                f"guest {guest}: NIC {i} MAC {mac} is {what}",
                "the hypervisor refuses it: use a unicast, locally administered MAC such as "
                "52:54:00:xx:xx:xx (KVM) or 02:xx:xx:xx:xx:xx",
                (*path, "mac"),
            )
        elif not first & 2 and mac[:8] not in VIRTUAL_OUIS:
            yield warning(
                "HV603",
                f"guest {guest}: NIC {i} MAC {mac} is a globally administered (vendor) address",
                "it may clash with real hardware on the LAN: use a locally administered MAC "
                "(second-lowest bit of the first octet set), e.g. 52:54:00:xx:xx:xx or "
                "02:xx:xx:xx:xx:xx; Xen's 00:16:3e is accepted too",
                (*path, "mac"),
            )


RULES = [
    Rule(
        "HV601",
        E,
        "guest NIC on an unknown network",
        "A guest NIC names a network that is neither a key of networks: nor an explicit "
        "bridge. The guest would fail to start (KVM/libvirt: 'Cannot get interface MTU', Xen: "
        "hotplug script failure) or start with its NIC unplugged. Usually a typo: the hint "
        "suggests the closest network name.",
        check_networks,
    ),
    Rule(
        "HV602",
        E,
        "duplicate MAC address",
        "Two guest NICs (of any guests, compared case-insensitively), or a guest NIC and one "
        "of the host's own links, have the same MAC. On a bridge this makes the forwarding "
        "table flip between the two ports, and DHCP servers hand both the same lease, so both "
        "machines lose traffic at random. Give every NIC its own MAC.",
        check_duplicate_macs,
    ),
    Rule(
        "HV603",
        E,
        "unsuitable guest MAC address",
        "A multicast MAC (lowest bit of the first octet set) or the all-zero MAC is refused "
        "by the kernel and hypervisors: an error. A globally administered MAC (bit 1 of the "
        "first octet clear) belongs to some vendor and may clash with real hardware: a "
        "warning. KVM's conventional 52:54:00 prefix is locally administered (0x52 has bit 1 "
        "set) and fine; Xen's 00:16:3e is globally administered but the OUI is registered to "
        "Xen for virtual NICs, so no real hardware uses it and it is accepted without warning.",
        check_mac_kinds,
    ),
    Rule(
        "HV604",
        E,
        "two guests with the same name",
        "Guests are a YAML mapping keyed by name, so a second guest with the same name would "
        "silently replace the first. The YAML loader reports it as a duplicate key (HV006) at "
        "the second definition; rename one of the guests. (This code is reserved for the "
        "same problem found by an importer that reads guests from several files.)",
    ),
]
