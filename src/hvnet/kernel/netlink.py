"""Read the running kernel through netlink (pyroute2): the only module that imports it.

One dump each of links, addresses and routes (never per-link lookups), so a snapshot of a
host with thousands of VLANs costs three round trips. Bond options come from sysfs
(``/sys/class/net/BOND/bonding/*``) because pyroute2 0.9 does not decode the newest bond
attributes and sysfs prints names, not numbers; there are few bonds, so it is cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_interface, ip_network
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hvnet.gcpause import without_gc
from hvnet.kernel.nldump import Msg
from hvnet.kernel.snapshot import (
    NIC_KINDS,
    KernelSnapshot,
    LinkRuntime,
    is_guest_port,
)
from hvnet.model import (
    ISOLATION_SYSCTLS,
    Bond,
    Bridge,
    BridgePort,
    Host,
    IPInterface,
    Link,
    Method4,
    Method6,
    Nic,
    Route,
    Vlan,
    VlanProtocol,
)
from hvnet.options import (
    AdSelect,
    ArpValidate,
    BondMode,
    BondOptions,
    BridgeOptions,
    FailOverMac,
    PrimaryReselect,
    XmitHashPolicy,
)

if TYPE_CHECKING:
    from hvnet.apply.settled import KernelFingerprint

IFF_UP = 0x1
IFA_F_PERMANENT = 0x80
RTPROT_KERNEL, RTPROT_RA, RTPROT_DHCP = 2, 9, 16
_CS = 100.0  # bridge times are centiseconds in netlink

# sysfs bonding files whose text is "name number": keep the name.
_BOND_BOOL = {"use_carrier", "all_slaves_active", "tlb_dynamic_lb", "lacp_active"}


def _attr(msg: Any, *path: str) -> Any:
    """Nested netlink attribute lookup that tolerates absence at any level."""
    node = msg
    for name in path:
        if node is None:
            return None
        node = node.get_attr(name)
    return node


_BOND_ENUMS = frozenset(
    {
        "mode",
        "lacp_rate",
        "arp_validate",
        "arp_all_targets",
        "xmit_hash_policy",
        "fail_over_mac",
        "ad_select",
        "primary_reselect",
    }
)


def _bond_sysfs_value(name: str, text: str) -> Any:
    """One sysfs bonding file's text as the model's value; None when empty/unreadable.

    Files print ``name number`` for enums, ``on 1`` for some booleans, and are empty for
    options that do not apply to the current mode (e.g. the ad_* files outside 802.3ad).
    """
    if not text:
        return () if name in ("arp_ip_target", "ns_ip6_target") else None
    if name in ("arp_ip_target", "ns_ip6_target"):
        return tuple(ip_address(t) for t in text.split())
    if name == "primary":
        return text
    words = text.split()
    if name in _BOND_BOOL:
        return words[-1] in ("1", "on")
    if name in _BOND_ENUMS:
        return words[0]
    if name == "ad_actor_system":
        return text.lower()
    return int(words[0])


#: Model types of the bond options sysfs prints as names (the rest are ints, bools, text).
_BOND_TYPES: dict[str, Any] = {
    "mode": BondMode,
    "arp_validate": ArpValidate,
    "primary_reselect": PrimaryReselect,
    "fail_over_mac": FailOverMac,
    "xmit_hash_policy": XmitHashPolicy,
    "ad_select": AdSelect,
    "lacp_rate": ("slow", "fast"),
    "arp_all_targets": ("any", "all"),
}


def _bond_model_value(name: str, value: Any) -> Any:
    """A parsed sysfs value in the model's type; ValueError when the model has no such value
    (an enum name a newer kernel added, an IPv6 address among ARP targets)."""
    kind = _BOND_TYPES.get(name)
    if isinstance(kind, tuple):
        if value not in kind:
            raise ValueError(value)
        return value
    if kind is not None:
        return kind(value)
    if name == "arp_ip_target":
        return tuple(IPv4Address(str(t)) for t in value)
    if name == "ns_ip6_target":
        return tuple(IPv6Address(str(t)) for t in value)
    return value


def read_bond_sysfs(name: str, sys_root: Path = Path("/sys")) -> BondOptions:
    """Bond options as the kernel reports them in sysfs (every option the kernel prints).

    Built without the validation schema (``model_construct``): every value is converted to
    the model's type here, and what does not convert is left out, as unknown. Validating
    with the schema would import pydantic and build it, the largest start-up cost of a
    command that otherwise needs neither (the kernel enforces its own ranges anyway).
    """
    base = sys_root / "class" / "net" / name / "bonding"
    values: dict[str, Any] = {}
    for field_name in BondOptions.model_fields:
        try:
            text = (base / field_name).read_text().strip()
            value = _bond_sysfs_value(field_name, text)
            if value is not None:
                values[field_name] = _bond_model_value(field_name, value)
        except (OSError, ValueError):
            continue  # unreadable or unexpected: unknown, like a missing file
    return BondOptions.model_construct(**values)


def _bridge_options(data: Any) -> BridgeOptions:
    get = _getter(data) if data is not None else _absent

    def seconds(attr: str) -> float | None:
        raw = get(attr)
        return None if raw is None else round(raw / _CS, 2)

    stp = get("IFLA_BR_STP_STATE")
    filtering = get("IFLA_BR_VLAN_FILTERING")
    return BridgeOptions.model_construct(
        stp=None if stp is None else bool(stp),
        forward_delay=seconds("IFLA_BR_FORWARD_DELAY"),
        hello_time=seconds("IFLA_BR_HELLO_TIME"),
        max_age=seconds("IFLA_BR_MAX_AGE"),
        ageing=seconds("IFLA_BR_AGEING_TIME"),
        priority=get("IFLA_BR_PRIORITY"),
        vlan_filtering=None if filtering is None else bool(filtering),
        maxwait=None,
    )


def _absent(_name: str) -> None:
    return None


def _l3(
    addresses: list[IPInterface],
    dynamic: bool,
    gateway: Any,
    gateway6: Any,
    routes: tuple[Route, ...],
) -> dict[str, Any]:
    has4 = any(a.version == 4 for a in addresses)
    has6 = any(a.version == 6 for a in addresses)
    return {
        "addresses": tuple(addresses),
        "method": Method4.STATIC if has4 else (Method4.DHCP if dynamic else Method4.MANUAL),
        "method6": Method6.STATIC if has6 else Method6.MANUAL,
        "gateway": gateway,
        "gateway6": gateway6,
        "routes": routes,
    }


def isolation_sysctls(msg: Any) -> dict[str, str] | None:
    """The isolation sysctls (:data:`~hvnet.model.ISOLATION_SYSCTLS`) of one link, from the
    IFLA_AF_SPEC of its RTM_NEWLINK message: the devconf arrays the kernel puts there are
    the values behind /proc/sys/net/*/conf/LINK/*, so thousands of links cost no file reads.
    A family the kernel does not report (IPv6 off for the whole host, MTU below 1280) is left
    out, like a missing file. None when the message has no IFLA_AF_SPEC at all.
    """
    spec = msg.get_attr("IFLA_AF_SPEC")
    if spec is None:
        return None
    sources = {"ipv4": spec.get_attr("AF_INET"), "ipv6": _attr(spec, "AF_INET6", "IFLA_INET6_CONF")}
    values: dict[str, str] = {}
    for family, key, _value in ISOLATION_SYSCTLS:
        source = sources[family]
        found = None if source is None else source.get(key)
        if found is not None:
            values[key] = str(found)
    return values


def _getter(msg: Any) -> Callable[[str], Any]:
    """``msg.get_attr``; for messages from hvnet's own decoder the dict lookup behind it.
    The snapshot of a host with thousands of links makes tens of thousands of lookups, and
    a method call per lookup was a fifth of building it (pyroute2's messages, which tests
    feed, keep their own ``get_attr``)."""
    return msg.attrs.get if type(msg) is Msg else msg.get_attr


def snapshot_from_messages(
    links: Iterable[Any],
    addrs: Iterable[Any],
    routes: Iterable[Any],
    sys_root: Path = Path("/sys"),
    sysctls: bool = True,
) -> KernelSnapshot:
    """Build a snapshot from netlink dump messages (split out so tests can feed recordings).

    ``sysctls``: also take the isolation sysctls from the messages' IFLA_AF_SPEC.
    """
    link_msgs = list(links)
    names = {m["index"]: m.get_attr("IFLA_IFNAME") for m in link_msgs}
    runtime: dict[str, LinkRuntime] = {}
    for m in link_msgs:
        get = _getter(m)
        info = get("IFLA_LINKINFO")
        kind = (info.get_attr("IFLA_INFO_KIND") if info is not None else None) or ""
        master = get("IFLA_MASTER")
        carrier = get("IFLA_CARRIER")
        index = m["index"]
        name = names[index]
        runtime[name] = LinkRuntime(
            name=name,
            ifindex=index,
            kind=kind,
            admin_up=bool(m["flags"] & IFF_UP),
            oper_state=str(get("IFLA_OPERSTATE") or "UNKNOWN"),
            carrier=None if carrier is None else bool(carrier),
            master=names.get(master) if master else None,
            mtu=get("IFLA_MTU") or 0,
            mac=(get("IFLA_ADDRESS") or "").lower() or None,
        )

    addresses: dict[str, list[IPInterface]] = {}
    dynamic: set[str] = set()
    for a in addrs:
        name = names.get(a["index"])
        if name is None:
            continue
        text = a.get_attr("IFA_LOCAL") or a.get_attr("IFA_ADDRESS")
        iface = ip_interface(f"{text}/{a['prefixlen']}")
        if iface.is_link_local or iface.is_loopback:
            continue
        flags = a.get_attr("IFA_FLAGS") or a["flags"]
        if flags & IFA_F_PERMANENT:
            addresses.setdefault(name, []).append(iface)
        else:
            dynamic.add(name)

    gateways: dict[str, Any] = {}
    gateways6: dict[str, Any] = {}
    static_routes: dict[str, list[Route]] = {}
    for r in routes:
        if r.get_attr("RTA_TABLE") not in (None, 254) or r["proto"] in (RTPROT_KERNEL, RTPROT_RA):
            continue
        oif = names.get(r.get_attr("RTA_OIF"))
        gw = r.get_attr("RTA_GATEWAY")
        if oif is None:
            continue
        if r["dst_len"] == 0 and gw:
            (gateways if r["family"] == 2 else gateways6).setdefault(oif, ip_address(gw))
        elif r.get_attr("RTA_DST") and r["proto"] != RTPROT_DHCP:
            dst = ip_network(f"{r.get_attr('RTA_DST')}/{r['dst_len']}", strict=False)
            prio = r.get_attr("RTA_PRIORITY")
            static_routes.setdefault(oif, []).append(
                Route(dst, ip_address(gw) if gw else None, prio or None)
            )

    host_links: dict[str, Link] = {}
    guest_ports: dict[str, list[str]] = {}
    ports: dict[str, list[BridgePort]] = {}
    slaves: dict[str, list[str]] = {}
    for m in link_msgs:
        rt = runtime[names[m["index"]]]
        if rt.master and runtime.get(rt.master) and runtime[rt.master].kind == "bridge":
            if is_guest_port(rt.name, rt.kind):
                guest_ports.setdefault(rt.master, []).append(rt.name)
            else:
                slave_data = _attr(m, "IFLA_LINKINFO", "IFLA_INFO_SLAVE_DATA")
                prio = _attr(slave_data, "IFLA_BRPORT_PRIORITY")
                ports.setdefault(rt.master, []).append(
                    BridgePort(rt.name, None if prio in (None, 32) else prio, None)
                )
        elif rt.master and runtime.get(rt.master) and runtime[rt.master].kind == "bond":
            slaves.setdefault(rt.master, []).append(rt.name)

    for m in link_msgs:
        rt = runtime[names[m["index"]]]
        if rt.name == "lo" or (rt.kind in NIC_KINDS and is_guest_port(rt.name, rt.kind)):
            continue
        l3 = _l3(
            addresses.get(rt.name, []),
            rt.name in dynamic,
            gateways.get(rt.name),
            gateways6.get(rt.name),
            tuple(static_routes.get(rt.name, ())),
        )
        common = {"name": rt.name, "mtu": rt.mtu, "mac": rt.mac, **l3}
        info = _getter(m)("IFLA_LINKINFO")
        data = info.get_attr("IFLA_INFO_DATA") if info is not None else None
        if rt.kind == "bond":
            link: Link = Bond(
                slaves=tuple(slaves.get(rt.name, ())),
                options=read_bond_sysfs(rt.name, sys_root),
                **common,
            )
        elif rt.kind == "vlan":
            parent = names.get(m.get_attr("IFLA_LINK"), "")
            proto = _attr(data, "IFLA_VLAN_PROTOCOL")
            link = Vlan(
                vid=_attr(data, "IFLA_VLAN_ID") or 0,
                parent=parent,
                protocol=VlanProtocol.DOT1AD if proto in (0x88A8, 0xA888) else VlanProtocol.DOT1Q,
                **common,
            )
        elif rt.kind == "bridge":
            link = Bridge(
                ports=tuple(ports.get(rt.name, ())), options=_bridge_options(data), **common
            )
        elif rt.kind in NIC_KINDS:
            link = Nic(**common)
        else:
            continue
        host_links[rt.name] = link
    host = Host(links=host_links)
    snap = KernelSnapshot(host, runtime, {k: tuple(v) for k, v in guest_ports.items()})
    if sysctls:
        for m in link_msgs:
            name = names[m["index"]]
            if name in host_links:
                values = isolation_sysctls(m)
                if values is not None:
                    snap.sysctls[name] = values
    return snap


@without_gc  # thousands of messages and model objects, all alive until the snapshot is built
def read_snapshot(
    netns: str | None = None,
    sys_root: Path = Path("/sys"),
    fingerprint: KernelFingerprint | None = None,
) -> KernelSnapshot:
    """Dump links, addresses and routes once each and build the snapshot.

    The current namespace is read with hvnet's own fast dump decoder
    (:mod:`hvnet.kernel.nldump`); another namespace (tests) through pyroute2, which can
    enter it. Both yield the same snapshot (tests/kernel/test_nldump.py).
    """
    if netns is None:
        from hvnet.kernel.nldump import dump_all

        links, addrs, routes = dump_all(fingerprint.feed if fingerprint is not None else None)
        return snapshot_from_messages(links, addrs, routes, sys_root)
    return read_snapshot_pyroute2(netns, sys_root)


def read_snapshot_pyroute2(
    netns: str | None = None, sys_root: Path = Path("/sys")
) -> KernelSnapshot:
    """The same snapshot decoded by pyroute2 (the reference implementation)."""
    from pyroute2 import IPRoute

    with IPRoute(netns=netns) if netns else IPRoute() as ipr:
        links = list(ipr.get_links())
        addrs = list(ipr.get_addr())
        routes = list(ipr.get_routes(table=254))
    # Another namespace's sysctls are left out, as before they were read from this
    # namespace's /proc (tests compare those namespaces without them).
    return snapshot_from_messages(links, addrs, routes, sys_root, sysctls=netns is None)
