"""Rules about IP addressing: syntax, long-form consistency, duplicates, overlaps, gateways.

ifupdown and ifupdown2 accept addresses without checking them against each other (ENI
dialects §2): a netmask that contradicts the prefix is resolved differently by each, a
gateway outside the subnet is installed "onlink", two interfaces in one subnet give the host
two connected routes for it. On a hypervisor that usually means the management address or
the guests' gateway is unreachable. Everything here works on the config entries (to point at
the exact list item) and on the addresses the resolver already parsed (parsing again is the
most expensive step on a 4094-network host). The overlap check sorts once: O(n log n).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, ip_address, ip_interface

from hvnet.config import AddressEntry, L3Settings
from hvnet.diagnostics import Diagnostic, Path, Severity, error, warning
from hvnet.model import IPAddress, IPInterface, Link, Method4, Method6
from hvnet.resolve import parse_address
from hvnet.rules import Rule, RuleContext
from hvnet.rules.topology import memberships, per_context

E, W = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True, slots=True)
class Site:
    """A config entry holding layer-3 settings, the resolved link carrying them, and its
    addresses as (index in the entry's list, entry, parsed value or None if unparseable)."""

    path: Path  # ("bonds", "bond0") or ("networks", "lan50")
    entry: L3Settings
    link: Link | None
    addresses: list[tuple[int, AddressEntry, IPInterface | None]]

    @property
    def name(self) -> str:
        return self.link.name if self.link is not None else str(self.path[1])


@per_context
def sites(ctx: RuleContext) -> list[Site]:
    """Every config entry with layer-3 settings (a network's are its bridge's)."""
    links = ctx.host.links
    found: list[Site] = []
    for section in ("nics", "bonds", "vlans", "bridges", "networks"):
        for name, entry in getattr(ctx.config, section).items():
            if section == "networks":
                network = ctx.host.networks.get(name)
                link = links.get(network.bridge) if network else None
            else:
                link = links.get(name)
            if link is not None and link.origin != (section, name):
                link = None  # a duplicate name (HV105): the link is another entry's
            found.append(Site((section, name), entry, link, _addresses(entry, link)))
    return found


def _addresses(
    entry: L3Settings, link: Link | None
) -> list[tuple[int, AddressEntry, IPInterface | None]]:
    """Reuse the resolver's parse when nothing was dropped (the usual case): parsing is the
    most expensive step on a big host."""
    entries = entry.addresses
    if not entries:
        return []
    if link is not None and len(link.addresses) == len(entries):
        return list(zip(range(len(entries)), entries, link.addresses, strict=True))
    return [(i, e, parse_address(e)) for i, e in enumerate(entries)]


def _apath(site: Site, index: int, *rest: str) -> Path:
    return (*site.path, "addresses", index, *rest)


# --- HV301 / HV308: methods and gateways without addresses ---------------------------------


def check_static_without_address(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV301: method static needs an address of that family."""
    for site in sites(ctx):
        entry = site.entry
        if entry.method != "static" and entry.method6 != "static":
            continue
        parsed = [a for _, _, a in site.addresses if a is not None]
        for field, value, version in (("method", entry.method, 4), ("method6", entry.method6, 6)):
            if value == "static" and not any(a.version == version for a in parsed):
                yield error(
                    "HV301",
                    f"{site.name}: {field} is static but there is no IPv{version} address",
                    f"add an IPv{version} address (e.g. addresses: "
                    f"[{'192.0.2.10/24' if version == 4 else '2001:db8::10/64'}]) or use "
                    f"{field}: {'dhcp' if version == 4 else 'auto'} / manual",
                    (*site.path, field),
                )


# --- HV302 / HV307 / HV309: one address entry ----------------------------------------------


def _mask_problem(mask: str) -> tuple[str, str] | None:
    """(code, why) when a netmask is unusable: HV307 unparseable, HV302 wrong shape."""
    if mask.isdigit():
        return None if int(mask) <= 128 else ("HV307", f"netmask /{mask} is not a prefix length")
    try:
        value = int(IPv4Address(mask))
    except ValueError:
        return "HV307", f"netmask {mask!r} is neither a dotted mask nor a prefix length"
    inverted = value ^ 0xFFFFFFFF
    if inverted & (inverted + 1) == 0:
        return None
    if value & (value + 1) == 0:
        return "HV302", f"netmask {mask} is a host (wildcard) mask, not a netmask"
    return "HV302", f"netmask {mask} is not contiguous (ones then zeros)"


def _entry_problems(entry: AddressEntry, iface: IPInterface) -> Iterator[tuple[str, str, str]]:
    """(code, field, message) for every inconsistency inside one long-form address entry."""
    text = entry.address.strip()
    if entry.netmask is not None:
        bad = _mask_problem(entry.netmask.strip())
        if bad:
            yield bad[0], "netmask", bad[1]
        elif "/" in text:
            other = ip_interface(f"{text.split('/')[0]}/{entry.netmask.strip()}")
            if other.network.prefixlen != iface.network.prefixlen:
                yield (
                    "HV302",
                    "netmask",
                    f"netmask {entry.netmask} (/{other.network.prefixlen}) contradicts "
                    f"/{iface.network.prefixlen} in the address: ifupdown uses the netmask, "
                    f"ifupdown2 and hvnet the prefix",
                )
    if entry.network is not None:
        try:
            given = ip_interface(entry.network.strip())
            same = given.ip == iface.network.network_address and (
                "/" not in entry.network or given.network.prefixlen == iface.network.prefixlen
            )
        except ValueError:
            same = False
        if not same:
            message = f"network {entry.network} is not {iface.network} (address & mask)"
            yield "HV302", "network", message
    small = iface.version == 4 and iface.network.prefixlen < 31
    if entry.broadcast is not None and entry.broadcast.strip() not in ("+", "-") and small:
        try:
            ok = ip_address(entry.broadcast.strip()) == iface.network.broadcast_address
        except ValueError:
            ok = False
        if not ok:
            yield (
                "HV302",
                "broadcast",
                f"broadcast {entry.broadcast} is not {iface.network.broadcast_address}, "
                f"the broadcast address of {iface.network}",
            )
    if small and iface.ip in (iface.network.network_address, iface.network.broadcast_address):
        kind = "network" if iface.ip == iface.network.network_address else "broadcast"
        message = f"{iface.ip} is the {kind} address of {iface.network}, not a host address"
        yield "HV302", "", message


def check_address_entries(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV302 (inconsistent), HV307 (unparseable), HV309 (no prefix length)."""
    for site in sites(ctx):
        for index, entry, iface in site.addresses:
            if iface is None:
                yield _unparseable(site, index, entry)
                continue
            short = entry.netmask is None and entry.network is None and entry.broadcast is None
            if short and not _is_network_or_broadcast(iface):
                if "/" not in entry.address:
                    yield _no_prefix(site, index, entry)
                continue  # the common case, kept cheap: no ipaddress objects are built
            for code, field, message in _entry_problems(entry, iface):
                yield error(
                    code,
                    f"{site.name}: {message}",
                    "make address, netmask, network and broadcast agree, or write only "
                    f"'{iface.with_prefixlen}' and drop the other keys",
                    _apath(site, index, field) if field else _apath(site, index),
                )
            if "/" not in entry.address and entry.netmask is None:
                yield _no_prefix(site, index, entry)


def _no_prefix(site: Site, index: int, entry: AddressEntry) -> Diagnostic:
    return warning(
        "HV309",
        f"{site.name}: address {entry.address} has no prefix length",
        f"write it with its prefix (e.g. {entry.address.strip()}/24): without one "
        "hvnet and ifupdown2 use /32 but ifupdown uses the classful mask",
        _apath(site, index),
    )


def _span(iface: IPInterface) -> tuple[int, int, int]:
    """(address, first, last) of the interface's subnet as integers (fast, no objects)."""
    value = int(iface)
    size = 1 << ((32 if iface.version == 4 else 128) - iface.network.prefixlen)
    first = value & ~(size - 1)
    return value, first, first + size - 1


def _is_network_or_broadcast(iface: IPInterface) -> bool:
    if iface.version != 4 or iface.network.prefixlen >= 31:
        return False
    value, first, last = _span(iface)
    return value in (first, last)


def _link_local(iface: IPInterface) -> bool:
    value = int(iface)
    return (value >> 16) == 0xA9FE if iface.version == 4 else (value >> 118) == 0x3FA


def _unparseable(site: Site, index: int, entry: AddressEntry) -> Diagnostic:
    """HV307 for the address text or its netmask (HV302 for a malformed-but-readable mask)."""
    text = entry.address.strip()
    try:
        ip_interface(text)
    except ValueError as exc:
        return error(
            "HV307",
            f"{site.name}: {text!r} is not an IP address ({exc})",
            "write an address with its prefix, e.g. 192.0.2.10/24 or 2001:db8::10/64",
            _apath(site, index),
        )
    mask = (entry.netmask or "").strip()
    code, why = _mask_problem(mask) or ("HV307", f"netmask {mask!r} does not fit {text}")
    return error(
        code,
        f"{site.name}: {why}",
        "use a contiguous dotted netmask (255.255.255.0) or a prefix length (24), or drop "
        "netmask and write the prefix in the address",
        _apath(site, index, "netmask"),
    )


# --- HV303 / HV304 / HV305 / HV306: the host as a whole ------------------------------------


def check_default_gateways(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV303: one default route per family (gateway fields and routes to /0)."""
    first: dict[int, str] = {}
    for site in sites(ctx):
        entry = site.entry
        if entry.gateway is None and entry.gateway6 is None and not entry.routes:
            continue
        defaults = [((*site.path, f), getattr(entry, f)) for f in ("gateway", "gateway6")]
        defaults += [
            ((*site.path, "routes", i, "to"), r.to)
            for i, r in enumerate(entry.routes)
            if r.to.prefixlen == 0
        ]
        for path, value in defaults:
            if value is None:
                continue
            what = f"{path[-1]} {value} on {site.name}"
            seen = first.setdefault(value.version, what)
            if seen != what:
                yield error(
                    "HV303",
                    f"{site.name}: a second IPv{value.version} default route ({what}); the "
                    f"first is {seen}",
                    "keep one default gateway per address family (on the management link); "
                    "use routes: with specific prefixes for the other networks",
                    path,
                )


def _all_addresses(ctx: RuleContext) -> Iterator[tuple[Site, int, IPInterface]]:
    for site in sites(ctx):
        for index, _entry, iface in site.addresses:
            if iface is not None:
                yield site, index, iface


def check_duplicate_addresses(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV304: an IP configured twice (IPv6 link-local may repeat on different links)."""
    seen: dict[tuple[int, int, str], tuple[Site, int]] = {}
    for site, index, iface in _all_addresses(ctx):
        scope = site.name if iface.version == 6 and _link_local(iface) else ""
        first = seen.setdefault((iface.version, int(iface), scope), (site, index))
        if first[0] is site and first[1] == index:
            continue
        yield error(
            "HV304",
            f"{site.name}: address {iface.ip} is already used by {first[0].name}",
            "each address must be configured once; the host answers ARP/ND for it on both "
            "links and replies leave through either: remove or change one",
            _apath(site, index),
        )


def check_overlaps(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV305: sort subnets by start (widest first); since CIDR blocks either nest or are
    disjoint, a subnet overlaps an earlier one exactly when it starts before the furthest end
    seen so far. One sort per family: O(n log n)."""
    by_family: dict[int, list[tuple[int, int, int, Site, IPInterface]]] = {4: [], 6: []}
    counts: dict[tuple[int, int], int] = {}
    for _site, _index, iface in _all_addresses(ctx):
        key = (iface.version, int(iface))
        counts[key] = counts.get(key, 0) + 1
    for site, index, iface in _all_addresses(ctx):
        if _link_local(iface):
            continue  # fe80::/64 (and 169.254/16) exist on every link by design
        _value, first, last = _span(iface)
        by_family[iface.version].append((first, -last, index, site, iface))
    for items in by_family.values():
        items.sort(key=lambda t: (t[0], t[1]))
        cover: tuple[int, Site, IPInterface] | None = None  # (last, site, iface)
        for first, neglast, index, site, iface in items:
            duplicate = counts[(iface.version, int(iface))] > 1  # HV304 reports it
            if cover and first <= cover[0] and cover[1].name != site.name and not duplicate:
                yield error(
                    "HV305",
                    f"{site.name}: subnet {iface.network} overlaps {cover[2].network} of "
                    f"{cover[1].name}",
                    "the host gets two connected routes for the same addresses and answers "
                    "from the wrong link; give each link its own subnet",
                    _apath(site, index),
                )
            if cover is None or -neglast > cover[0]:
                cover = (-neglast, site, iface)


def check_next_hops(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV308: a gateway needs a source address on its link (static or DHCP/SLAAC);
    HV306: a gateway or route via should be inside one of the link's subnets."""
    enslaved = memberships(ctx)
    for site in sites(ctx):
        link, entry = site.link, site.entry
        if link is None or (entry.gateway is None and entry.gateway6 is None and not entry.routes):
            continue
        dynamic = {4: link.method is Method4.DHCP, 6: link.method6 in (Method6.DHCP, Method6.AUTO)}
        hops: list[tuple[Path, IPAddress | None]] = [
            ((*site.path, "gateway"), entry.gateway),
            ((*site.path, "gateway6"), entry.gateway6),
            *(((*site.path, "routes", i, "via"), r.via) for i, r in enumerate(entry.routes)),
        ]
        for path, hop in hops:
            if hop is None:
                continue
            mine = [a for a in link.addresses if a.version == hop.version]
            if not mine:
                if not dynamic[hop.version] and path[-1] != "via" and link.name not in enslaved:
                    yield error(
                        "HV308",
                        f"{site.name}: {path[-1]} {hop} is set but the link has no "
                        f"IPv{hop.version} address and no DHCP",
                        "the default route needs a source address on this link: add an address "
                        "in the gateway's subnet, or move the gateway to the link that has one",
                        path,
                    )
                continue
            if hop.version == 6 and hop.is_link_local:
                continue  # fe80:: routers are on-link by definition (the usual IPv6 gateway)
            if any(a.ip == hop for a in mine):
                problem = "is one of this link's own addresses"
            elif any(hop in a.network for a in mine):
                continue
            else:
                nets = ", ".join(str(a.network) for a in mine)
                problem = f"is outside every subnet of this link ({nets})"
            yield warning(
                "HV306",
                f"{site.name}: next hop {hop} {problem}",
                "ifupdown installs it 'onlink' without checking; use the router's address in "
                "the link's subnet, or fix the address's prefix length",
                path,
            )


RULES = [
    Rule(
        "HV301",
        E,
        "static method without an address",
        "method: static (or method6: static) says the link is configured with fixed addresses, "
        "but none of that family is given. ifupdown fails on an 'inet static' stanza without "
        "'address', leaving the link down, and the host is unreachable where it was meant to "
        "be. Add the address, or use dhcp/auto, or manual for a link without addresses.",
        check_static_without_address,
    ),
    Rule(
        "HV302",
        E,
        "inconsistent address, netmask, network or broadcast",
        "The long address form (address with netmask/network/broadcast, as imported from "
        "ENI) must agree with itself: the netmask must match the /prefix and be contiguous "
        "(not a wildcard mask), network must be address & mask, broadcast the last address of "
        "the subnet, and the address may not be the network or broadcast address itself "
        "(prefixes shorter than /31). ifupdown and ifupdown2 pick different values when these "
        "disagree, so the host's subnet depends on the tool. Write the short form "
        "'192.0.2.10/24' instead.",
        check_address_entries,
    ),
    Rule(
        "HV303",
        E,
        "more than one default gateway",
        "A host has one default route per address family. Two gateway: settings (or routes to "
        "0.0.0.0/0 or ::/0) make ifupdown fail on the second ('RTNETLINK answers: File exists') "
        "or leave the choice to metrics, so management traffic may leave by a guest network. "
        "Keep the gateway on the management link and use specific routes elsewhere.",
        check_default_gateways,
    ),
    Rule(
        "HV304",
        E,
        "address used twice",
        "The same IP address is configured twice, on one link or two. The kernel accepts it on "
        "two links, but the host then answers ARP/neighbour discovery for it on both and its "
        "replies may leave through either, which breaks connections at random. IPv6 "
        "link-local addresses may repeat on different links. Remove or change one of them.",
        check_duplicate_addresses,
    ),
    Rule(
        "HV305",
        E,
        "overlapping subnets on different links",
        "Two links have addresses in overlapping subnets, so the host has two connected routes "
        "for the same destinations and sends replies out of whichever wins, often not the link "
        "the request came from (rp_filter then drops them). On a hypervisor this typically "
        "means a network's bridge reused the management subnet. Give every link its own "
        "subnet; secondary addresses on the same link are fine.",
        check_overlaps,
    ),
    Rule(
        "HV306",
        W,
        "gateway outside the link's subnets",
        "A gateway (or a route's via) should be inside one of its link's subnets. ifupdown "
        "adds it with 'onlink', so the route is installed anyway but only works if the router "
        "really answers ARP there; usually it is a typo or a wrong prefix length. A next hop "
        "equal to the host's own address is always a mistake.",
        check_next_hops,
    ),
    Rule(
        "HV307",
        E,
        "address that cannot be parsed",
        "An address (or its netmask) is not a valid IPv4/IPv6 address, e.g. 10.0.0.300/24 or "
        "a /33 prefix. The resolver drops it, so the link would come up without it. Fix the "
        "text; the position points at the entry.",
    ),
    Rule(
        "HV308",
        E,
        "gateway on a link without an address",
        "A default route needs a source address on its link (a static address in the "
        "gateway's family, or DHCP/SLAAC). Without one the route cannot be added and the host "
        "has no default route. Add the address, or move the gateway to the link that has it.",
    ),
    Rule(
        "HV309",
        W,
        "address without prefix length",
        "An address without /prefix or netmask is ambiguous. hvnet and ifupdown2 treat it as "
        "/32 (no connected subnet, so the gateway is unreachable), ifupdown 0.8 as the old "
        "classful /8, /16 or /24. Write the prefix explicitly.",
    ),
]
