"""Command options (``pre-up``, ``up``, ``post-up``, ``down``, …) turned into model facts.

Two sources of commands matter (eni-dialects.md §6): hosts that build bridges, bonds and VLANs
imperatively (``pre-up brctl addbr xenbr0``, ``ifenslave bond0 eth0``, ``ip link add link eth0
name eth0.5 type vlan id 5``), and hvnet's own ENI renderer, which writes hook lines for what
the hook scripts cannot say (iproute2 bond options, a 802.1ad VLAN, a route, a bridge-port
priority beyond the first, the isolation sysctl of an address-less link). Both are recognised
here, so ``import(render(model)) == model`` holds and imperative hosts get real objects.

A command line is converted as a whole or not at all: every simple command of the line must be
recognised and only ``;``/``&&`` may join them (after ``||`` a command runs only on failure),
otherwise the line is reported with the reason and kept as a comment. Teardown commands (in
``down``/``post-down``) are accepted when they undo something the model creates, since hvnet
tears down what it creates; they are checked once the model is complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv6Interface, ip_address, ip_interface, ip_network
from typing import Any

from hvnet.eni import commands as cmd
from hvnet.eni.syntax import Option
from hvnet.importers.eni_l2 import bond_value, check_bond, check_bridge
from hvnet.importers.eni_l3 import MAC, mask_prefix
from hvnet.model import LinkKind, Route, VlanProtocol
from hvnet.options import BOND_OPTION_SPECS

DOWN_OPTIONS = frozenset({"down", "pre-down", "post-down"})

_ISOLATE = re.compile(
    r"sysctl -q -e -w net/ipv6/conf/(\S+)/disable_ipv6=1 "
    r"net/ipv4/conf/\1/arp_ignore=8 net/ipv4/conf/\1/rp_filter=1"
)
_BOND_CREATE = re.compile(r"test -d /sys/class/net/(\S+) \|\| ip link add dev \1 type bond")
_VLAN_PRE_DELETE = re.compile(r"ip link del dev (\S+) 2>/dev/null \|\| true")
_ROUTE = re.compile(
    r"ip (?:(-6|-4) )?route (add|del|replace) (\S+)(?: via (\S+))?(?: dev (\S+))?"
    r"(?: metric (\d+))?"
)
_BRIDGE_SLAVE = re.compile(r"ip link set dev (\S+) type bridge_slave (priority|cost) (\d+)")

#: brctl verbs and sysfs/iproute2 names of bridge settings → (field, divisor to seconds).
_BRIDGE_NATIVE: dict[tuple[str, str], tuple[str, float]] = {
    ("brctl", "fd"): ("forward_delay", 1),
    ("brctl", "hello"): ("hello_time", 1),
    ("brctl", "maxage"): ("max_age", 1),
    ("brctl", "ageing"): ("ageing", 1),
    ("brctl", "bridgeprio"): ("priority", 0),
    ("sysfs", "forward_delay"): ("forward_delay", 100),
    ("sysfs", "hello_time"): ("hello_time", 100),
    ("sysfs", "max_age"): ("max_age", 100),
    ("sysfs", "ageing_time"): ("ageing", 100),
    ("sysfs", "priority"): ("priority", 0),
    ("sysfs", "stp_state"): ("stp", -1),
    ("sysfs", "vlan_filtering"): ("vlan_filtering", -1),
}
#: iproute2 spellings of bond options that differ from the model's field names.
_IP_BOND_NAMES = {"peer_notify_delay": "peer_notif_delay", "num_peer_notif": "num_grat_arp"}


@dataclass(frozen=True, slots=True)
class Action:
    """One model fact taken from a command; ``name`` is the interface it is about."""

    what: str  # kind vlan port slave master bond bridge portset mtu mac address route
    #            gateway isolate teardown implied
    name: str
    value: Any = None
    extra: Any = None


class NotConverted(Exception):
    """A command line that cannot be converted; the message is the reason."""


def interpret(option: Option, iface: str) -> list[Action]:
    """The actions of one command option of the stanza of ``iface``; NotConverted if none."""
    value = " ".join(option.value_without_comment.split())
    down = option.canonical in DOWN_OPTIONS
    own = _renderer_line(value, iface, down)
    if own is not None:
        return own
    commands = cmd.parse_commands(option.value_without_comment, iface)
    if not commands:
        raise NotConverted("empty command")
    for command in commands:
        if command.operator not in ("", ";", "&&"):
            raise NotConverted(f"'{command.operator}' makes the command conditional")
    actions: list[Action] = []
    for command in commands:
        route = _route(" ".join(command.argv), iface, down)
        if route is not None:
            actions.extend(route)
            continue
        for fact in command.facts:
            if isinstance(fact, cmd.Other):
                raise NotConverted(_other_reason(fact, command.argv, len(commands) > 1))
            actions.extend(_teardown(fact) if down else _fact(fact))
    return actions


_PROGRAM_REASONS = {
    ("iptables", "ip6tables", "nft", "ebtables", "arptables", "iptables-restore"): (
        "firewall rules are not part of the hvnet model"
    ),
    ("sysctl",): "kernel settings (sysctl) are not part of the hvnet model",
    ("wpa_supplicant", "iw", "iwconfig"): "Wi-Fi settings are not part of the hvnet model",
    ("ethtool",): "NIC offload and driver settings are not part of the hvnet model",
    ("tc",): "traffic control is not part of the hvnet model",
}


def _other_reason(fact: cmd.Other, argv: tuple[str, ...], chained: bool) -> str:
    """Why a command is kept as it is: by program where it is obvious, else the parser's."""
    program = argv[0].rsplit("/", 1)[-1] if argv else ""
    reason = next((r for names, r in _PROGRAM_REASONS.items() if program in names), None)
    if reason is None and program == "echo" and "/proc/sys/" in fact.text:
        reason = _PROGRAM_REASONS[("sysctl",)]
    if reason is None:
        reason = f"{fact.reason}: {program}" if program else fact.reason
    return f"{reason} ({fact.text})" if chained else reason


