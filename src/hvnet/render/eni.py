"""Render the host model as a Debian ``/etc/network/interfaces`` for classic ifupdown 0.8.

Target: ifupdown 0.8 + ifenslave 2.13 + vlan 2.0.5 + bridge-utils 1.7 (what Debian and Ubuntu
hosts run), such that ``ifup -a`` leaves the kernel exactly as the model says. Each choice below
follows what those hook scripts really do (``eni-dialects.md``, read against the scripts):

* For every stanza ifupdown runs, in order: ``pre-up`` lines, ``if-pre-up.d/*`` (bridge,
  ifenslave, vlan), the method's commands (addresses, ``mtu``, ``hwaddress``, link up,
  ``gateway``), ``up`` lines, ``if-up.d/*``. Before the first stanza of a name containing a dot,
  the core itself creates the VLAN ``RAW.VID`` (RAW = text before the first dot) if RAW exists.
* Several stanzas per interface run in file order, so everything about the *link* (bond, VLAN,
  bridge keywords, MTU, MAC, hooks) goes in its first stanza, which is always an ``inet`` one:
  ``inet6 static`` would apply ``mtu`` to the IPv6 MTU only.
* ``auto`` lines follow :meth:`Host.creation_order`: bonds before their VLANs, VLANs before
  the bridges that use them as ports (``auto`` order is bring-up order).

Only typed model values are emitted; a final guard refuses names outside a safe character set
and any line break inside a line, so nothing in a host file can inject a command here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Interface
from operator import itemgetter
from typing import Any

from hvnet.gcpause import without_gc
from hvnet.model import (
    Bond,
    Bridge,
    Host,
    IPAddress,
    Link,
    Method4,
    Method6,
    Nic,
    Route,
    Vlan,
    VlanProtocol,
)
from hvnet.options import BOND_OPTION_SPECS, BRIDGE_ENI_KEYWORDS, BridgeOptions

PATH = "etc/network/interfaces"
INDENT = "    "
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.@+-]+$")
SAFE_DOMAIN = re.compile(r"^[A-Za-z0-9_.-]+$")

#: Bond options ifenslave 2.13's if-pre-up.d hook writes to sysfs. It ignores every other
#: ``bond-*`` keyword (min_links and ad_actor_* have ifupdown2 keywords only), so those and the
#: options without any keyword are set through iproute2 hook lines instead.
IFENSLAVE_OPTIONS = frozenset(
    {
        "mode",
        "miimon",
        "updelay",
        "downdelay",
        "use_carrier",
        "arp_interval",
        "arp_ip_target",
        "arp_validate",
        "primary",
        "primary_reselect",
        "fail_over_mac",
        "xmit_hash_policy",
        "lacp_rate",
        "ad_select",
        "num_grat_arp",
        "packets_per_slave",
        "tlb_dynamic_lb",
    }
)
#: Hook options needing ``miimon`` already set (the kernel refuses them while miimon is 0);
#: ifenslave writes miimon only in if-pre-up.d, so these go in an ``up`` line.
LATE_BOND_OPTIONS = frozenset({"peer_notif_delay"})
#: iproute2's spelling where it differs from the sysfs/model name.
_IP_BOND_KEYWORD = {"peer_notif_delay": "peer_notify_delay"}

#: Every option keyword this renderer can emit (tests check rendered files against it).
KEYWORDS = frozenset(
    {"address", "gateway", "mtu", "hwaddress", "autoconf", "pre-up", "up", "down", "post-down"}
    | {"dns-nameservers", "dns-search", "vlan-raw-device", "bond-slaves"}
    | {"hvnet-separate-switches"}
    | {spec.eni for f, spec in BOND_OPTION_SPECS.items() if f in IFENSLAVE_OPTIONS and spec.eni}
    | set(BRIDGE_ENI_KEYWORDS.values())
    | {"bridge-ports", "bridge-portprio", "bridge-pathcost"}
)


#: Output order inside a stanza: address, gateway, link settings, link-kind keywords, DNS,
#: then hook lines (a stable sort keeps hook lines in the order they were added).
_HOOKS = ("#", "pre-up", "up", "down", "post-down")
_RANK = {"address": 0, "gateway": 1, "autoconf": 1, "mtu": 2, "hwaddress": 2}
_RANK |= {"dns-nameservers": 4, "dns-search": 4} | dict.fromkeys(_HOOKS, 5)


@dataclass(slots=True)
class _Stanza:
    family: str  # inet | inet6
    method: str
    #: (rank, keyword, value): the rank is looked up once, when the line is added
    options: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, keyword: str, value: str) -> None:
        """Add an option line; keyword "#" adds an indented comment."""
        self.options.append((_RANK.get(keyword, 3), keyword, value))  # 3: bond-*, vlan-*, ...

    def extend(self, lines: _Lines) -> None:
        """Add option lines made once and shared (see :func:`_bridge_lines`)."""
        self.options.extend(lines)

    def has(self, keyword: str) -> bool:
        return any(k == keyword for _, k, _ in self.options)

    def lines(self, name: str) -> list[str]:
        ordered = sorted(self.options, key=_by_rank)  # stable: hook lines keep their order
        return [f"iface {name} {self.family} {self.method}"] + [
            f"{INDENT}{key} {value}" for _, key, value in ordered
        ]


_by_rank = itemgetter(0)
#: option lines made once and shared between stanzas
_Lines = tuple[tuple[int, str, str], ...]


def render(host: Host) -> dict[str, str]:
    """``{"etc/network/interfaces": text}`` for *host* (see the module docstring)."""
    return {PATH: render_text(host)}


@without_gc
def render_text(host: Host) -> str:
    """The interfaces file as one string, ending with a newline."""
    masters = host.upper_of()
    bond_of = {s: b.name for b in host.bonds for s in b.slaves}
    shared: dict[int, _Lines] = {}
    plans = {name: _plan_link(host.links[name], bond_of, shared) for name in host.creation_order()}
    _place_dns(host, plans)
    lines = [
        "# /etc/network/interfaces for host " + (host.hostname or "(unnamed)"),
        "# Generated by hvnet from its host file: do not edit, changes are overwritten.",
        "# Target: ifupdown 0.8 with the ifenslave, vlan and bridge-utils hooks.",
        "",
        "auto lo",
        "iface lo inet loopback",
    ]
    for name, stanzas in plans.items():
        link = host.links[name]
        lines.append("")
        if name in bond_of:
            # Slave style: the master's bond-slaves list enslaves it (ifenslave's recommended
            # form). No "auto": nothing may bring the NIC up before the bond enslaves it, and
            # no bond-master line: that would make the slave's own hook set it down again.
            # "allow-BOND" lets ifenslave's "ifup --allow BOND SLAVE" record it as configured,
            # so "ifdown BOND" releases it through ifupdown.
            lines.append(f"# slave of {bond_of[name]}: enslaved by its bond-slaves line")
            lines.append(f"allow-{bond_of[name]} {name}")
        else:
            if name in masters:
                lines.append(f"# port of bridge {masters[name]}")
            lines.append(f"auto {name}")
        if "." in name and not isinstance(link, Vlan):
            # ifupdown's core reads any dotted name as RAW.VID and creates that VLAN first.
            lines.append(f"# warning: ifupdown 0.8 takes {name} for a VLAN; rename it (no dot)")
        if isinstance(link, Nic) and link.match_mac:
            lines.append(f"# matched by permanent MAC {link.match_mac} (not renamed by this file)")
        for stanza in stanzas:
            lines.extend(stanza.lines(name))
    _guard(host)
    text = "\n".join(lines) + "\n"
    if "\r" in text or text.count("\n") != len(lines):
        bad = next(line for line in lines if "\n" in line or "\r" in line)
        raise ValueError(f"line break inside rendered line {bad!r}")
    return text


def _plan_link(link: Link, bond_of: dict[str, str], shared: dict[int, _Lines]) -> list[_Stanza]:
    """The stanzas of one link: address stanzas, link configuration in the first one."""
    stanzas = _address_stanzas(link)
    first = stanzas[0]
    if link.mtu is not None:
        if first.method == "dhcp":  # the dhcp method ignores mtu: set it once the link is up
            first.add("up", f"ip link set dev {link.name} mtu {link.mtu}")
        else:
            first.add("mtu", str(link.mtu))
    if link.mac:
        first.add("hwaddress", link.mac)
    if isinstance(link, Bond):
        _bond(link, first)
    elif isinstance(link, Vlan):
        _vlan(link, first)
    elif isinstance(link, Bridge):
        _bridge(link, first, shared)
    if not link.has_host_address and link.name not in bond_of:
        _isolate(link, first)
    _gateways_and_routes(link, stanzas)
    return stanzas


def _address_stanzas(link: Link) -> list[_Stanza]:
    """One stanza per IPv4 and IPv6 address, plus DHCP/SLAAC stanzas; IPv4 first.

    ifupdown 0.8 takes a single ``address`` per stanza (a repeated one is joined with a
    newline and breaks ``ip addr add``), so further addresses get stanzas of their own.
    """
    if not link.addresses and link.method is Method4.MANUAL and link.method6 is Method6.MANUAL:
        return [_Stanza("inet", "manual")]  # most links of a large host: no layer 3 at all
    v4 = [a for a in link.addresses if isinstance(a, IPv4Interface)]
    v6 = [a for a in link.addresses if isinstance(a, IPv6Interface)]
    stanzas: list[_Stanza] = []
    if link.method is Method4.DHCP:
        stanzas.append(_Stanza("inet", "dhcp"))
    for address4 in v4:
        stanzas.append(_Stanza("inet", "static", [(0, "address", address4.with_prefixlen)]))
    if not stanzas:
        stanzas.append(_Stanza("inet", "manual"))
    if link.method6 is Method6.DHCP:
        stanzas.append(_Stanza("inet6", "dhcp"))
    elif link.method6 is Method6.AUTO:
        stanzas.append(_Stanza("inet6", "auto"))
    for address in v6:
        stanza = _Stanza("inet6", "static", [(0, "address", address.with_prefixlen)])
        if link.method6 is Method6.AUTO:  # inet6 static turns SLAAC off unless told otherwise
            stanza.add("autoconf", "1")
        stanzas.append(stanza)
    return stanzas


def _bond(bond: Bond, first: _Stanza) -> None:
    """Bond keywords for ifenslave, and iproute2 hooks for the options it does not know.

    Hook timing: ``pre-up`` lines run *before* if-pre-up.d/ifenslave. So a pre-up creates the
    bond (unless the bonding module already made it) and sets mode plus the options ifenslave
    ignores while the bond is still down and empty, which down-only options (lacp_active,
    ad_user_port_key) require and which keeps LACP from renegotiating later. ifenslave then
    finds the bond, writes its own options (rewriting the same mode resets none of ours) and
    enslaves. Options that need miimon already set go in an ``up`` line, after ifenslave.
    """
    options = bond.options
    first.add("bond-slaves", " ".join(bond.slaves) if bond.slaves else "none")
    if bond.separate_switches:
        # Not a kernel setting: hvnet's own marker, so import(render(model)) keeps it.
        # ifupdown only exports unknown options to the hooks' environment; nothing reads it.
        first.add("hvnet-separate-switches", "yes")
    early: list[str] = []
    late: list[str] = []
    for name, spec in BOND_OPTION_SPECS.items():
        value = getattr(options, name)
        if value is None or value == ():
            continue
        if name in IFENSLAVE_OPTIONS and spec.eni:
            first.add(spec.eni, _sysfs_value(value))
        else:
            words = f"{_IP_BOND_KEYWORD.get(name, name)} {_ip_value(name, value)}"
            (late if name in LATE_BOND_OPTIONS else early).append(words)
    if early:
        sysfs = f"/sys/class/net/{bond.name}"
        first.add("pre-up", f"test -d {sysfs} || ip link add dev {bond.name} type bond")
        mode = options.mode.value
        first.add("pre-up", f"ip link set dev {bond.name} type bond mode {mode} {' '.join(early)}")
    if late:
        first.add("up", f"ip link set dev {bond.name} type bond {' '.join(late)}")


def _sysfs_value(value: Any) -> str:
    """The text ifenslave writes verbatim to sysfs: names for enums, 0/1 for booleans."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):  # arp_ip_target: space separated, ifenslave adds the "+"
        return " ".join(str(v) for v in value)
    return str(getattr(value, "value", value))


