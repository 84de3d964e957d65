"""The lab around a host: NICs, an upstream switch, guests and peers, derived from the model.

Layout inside the lab VM (pure planning here; :mod:`hvnet.lab.netsetup` turns a plan into
guest shell scripts):

* The hypervisor under test is the VM's **root namespace**, so real ``ifup -a`` and
  ``hvnet apply`` run exactly as on a host. The VM's own virtio NICs are renamed out of the way
  (``hvlabnicN``) because their ``ethN`` names would clash with the config's.
* Every NIC the config names is one end of a veth pair; the other end (``upN``) is a trunk
  port of the VLAN-aware bridge ``swbr`` in namespace ``sw``: the upstream switch. Setting
  ``upN`` down is a real carrier loss on the NIC, which a bond's MII monitor sees.
* Trunks carry every 802.1Q id the config uses, tagged, plus one untagged **native VLAN per
  uplink** (a bond, or a NIC outside any bond). Distinct native VLANs matter: two untagged
  networks on two uplinks must not be joined by the lab switch, or isolation could not be
  tested.
* A **segment** is one layer-2 domain the host takes part in: a bridge (guests attach
  there) or a non-enslaved link with a host address (host A's management bond). A **peer**
  (own namespace, access port on the switch) sits on the switch side of every segment that
  reaches the switch; **guest endpoints** (own namespace each, joined to the bridge through
  a ``tapN`` veth, as a VM's tap would be) sit on the bridges, one per guest NIC.
* Addresses: a segment where the host has an IPv4 address uses that subnet (the peer takes
  the host's gateway address when it lies there); otherwise a lab subnet ``172.31.N.0/24``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from hvnet.model import Bond, Bridge, Host, Link, Nic, Vlan, VlanProtocol

SWITCH_NS = "sw"
SWITCH_BRIDGE = "swbr"
#: Renamed virtio NICs of the VM: a name no config uses (kept under 16 characters).
HIDDEN_NIC_PREFIX = "hvlabnic"
#: Smallest host subnet the lab puts endpoints in (peer + guests + the host).
_MAX_PREFIX = 29
_NS_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class SwitchPort:
    """A trunk port of the lab switch facing config NIC ``nic``."""

    nic: str
    port: str
    native: int
    tagged: tuple[int, ...]
    mac: str | None = None  # the NIC's match: mac, so matching by MAC works in the lab


@dataclass(frozen=True, slots=True)
class Segment:
    """One layer-2 domain of the host (see the module docstring).

    ``vid`` is the switch VLAN carrying it (``None``: the bridge has no uplink, guests only);
    ``host_addresses`` are the host's IPv4 addresses on ``head`` inside ``subnet``;
    ``host_has_address`` is what the model promises (IPv6 or DHCP count too), which decides
    whether the host must answer or stay silent there.
    """

    name: str
    head: str
    bridge: str | None
    uplink: str | None
    vid: int | None
    subnet: IPv4Network
    host_addresses: tuple[IPv4Interface, ...]
    host_has_address: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A guest NIC or a switch-side peer: its own namespace with ``eth0``.

    ``port`` is the other end of its veth: ``tapN`` on the host's bridge (guests) or ``ppN`` on
    the switch (peers).
    """

    name: str
    role: str  # "guest" | "peer"
    segment: str
    netns: str
    port: str
    address: IPv4Interface
    mac: str | None = None

    @property
    def ip(self) -> IPv4Address:
        return self.address.ip


@dataclass(frozen=True, slots=True)
class DrillPath:
    """How the failover drill sends traffic across ``bond``: ``source`` pings ``target``."""

    bond: str
    slaves: tuple[str, ...]
    ports: tuple[str, ...]  # switch ports facing the slaves, same order
    source: Endpoint
    target: IPv4Address
    target_name: str
    mode: str
    miimon: int
    updelay: int
    downdelay: int
    primary: str | None


@dataclass(frozen=True, slots=True)
class LabPlan:
    """Everything the lab builds around one host."""

    nics: tuple[str, ...]
    ports: tuple[SwitchPort, ...]
    segments: tuple[Segment, ...]
    endpoints: tuple[Endpoint, ...]
    drills: tuple[DrillPath, ...]
    skipped_drills: dict[str, str] = field(default_factory=dict)
    mtu: int = 1500
    notes: tuple[str, ...] = ()

    def segment(self, name: str) -> Segment:
        return next(s for s in self.segments if s.name == name)

    def in_segment(self, name: str) -> list[Endpoint]:
        return [e for e in self.endpoints if e.segment == name]

    @property
    def guests(self) -> list[Endpoint]:
        return [e for e in self.endpoints if e.role == "guest"]

    @property
    def peers(self) -> list[Endpoint]:
        return [e for e in self.endpoints if e.role == "peer"]


