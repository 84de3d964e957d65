"""``hvnet import --format netplan``: netplan v2 YAML (one file or several) → resolved host.

What netplan itself refuses (invalid YAML, no ``network:``, a version other than 2, a VLAN
without ``id``/``link`` or with an id above 4094, an interface enslaved twice, a malformed
address) raises :class:`ImportError_` at ``file:line:col``, in netplan's words. Everything
netplan accepts is imported; what the hvnet model cannot say becomes a NOT_CONVERTED note on
the line that says it, and every interpretation (STP defaults, DNS merged per host, a default
route turned into ``gateway``) a CONVERTED or INCONSISTENT note, so nothing is lost silently.

Netplan definitions are keyed by *ID*; for bonds, VLANs and bridges the ID is the interface
name, for ethernets it is only a label unless there is no ``match:`` (``set-name`` or a
concrete ``match: name`` gives the real name). References (``interfaces``, ``link``,
``primary``, ``port-priority``) are IDs and are translated to interface names here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import Any

from hvnet.importers import ImportError_, ImportNote, ImportResult, NoteKind
from hvnet.importers.netplan_l3 import L3Converter
from hvnet.importers.netplan_params import bond_options, bridge_options
from hvnet.importers.netplan_values import mac, text, unsigned
from hvnet.importers.netplan_yaml import Node, Notes, load_document, merge, netplan_order
from hvnet.model import Bond, Bridge, BridgePort, Host, Link, Nic, Vlan
from hvnet.options import BridgeOptions

SECTIONS = ("ethernets", "bonds", "vlans", "bridges")
#: Device types netplan knows and hvnet does not manage.
UNSUPPORTED_SECTIONS = (
    "wifis",
    "modems",
    "tunnels",
    "vrfs",
    "dummy-devices",
    "virtual-ethernets",
    "nm-devices",
)
_VALID_ID = re.compile(r"^[\x21-\x7e]+$")  # netplan: [[:alnum:][:punct:]]+
_GLOB = re.compile(r"[*?\[\]]")
_KIND = {"bonds": "bond", "bridges": "bridge"}


def import_netplan(paths: list[Path] | Path) -> ImportResult:
    """Import one netplan file, or several merged as ``netplan generate`` merges them."""
    sources: list[tuple[str, str]] = []
    for path in [paths] if isinstance(paths, Path) else [Path(p) for p in paths]:
        try:
            sources.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise ImportError_(str(path), 1, 1, f"cannot read file: {exc}") from exc
    return parse_netplan(sources)


def parse_netplan(sources: Sequence[tuple[str, str]]) -> ImportResult:
    """Import netplan YAML given as ``(file name, text)`` pairs (file names order them)."""
    if not sources:
        raise ImportError_("<netplan>", 1, 1, "no netplan file given")
    texts = dict(sources)  # a file given twice is read once, like netplan would
    notes = Notes({name: text_.splitlines() for name, text_ in texts.items()})
    order, shadowed = netplan_order(list(texts))
    for name, winner in shadowed.items():
        notes.items.append(
            ImportNote(name, 1, "", f"shadowed by {winner} (same file name): not read")
        )
    documents = [_load_file(name, texts[name], notes) for name in order]
    network = reduce(merge, documents).get("network")
    assert network is not None  # every file was checked to have one
    host = _Converter(notes).convert(network)
    rank = {name: i for i, name in enumerate(order)}
    ordered = sorted(notes.items, key=lambda n: (rank.get(n.file, -1), n.line))
    return ImportResult(host, ordered, "netplan")


def _load_file(name: str, source: str, notes: Notes) -> Node:
    """One file, checked for what netplan checks per file before any merging."""
    root, duplicates = load_document(source, name)
    for dup in duplicates:
        notes.items.append(
            ImportNote(
                dup.file,
                dup.line,
                notes.texts[dup.file][dup.line - 1].strip(),
                f"{dup.message}: the first one is used (netplan applies both in order)",
                NoteKind.INCONSISTENT,
            )
        )
    if not root.is_map:
        root.fail("expected a mapping with a 'network:' key")
    for key, node in root.items():
        if key != "network":
            notes.add(
                node,
                f"'{key}' is not netplan configuration (netplan reads 'network:' "
                "only; a cloud-init/curtin wrapper key?)",
            )
    network = root.get("network")
    if network is None:
        root.fail("no 'network:' mapping: not a netplan file")
    if not network.is_map:
        network.fail("expected mapping (check indentation)")
    version = network.get("version")
    if version is not None:
        digits = re.match(r"\s*(\d+)", text(version))
        if digits is None or int(digits.group(1)) != 2:
            version.fail("Only version 2 is supported")
    return root


@dataclass(slots=True)
class _Definition:
    section: str
    ident: str
    body: Node
    renderer: str | None


@dataclass(slots=True)
class _Converter:
    """Builds the host from the merged ``network:`` mapping."""

    notes: Notes
    defs: dict[str, _Definition] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)  # ID → netplan section
    names: dict[str, str] = field(default_factory=dict)  # ID → interface name
    masters: dict[str, tuple[str, str]] = field(default_factory=dict)  # ID → (kind, master)
    built: dict[str, dict[str, Link]] = field(
        default_factory=lambda: {section: {} for section in SECTIONS}
    )
    renderer: str | None = None
    l3: L3Converter = field(init=False)

    def __post_init__(self) -> None:
        self.l3 = L3Converter(self.notes)

    def convert(self, network: Node) -> Host:
        """The host, links ordered ethernets, bonds, VLANs, bridges (file order within each).

        All IDs are registered before any link is built, because netplan allows references
        to definitions further down (or in another file): a bridge may come before its ports.
        """
        for key, node in network.items():
            if key == "version" or key in SECTIONS:
                continue
            if key == "renderer":
                self.renderer = self._renderer(node)
            elif key in UNSUPPORTED_SECTIONS or key == "openvswitch":
                for ident, _ in node.items():
                    self.unsupported[ident] = key
                self.notes.add(
                    node, f"'{key}': hvnet manages Ethernet NICs, bonds, VLANs and bridges only"
                )
            else:
                self.notes.add(node, f"'{key}' is not a netplan key this importer knows; ignored")
        for section in SECTIONS:
            self._collect(section, network.get(section))
        for definition in self.defs.values():
            if definition.section == "ethernets":
                self._ethernet(definition)
            else:
                self.names[definition.ident] = definition.ident
        builders = {"bonds": self._bond, "vlans": self._vlan, "bridges": self._bridge}
        for section in SECTIONS[1:]:
            for definition in self.defs.values():
                if definition.section == section:
                    builders[section](definition)
        links: dict[str, Link] = {}
        for section in SECTIONS:
            links.update(self.built[section])
        return Host(links=links, dns=self.l3.dns())

    def _renderer(self, node: Node) -> str:
        value = text(node)
        if value not in ("networkd", "NetworkManager"):
            node.fail(f"unknown renderer '{value}'")
        self.notes.add(
            node,
            "hvnet chooses what to generate at render time "
            "(hvnet render --format); the renderer is not kept",
        )
        return value

    def _collect(self, section: str, node: Node | None) -> None:
        """Register every definition of a section (its ID, body and renderer)."""
        if node is None:
            return
        if not node.is_map:
            node.fail("expected mapping (check indentation)")
        type_renderer: str | None = None
        for ident, body in node.items():
            if ident == "renderer":
                type_renderer = self._renderer(body)
                continue
            if not _VALID_ID.match(ident):
                body.fail(f"Invalid name '{ident}'", on_key=True)
            if _GLOB.search(ident):
                body.fail(f"Definition ID '{ident}' must not use globbing", on_key=True)
            if not body.is_map:
                body.fail("expected mapping (check indentation)")
            known = self.defs.get(ident)
            if known is not None and known.section != section:
                body.fail(f"Updated definition '{ident}' changes device type", on_key=True)
            renderer = body.get("renderer")
            own = None
            if renderer is not None and section == "vlans" and text(renderer) == "sriov":
                self.notes.add(
                    renderer,
                    "an SR-IOV hardware VLAN filter is not part of the "
                    "hvnet model; imported as a plain VLAN",
                )
            elif renderer is not None:
                own = self._renderer(renderer)
            self.defs[ident] = _Definition(
                section, ident, body, own or type_renderer or self.renderer
            )

    def _add(self, section: str, link: Link, where: Node) -> None:
        for links in self.built.values():
            if link.name in links:
                self.notes.add(
                    where,
                    f"a second definition of interface '{link.name}'; only the "
                    "first one is imported",
                    NoteKind.INCONSISTENT,
                )
                return
        self.built[section][link.name] = link

    def _rest(self, definition: _Definition, own: set[str]) -> dict[str, Any]:
        """Layer-3 settings of a definition; keys it does not know are noted there."""
        return self.l3.convert(definition.ident, definition.body, own | {"renderer"})

    # -- ethernets ------------------------------------------------------------------------

    def _ethernet(self, definition: _Definition) -> None:
        ident, body = definition.ident, definition.body
        match, set_name = body.get("match"), body.get("set-name")
        if set_name is not None and match is None:
            set_name.fail(f"{ident}: 'set-name:' requires 'match:' properties", on_key=True)
        name, match_mac = ident, None
        if match is not None:
            name, match_mac = self._match(ident, match, set_name)
        self.names[ident] = name
        link = Nic(name=name, match_mac=match_mac, **self._rest(definition, {"match", "set-name"}))
        self._add("ethernets", link, body)

    def _match(self, ident: str, match: Node, set_name: Node | None) -> tuple[str, str | None]:
        """The interface name and pinned MAC of a ``match:`` (+ ``set-name``) definition."""
        if not match.is_map:
            match.fail("expected mapping (check indentation)")
        mac_node, name_node, driver = (
            match.get("macaddress"),
            match.get("name"),
            match.get("driver"),
        )
        for key, node in match.items():
            if key not in ("macaddress", "name", "driver"):
                self.notes.add(node, f"match on '{key}' is not something hvnet can match on")
        match_mac = mac(mac_node) if mac_node is not None else None
        pattern = text(name_node) if name_node is not None else None
        drivers = (
            ", ".join(text(d) for d in (driver.seq() if driver.is_seq else [driver]))
            if (driver is not None)
            else None
        )
        criteria = " and ".join(
            c for c in (pattern and f"name '{pattern}'", drivers and f"driver {drivers}") if c
        )
        if set_name is not None:
            name = text(set_name)
            if not _VALID_ID.match(name):
                set_name.fail(f"{ident}: invalid set-name '{name}'")
            if criteria:
                pinned = " and its MAC" if match_mac else ""
                self.notes.add(
                    match,
                    f"matched by {criteria}: hvnet uses the name set-name "
                    f"gives ('{name}'){pinned} instead",
                    NoteKind.CONVERTED,
                )
            return name, match_mac
        if match_mac is not None:
            extra = f"; the {criteria} criteria are dropped" if criteria else ""
            self.notes.add(
                match,
                f"matched by MAC without set-name: netplan keeps the kernel's "
                f"name, hvnet names this NIC '{ident}' and pins it to {match_mac}"
                f"{extra}",
                NoteKind.CONVERTED,
            )
            return ident, match_mac
        if pattern is not None and driver is None and not _GLOB.search(pattern):
            return pattern, None
        self.notes.add(
            match,
            f"matches NICs by {criteria or 'nothing (an empty match: every NIC)'}; "
            f"hvnet defines each NIC by its name (and MAC): imported as a NIC named "
            f"'{ident}', replace it by the real NIC name(s)",
        )
        return ident, None

    # -- references -----------------------------------------------------------------------

    def _resolve(self, ident: str, where: Node, user: str) -> str | None:
        """The interface name of a referenced ID; undefined IDs become plain NICs (noted)."""
        if not _VALID_ID.match(ident):
            where.fail(f"{user}: invalid interface name '{ident}'")
        if ident in self.names:
            return self.names[ident]
        if ident in self.unsupported:
            self.notes.add(
                where,
                f"'{ident}' is a {self.unsupported[ident]} device, which hvnet "
                f"does not manage: left out of {user}",
                on_value=True,
            )
            return None
        self.notes.add(
            where,
            f"'{ident}' is not defined in the file (netplan refuses this: "
            f"\"{user}: interface '{ident}' is not defined\"); imported as a NIC "
            "with no settings",
            NoteKind.INCONSISTENT,
            on_value=True,
        )
        self.names[ident] = ident
        self._add("ethernets", Nic(name=ident), where)
        return ident

    def _members(self, definition: _Definition) -> list[tuple[str, str]]:
        """``interfaces:`` of a bond or bridge as (ID, name), enforcing one master each."""
        node = definition.body.get("interfaces")
        if node is None:
            return []
        if not node.is_seq:
            node.fail("expected sequence")
        kind, owner = _KIND[definition.section], definition.ident
        members: list[tuple[str, str]] = []
        for item in node.seq():
            ident = text(item)
            previous = self.masters.get(ident)
            if previous is not None and previous[1] != owner:
                item.fail(
                    f"{owner}: interface '{ident}' is already assigned to "
                    f"{previous[0]} {previous[1]}"
                )
            if previous is not None:
                self.notes.add(
                    item,
                    f"'{ident}' is listed twice in {owner}; kept once",
                    NoteKind.CONVERTED,
                    on_value=True,
                )
                continue
            self.masters[ident] = (kind, owner)
            name = self._resolve(ident, item, owner)
            if name is not None:
                members.append((ident, name))
        return members

    # -- virtual devices ------------------------------------------------------------------

    def _bond(self, definition: _Definition) -> None:
        members = self._members(definition)
        options, primary = bond_options(definition.body.get("parameters"), self.notes)
        if primary is not None:
            ident = text(primary)
            name = self._resolve(ident, primary, definition.ident)
            if ident not in {m for m, _ in members}:
                self.notes.add(
                    primary,
                    f"primary '{ident}' is not one of the interfaces of {definition.ident}",
                    NoteKind.INCONSISTENT,
                )
            if name is not None:
                options = options.model_copy(update={"primary": name})
        link = Bond(
            name=definition.ident,
            slaves=tuple(name for _, name in members),
            options=options,
            **self._rest(definition, {"interfaces", "parameters"}),
        )
        self._add("bonds", link, definition.body)

    def _vlan(self, definition: _Definition) -> None:
        ident, body = definition.ident, definition.body
        vid_node, link_node = body.get("id"), body.get("link")
        if vid_node is None:
            body.fail(f"{ident}: missing 'id' property", on_key=True)
        if link_node is None:
            body.fail(f"{ident}: missing 'link' property", on_key=True)
        vid = unsigned(vid_node)
        if vid > 4094:
            vid_node.fail(f"{ident}: invalid id '{vid}' (allowed values are 0-4094)")
        if vid == 0:
            self.notes.add(
                vid_node,
                "VLAN id 0 (priority tagging) is valid for netplan but "
                "not for hvnet (1-4094): kept, validation will flag it",
                NoteKind.INCONSISTENT,
            )
        parent = self._resolve(text(link_node), link_node, ident)
        if parent is None:
            return
        link = Vlan(name=ident, vid=vid, parent=parent, **self._rest(definition, {"id", "link"}))
        self._add("vlans", link, body)

    def _bridge(self, definition: _Definition) -> None:
        ident, body = definition.ident, definition.body
        members = self._members(definition)
        params = body.get("parameters")
        options, priorities, costs = bridge_options(params, self.notes)
        if params is None and definition.renderer == "NetworkManager":
            options = BridgeOptions(stp=True)
            self.notes.add(
                body,
                "NetworkManager enables STP on bridges by default; imported as stp: true",
                NoteKind.CONVERTED,
            )
        ids = {m for m, _ in members}
        for table, what in ((priorities, "port priority"), (costs, "path cost")):
            for port, (_, where) in table.items():
                if port not in ids:
                    self.notes.add(
                        where,
                        f"'{port}' is not an interface of {ident}: its {what} "
                        "has no effect and is dropped",
                        NoteKind.INCONSISTENT,
                    )
        ports = []
        for port_id, name in members:
            cost = costs.get(port_id)
            if cost is not None and not 1 <= cost[0] <= 65535:
                self.notes.add(
                    cost[1],
                    "path cost outside 1-65535, the range hvnet accepts; "
                    "left at the kernel default",
                )
                cost = None
            priority = priorities.get(port_id)
            ports.append(
                BridgePort(name, priority[0] if priority else None, cost[0] if cost else None)
            )
        link = Bridge(
            name=ident,
            ports=tuple(ports),
            options=options,
            **self._rest(definition, {"interfaces", "parameters"}),
        )
        self._add("bridges", link, body)