def _ip_value(name: str, value: Any) -> str:
    """The text iproute2's ``type bond`` arguments expect."""
    if name == "lacp_active":
        return "on" if value else "off"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):  # ns_ip6_target: comma separated
        return ",".join(str(v) for v in value)
    return str(getattr(value, "value", value))


def vlan_hook_name(name: str, raw_device: str) -> tuple[str, int] | None:
    """(device name, VID) the vlan package's if-pre-up.d hook creates for stanza *name*.

    A transcription of /etc/network/if-pre-up.d/vlan (vlan 2.0.5) given ``vlan-raw-device``,
    its shell globs and sed expressions included: None when the hook ignores the name or
    would derive a non-numeric VID.
    """
    if ":" in name:
        return None
    raw = raw_device
    if name.startswith("vlan"):
        vid_text = _VL_VLAN_PREFIX.sub("", name, count=1)
        template = "vlan{:04d}" if name.startswith("vlan0") else "vlan{}"
    elif "." in name and _VL_KNOWN_GLOB.match(name):
        vid_text = name
        for pattern in _VL_VID_SEDS:
            vid_text = pattern.sub("", vid_text)
        raw = name  # the hook overrides vlan-raw-device with what its seds find in the name
        for pattern in _VL_RAW_SEDS:
            raw = pattern.sub(r"\1", raw, count=1)
        template = "{raw}.{:04d}" if ".0" in name else "{raw}.{}"
    elif "." in name:
        vid_text = _VL_ANY_VID.sub("", name)
        template = "{raw}.{:04d}" if ".0" in name else "{raw}.{}"
    else:
        return None
    if not vid_text.isdigit():
        return None
    vid = int(vid_text)
    return template.format(vid, raw=raw), vid