def netns_name(prefix: str, *parts: str) -> str:
    """A namespace name from config names (only ``/`` is forbidden; keep it readable)."""
    return prefix + "-" + "-".join(_NS_SAFE.sub("_", p) for p in parts)


class _Planner:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.bond_of = {s: b.name for b in host.bonds for s in b.slaves}
        self.notes: list[str] = []

    def uplink_of(self, name: str) -> str:
        return self.bond_of.get(name, name)

    def switch_vlan(self, name: str, depth: int = 0) -> tuple[str, int | None] | None:
        """(uplink, tagged vid or None for native) that carries ``name`` to the switch."""
        link = self.host.links.get(name)
        if link is None or depth > 8:
            return None
        if isinstance(link, Nic | Bond):
            return self.uplink_of(name), None
        if isinstance(link, Vlan):
            below = self.switch_vlan(link.parent, depth + 1)
            if below is None:
                return None
            if below[1] is not None or link.protocol is not VlanProtocol.DOT1Q:
                self.notes.append(f"{name}: stacked or 802.1ad VLAN, not carried by the lab switch")
                return None
            return below[0], link.vid
        if isinstance(link, Bridge):
            for port in link.port_names:
                found = self.switch_vlan(port, depth + 1)
                if found is not None:
                    return found
        return None


def _native_vids(uplinks: list[str], used: set[int]) -> dict[str, int]:
    """One untagged switch VLAN per uplink, from 4094 down, avoiding the config's ids."""
    free = (v for v in range(4094, 1, -1) if v not in used)
    return {u: next(free) for u in uplinks}


def _heads(host: Host) -> list[Link]:
    """Links that head a segment: not enslaved, and a bridge or with a host address."""
    enslaved = host.upper_of()
    order = host.creation_order()
    return [
        host.links[n]
        for n in order
        if n not in enslaved
        and (isinstance(host.links[n], Bridge) or host.links[n].has_host_address)
    ]


def _lab_subnets(taken: list[IPv4Network]) -> list[IPv4Network]:
    return [
        net
        for k in range(256)
        if not any((net := IPv4Network(f"172.31.{k}.0/24")).overlaps(t) for t in taken)
    ]


def _segment_subnet(
    link: Link, spare: list[IPv4Network]
) -> tuple[IPv4Network, tuple[IPv4Interface, ...], str]:
    v4 = [a for a in link.addresses if isinstance(a, IPv4Interface)]
    if v4 and v4[0].network.prefixlen <= _MAX_PREFIX:
        net = v4[0].network
        return net, tuple(a for a in v4 if a.network == net), ""
    note = f"host subnet of {link.name} too small for lab endpoints: host not probed" if v4 else ""
    return spare.pop(0), (), note


def _allocate(
    subnet: IPv4Network, reserved: set[IPv4Address], count: int, prefer: IPv4Address | None
) -> tuple[IPv4Address | None, list[IPv4Address]]:
    """A peer address (``prefer`` if free, else the highest free) and ``count`` guest ones."""
    hosts = [a for a in subnet.hosts() if a not in reserved]
    peer = prefer if prefer is not None and prefer in hosts else (hosts[-1] if hosts else None)
    rest = [a for a in hosts if a != peer]
    return peer, rest[:count]


