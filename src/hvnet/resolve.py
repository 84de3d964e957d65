"""Expand a checked config file into the resolved host model.

This is where the ``networks`` shorthand becomes a VLAN device plus a bridge (named through
the templates), bridge defaults are merged, addresses are parsed and guests are attached to
bridges. Problems that only appear during expansion (a template that cannot be expanded, two
entries producing the same interface name) are returned as diagnostics; resolution never
raises for user input, so ``hvnet validate`` can report everything in one pass.
"""

from __future__ import annotations

import re
import string
from _socket import AF_INET, inet_pton
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, ip_interface
from typing import TypedDict

from hvnet.config import AddressEntry, HostFile, L3Settings, NetworkEntry, PortEntry
from hvnet.diagnostics import Diagnostic, Path, error
from hvnet.model import (
    Bond,
    Bridge,
    BridgePort,
    Dns,
    Guest,
    GuestKind,
    GuestNic,
    Host,
    IPInterface,
    Link,
    Method4,
    Method6,
    Network,
    Nic,
    Route,
    Vlan,
    VlanProtocol,
)
from hvnet.options import BondOptions, BridgeOptions
from hvnet.options_schema import BridgeOptionsSchema

_PROTOCOLS = {p.value: p for p in VlanProtocol}
TEMPLATE_FIELDS = frozenset({"vid", "parent", "network"})
_BOND_OPTION_FIELDS = frozenset(BondOptions.model_fields)
_BRIDGE_OPTION_FIELDS = frozenset(BridgeOptions.model_fields)


def parse_address(entry: AddressEntry) -> IPInterface | None:
    """The interface address an entry means; the netmask wins over a missing prefix.

    Returns None when the text is not an address (schema rules report it with a location).
    """
    text = entry.address.strip()
    if "/" not in text and entry.netmask:
        text = f"{text}/{entry.netmask.strip()}"
    fast = _ipv4_with_prefix(text)
    if fast is not None:
        return fast
    try:
        return ip_interface(text)
    except ValueError:
        return None


def _ipv4_with_prefix(text: str) -> IPv4Interface | None:
    """``a.b.c.d/len`` parsed by the C library (strict dotted quad, like :mod:`ipaddress`,
    which takes twice as long in Python); None for anything else, left to ipaddress."""
    address, slash, prefix = text.partition("/")
    if not slash or not (prefix.isascii() and prefix.isdigit()) or len(prefix) > 2:
        return None
    if int(prefix) > 32:
        return None
    try:
        packed = inet_pton(AF_INET, address)
    except (OSError, ValueError):  # not an IPv4 address; ValueError: not ASCII
        return None
    return IPv4Interface((int.from_bytes(packed, "big"), int(prefix)))