#: The vlan hook's sed patterns for raw devices it recognises in ``RAW.VID`` names.
_VL_PREFIXES = (
    r"eth[0-9][0-9]*",
    r"bond[0-9][0-9]*",
    r"wlan[0-9][0-9]*",
    r"em[0-9][0-9]*",
    r"p[0-9][0-9]*(?:p[0-9][0-9]*)?(?:_[0-9][0-9]*)?",
)
_VL_KNOWN_GLOB = re.compile(r"(eth|bond|wlan|em|p[0-9])")
_VL_PARENT = re.compile("|".join(_VL_PREFIXES))
_VL_VID_SEDS = tuple(re.compile(prefix + r"\.0*") for prefix in _VL_PREFIXES)
_VL_RAW_SEDS = tuple(re.compile(rf"({prefix})\..*") for prefix in _VL_PREFIXES)
_VL_VLAN_PREFIX = re.compile(r"vlan0*")
_VL_ANY_VID = re.compile(r"[^.]*\.0*")


def vlan_is_native(vlan: Vlan) -> bool:
    """Whether ``vlan-raw-device`` alone makes the vlan hook (and ifupdown's core, for dotted
    names) create exactly this VLAN: 802.1Q, and a name the hook derives back to
    (parent, vid): ``vlanVID``, ``vlan0VID`` (4 digits) or ``PARENT.VID`` (unpadded)."""
    if vlan.protocol is not VlanProtocol.DOT1Q:
        return False
    if vlan.name in (f"vlan{vlan.vid}", f"vlan{vlan.vid:04d}"):
        return True  # the hook's vlan*/vlan0* branches: exact for any VID 1-4094
    if vlan.name != f"{vlan.parent}.{vlan.vid}" or "." in vlan.parent:
        return False
    if _VL_PARENT.fullmatch(vlan.parent) or not (
        _VL_KNOWN_GLOB.match(vlan.name) or vlan.name.startswith("vlan")
    ):
        return True  # shortcut, same answer as the transcription (a test checks this)
    return vlan_hook_name(vlan.name, vlan.parent) == (vlan.name, vlan.vid)


