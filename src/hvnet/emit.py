"""Write a resolved host back as an hvnet config file (for ``import`` and ``capture``).

The inverse of :mod:`hvnet.resolve`: a VLAN whose only role is to be the single uplink of a
bridge becomes a ``networks`` entry, naming templates are chosen to fit the most networks
(entries that do not fit get ``vlan_name``/``bridge_name``), and bridge options shared by all
network bridges move to ``defaults.bridge``. Everything else is written as explicit entries.
The contract, checked by tests: ``resolve(load(emit(host))).links == host.links``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from hvnet.model import (
    Bond,
    Bridge,
    BridgePort,
    Host,
    Link,
    Method4,
    Method6,
    Nic,
    Vlan,
    VlanProtocol,
)
from hvnet.options import BondOptions, BridgeOptions
from hvnet.resolve import expand_template

VLAN_TEMPLATES = ("{parent}.{vid}", "vlan{vid}", "{parent}.{vid:04d}", "vlan{vid:04d}")
BRIDGE_TEMPLATES = ("br{vid}", "vlan{vid}", "vmbr{vid}", "br{parent}.{vid}", "br-{network}")


def _l3(link: Link) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if link.addresses:
        out["addresses"] = [str(a) for a in link.addresses]
    has_v4 = any(a.version == 4 for a in link.addresses)
    has_v6 = any(a.version == 6 for a in link.addresses)
    if link.method is not (Method4.STATIC if has_v4 else Method4.MANUAL):
        out["method"] = link.method.value
    if link.method6 is not (Method6.STATIC if has_v6 else Method6.MANUAL):
        out["method6"] = link.method6.value
    if link.gateway:
        out["gateway"] = str(link.gateway)
    if link.gateway6:
        out["gateway6"] = str(link.gateway6)
    if link.routes:
        out["routes"] = [
            {
                k: v
                for k, v in (("to", str(r.to)), ("via", r.via and str(r.via)), ("metric", r.metric))
                if v is not None
            }
            for r in link.routes
        ]
    if link.mtu is not None:
        out["mtu"] = link.mtu
    if link.mac:
        out["mac"] = link.mac
    return out


def _options(options: BondOptions | BridgeOptions, keep_mode: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in options.model_dump(mode="json", exclude_none=True).items():
        if value == [] or (name == "mode" and not keep_mode):
            continue
        out[name] = int(value) if isinstance(value, float) and value.is_integer() else value
    if keep_mode:
        out["mode"] = options.model_dump(mode="json")["mode"]
    return out


def _ports(ports: tuple[BridgePort, ...]) -> list[Any]:
    return [
        p.name
        if p.priority is None and p.cost is None
        else {
            k: v
            for k, v in (("name", p.name), ("priority", p.priority), ("cost", p.cost))
            if v is not None
        }
        for p in ports
    ]


def _network_candidates(host: Host) -> dict[str, tuple[Bridge, Vlan | None]]:
    """Bridges that the ``networks`` shorthand can express, keyed by bridge name.

    A bridge qualifies when its first port is a VLAN with no settings of its own that no
    other link uses; further ports become ``extra_ports``. Untagged bridges stay explicit.
    """
    users = Counter(p for link in host.links.values() for p in link.lower_names())
    found: dict[str, tuple[Bridge, Vlan | None]] = {}
    for bridge in host.bridges:
        if not bridge.ports:
            continue
        first = host.links.get(bridge.ports[0].name)
        if bridge.ports[0].priority is not None or bridge.ports[0].cost is not None:
            continue
        if isinstance(first, Vlan) and users[first.name] == 1 and first.parent in host.links:
            bare = Vlan(
                name=first.name, vid=first.vid, parent=first.parent, protocol=first.protocol
            )
            if first == bare:
                found[bridge.name] = (bridge, first)
    return found


def _best_template(pairs: list[tuple[str, int, str, str]], templates: tuple[str, ...]) -> str:
    """The template that reproduces the most (name, vid, parent, network) tuples."""
    scores = {
        t: sum(expand_template(t, vid, parent, net) == name for name, vid, parent, net in pairs)
        for t in templates
    }
    return max(templates, key=lambda t: (scores[t], -templates.index(t)))


def _network_name(host: Host, bridge: Bridge, vlan: Vlan | None, taken: set[str]) -> str:
    known = [name for name, net in host.networks.items() if net.bridge == bridge.name]
    base = known[0] if known else (bridge.name if vlan is None else f"vlan{vlan.vid}")
    name = base if base not in taken else bridge.name
    while name in taken:
        name += "_"
    return name


def host_to_document(host: Host) -> dict[str, Any]:
    """The config document (plain data) that describes *host*."""
    doc: dict[str, Any] = {"version": 1}
    if host.hostname:
        doc["hostname"] = host.hostname
    candidates = _network_candidates(host)
    names: dict[str, str] = {}
    taken: set[str] = set()
    for bridge_name, (bridge, vlan) in candidates.items():
        names[bridge_name] = _network_name(host, bridge, vlan, taken)
        taken.add(names[bridge_name])

    vlan_pairs = [(v.name, v.vid, v.parent, names[b]) for b, (_, v) in candidates.items() if v]
    bridge_pairs = [(b, v.vid, v.parent, names[b]) for b, (_, v) in candidates.items() if v]
    naming = {
        "vlan": _best_template(vlan_pairs, VLAN_TEMPLATES),
        "bridge": _best_template(bridge_pairs, BRIDGE_TEMPLATES),
    }
    if candidates:
        doc["naming"] = naming

    common = _common_bridge_options([b for b, _ in candidates.values()])
    if common:
        doc["defaults"] = {"bridge": common}

    sections: dict[str, dict[str, Any]] = {"nics": {}, "bonds": {}, "vlans": {}, "bridges": {}}
    handled = {v.name for _, v in candidates.values() if v} | set(candidates)
    for link in host.links.values():
        if link.name in handled:
            continue
        entry = _l3(link)
        if isinstance(link, Nic):
            if link.match_mac:
                entry["match"] = {"mac": link.match_mac}
            sections["nics"][link.name] = entry
        elif isinstance(link, Bond):
            sections["bonds"][link.name] = {
                "slaves": list(link.slaves),
                **_options(link.options, keep_mode=True),
                **({"separate_switches": True} if link.separate_switches else {}),
                **entry,
            }
        elif isinstance(link, Vlan):
            protocol = (
                {} if link.protocol is VlanProtocol.DOT1Q else {"protocol": link.protocol.value}
            )
            sections["vlans"][link.name] = {
                "id": link.vid,
                "link": link.parent,
                **protocol,
                **entry,
            }
        elif isinstance(link, Bridge):
            sections["bridges"][link.name] = {
                "ports": _ports(link.ports),
                **_options(link.options),
                **entry,
            }
    doc.update({k: v for k, v in sections.items() if v})

    networks: dict[str, Any] = {}
    for bridge_name, (bridge, vlan) in candidates.items():
        assert vlan is not None
        net: dict[str, Any] = {"vlan": vlan.vid, "on": vlan.parent}
        if vlan.protocol is not VlanProtocol.DOT1Q:
            net["protocol"] = vlan.protocol.value
        network = names[bridge_name]
        if expand_template(naming["vlan"], vlan.vid, vlan.parent, network) != vlan.name:
            net["vlan_name"] = vlan.name
        if expand_template(naming["bridge"], vlan.vid, vlan.parent, network) != bridge_name:
            net["bridge_name"] = bridge_name
        if len(bridge.ports) > 1:
            net["extra_ports"] = _ports(bridge.ports[1:])
        own = _options(bridge.options)
        net.update({k: v for k, v in own.items() if common.get(k) != v})
        net.update(_l3(bridge))
        networks[network] = net
    if networks:
        doc["networks"] = networks

    if host.dns.nameservers or host.dns.search:
        doc["dns"] = {
            k: v
            for k, v in (
                ("nameservers", [str(n) for n in host.dns.nameservers]),
                ("search", list(host.dns.search)),
            )
            if v
        }
    bridge_to_network = {n.bridge: name for name, n in host.networks.items()}
    bridge_to_network.update({b: names[b] for b in candidates})
    if host.guests:
        doc["guests"] = {
            g.name: {
                "type": g.kind.value,
                "nics": [
                    {
                        k: v
                        for k, v in (
                            ("network", bridge_to_network.get(n.bridge or "", n.network)),
                            ("mac", n.mac),
                            ("model", n.model),
                        )
                        if v is not None
                    }
                    for n in g.nics
                ],
            }
            for g in host.guests
        }
    return doc


def _common_bridge_options(bridges: list[Bridge]) -> dict[str, Any]:
    if len(bridges) < 2:
        return {}
    dumps = [_options(b.options) for b in bridges]
    return {k: v for k, v in dumps[0].items() if all(d.get(k) == v for d in dumps[1:])}


class _Dumper(yaml.SafeDumper):
    """Block style for sections, flow style for short leaf mappings and lists."""


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = (
        bool(data) and all(not isinstance(v, dict | list) for v in data.values()) and len(data) <= 4
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, dict | list) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def emit_yaml(host: Host, header: str = "") -> str:
    """The host as hvnet config YAML text, with an optional comment header."""
    body = yaml.dump(
        host_to_document(host), Dumper=_Dumper, sort_keys=False, width=100, default_flow_style=False
    )
    lines = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return lines + body