def _renderer_line(value: str, iface: str, down: bool) -> list[Action] | None:
    """The hook lines hvnet's ENI renderer writes that the generic path does not cover."""
    match = _ISOLATE.fullmatch(value)
    if match and not down:
        return [Action("isolate", match.group(1))]
    match = _BOND_CREATE.fullmatch(value)
    if match and not down:
        return [Action("kind", match.group(1), LinkKind.BOND)]
    match = _VLAN_PRE_DELETE.fullmatch(value)
    if match and not down:
        return [Action("teardown", match.group(1), LinkKind.VLAN)]
    match = _BRIDGE_SLAVE.fullmatch(value)
    if match and not down:
        return [Action("portset", match.group(1), match.group(2), int(match.group(3)))]
    return None


def _route(text: str, iface: str, down: bool) -> list[Action] | None:
    match = _ROUTE.fullmatch(text)
    if match is None:
        return None
    family, verb, to, via, dev, metric = match.groups()
    if (verb == "del") != down:
        raise NotConverted(f"'route {verb}' in a {'down' if down else 'up'} command")
    try:
        gateway = ip_address(via) if via else None
        if to == "default":
            if gateway is None or metric:
                raise NotConverted("a default route without 'via', or with a metric")
            if (gateway.version == 6) != (family == "-6"):
                raise NotConverted("the route's family does not match its gateway")
            return [Action("gateway", dev or iface, gateway, down)]
        network = ip_network(to if "/" in to else f"{to}/{128 if ':' in to else 32}")
    except ValueError as exc:
        raise NotConverted(str(exc)) from None
    if gateway is not None and gateway.version != network.version:
        raise NotConverted("the route's family does not match its gateway")
    route = Route(network, gateway, int(metric) if metric else None)
    return [Action("route", dev or iface, route, down)]


def _seconds(divisor: float, value: str) -> Any:
    """A native bridge value in model units: -1 marks booleans, 0 integers, else seconds."""
    if divisor == -1:
        if value not in ("0", "1", "2"):
            raise NotConverted(f"{value!r} is not 0 or 1")
        return value != "0"
    if divisor == 0:
        if not value.isdigit():
            raise NotConverted(f"{value!r} is not a whole number")
        return int(value)
    try:
        return float(value) / divisor
    except ValueError:
        raise NotConverted(f"{value!r} is not a number") from None


def _bridge_setting(bridge: str, native: str, option: str, value: str) -> Action:
    key = ("brctl" if native == "brctl" else "sysfs", option)
    if key not in _BRIDGE_NATIVE:
        raise NotConverted(f"bridge setting {option} is not part of the hvnet model")
    field, divisor = _BRIDGE_NATIVE[key]
    converted = _seconds(divisor, value)
    problem = check_bridge(field, converted)
    if problem:
        raise NotConverted(problem)
    return Action("bridge", bridge, field, converted)


def _bond_setting(bond: str, option: str, value: str, native: str) -> Action:
    field = _IP_BOND_NAMES.get(option, option)
    if native == "ifenslave" or field == "active_slave":
        raise NotConverted("the active slave is run-time state, not configuration")
    if native == "sysfs" and field in ("arp_ip_target", "ns_ip6_target"):
        value = value.lstrip("+")
    try:
        parsed = bond_value(field, value)
    except ValueError as exc:
        raise NotConverted(str(exc)) from None
    problem = (
        check_bond(field, parsed) if field in BOND_OPTION_SPECS else f"unknown option {option}"
    )
    if problem:
        raise NotConverted(problem)
    return Action("bond", bond, field, parsed)