def _vlan(vlan: Vlan, first: _Stanza) -> None:
    """Native ``vlan-raw-device`` where the hook names it right, else explicit iproute2 lines.

    For a dotted fallback name (802.1ad ``bond0.100``, ``a.b.c``), ifupdown's core may already
    have created an 802.1Q VLAN from the name before any pre-up runs, so it is deleted first.
    """
    if vlan_is_native(vlan):
        first.add("vlan-raw-device", vlan.parent)
        return
    if "." in vlan.name:
        first.add("pre-up", f"ip link del dev {vlan.name} 2>/dev/null || true")
    protocol = " protocol 802.1ad" if vlan.protocol is VlanProtocol.DOT1AD else ""
    first.add(
        "pre-up",
        f"ip link add link {vlan.parent} name {vlan.name} type vlan id {vlan.vid}{protocol}",
    )
    first.add("post-down", f"ip link del dev {vlan.name}")


def _bridge(bridge: Bridge, first: _Stanza, shared: dict[int, _Lines]) -> None:
    """bridge-utils keywords; port priority/cost beyond the first port as ``up`` lines.

    The hook passes ``bridge-portprio``/``bridge-pathcost`` to one brctl call each, and
    ifupdown joins a repeated option with a newline, which breaks that call. So the keyword
    carries the first port with a setting; further ports are set once the hook has added them
    (``up`` runs after if-pre-up.d/bridge) with ``ip link set ... type bridge_slave``.
    The option lines are made once per options object (*shared*, by id): thousands of
    network bridges usually share the host's bridge defaults.
    """
    first.add("bridge-ports", " ".join(bridge.port_names) if bridge.ports else "none")
    lines = shared.get(id(bridge.options))
    if lines is None:
        lines = shared[id(bridge.options)] = _bridge_option_lines(bridge.options)
    first.extend(lines)
    if all(p.priority is None and p.cost is None for p in bridge.ports):
        return
    for attr, keyword, ip_word in (
        ("priority", "bridge-portprio", "priority"),
        ("cost", "bridge-pathcost", "cost"),
    ):
        with_value = [p for p in bridge.ports if getattr(p, attr) is not None]
        if with_value:
            first.add(keyword, f"{with_value[0].name} {getattr(with_value[0], attr)}")
        for port in with_value[1:]:
            value = getattr(port, attr)
            first.add("up", f"ip link set dev {port.name} type bridge_slave {ip_word} {value}")


