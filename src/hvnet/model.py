"""The resolved host: what the kernel should end up with, independent of any file format.

The config file has shorthands (``networks`` expanding to a VLAN plus a bridge, naming
templates, bridge defaults); the model has none. Renderers, the planner, the lab and the
importers all speak this model, so ``import(render(model)) == model`` is a meaningful test.
Objects are frozen dataclasses with no I/O: building one never touches the kernel.
``origin`` records the config path an object came from (for error messages) and takes no part
in equality.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
)
from itertools import repeat

from hvnet.diagnostics import Path
from hvnet.options import BondOptions, BridgeOptions

IPInterface = IPv4Interface | IPv6Interface
IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network


class Method4(StrEnum):
    """How a link gets its IPv4 configuration."""

    STATIC = "static"
    DHCP = "dhcp"
    MANUAL = "manual"  # no IPv4 address managed by hvnet


class Method6(StrEnum):
    STATIC = "static"
    DHCP = "dhcp"
    AUTO = "auto"  # SLAAC
    MANUAL = "manual"


class VlanProtocol(StrEnum):
    DOT1Q = "802.1q"
    DOT1AD = "802.1ad"

    @property
    def ethertype(self) -> int:
        return 0x8100 if self is VlanProtocol.DOT1Q else 0x88A8


class LinkKind(StrEnum):
    NIC = "nic"
    BOND = "bond"
    VLAN = "vlan"
    BRIDGE = "bridge"


#: sysctls (family, key, value under /proc/sys/net/FAMILY/conf/LINK/) that keep the host
#: unreachable from a link where it has no address: no IPv6 link-local, no ARP answers for its
#: other addresses, strict reverse-path filtering. Rendered ENI and live apply both set them.
ISOLATION_SYSCTLS = (
    ("ipv6", "disable_ipv6", "1"),
    ("ipv4", "arp_ignore", "8"),
    ("ipv4", "rp_filter", "1"),
)


@dataclass(frozen=True, slots=True)
class Route:
    """A static route; ``to`` 0.0.0.0/0 is not used: default routes are ``gateway`` fields."""

    to: IPNetwork
    via: IPAddress | None = None
    metric: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """Attributes every kind of interface shares: layer 2 identity and layer 3 configuration."""

    name: str
    mtu: int | None = None
    mac: str | None = None
    addresses: tuple[IPInterface, ...] = ()
    method: Method4 = Method4.MANUAL
    method6: Method6 = Method6.MANUAL
    gateway: IPv4Address | None = None
    gateway6: IPv6Address | None = None
    routes: tuple[Route, ...] = ()
    origin: Path = field(default=(), compare=False)

    kind: LinkKind = field(default=LinkKind.NIC, init=False)

    @property
    def has_host_address(self) -> bool:
        """Whether the host is meant to be reachable on this link at layer 3."""
        return (
            bool(self.addresses)
            or self.method is Method4.DHCP
            or self.method6
            in (
                Method6.DHCP,
                Method6.AUTO,
            )
        )

    def lower_names(self) -> tuple[str, ...]:
        """Names of the links this one is built on (its dependencies)."""
        return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Nic(Link):
    """A physical (or, in the lab, virtual) Ethernet port; optionally matched by permanent MAC."""

    match_mac: str | None = None
    kind: LinkKind = field(default=LinkKind.NIC, init=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Bond(Link):
    """A bonding master; ``separate_switches`` says its slaves go to independent switches."""

    slaves: tuple[str, ...] = ()
    options: BondOptions = field(default_factory=BondOptions)
    separate_switches: bool = False
    kind: LinkKind = field(default=LinkKind.BOND, init=False)

    def lower_names(self) -> tuple[str, ...]:
        return self.slaves


@dataclass(frozen=True, slots=True, kw_only=True)
class Vlan(Link):
    """An 802.1Q (or 802.1ad) sub-interface of ``parent``."""

    vid: int
    parent: str
    protocol: VlanProtocol = VlanProtocol.DOT1Q
    kind: LinkKind = field(default=LinkKind.VLAN, init=False)

    def lower_names(self) -> tuple[str, ...]:
        return (self.parent,)


@dataclass(frozen=True, slots=True)
class BridgePort:
    """A port hvnet manages on a bridge, with optional STP port settings."""

    name: str
    priority: int | None = None
    cost: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Bridge(Link):
    """A Linux bridge; guest taps join it at run time and are not listed as ports."""

    ports: tuple[BridgePort, ...] = ()
    options: BridgeOptions = field(default_factory=BridgeOptions)
    kind: LinkKind = field(default=LinkKind.BRIDGE, init=False)
    #: the ports' names, derived once (renderers, rules and the planner ask for them often)
    port_names: tuple[str, ...] = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "port_names", tuple([p.name for p in self.ports]))

    def lower_names(self) -> tuple[str, ...]:
        return self.port_names


class GuestKind(StrEnum):
    KVM = "kvm"
    XEN = "xen"


@dataclass(frozen=True, slots=True)
class GuestNic:
    """A guest's virtual NIC, attached to a network (resolved to its bridge)."""

    network: str
    bridge: str | None
    mac: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Guest:
    name: str
    kind: GuestKind = GuestKind.KVM
    nics: tuple[GuestNic, ...] = ()
    origin: Path = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class Network:
    """A guest network as the config named it: its VLAN (if tagged) and its bridge."""

    name: str
    bridge: str
    vlan: str | None
    vid: int | None
    parent: str