def _fact(fact: cmd.Fact) -> list[Action]:
    if isinstance(fact, cmd.BridgeCreate):
        actions = [Action("kind", fact.name, LinkKind.BRIDGE)]
        for key, value in fact.options:
            actions.append(_bridge_setting(fact.name, "ip", key, value))
        return actions
    if isinstance(fact, cmd.BridgePortAdd):
        return [
            Action("kind", fact.bridge, LinkKind.BRIDGE),
            Action("port", fact.bridge, fact.port),
        ]
    if isinstance(fact, cmd.BridgeStp):
        return [Action("bridge", fact.bridge, "stp", fact.enabled)]
    if isinstance(fact, cmd.BridgeOptionSet):
        if fact.port is not None:
            attr = {"portprio": "priority", "pathcost": "cost"}.get(fact.option)
            if attr is None or not fact.value.isdigit():
                raise NotConverted(f"bridge-port setting {fact.option} is not part of the model")
            return [Action("portset", fact.port, attr, int(fact.value))]
        return [_bridge_setting(fact.bridge, fact.native, fact.option, fact.value)]
    if isinstance(fact, cmd.BondCreate):
        actions = [Action("kind", fact.name, LinkKind.BOND)]
        for key, value in fact.options:
            actions.append(_bond_setting(fact.name, key, value, "ip"))
        return actions
    if isinstance(fact, cmd.BondSlaveAdd):
        return [Action("kind", fact.bond, LinkKind.BOND), Action("slave", fact.bond, fact.slave)]
    if isinstance(fact, cmd.BondOptionSet):
        return [_bond_setting(fact.bond, fact.option, fact.value, fact.native)]
    if isinstance(fact, cmd.VlanCreate):
        if fact.options:
            raise NotConverted("VLAN settings beyond id and protocol are not part of the model")
        protocols = {None: VlanProtocol.DOT1Q, "802.1q": VlanProtocol.DOT1Q}
        protocols["802.1ad"] = VlanProtocol.DOT1AD
        protocol = protocols.get(fact.protocol.lower() if fact.protocol else None)
        if protocol is None or not 1 <= fact.vid <= 4094:
            raise NotConverted("VLAN protocol or id hvnet does not accept")
        return [Action("vlan", fact.name, (fact.parent, fact.vid, protocol))]
    if isinstance(fact, cmd.LinkSet):
        return _link_set(fact)
    if isinstance(fact, cmd.MasterSet):
        if fact.master is None:
            raise NotConverted("'nomaster' in an up command")
        return [Action("master", fact.port, fact.master)]
    if isinstance(fact, cmd.AddressAdd):
        return [Action("address", fact.name, _address(fact))]
    if isinstance(fact, cmd.AddressFlush):
        return [Action("implied", fact.name)]
    if isinstance(fact, cmd.LinkCreate):
        raise NotConverted(f"{fact.kind} devices are not part of the hvnet model")
    if isinstance(fact, cmd.BondModuleOptions):
        raise NotConverted("bonding module defaults: hvnet sets options per bond")
    raise NotConverted(f"{type(fact).__name__} in an up command")


def _link_set(fact: cmd.LinkSet) -> list[Action]:
    if fact.promisc is not None:
        raise NotConverted(
            "promiscuous mode is not part of the hvnet model (a bridge sets it on its ports)"
        )
    if fact.extra:
        raise NotConverted(f"link settings '{' '.join(fact.extra)}' are not part of the model")
    actions: list[Action] = []
    if fact.mtu is not None:
        if not 68 <= fact.mtu <= 65535:
            raise NotConverted(f"{fact.mtu} is not an MTU (68-65535)")
        actions.append(Action("mtu", fact.name, fact.mtu))
    if fact.mac is not None:
        if not MAC.match(fact.mac):
            raise NotConverted(f"{fact.mac!r} is not a MAC address")
        actions.append(Action("mac", fact.name, fact.mac))
    if fact.up is False:
        raise NotConverted("setting a link down in an up command")
    return actions or [Action("implied", fact.name)]


def _address(fact: cmd.AddressAdd) -> IPv4Interface | IPv6Interface:
    try:
        if fact.netmask is not None and "/" not in fact.address:
            prefix = mask_prefix(fact.netmask, 6 if ":" in fact.address else 4)
            if prefix is None:
                raise ValueError(f"netmask {fact.netmask!r}")
            return ip_interface(f"{fact.address}/{prefix}")
        if "/" not in fact.address:
            raise NotConverted(f"{fact.address} has no prefix length")
        return ip_interface(fact.address)
    except ValueError as exc:
        raise NotConverted(f"not an address: {exc}") from None


def _teardown(fact: cmd.Fact) -> list[Action]:
    """Facts of a down command: only undoing is accepted (checked against the model later)."""
    if isinstance(fact, cmd.BridgeDelete | cmd.BondDelete | cmd.LinkDelete):
        return [Action("teardown", fact.name)]
    if isinstance(fact, cmd.BridgePortRemove):
        return [Action("teardown", fact.port, "port", fact.bridge)]
    if isinstance(fact, cmd.BondSlaveRemove):
        return [Action("teardown", fact.slave, "slave", fact.bond)]
    if isinstance(fact, cmd.MasterSet) and fact.master is None:
        return [Action("teardown", fact.port, "nomaster")]
    if isinstance(fact, cmd.LinkSet) and fact.up is False and fact == cmd.LinkSet(fact.name, False):
        return [Action("teardown", fact.name, "down")]
    if isinstance(fact, cmd.AddressFlush):
        return [Action("teardown", fact.name, "flush")]
    raise NotConverted("a command run when the interface goes down that undoes nothing hvnet sets")