def check_template(template: str) -> str | None:
    """Why *template* is not an acceptable naming template, or None when it is.

    Only plain ``{vid}``, ``{parent}``, ``{network}`` fields (with an optional format spec such
    as ``{vid:04d}``) are allowed: no attribute access or indexing, which ``str.format`` would
    otherwise evaluate on our objects.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"malformed template: {exc}"
    for _literal, field_name, spec, conversion in parsed:
        if field_name is None:
            continue
        if field_name not in TEMPLATE_FIELDS:
            return f"unknown field {{{field_name}}} (allowed: vid, parent, network)"
        if conversion:
            return f"unsupported conversion !{conversion} in {{{field_name}}}"
        if spec and (field_name != "vid" or not re.fullmatch(r"0?[1-9]d?", spec)):
            return (
                f"unsupported format {{{field_name}:{spec}}} (only {{vid}} pads, e.g. {{vid:04d}})"
            )
    return None


def expand_template(template: str, vid: int | None, parent: str, network: str) -> str:
    return template.format(vid=vid if vid is not None else 0, parent=parent, network=network)


class L3Kwargs(TypedDict):
    """Keyword arguments every :class:`Link` takes for its layer-2/3 settings."""

    mtu: int | None
    mac: str | None
    addresses: tuple[IPInterface, ...]
    method: Method4
    method6: Method6
    gateway: IPv4Address | None
    gateway6: IPv6Address | None
    routes: tuple[Route, ...]


_NO_L3: L3Kwargs = {
    "mtu": None,
    "mac": None,
    "addresses": (),
    "method": Method4.MANUAL,
    "method6": Method6.MANUAL,
    "gateway": None,
    "gateway6": None,
    "routes": (),
}


def _l3(entry: L3Settings) -> L3Kwargs:
    """Model keyword arguments for the layer-3 settings of any entry."""
    if (
        not entry.addresses
        and not entry.routes
        and entry.method is None
        and entry.method6 is None
        and entry.gateway is None
        and entry.gateway6 is None
        and entry.mtu is None
        and entry.mac is None
    ):
        return _NO_L3  # most network bridges of a big host: a pure switch
    addresses: list[IPInterface] = []
    for address in entry.addresses:
        parsed = parse_address(address)
        if parsed is not None:
            addresses.append(parsed)
    versions = {a.version for a in addresses}
    method = (
        Method4(entry.method)
        if entry.method
        else (Method4.STATIC if 4 in versions else Method4.MANUAL)
    )
    method6 = (
        Method6(entry.method6)
        if entry.method6
        else (Method6.STATIC if 6 in versions else Method6.MANUAL)
    )
    return {
        "mtu": entry.mtu,
        "mac": entry.mac.lower() if entry.mac else None,
        "addresses": tuple(addresses),
        "method": method,
        "method6": method6,
        "gateway": entry.gateway,
        "gateway6": entry.gateway6,
        "routes": tuple(Route(r.to, r.via, r.metric) for r in entry.routes),
    }


def _ports(entries: list[PortEntry]) -> tuple[BridgePort, ...]:
    return tuple(BridgePort(p.name, p.priority, p.cost) for p in entries)


class _Builder:
    def __init__(self, config: HostFile) -> None:
        self.config = config
        self.links: dict[str, Link] = {}
        self.networks: dict[str, Network] = {}
        self.problems: list[Diagnostic] = []
        self.bridge_options_cache: dict[tuple[tuple[str, object], ...], BridgeOptions] = {}
        self.template_ok = {
            field: check_template(getattr(config.naming, field)) is None
            for field in ("vlan", "bridge", "untagged_bridge")
        }

    def add(self, link: Link) -> None:
        existing = self.links.get(link.name)
        if existing is not None:
            self.problems.append(
                error(
                    "HV105",
                    f"interface name {link.name!r} is defined twice "
                    f"(by {_describe(existing.origin)} and {_describe(link.origin)})",
                    "rename one of them, or set vlan_name/bridge_name on the network",
                    link.origin,
                )
            )
            return
        self.links[link.name] = link

    def build(self) -> Host:
        cfg = self.config
        for name, nic in cfg.nics.items():
            self.add(
                Nic(
                    name=name,
                    match_mac=nic.match.mac.lower() if nic.match else None,
                    origin=("nics", name),
                    **_l3(nic),
                )
            )
        for name, bond in cfg.bonds.items():
            options = BondOptions.model_construct(
                **{k: v for k, v in bond.__dict__.items() if k in _BOND_OPTION_FIELDS}
            )
            self.add(
                Bond(
                    name=name,
                    slaves=tuple(bond.slaves),
                    options=options,
                    separate_switches=bond.separate_switches,
                    origin=("bonds", name),
                    **_l3(bond),
                )
            )
        for name, vlan in cfg.vlans.items():
            self.add(
                Vlan(
                    name=name,
                    vid=vlan.id,
                    parent=vlan.link,
                    protocol=VlanProtocol(vlan.protocol),
                    origin=("vlans", name),
                    **_l3(vlan),
                )
            )
        for name, bridge in cfg.bridges.items():
            bridge_options = _bridge_options(bridge)
            self.add(
                Bridge(
                    name=name,
                    ports=_ports(bridge.ports),
                    options=bridge_options,
                    origin=("bridges", name),
                    **_l3(bridge),
                )
            )
        for name, network in cfg.networks.items():
            self._network(name, network)
        guests = tuple(self._guest(name) for name in cfg.guests)
        dns = Dns(tuple(cfg.dns.nameservers), tuple(cfg.dns.search))
        return Host(cfg.hostname, self.links, self.networks, guests, dns)

    def _network(self, name: str, network: NetworkEntry) -> None:
        origin: Path = ("networks", name)
        naming = self.config.naming
        vlan_name: str | None = None
        if network.vlan is not None:
            vlan_name = network.vlan_name
            if vlan_name is None and self.template_ok["vlan"]:
                vlan_name = expand_template(naming.vlan, network.vlan, network.on, name)
            if vlan_name is None:
                return
            self.add(
                Vlan(
                    name=vlan_name,
                    vid=network.vlan,
                    parent=network.on,
                    protocol=_PROTOCOLS[network.protocol],
                    origin=origin,
                )
            )
            lower = vlan_name
            template_field = "bridge"
        else:
            lower = network.on
            template_field = "untagged_bridge"
        bridge_name = network.bridge_name
        if bridge_name is None and self.template_ok[template_field]:
            template = getattr(naming, template_field)
            bridge_name = expand_template(template, network.vlan, network.on, name)
        if bridge_name is None:
            return
        options = self._network_bridge_options(network)
        ports = (BridgePort(lower), *_ports(network.extra_ports))
        self.add(
            Bridge(name=bridge_name, ports=ports, options=options, origin=origin, **_l3(network))
        )
        self.networks[name] = Network(name, bridge_name, vlan_name, network.vlan, network.on)

    def _network_bridge_options(self, network: NetworkEntry) -> BridgeOptions:
        """defaults.bridge overlaid with the network's own bridge options, built once per
        distinct override (thousands of networks usually share the defaults)."""
        overrides = tuple(
            (k, getattr(network, k))
            for k in sorted(_BRIDGE_OPTION_FIELDS & network.model_fields_set)
            if getattr(network, k) is not None
        )
        cached = self.bridge_options_cache.get(overrides)
        if cached is None:
            cached = BridgeOptions.model_construct(**dict(overrides)).merged_over(
                _bridge_options(self.config.defaults.bridge)
            )
            self.bridge_options_cache[overrides] = cached
        return cached

    def _guest(self, name: str) -> Guest:
        entry = self.config.guests[name]
        nics = []
        for nic in entry.nics:
            network = self.networks.get(nic.network)
            bridge = (
                network.bridge
                if network
                else (nic.network if isinstance(self.links.get(nic.network), Bridge) else None)
            )
            nics.append(
                GuestNic(nic.network, bridge, nic.mac.lower() if nic.mac else None, nic.model)
            )
        return Guest(name, GuestKind(entry.type), tuple(nics), origin=("guests", name))


def _bridge_options(entry: BridgeOptionsSchema) -> BridgeOptions:
    """The plain model options of a validated entry (unset ones left out)."""
    return BridgeOptions.model_construct(
        **{k: v for k, v in entry.__dict__.items() if k in _BRIDGE_OPTION_FIELDS and v is not None}
    )


def _describe(origin: Path) -> str:
    return " ".join(str(p) for p in origin[:2]) if origin else "an import"


def resolve(config: HostFile) -> tuple[Host, list[Diagnostic]]:
    """The host a config file describes, plus problems found while expanding it."""
    builder = _Builder(config)
    host = builder.build()
    return host, builder.problems