def _bridge_option_lines(options: BridgeOptions) -> _Lines:
    """The bridge-* option lines for one set of bridge options, ranked like _Stanza.add."""
    made = _Stanza("inet", "manual")
    for name, keyword in BRIDGE_ENI_KEYWORDS.items():
        value = getattr(options, name)
        if value is None:
            continue
        if name == "stp":
            text = "on" if value else "off"
        elif name == "vlan_filtering":
            text = "yes" if value else "no"
        elif isinstance(value, float):
            text = format_seconds(value)
        else:
            text = str(value)
        made.add(keyword, text)
    return tuple(made.options)


def format_seconds(value: float) -> str:
    """Seconds as brctl reads them: ``15`` rather than ``15.0``, fractions kept."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _isolate(link: Link, first: _Stanza) -> None:
    """Keep the host unreachable from a link that carries no host address.

    A link that is up gets an IPv6 link-local address (and sends DAD/RS), and with the default
    arp_ignore the host answers ARP on it for its addresses on *other* links; an IPv4 packet
    sent to the link's MAC would be accepted under loose reverse-path filtering. So: IPv6 off,
    arp_ignore 8 (never answer), rp_filter 1 (strict). This covers bridges that only switch
    guests, a bond that only carries VLANs (it gets a link-local address as soon as it is up)
    and bridge ports: they come up in their own stanza before bridge-utils sets addrgenmode
    none, which does not remove the address they already have. Bond slaves are left alone:
    the kernel gives IFF_SLAVE devices no IPv6 addresses. sysctl with slash notation because
    names contain dots; ``-e`` so a kernel without IPv6 does not fail the interface.
    """
    name = link.name
    first.add("#", "no host address: IPv6 off, no ARP answers, strict rp_filter")
    first.add(
        "up",
        f"sysctl -q -e -w net/ipv6/conf/{name}/disable_ipv6=1 "
        f"net/ipv4/conf/{name}/arp_ignore=8 net/ipv4/conf/{name}/rp_filter=1",
    )


def _gateways_and_routes(link: Link, stanzas: list[_Stanza]) -> None:
    """``gateway`` on the first static stanza of its family, else hook lines; routes after the
    last stanza of their family, when every address they may depend on exists."""
    if link.gateway is None and link.gateway6 is None and not link.routes:
        return
    v4 = [s for s in stanzas if s.family == "inet"]
    v6 = [s for s in stanzas if s.family == "inet6"] or v4
    if link.gateway is not None:
        _gateway(link.name, link.gateway, v4, "ip route")
    if link.gateway6 is not None:
        _gateway(link.name, link.gateway6, v6, "ip -6 route")
    for route in link.routes:
        ipv4 = isinstance(route.to, IPv4Network)
        target = (v4 if ipv4 else v6)[-1]
        command = _route_args(route, link.name)
        tool = "ip route" if ipv4 else "ip -6 route"
        target.add("up", f"{tool} add {command}")
        target.add("down", f"{tool} del {command}")


def _gateway(name: str, gateway: IPAddress, stanzas: list[_Stanza], tool: str) -> None:
    family = "inet" if isinstance(gateway, IPv4Address) else "inet6"
    static = [s for s in stanzas if s.method == "static" and s.family == family]
    if static:
        static[0].add("gateway", str(gateway))
        return
    stanzas[-1].add("up", f"{tool} add default via {gateway} dev {name}")
    stanzas[-1].add("down", f"{tool} del default via {gateway} dev {name}")


def _route_args(route: Route, dev: str) -> str:
    via = f" via {route.via}" if route.via is not None else ""
    metric = f" metric {route.metric}" if route.metric is not None else ""
    return f"{route.to}{via} dev {dev}{metric}"


def _place_dns(host: Host, plans: dict[str, list[_Stanza]]) -> None:
    """``dns-*`` on the stanza with the default gateway, else the first static one, else the
    first stanza that configures an address (resolvconf/resolved hooks read any stanza)."""
    dns = host.dns
    if not dns.nameservers and not dns.search:
        return
    all_stanzas = [s for stanzas in plans.values() for s in stanzas]
    target = next((s for s in all_stanzas if s.has("gateway")), None)
    target = target or next((s for s in all_stanzas if s.method == "static"), None)
    target = target or next((s for s in all_stanzas if s.method in ("dhcp", "auto")), None)
    target = target or next(iter(all_stanzas), None)  # resolvconf's hook reads any stanza
    if target is None:
        return
    if dns.nameservers:
        target.add("dns-nameservers", " ".join(str(a) for a in dns.nameservers))
    if dns.search:
        target.add("dns-search", " ".join(dns.search))


def _guard(host: Host) -> None:
    """Defense in depth: names are validated upstream, but never emit an unsafe one."""
    names: set[str] = set()
    for link in host.links.values():
        names.add(link.name)
        names.update(link.lower_names())
        if isinstance(link, Bond) and link.options.primary:
            names.add(link.options.primary)
    for name in names:
        if not SAFE_NAME.match(name):
            raise ValueError(f"unsafe interface name {name!r}")
    for domain in host.dns.search:
        if not SAFE_DOMAIN.match(domain):
            raise ValueError(f"unsafe DNS search domain {domain!r}")
