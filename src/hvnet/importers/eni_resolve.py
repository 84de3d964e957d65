"""Final step of the ENI import: from per-interface drafts to a host hvnet accepts.

Why a separate step: these choices need the whole file. Bond membership is the union of
``bond-master`` (slave side) and ``bond-slaves`` (master side); ports and slaves without a
stanza still exist (bridge-utils even creates ``eth0.60`` from a port name); and a source file
may say things the kernel or hvnet refuse (an address on a bridge port, two default gateways,
a slave in two bonds, ``updelay`` without ``miimon``). Each such conflict is resolved the way
the running system most likely behaves, and a note says what was kept and why, so the
generated config validates and the operator can still see every decision.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address
from typing import Any

from hvnet.eni.syntax import Location, Option
from hvnet.importers import NoteKind
from hvnet.importers.eni_draft import Draft, dotted_vid
from hvnet.importers.eni_hooks import Action
from hvnet.importers.eni_l2 import L2Reader, bond_options_of, bridge_options_of
from hvnet.importers.eni_notes import NoteBook, header_text, option_text
from hvnet.model import Dns, Host, Link, LinkKind
from hvnet.options import (
    BOND_OPTION_SPECS,
    MIIMON_FORCED_MODES,
    BondMode,
    BondOptions,
    BridgeOptions,
)

_VL_KNOWN = re.compile(r"(eth|bond|wlan|em|p[0-9])")
_VLAN_NAME = re.compile(r"vlan(\d+)")
Hooks = dict[Location, tuple[Option, list[Action]]]
_NO_BOND_OPTIONS, _NO_BRIDGE_OPTIONS = BondOptions(), BridgeOptions()


class Resolver:
    """Runs the final step over all drafts; see the module docstring."""

    def __init__(
        self,
        notes: NoteBook,
        l2: L2Reader,
        drafts: dict[str, Draft],
        hooks: Hooks,
        marked: set[str],
    ) -> None:
        self.notes, self.l2, self.drafts, self.hooks, self.marked = notes, l2, drafts, hooks, marked
        self.masters: dict[str, str] = {}

    def draft(self, name: str, where: Location | None) -> Draft:
        draft = self.drafts.get(name)
        if draft is None:
            draft = Draft(name, len(self.drafts), implicit=True)
            self.drafts[name] = draft
            dotted = dotted_vid(name)
            if dotted is not None:
                draft.kind, draft.parent, draft.vid = (
                    LinkKind.VLAN,
                    (dotted[0], None),
                    (dotted[1], None),
                )
                if where is not None:
                    self.notes.add(
                        where,
                        self.notes.source_line(where),
                        f"{name} has no stanza: ifupdown/bridge-utils create VLAN {dotted[1]} on "
                        f"{dotted[0]} from the name; imported as that VLAN",
                        NoteKind.CONVERTED,
                    )
        return draft

    def _kind(self, name: str) -> LinkKind | None:
        draft = self.drafts.get(name)
        return draft.kind if draft is not None else None

    def resolve(self, dns: Any) -> Host:
        self._apply_hooks()
        for draft in list(self.drafts.values()):
            if draft.kind is LinkKind.VLAN and draft.parent is None:
                self._vlan(draft)
        self._bond_membership()
        self._implicit()
        self._single_masters()
        self._port_settings()
        self._enslaved_l3()
        self._gateways()
        links: dict[str, Link] = {}
        for draft in self.drafts.values():
            links[draft.name] = draft.build(self._bond_options(draft), self._bridge_options(draft))
        self._not_brought_up(links)
        self._check_deferred(links)
        return Host(links=links, dns=Dns(tuple(dns.nameservers), tuple(dns.search)))

    # -- hooks ------------------------------------------------------------------------------

    def _apply_hooks(self) -> None:
        for option, actions in self.hooks.values():
            done: list[str] = []
            for action in actions:
                text = self._apply(action, option)
                if text:
                    done.append(text)
            if done:
                self.notes.option(option, "; ".join(done), NoteKind.CONVERTED)

    def _apply(self, action: Action, option: Option) -> str:
        """Apply one action; returns what it became ("" for implied or deferred ones)."""
        what, name, where = action.what, action.name, option.location
        if what == "vlan":
            parent, vid, protocol = action.value
            draft = self.draft(name, None)
            draft.parent, draft.vid = (parent, where), (vid, where)
            draft.protocol = (protocol, where)
            return f"VLAN {name} (id {vid} on {parent})"
        if what == "kind":
            return f"{name} is a {action.value.value} (created by this command)"
        if what == "port" or (what == "master" and self._kind(action.value) is LinkKind.BRIDGE):
            bridge = name if what == "port" else action.value
            port = action.value if what == "port" else name
            self.draft(bridge, None).add_port(port, where)
            return f"port {port} of bridge {bridge}"
        if what in ("slave", "master"):
            bond = name if what == "slave" else action.value
            slave = action.value if what == "slave" else name
            if self._kind(bond) is not LinkKind.BOND:
                self.notes.option(option, f"{bond} is neither a bridge nor a bond")
                return ""
            self.draft(bond, None).add_slave(slave, where)
            return f"slave {slave} of bond {bond}"
        draft = self.draft(name, None)
        if what == "bond":
            if draft.kind is not LinkKind.BOND:
                self.notes.option(option, f"{name} is not a bond")
                return ""
            self.l2.set_bond_option(name, draft.bond_options, action.value, action.extra, option)
            return f"bond {name} {action.value} {action.extra}"
        if what == "bridge":
            if draft.kind is not LinkKind.BRIDGE:
                self.notes.option(option, f"{name} is not a bridge")
                return ""
            self.l2.set_bridge_option(draft, action.value, action.extra, option)
            return f"bridge {name} {action.value} {action.extra}"
        if what == "mtu":
            return (
                f"MTU {action.value} of {name}"
                if self.l2.l3.set_mtu(draft, action.value, option)
                else ""
            )
        if what == "mac":
            return f"MAC of {name}" if self.l2.l3.set_mac(draft, action.value, option) else ""
        if what == "address":
            if all(a != action.value for a, _ in draft.addresses):
                draft.addresses.append((action.value, where))
                draft.l3_lines.append((where, option_text(option)))
            return f"address {action.value} of {name}"
        if what in ("route", "gateway") and not action.extra:
            if what == "route":
                draft.routes.append((action.value, where))
                return f"route {action.value.to} on {name}"
            if any(g.version == action.value.version for g, _ in draft.gateways):
                self.notes.option(
                    option, f"{name} has a default gateway already", NoteKind.INCONSISTENT
                )
                return ""
            draft.gateways.append((action.value, where))
            draft.l3_lines.append((where, option_text(option)))
            return ""
        if what == "teardown" or action.extra:
            return "undoes what the model creates (hvnet does this itself)"
        return ""  # portset, isolate, implied: checked later

    # -- VLANs ------------------------------------------------------------------------------

    def _vlan(self, draft: Draft) -> None:
        """Parent and id of a VLAN stanza per eni-dialects.md §4.1 (the vlan hook and IU2)."""
        name = draft.name
        dotted = dotted_vid(name)
        numbered = _VLAN_NAME.fullmatch(name)
        header = draft.stanzas[0] if draft.stanzas else None
        raw = draft.raw_device
        parent: str | None = None
        if raw is not None:
            parent = raw[0]
            if dotted is not None and dotted[0] != raw[0]:
                by_name = bool(_VL_KNOWN.match(name))
                parent = dotted[0] if by_name else raw[0]
                self.notes.add(
                    raw[1],
                    f"vlan-raw-device {raw[0]}",
                    f"the name says the VLAN is on {dotted[0]}: ifupdown and the vlan hook use "
                    f"{'the name' if by_name else 'vlan-raw-device'} for this name, ifupdown2 "
                    f"vlan-raw-device; {parent} kept",
                    NoteKind.INCONSISTENT,
                )
        elif dotted is not None:
            parent = dotted[0]
            if header is not None and draft.vlan_id is None:
                self.notes.add(
                    header.location,
                    header_text(header),
                    f"no vlan-raw-device: ifupdown creates VLAN {dotted[1]} on {parent} from "
                    "the name",
                    NoteKind.CONVERTED,
                )
        name_vid = dotted[1] if dotted else int(numbered.group(1)) if numbered else None
        vid = draft.vlan_id[0] if draft.vlan_id else name_vid
        if draft.vlan_id and name_vid is not None and draft.vlan_id[0] != name_vid:
            self.notes.add(
                draft.vlan_id[1],
                f"vlan-id {draft.vlan_id[0]}",
                f"the name says VLAN {name_vid}: the vlan hook uses the name, ifupdown2 "
                f"vlan-id; {draft.vlan_id[0]} kept",
                NoteKind.INCONSISTENT,
            )
        if parent is None or vid is None or not 1 <= vid <= 4094:
            where = draft.kind_why or (header.location if header else None)
            why = (
                "no parent (vlan-raw-device)"
                if parent is None
                else "no VLAN id"
                if vid is None
                else f"VLAN id {vid} outside 1-4094"
            )
            if where is not None:
                self.notes.add(
                    where,
                    self.notes.source_line(where),
                    f"{why}: {name} is not imported as a VLAN",
                    NoteKind.INCONSISTENT,
                )
            draft.kind = LinkKind.NIC
            return
        draft.parent = (parent, raw[1] if raw else None)
        draft.vid = (vid, draft.vlan_id[1] if draft.vlan_id else None)

    # -- membership -------------------------------------------------------------------------

    def _bond_membership(self) -> None:
        for slave in list(self.drafts.values()):
            if slave.master is None:
                continue
            bond_name, where = slave.master
            bond = self.draft(bond_name, where)
            if bond.kind is not LinkKind.BOND:
                self.notes.add(
                    where,
                    f"bond-master {bond_name}",
                    f"{bond_name} is not a bond",
                    NoteKind.INCONSISTENT,
                )
                continue
            listed = [s for s, _ in bond.slaves]
            if listed and slave.name not in listed and bond.slaves_none is None:
                self.notes.add(
                    where,
                    f"bond-master {bond_name}",
                    f"{bond_name}'s bond-slaves does not list {slave.name}; membership is the "
                    "union of both",
                    NoteKind.INCONSISTENT,
                )
            if bond.implicit and not bond.stanzas:
                self.notes.add(
                    where,
                    f"bond-master {bond_name}",
                    f"{bond_name} has no iface stanza (ifenslave refuses to enslave then); "
                    "imported as a bond with default options",
                    NoteKind.INCONSISTENT,
                )
            bond.add_slave(slave.name, where)
            for field, (value, at) in slave.slave_side.items():
                known = bond.bond_options.get(field)
                text = self.notes.source_line(at) if at else field
                if known is None:
                    bond.bond_options[field] = (value, at)
                    self.notes.add(
                        at or where,
                        text,
                        f"written on slave {slave.name}: applied to {bond_name}",
                        NoteKind.CONVERTED,
                    )
                elif known[0] != value:
                    self.notes.add(
                        at or where,
                        text,
                        f"{bond_name} sets {field} to {known[0]} itself; that value is kept",
                        NoteKind.INCONSISTENT,
                    )

    def _implicit(self) -> None:
        """Create the interfaces referred to but never declared (until nothing is missing)."""
        changed = True
        while changed:
            changed = False
            for draft in list(self.drafts.values()):
                refs: list[tuple[str, Location | None]] = [*draft.slaves, *draft.ports]
                if draft.kind is LinkKind.VLAN and draft.parent is not None:
                    refs.append(draft.parent)
                for name, where in refs:
                    if name not in self.drafts:
                        self.draft(name, where)
                        changed = True

    def _single_masters(self) -> None:
        """One master per link (kernel: EBUSY); bond slaves must be NICs (hvnet)."""
        owner: dict[str, str] = {}
        ordered = sorted(self.drafts.values(), key=lambda d: d.kind is not LinkKind.BOND)
        for draft in ordered:
            if draft.kind not in (LinkKind.BOND, LinkKind.BRIDGE):
                continue
            members = draft.slaves if draft.kind is LinkKind.BOND else draft.ports
            kept: list[tuple[str, Location]] = []
            for name, where in members:
                why = None
                if name in owner:
                    why = (
                        f"{name} is already enslaved to {owner[name]} (EBUSY); left out of "
                        f"{draft.name}"
                    )
                elif name == draft.name:
                    why = f"{name} cannot be its own member"
                elif draft.kind is LinkKind.BOND and self.drafts[name].kind is not LinkKind.NIC:
                    why = f"{name} is a {self.drafts[name].kind.value}: hvnet bonds NICs only"
                if why is not None:
                    self.notes.add(where, self.notes.source_line(where), why, NoteKind.INCONSISTENT)
                    continue
                owner[name] = draft.name
                kept.append((name, where))
            members[:] = kept
        self.masters = owner

    def _enslaved_l3(self) -> None:
        for name, master in self.masters.items():
            draft = self.drafts[name]
            if not draft.has_l3:
                continue
            for where, text in draft.l3_lines:
                self.notes.add(
                    where,
                    text,
                    f"{name} is enslaved to {master}: an enslaved interface cannot carry "
                    f"addresses, gateways or DHCP; not imported (configure them on {master})",
                    NoteKind.INCONSISTENT,
                )
            draft.drop_l3()

    def _gateways(self) -> None:
        """A gateway needs an address of its family on its link; one per family per host."""
        found: list[tuple[int, int, Draft, Any, Location]] = []
        for draft in self.drafts.values():
            for gateway, where in list(draft.gateways):
                v4 = isinstance(gateway, IPv4Address)
                has = any(a.version == gateway.version for a, _ in draft.addresses) or bool(
                    draft.dhcp4 if v4 else (draft.dhcp6 or draft.slaac)
                )
                if not has:
                    draft.gateways.remove((gateway, where))
                    self.notes.add(
                        where,
                        self.notes.source_line(where),
                        f"{draft.name} has no IPv{gateway.version} address for the gateway "
                        "(hvnet needs one); not imported",
                        NoteKind.INCONSISTENT,
                    )
                    continue
                found.append(
                    (self.notes.rank.get(where.file, 0), where.line, draft, gateway, where)
                )
        first: dict[int, str] = {}
        for _, _, draft, gateway, where in sorted(found, key=lambda f: (f[0], f[1])):
            if gateway.version in first:
                draft.gateways.remove((gateway, where))
                self.notes.add(
                    where,
                    self.notes.source_line(where),
                    f"a second IPv{gateway.version} default gateway (the first is on "
                    f"{first[gateway.version]}; hvnet allows one): not imported",
                    NoteKind.INCONSISTENT,
                )
            else:
                first[gateway.version] = draft.name

    # -- options ----------------------------------------------------------------------------

    def _drop(self, draft: Draft, values: dict[str, Any], field: str, why: str) -> None:
        _, where = values.pop(field)
        where = where or (draft.stanzas[0].location if draft.stanzas else None)
        if where is not None:
            self.notes.add(where, self.notes.source_line(where), why, NoteKind.INCONSISTENT)

    def _bond_options(self, draft: Draft) -> BondOptions:
        if draft.kind is not LinkKind.BOND:
            return _NO_BOND_OPTIONS
        values = draft.bond_options
        mode = BondMode(values["mode"][0]) if "mode" in values else BondMode.BALANCE_RR
        miimon = values["miimon"][0] if "miimon" in values else 0
        if miimon and values.get("arp_interval", (0,))[0]:
            self._drop(
                draft,
                values,
                "arp_interval",
                "both miimon and arp_interval: ifenslave "
                "writes miimon last, so ARP monitoring is off; arp_interval not imported",
            )
        forced = mode in MIIMON_FORCED_MODES
        for field in ("updelay", "downdelay"):
            if values.get(field, (0,))[0] and not miimon and not forced:
                self._drop(draft, values, field, f"{field} without miimon: the kernel refuses it")
        for field, spec in BOND_OPTION_SPECS.items():
            if field in values and spec.kernel_modes is not None and mode not in spec.kernel_modes:
                self._drop(
                    draft,
                    values,
                    field,
                    f"the kernel refuses {field} in mode {mode.value} (EACCES); not imported",
                )
        slaves = [s for s, _ in draft.slaves]
        if "primary" in values and values["primary"][0] not in slaves:
            self._drop(
                draft,
                values,
                "primary",
                f"primary {values['primary'][0]} is not a slave of {draft.name}; not imported",
            )
        if mode is BondMode.LACP and values.get("min_links", (0,))[0] > len(slaves):
            self._drop(
                draft,
                values,
                "min_links",
                f"min_links above the {len(slaves)} slave(s) keeps the bond down; not imported",
            )
        return bond_options_of(tuple((k, v) for k, (v, _) in values.items()))

    def _bridge_options(self, draft: Draft) -> BridgeOptions:
        if draft.kind is not LinkKind.BRIDGE:
            return _NO_BRIDGE_OPTIONS
        ports = {p for p, _ in draft.ports}
        for table in (draft.port_priority, draft.port_cost):
            for port, (_, where) in list(table.items()):
                if port not in ports:
                    del table[port]
                    self.notes.add(
                        where,
                        self.notes.source_line(where),
                        f"{port} is not a port of {draft.name}; not imported",
                        NoteKind.INCONSISTENT,
                    )
        return bridge_options_of(tuple((k, v) for k, (v, _) in draft.bridge_options.items()))

    # -- after building ----------------------------------------------------------------------

    def _not_brought_up(self, links: dict[str, Link]) -> None:
        up = self.marked | set(self.masters)  # slaves and ports come up with their master
        for draft in self.drafts.values():
            link = links[draft.name]
            upper = draft.kind is not LinkKind.NIC or link.has_host_address
            if draft.stanzas and upper and draft.name not in up:
                stanza = draft.stanzas[0]
                self.notes.add(
                    stanza.location,
                    header_text(stanza),
                    f"no auto or allow-* line: ifupdown does not bring {draft.name} up at boot; "
                    "hvnet brings up every link it defines",
                    NoteKind.CONVERTED,
                )

    def _check_deferred(self, links: dict[str, Link]) -> None:
        """Port settings, isolation sysctls and teardown commands, now the model is known."""
        for option, actions in self.hooks.values():
            for action in actions:
                why = self._deferred(action, links)
                if why:
                    self.notes.option(option, why)

    def _deferred(self, action: Action, links: dict[str, Link]) -> str:
        what, name = action.what, action.name
        link = links.get(name)
        if what == "isolate":
            if link is None or link.has_host_address:
                return "disables IPv6 and ARP on a link with host addresses: not in the model"
        elif what == "teardown":
            if link is None:
                return f"removes {name}, which the imported model does not create"
        elif what in ("route", "gateway") and action.extra:
            values: tuple[object, ...] = ()
            if link is not None:
                values = (link.gateway, link.gateway6) if what == "gateway" else link.routes
            if action.value not in values:
                return "removes a route the imported model does not have"
        return ""

    def _port_settings(self) -> None:
        """``brctl setportprio``/``ip link set P type bridge_slave``: need the membership."""
        for option, actions in self.hooks.values():
            for action in actions:
                if action.what != "portset":
                    continue
                port, attr, value = action.name, action.value, action.extra
                bridge = self.masters.get(port)
                draft = self.drafts.get(bridge) if bridge else None
                if draft is None or draft.kind is not LinkKind.BRIDGE:
                    self.notes.option(option, f"{port} is not a bridge port")
                    continue
                table = draft.port_priority if attr == "priority" else draft.port_cost
                if port in table and table[port][0] != value:
                    self.notes.option(
                        option,
                        f"{port} has {attr} {table[port][0]} already; that value is kept",
                        NoteKind.INCONSISTENT,
                    )
                    continue
                table[port] = (value, option.location)