@dataclass(frozen=True, slots=True)
class Dns:
    nameservers: tuple[IPAddress, ...] = ()
    search: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Host:
    """One hypervisor host: its links in declaration order, guests, networks and DNS."""

    hostname: str | None = None
    links: dict[str, Link] = field(default_factory=dict)
    networks: dict[str, Network] = field(default_factory=dict)
    guests: tuple[Guest, ...] = ()
    dns: Dns = field(default_factory=Dns)

    def of_kind(self, kind: type[Link]) -> Iterator[Link]:
        return (link for link in self.links.values() if isinstance(link, kind))

    @property
    def nics(self) -> list[Nic]:
        return [link for link in self.links.values() if isinstance(link, Nic)]

    @property
    def bonds(self) -> list[Bond]:
        return [link for link in self.links.values() if isinstance(link, Bond)]

    @property
    def vlans(self) -> list[Vlan]:
        return [link for link in self.links.values() if isinstance(link, Vlan)]

    @property
    def bridges(self) -> list[Bridge]:
        return [link for link in self.links.values() if isinstance(link, Bridge)]

    def upper_of(self) -> dict[str, str]:
        """Map each enslaved link (bond slave, bridge port) to its master."""
        masters: dict[str, str] = {}
        for link in self.links.values():
            if isinstance(link, Bond):
                for slave in link.slaves:
                    masters.setdefault(slave, link.name)
            elif isinstance(link, Bridge):
                for port in link.port_names:
                    masters.setdefault(port, link.name)
        return masters

    def isolated(self) -> set[str]:
        """Links where the host has no address and which are not bond slaves (the kernel gives
        slaves no addresses): the host must not be reachable from them."""
        slaves = {s for bond in self.bonds for s in bond.slaves}
        return {
            name
            for name, link in self.links.items()
            if not link.has_host_address and name not in slaves
        }

    def creation_order(self) -> list[str]:
        """Link names ordered so every link comes after the links it is built on.

        Stable (declaration order among independent links). Links in a dependency cycle or
        depending on undefined names are appended last; validation reports those.
        """
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = visiting, 2 = done
        links = self.links

        def visit(name: str) -> None:
            if state.get(name) or name not in links:
                return
            state[name] = 1
            for lower in links[name].lower_names():
                if state.get(lower) != 1:
                    visit(lower)
            state[name] = 2
            order.append(name)

        for name, link in links.items():
            if state.get(name):
                continue
            for lower in link.lower_names():
                if state.get(lower) != 2 and lower in links:
                    visit(name)  # a dependency still to place: the full walk
                    break
            else:  # the usual case in declaration order: everything below is placed already
                state[name] = 2
                order.append(name)
        return order


# -- pickling (the model cache) ---------------------------------------------------------------

_setattr = object.__setattr__


def _rebuild(cls: type, names: tuple[str, ...], values: tuple[object, ...]) -> object:
    """Recreate a frozen slotted model object from its field values, without ``__init__``."""
    obj: object = object.__new__(cls)
    if len(names) != len(values):
        raise TypeError(f"{cls.__name__}: {len(values)} values for {len(names)} fields")
    # map() runs the stores in C: a Python loop here cost more than the rest of unpickling
    any(map(_setattr, repeat(obj, len(names)), names, values))
    return obj


def _install_fast_reduce(*classes: type) -> None:
    """Give each class a ``__reduce__`` that stores (class, field names, values).

    The default for slotted dataclasses calls ``dataclasses.fields()`` for every object
    when unpickling; a no-op ``hvnet apply`` reads thousands of them from the model cache,
    and that lookup was most of its cost. Names are stored once per class (pickle memoises
    the tuple), so an old cache entry cannot be read with a different field order.
    """
    for cls in classes:
        names = tuple(f for f in cls.__dataclass_fields__)  # type: ignore[attr-defined]

        def reduce(self: object, _names: tuple[str, ...] = names) -> tuple[object, ...]:
            return (_rebuild, (type(self), _names, tuple([getattr(self, n) for n in _names])))

        cls.__reduce__ = reduce  # type: ignore[method-assign, assignment]


_install_fast_reduce(
    Route, Nic, Bond, Vlan, BridgePort, Bridge, GuestNic, Guest, Network, Dns, Host
)