def plan_lab(host: Host) -> LabPlan:
    """Derive the lab (switch ports, segments, peers, guests, drill paths) from ``host``."""
    p = _Planner(host)
    nics = tuple(n.name for n in host.nics)
    uplinks = [b.name for b in host.bonds] + [n for n in nics if n not in p.bond_of]
    used_vids = {v.vid for v in host.vlans}
    native = _native_vids(uplinks, used_vids)
    tagged = tuple(sorted(v.vid for v in {v.vid: v for v in host.vlans}.values()))
    ports = tuple(
        SwitchPort(n.name, f"up{i}", native[p.uplink_of(n.name)], tagged, n.match_mac)
        for i, n in enumerate(host.nics)
    )
    mtu = max([1500, *(link.mtu or 0 for link in host.links.values())])

    bridge_network = {n.bridge: n.name for n in host.networks.values()}
    heads = _heads(host)
    taken = [
        a.network for link in host.links.values() for a in link.addresses if a.version == 4
    ]  # fmt: skip
    spare = _lab_subnets([t for t in taken if isinstance(t, IPv4Network)])
    segments: list[Segment] = []
    endpoints: list[Endpoint] = []
    tap = 0
    for index, link in enumerate(heads):
        name = bridge_network.get(link.name, link.name)
        found = p.switch_vlan(link.name)
        uplink, vid = (
            (found[0], found[1] if found[1] is not None else native[found[0]])
            if found
            else (None, None)
        )
        subnet, host_v4, note = _segment_subnet(link, spare)
        segment = Segment(
            name=name, head=link.name, bridge=link.name if isinstance(link, Bridge) else None,
            uplink=uplink, vid=vid, subnet=subnet, host_addresses=host_v4,
            host_has_address=link.has_host_address, note=note,
        )  # fmt: skip
        segments.append(segment)
        guest_nics = [
            (g.name, i, nic)
            for g in host.guests
            for i, nic in enumerate(g.nics)
            if segment.bridge is not None and nic.bridge == segment.bridge
        ]
        reserved = {a.ip for a in host_v4}
        gateway = link.gateway if link.gateway is not None and link.gateway in subnet else None
        peer_ip, guest_ips = _allocate(subnet, reserved, len(guest_nics), gateway)
        if uplink is not None and peer_ip is not None:
            endpoints.append(
                Endpoint(f"peer:{name}", "peer", name, netns_name("p", name),
                         f"pp{index}", IPv4Interface(f"{peer_ip}/{subnet.prefixlen}"))
            )  # fmt: skip
        for (guest, i, nic), ip in zip(guest_nics, guest_ips, strict=False):
            endpoints.append(
                Endpoint(f"{guest}/{i}", "guest", name, netns_name("g", guest, str(i)),
                         f"tap{tap}", IPv4Interface(f"{ip}/{subnet.prefixlen}"), nic.mac)
            )  # fmt: skip
            tap += 1
        if len(guest_ips) < len(guest_nics):
            p.notes.append(f"{name}: subnet {subnet} too small for every guest NIC")
    drills, skipped = _drills(host, segments, endpoints, ports)
    return LabPlan(nics, ports, tuple(segments), tuple(endpoints), tuple(drills), skipped,
                   mtu, tuple(p.notes))  # fmt: skip


def _drills(
    host: Host, segments: list[Segment], endpoints: list[Endpoint], ports: tuple[SwitchPort, ...]
) -> tuple[list[DrillPath], dict[str, str]]:
    """One drill path per bond: a peer behind the bond pinging the host (or a guest)."""
    port_of = {sp.nic: sp.port for sp in ports}
    drills: list[DrillPath] = []
    skipped: dict[str, str] = {}
    for bond in host.bonds:
        if len(bond.slaves) < 2:
            skipped[bond.name] = "fewer than two slaves: nothing to fail over to"
            continue
        path: tuple[Endpoint, IPv4Address, str] | None = None
        for seg in (s for s in segments if s.uplink == bond.name):
            peer = next((e for e in endpoints if e.segment == seg.name and e.role == "peer"), None)
            if peer is None:
                continue
            if seg.host_addresses:
                path = (peer, seg.host_addresses[0].ip, f"host {seg.head}")
                break
            guest = next(
                (e for e in endpoints if e.segment == seg.name and e.role == "guest"), None
            )
            if guest is not None and path is None:
                path = (peer, guest.ip, f"guest {guest.name}")
        if path is None:
            skipped[bond.name] = "no host address or guest behind it: no traffic to measure"
            continue
        o = bond.options
        drills.append(
            DrillPath(
                bond=bond.name,
                slaves=bond.slaves,
                ports=tuple(port_of.get(s, "") for s in bond.slaves),
                source=path[0],
                target=path[1],
                target_name=path[2],
                mode=o.mode.value,
                miimon=o.miimon if o.miimon is not None else 100,
                updelay=o.updelay or 0,
                downdelay=o.downdelay or 0,
                primary=o.primary,
            )
        )
    return drills, skipped
