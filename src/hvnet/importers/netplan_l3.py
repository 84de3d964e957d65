"""Netplan settings common to every device: addresses, DHCP, routes, DNS, MTU, MAC.

Netplan and hvnet draw the layer-3 line differently: netplan has per-interface DNS and
default routes as ordinary routes, hvnet one host DNS and a ``gateway`` per link; netplan
switches (``accept-ra``, ``link-local``) become hvnet methods where their meaning matches.
Keys hvnet has no place for are listed once in :data:`NOT_MODELLED` with the reason shown to
the operator; a ``false`` that only restates netplan's default is not worth a note.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface
from typing import Any

from hvnet.importers import NoteKind
from hvnet.importers.netplan_values import (
    address,
    boolean,
    interface_address,
    ipv4,
    ipv6,
    mac,
    prefix,
    text,
    unsigned,
)
from hvnet.importers.netplan_yaml import Node, Notes
from hvnet.model import Dns, IPAddress, IPInterface, Method4, Method6, Route

_DHCP = "DHCP client behaviour is not part of the hvnet model"
_OFFLOAD = "NIC offload settings are not part of the hvnet model"
_SRIOV = "SR-IOV settings are not part of the hvnet model"
_PORT = "bridge port flags are not part of the hvnet model"
_BOOT = "hvnet does not decide what the boot waits for"
_V6 = "IPv6 address generation settings are not part of the hvnet model"

#: netplan key → why hvnet does not keep it.
NOT_MODELLED: dict[str, str] = {
    "critical": "keeping DHCP leases across daemon restarts is not part of the hvnet model",
    "dhcp-identifier": _DHCP,
    "dhcp4-overrides": _DHCP,
    "dhcp6-overrides": _DHCP,
    "ra-overrides": "router advertisement options are not part of the hvnet model",
    "ipv6-mtu": "hvnet has no separate IPv6 MTU",
    "ipv6-privacy": _V6,
    "ipv6-address-generation": _V6,
    "ipv6-address-token": _V6,
    "ignore-carrier": "hvnet does not configure links without carrier specially",
    "optional": _BOOT,
    "optional-addresses": _BOOT,
    "activation-mode": "hvnet always brings its links up",
    "routing-policy": "policy routing rules are not part of the hvnet model",
    "neigh-suppress": _PORT,
    "hairpin": _PORT,
    "port-mac-learning": _PORT,
    "openvswitch": "Open vSwitch is not managed by hvnet (Linux bridges and bonds only)",
    "networkmanager": "NetworkManager connection metadata has no meaning for hvnet",
    "renderer": "hvnet chooses what to generate at render time (hvnet render --format)",
    "wakeonlan": "wake-on-LAN is not part of the hvnet model",
    "wakeonwlan": "wake-on-WLAN is not part of the hvnet model",
    "emit-lldp": "LLDP is not part of the hvnet model",
    "receive-checksum-offload": _OFFLOAD,
    "transmit-checksum-offload": _OFFLOAD,
    "tcp-segmentation-offload": _OFFLOAD,
    "tcp6-segmentation-offload": _OFFLOAD,
    "generic-segmentation-offload": _OFFLOAD,
    "generic-receive-offload": _OFFLOAD,
    "large-receive-offload": _OFFLOAD,
    "link": _SRIOV,
    "virtual-function-count": _SRIOV,
    "embedded-switch-mode": _SRIOV,
    "delay-virtual-functions-rebind": _SRIOV,
    "infiniband-mode": "InfiniBand is not managed by hvnet",
    "auth": "802.1X authentication is not part of the hvnet model",
}
#: Boolean keys whose ``false`` is netplan's default: nothing is lost by dropping them.
FALSE_IS_DEFAULT = frozenset(
    {
        "critical",
        "ipv6-privacy",
        "ignore-carrier",
        "optional",
        "wakeonlan",
        "emit-lldp",
        "delay-virtual-functions-rebind",
    }
)
HANDLED = frozenset(
    {
        "addresses",
        "dhcp4",
        "dhcp6",
        "accept-ra",
        "link-local",
        "gateway4",
        "gateway6",
        "routes",
        "nameservers",
        "mtu",
        "macaddress",
    }
)
_MAC_SPECIAL = ("permanent", "random", "stable", "stable-ssid", "preserve")
_ROUTE_EXTRAS = {
    "from": "a preferred source address on a route is not part of the hvnet model",
    "scope": "route scopes are not part of the hvnet model",
    "mtu": "per-route MTU is not part of the hvnet model",
    "congestion-window": "TCP route metrics are not part of the hvnet model",
    "advertised-receive-window": "TCP route metrics are not part of the hvnet model",
    "advertised-mss": "TCP route metrics are not part of the hvnet model",
}
_MAIN_TABLE = 254


class L3Converter:
    """Converts the common settings of each definition and gathers the host's DNS."""

    def __init__(self, notes: Notes) -> None:
        self.notes = notes
        self.nameservers: list[IPAddress] = []
        self.search: list[str] = []
        self.dns_owner: str | None = None
        self.first_gateway: dict[int, tuple[str, IPAddress]] = {}  # version → (link ID, gw)

    def dns(self) -> Dns:
        return Dns(tuple(self.nameservers), tuple(self.search))

    def convert(self, ident: str, body: Node, own: set[str]) -> dict[str, Any]:
        """Link keyword arguments for *body*; *own* are keys the caller handles itself."""
        for key, node in body.items():
            if key in own or key in HANDLED:
                continue
            if key in NOT_MODELLED:
                if key in FALSE_IS_DEFAULT and not boolean(node):
                    continue
                self.notes.add(node, NOT_MODELLED[key])
            else:
                self.notes.add(
                    node,
                    f"'{key}' is not a netplan setting this importer knows "
                    "(netplan would refuse it); ignored",
                )
        addresses = self._addresses(body.get("addresses"))
        has4 = any(isinstance(a, IPv4Interface) for a in addresses)
        has6 = any(isinstance(a, IPv6Interface) for a in addresses)
        dhcp4, dhcp6 = (body.get(k) for k in ("dhcp4", "dhcp6"))
        method = (
            Method4.DHCP
            if dhcp4 and boolean(dhcp4)
            else (Method4.STATIC if has4 else Method4.MANUAL)
        )
        method6 = (
            Method6.DHCP
            if dhcp6 and boolean(dhcp6)
            else (Method6.STATIC if has6 else Method6.MANUAL)
        )
        method6 = self._accept_ra(body.get("accept-ra"), method, method6, has4)
        self._link_local(body.get("link-local"), method, method6, has4)
        gateway, gateway6, routes = self._routes(ident, body)
        self._nameservers(ident, body.get("nameservers"))
        return {
            "addresses": tuple(addresses),
            "method": method,
            "method6": method6,
            "gateway": gateway,
            "gateway6": gateway6,
            "routes": tuple(routes),
            "mtu": self._mtu(body.get("mtu")),
            "mac": self._mac(body.get("macaddress")),
        }

    def _addresses(self, node: Node | None) -> list[IPInterface]:
        found: list[IPInterface] = []
        if node is None:
            return found
        if not node.is_seq:
            node.fail("expected sequence")
        for item in node.seq():
            if item.is_map:
                entries = item.items()
                if len(entries) != 1:
                    item.fail("expected either scalar or mapping (check indentation)")
                key, options = entries[0]
                where = Node(
                    key,
                    item.file,
                    options.key_line,
                    options.key_column,
                    options.key_line,
                    options.key_column,
                )
                parsed = interface_address(where)
                for option, value in options.items():
                    self.notes.add(
                        value,
                        f"address {option} is not part of the hvnet model; "
                        f"the address {parsed} is kept",
                    )
            elif item.is_seq:
                item.fail("expected either scalar or mapping (check indentation)")
            else:
                parsed = interface_address(item)
            if parsed not in found:  # netplan skips an address it already has
                found.append(parsed)
        return found

    def _accept_ra(
        self, node: Node | None, method: Method4, method6: Method6, has4: bool
    ) -> Method6:
        if node is None:
            return method6
        accept = boolean(node)
        if accept and method6 is Method6.MANUAL:
            return Method6.AUTO  # SLAAC: exactly what accepting router advertisements does
        if accept and method6 is Method6.STATIC:
            self.notes.add(
                node,
                "hvnet cannot combine static IPv6 addresses with SLAAC; imported as static only",
            )
        elif not accept and method6 is Method6.MANUAL and not has4 and method is Method4.MANUAL:
            self.notes.add(
                node,
                "no host address on this link: hvnet disables IPv6 there, "
                "router advertisements included",
                NoteKind.CONVERTED,
            )
        elif not accept:
            self.notes.add(
                node,
                "hvnet has no switch to ignore router advertisements on a "
                "link that has host addresses",
            )
        return method6

    def _link_local(self, node: Node | None, method: Method4, method6: Method6, has4: bool) -> None:
        if node is None:
            return
        if not node.is_seq:
            node.fail("expected sequence")
        families = set()
        for item in node.seq():
            word = text(item).lower()
            if word not in ("ipv4", "ipv6"):
                item.fail(f"invalid value for link-local: '{text(item)}'")
            families.add(word)
        if families == {"ipv6"}:
            return  # netplan's default
        bare = not has4 and method is Method4.MANUAL and method6 is Method6.MANUAL
        if not families and bare:
            self.notes.add(
                node,
                "no host address on this link: hvnet disables IPv6 there "
                "(link-local included) and IPv4 link-local is off by default",
                NoteKind.CONVERTED,
            )
        else:
            self.notes.add(node, "link-local addressing is not part of the hvnet model")

    def _mtu(self, node: Node | None) -> int | None:
        if node is None:
            return None
        mtu = unsigned(node)
        if not 68 <= mtu <= 65535:
            self.notes.add(node, f"MTU {mtu} is outside 68-65535, the range hvnet accepts")
            return None
        return mtu

    def _mac(self, node: Node | None) -> str | None:
        if node is None:
            return None
        if text(node).strip() in _MAC_SPECIAL:
            self.notes.add(
                node,
                f"the '{text(node).strip()}' MAC policy is not part of the "
                "hvnet model (it sets fixed MAC addresses only)",
            )
            return None
        return mac(node)

    def _nameservers(self, ident: str, node: Node | None) -> None:
        """Per-link DNS → the host's one DNS configuration (noted when links differ)."""
        if node is None:
            return
        if not node.is_map:
            node.fail("expected mapping (check indentation)")
        added = False
        for key, value in node.items():
            if key not in ("addresses", "search"):
                self.notes.add(value, f"nameservers '{key}' is not part of the hvnet model")
                continue
            if not value.is_seq:
                value.fail("expected sequence")
            for item in value.seq():
                if key == "addresses":
                    server = address(item)
                    if server not in self.nameservers:
                        self.nameservers.append(server)
                        added = True
                else:
                    domain = text(item).strip()
                    if domain not in self.search:
                        self.search.append(domain)
                        added = True
        if added and self.dns_owner is not None and self.dns_owner != ident:
            self.notes.add(
                node,
                f"hvnet has one DNS configuration per host: merged with the "
                f"nameservers of {self.dns_owner}",
                NoteKind.CONVERTED,
            )
        self.dns_owner = self.dns_owner or ident

    def _routes(
        self, ident: str, body: Node
    ) -> tuple[IPv4Address | None, IPv6Address | None, list[Route]]:
        """Static routes, default routes (→ gateways) and ``gateway4``/``gateway6``."""
        defaults: dict[int, tuple[IPAddress, Node]] = {}
        routes: list[Route] = []
        node = body.get("routes")
        if node is not None and not node.is_seq:
            node.fail("expected sequence")
        for item in node.seq() if node is not None else []:
            route = self._route(item, defaults)
            if route is not None and route not in routes:
                routes.append(route)
        gateways: dict[int, IPAddress] = {v: d[0] for v, d in defaults.items()}
        sources = {v: d[1] for v, d in defaults.items()}
        for key, version in (("gateway4", 4), ("gateway6", 6)):
            given = body.get(key)
            if given is None:
                continue
            value = ipv4(given) if version == 4 else ipv6(given)
            if version not in defaults:
                gateways[version], sources[version] = value, given
            elif defaults[version][0] == value:
                self.notes.add(
                    given,
                    f"the same gateway as the default route at line "
                    f"{defaults[version][1].key_line}: kept once",
                    NoteKind.CONVERTED,
                )
            else:
                self.notes.add(
                    given,
                    f"{key} {value} disagrees with the default route via "
                    f"{defaults[version][0]} at line {defaults[version][1].key_line}: "
                    "the route (netplan's current syntax) is used",
                    NoteKind.INCONSISTENT,
                )
        for version, where in sources.items():
            self._one_gateway(ident, version, gateways[version], where)
        gw4, gw6 = gateways.get(4), gateways.get(6)
        assert gw4 is None or isinstance(gw4, IPv4Address)
        assert gw6 is None or isinstance(gw6, IPv6Address)
        return gw4, gw6, routes

    def _one_gateway(self, ident: str, version: int, gateway: IPAddress, where: Node) -> None:
        """Note a second default gateway of a family: netplan only warns ("More than one
        global gateway specified"), hvnet refuses it; both are kept for the operator to choose.
        """
        first = self.first_gateway.setdefault(version, (ident, gateway))
        if first[0] != ident:
            self.notes.add(
                where,
                f"a second IPv{version} default gateway (the first is {first[1]} on {first[0]}): "
                "netplan only warns, hvnet allows one per host; kept, keep only one",
                NoteKind.INCONSISTENT,
            )

    def _route(self, item: Node, defaults: dict[int, tuple[IPAddress, Node]]) -> Route | None:
        if not item.is_map:
            item.fail("expected mapping (check indentation)")
        to, via, metric = item.get("to"), item.get("via"), item.get("metric")
        if to is None:
            item.fail("route must include a 'to' destination")
        gateway = address(via) if via is not None else None
        for key, value in item.items():
            if key == "table" and unsigned(value, "routing table") != _MAIN_TABLE:
                self.notes.add(
                    item,
                    f"a route in routing table {text(value)}: hvnet manages the main table only",
                    on_value=True,
                )
                return None
            if key == "type" and text(value).strip() != "unicast":
                self.notes.add(
                    item,
                    f"a {text(value).strip()} route is not part of the hvnet model",
                    on_value=True,
                )
                return None
        for key, value in item.items():
            if key in _ROUTE_EXTRAS:
                self.notes.add(value, _ROUTE_EXTRAS[key])
            elif key == "on-link" and boolean(value):
                self.notes.add(
                    value,
                    "on-link routes are not part of the hvnet model; the route is kept without it",
                )
            elif key not in ("to", "via", "metric", "table", "type", "on-link"):
                self.notes.add(value, f"route setting '{key}' is unknown to this importer")
        number = unsigned(metric) if metric is not None else None
        word = text(to).strip()
        if word == "default" or word in ("0.0.0.0/0", "::/0"):
            if gateway is None:
                self.notes.add(
                    item,
                    "a default route without 'via' cannot be expressed as an hvnet gateway",
                    on_value=True,
                )
                return None
            if word != "default" and (word == "::/0") != (gateway.version == 6):
                to.fail(f"IP family mismatch in route to {word}")
            if gateway.version in defaults:
                self.notes.add(
                    item,
                    f"a second default route on this link: the first one (via "
                    f"{defaults[gateway.version][0]}) is kept",
                    NoteKind.INCONSISTENT,
                    on_value=True,
                )
                return None
            if metric is not None:
                self.notes.add(
                    metric,
                    "hvnet's gateway has no metric; the default route is imported without it",
                )
            defaults[gateway.version] = (gateway, item)
            return None
        destination = prefix(to)
        if gateway is not None and gateway.version != destination.version:
            to.fail(f"IP family mismatch in route to {word}")
        if destination.ip != destination.network.network_address:
            self.notes.add(
                to,
                f"host bits of {word} ignored: the route is to {destination.network}",
                NoteKind.CONVERTED,
            )
        return Route(destination.network, gateway, number)
