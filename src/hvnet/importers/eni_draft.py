"""The mutable, per-interface state of the ENI importer, and its conversion to a model link.

Why drafts: an interface's facts are spread over several stanzas (inet + inet6, a name
declared twice), over *other* interfaces' stanzas (``bond-master`` on the slaves, ``brctl
addif`` in a Xen-era bridge recipe, ``ifconfig X mtu`` in a bond's ``post-up``), and some can
only be judged once everything is read (an address on what turns out to be a bridge port, a
second default gateway). So every fact is first recorded with the location that said it, and
the frozen model objects are built at the very end, when each choice can be made and noted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from hvnet.eni.syntax import Location, Stanza
from hvnet.model import (
    Bond,
    Bridge,
    BridgePort,
    IPInterface,
    Link,
    LinkKind,
    Method4,
    Method6,
    Nic,
    Route,
    Vlan,
    VlanProtocol,
)
from hvnet.options import BondOptions, BridgeOptions

#: A value and the line that gave it (``None`` location for implied values).
Sourced = tuple[Any, Location | None]


@dataclass(slots=True)
class Draft:
    """Everything known about one interface; see the module docstring."""

    name: str
    order: int
    stanzas: list[Stanza] = field(default_factory=list)
    kind: LinkKind = LinkKind.NIC
    kind_why: Location | None = None
    implicit: bool = False  # no stanza of its own: created because something refers to it
    auto: bool = False
    # layer 3
    addresses: list[tuple[IPInterface, Location]] = field(default_factory=list)
    dhcp4: Location | None = None
    dhcp6: Location | None = None
    slaac: Location | None = None
    gateways: list[tuple[IPv4Address | IPv6Address, Location]] = field(default_factory=list)
    routes: list[tuple[Route, Location]] = field(default_factory=list)
    mtu: tuple[int, Location] | None = None
    mac: tuple[str, Location] | None = None
    match_mac: str | None = None
    l3_lines: list[tuple[Location, str]] = field(default_factory=list)  # (where, text)
    # bond
    slaves: list[tuple[str, Location]] = field(default_factory=list)
    slaves_none: Location | None = None
    master: tuple[str, Location] | None = None  # bond-master on this (slave) stanza
    bond_options: dict[str, Sourced] = field(default_factory=dict)
    slave_side: dict[str, Sourced] = field(default_factory=dict)  # bond-* on a slave stanza
    separate_switches: bool = False
    # vlan: declared values, then the resolved parent and id
    raw_device: tuple[str, Location] | None = None
    vlan_id: tuple[int, Location] | None = None
    parent: tuple[str, Location | None] | None = None
    vid: tuple[int, Location | None] | None = None
    protocol: tuple[VlanProtocol, Location] | None = None
    # bridge
    ports: list[tuple[str, Location]] = field(default_factory=list)
    port_priority: dict[str, tuple[int, Location]] = field(default_factory=dict)
    port_cost: dict[str, tuple[int, Location]] = field(default_factory=dict)
    bridge_options: dict[str, Sourced] = field(default_factory=dict)

    def set_kind(self, kind: LinkKind, why: Location | None) -> None:
        if self.kind is LinkKind.NIC:
            self.kind, self.kind_why = kind, why

    def add_slave(self, name: str, where: Location) -> None:
        if name not in (s for s, _ in self.slaves):
            self.slaves.append((name, where))

    def add_port(self, name: str, where: Location) -> None:
        if name not in (p for p, _ in self.ports):
            self.ports.append((name, where))

    @property
    def has_l3(self) -> bool:
        return bool(self.addresses or self.dhcp4 or self.dhcp6 or self.slaac or self.gateways)

    def drop_l3(self) -> None:
        self.addresses.clear()
        self.gateways.clear()
        self.routes.clear()
        self.dhcp4 = self.dhcp6 = self.slaac = None

    def build(self, bond_options: BondOptions, bridge_options: BridgeOptions) -> Link:
        """The frozen model link (options already validated by the caller).

        Written without generator expressions on the common path: it runs once per link,
        8 000 times for a host with every VLAN bridged.
        """
        addresses = tuple([a for a, _ in self.addresses]) if self.addresses else ()
        v4 = v6 = False
        for address in addresses:
            if address.version == 4:
                v4 = True
            else:
                v6 = True
        method = Method4.DHCP if self.dhcp4 else Method4.STATIC if v4 else Method4.MANUAL
        if self.dhcp6:
            method6 = Method6.DHCP
        elif self.slaac:
            method6 = Method6.AUTO
        else:
            method6 = Method6.STATIC if v6 else Method6.MANUAL
        gateway4 = gateway6 = None
        for gateway, _ in self.gateways:
            if isinstance(gateway, IPv4Address):
                gateway4 = gateway4 or gateway
            else:
                gateway6 = gateway6 or gateway
        common: dict[str, Any] = {
            "name": self.name,
            "mtu": self.mtu[0] if self.mtu else None,
            "mac": self.mac[0] if self.mac else None,
            "addresses": addresses,
            "method": method,
            "method6": method6,
            "gateway": gateway4,
            "gateway6": gateway6,
            "routes": tuple([r for r, _ in self.routes]) if self.routes else (),
        }
        if self.kind is LinkKind.BOND:
            return Bond(
                slaves=tuple([s for s, _ in self.slaves]),
                options=bond_options,
                separate_switches=self.separate_switches,
                **common,
            )
        if self.kind is LinkKind.VLAN:
            assert self.parent is not None and self.vid is not None
            protocol = self.protocol[0] if self.protocol else VlanProtocol.DOT1Q
            return Vlan(vid=self.vid[0], parent=self.parent[0], protocol=protocol, **common)
        if self.kind is LinkKind.BRIDGE:
            priority, cost = self.port_priority, self.port_cost
            ports = tuple(
                [
                    BridgePort(
                        name,
                        priority[name][0] if name in priority else None,
                        cost[name][0] if name in cost else None,
                    )
                    for name, _ in self.ports
                ]
            )
            return Bridge(ports=ports, options=bridge_options, **common)
        return Nic(match_mac=self.match_mac, **common)


def dotted_vid(name: str) -> tuple[str, int] | None:
    """(raw device, VID) of a ``RAW.VID`` name: RAW before the last dot, as ifupdown2 and
    bridge-utils derive it (ifupdown 0.8 cuts at the first dot, which differs only for QinQ
    names, where it is wrong: eni-dialects.md §4.3)."""
    raw, dot, vid = name.rpartition(".")
    if not dot or not raw or not vid.isdigit() or ":" in name:
        return None
    return raw, int(vid)
