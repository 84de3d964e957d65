"""Step 3 of ``hvnet status``: show a judged document as a tree, tables, JSON or a diagram.

Presenters are pure functions of the document: they never read the kernel, so what the
tree shows is exactly what ``--json`` says. The tree follows the stack the way frames
travel up: NIC → bond → VLAN → bridge → guests. A bond is the root of its slaves; a VLAN
hangs under its parent, a bridge under its first uplink port, guests under their bridge;
anything no walk reaches is listed under "unattached" so the picture never hides a link.
Colours are the verdicts (green ok, yellow warning, red critical, magenta unknown).

rich is imported inside the functions that draw: ``--json`` and ``--prometheus`` never pay
for it (they run from cron on hosts with thousands of links).
"""

from __future__ import annotations

import json
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from hvnet.kernel.record import Record
from hvnet.status.doc import (
    HEALTHY,
    SCHEMA_VERSION,
    BondStatus,
    BridgeStatus,
    Finding,
    Health,
    Level,
    LinkStatus,
    StatusDoc,
    VlanStatus,
)
from hvnet.status.guests import describe_guest

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

STYLE = {
    Level.OK: "green",
    Level.WARNING: "yellow",
    Level.CRITICAL: "bold red",
    Level.UNKNOWN: "magenta",
}
DOT_COLOUR = {
    Level.OK: "#c8f0c8",
    Level.WARNING: "#ffe08a",
    Level.CRITICAL: "#ff9c9c",
    Level.UNKNOWN: "#e0c8f0",
}


def render_json(doc: StatusDoc, indent: int | None = None) -> str:
    """The documented JSON document (docs/status.md); compact unless ``indent`` is given.

    The same data as :func:`~hvnet.status.doc.document_json`, but the document objects go
    straight to json's C encoder, which calls back only once per object (tuples, dicts,
    enums and scalars it encodes itself): three times cheaper on thousands of links.
    """
    top = {
        "version": SCHEMA_VERSION,
        "host": doc.host,
        "overall": doc.overall,
        "bonds": doc.bonds,
        "vlans": doc.vlans,
        "bridges": doc.bridges,
        "links": doc.links,
        "problems": doc.problems,
    }
    return json.dumps(top, indent=indent, ensure_ascii=False, default=_fields_of) + "\n"


_GETTERS: dict[type, tuple[tuple[str, ...], Any, bool]] = {}
#: The verdict most objects share (:data:`~hvnet.status.doc.HEALTHY`), as JSON data once.
_HEALTHY_JSON = {"level": HEALTHY.level, "findings": HEALTHY.findings}


def _fields_of(obj: Any) -> dict[str, Any]:
    """json's ``default`` hook: a document object as its fields (nested values stay as is).

    One C-level ``attrgetter`` call per object and ``dict(zip(...))`` instead of a Python
    loop over the fields: this hook runs once for every object in the document. A healthy
    verdict is put in as ready data, which spares the encoder a call back for most links.
    """
    entry = _GETTERS.get(type(obj))
    if entry is None:
        if not isinstance(obj, Record) or len(obj.__fields__) < 2:
            raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
        names = obj.__fields__
        entry = _GETTERS[type(obj)] = (names, attrgetter(*names), "health" in names)
    out = dict(zip(entry[0], entry[1](obj), strict=True))
    if entry[2] and out["health"] is HEALTHY:
        out["health"] = _HEALTHY_JSON
    return out


def show(value: Any, unit: str = "") -> str:
    return "?" if value is None else f"{value}{unit}"


def bond_summary(b: BondStatus) -> str:
    """One line: mode, monitor, primary/active (what an operator checks first)."""
    m = b.monitoring
    parts = [f"bond {show(b.mode)}"]
    if m.method == "arp":
        targets = ",".join(m.arp_ip_targets or ()) or "no targets"
        parts.append(f"arp {show(m.arp_interval_ms)}ms → {targets}")
    elif m.method == "mii":
        parts.append(
            f"miimon {show(m.miimon_ms)}ms up {show(m.updelay_ms)} down {show(m.downdelay_ms)}"
        )
    elif m.method == "none":
        parts.append("no link monitor")
    if b.primary or b.configured_primary:
        parts.append(f"primary {b.configured_primary or b.primary}")
    if b.active_slave:
        parts.append(f"active {b.active_slave}")
    if b.lacp is not None:
        lacp = b.lacp
        parts.append(
            f"lacp {show(lacp.rate)}, aggregator {show(lacp.aggregator_id)} "
            f"partner {show(lacp.partner_mac)} key {show(lacp.partner_key)}"
        )
    parts.append(f"mii {show(b.mii_status)}")
    return ", ".join(parts)


def slave_summary(b: BondStatus, name: str) -> str:
    s = next(x for x in b.slaves if x.name == name)
    if not s.enslaved:
        return "configured, NOT in the bond"
    parts = [f"mii {show(s.mii_status)}"]
    if s.state:
        parts.append(s.state)
    if s.speed_mbps is not None or s.duplex:
        parts.append(f"{show(s.speed_mbps)}Mb/s {show(s.duplex)}")
    parts.append(f"failures {show(s.link_failure_count)}")
    if s.perm_hwaddr:
        parts.append(f"perm {s.perm_hwaddr}")
    if b.mode == "802.3ad":
        parts.append(
            f"agg {show(s.aggregator_id)} partner {show(s.partner_mac)} key {show(s.partner_key)}"
        )
    return ", ".join(parts)


def vlan_summary(v: VlanStatus) -> str:
    flags = [
        n
        for n in ("reorder_hdr", "gvrp", "mvrp", "loose_binding", "bridge_binding")
        if getattr(v.flags, n)
    ]
    c = v.counters
    return (
        f"VLAN {show(v.vid)} on {show(v.parent)} ({show(v.protocol)}), {show(v.operstate)}, "
        f"mtu {show(v.mtu)}, flags {','.join(flags) or '-'}, "
        f"rx {show(c.rx_frames)}/{show(c.rx_bytes)}B tx {show(c.tx_frames)}/{show(c.tx_bytes)}B"
    )


def bridge_summary(br: BridgeStatus) -> str:
    stp = br.stp
    text = f"bridge, {show(br.operstate)}, mtu {show(br.mtu)}, STP {show(stp.mode)}"
    if stp.enabled:
        text += (
            f" prio {show(stp.priority)} root {show(stp.root_id)} fd {show(stp.forward_delay_s)}s"
            f" hello {show(stp.hello_time_s)}s maxage {show(stp.max_age_s)}s"
        )
    if br.vlan_filtering:
        text += ", VLAN-aware"
    return text


def link_summary(link: LinkStatus) -> str:
    text = f"{link.role if link.role != 'other' else show(link.kind)}, {show(link.operstate)}"
    if link.speed_mbps is not None:
        text += f", {link.speed_mbps}Mb/s {show(link.duplex)}"
    return text + f", mtu {show(link.mtu)}, {show(link.address)}"


class _Layout:
    """Who hangs under whom in the tree (pure; shared by the tree and the dot diagram)."""

    def __init__(self, doc: StatusDoc) -> None:
        self.links = {link.name: link for link in doc.links}
        self.bonds = {b.name: b for b in doc.bonds}
        self.vlans = {v.name: v for v in doc.vlans}
        self.bridges = {br.name: br for br in doc.bridges}
        self.children: dict[str, list[str]] = {}
        self.slaves = {s.name for b in doc.bonds for s in b.slaves}
        for v in doc.vlans:
            if v.parent is not None:
                self.children.setdefault(v.parent, []).append(v.name)
        for br in doc.bridges:
            uplink = next((p.name for p in br.ports if p.role == "uplink"), None)
            if uplink is not None:
                self.children.setdefault(uplink, []).append(br.name)
        self.guest_ports = {p.name for br in doc.bridges for p in br.ports if p.role == "guest"}

    def roots(self) -> list[str]:
        hanging = {c for kids in self.children.values() for c in kids}
        order = [*self.bonds, *(n for n, link in self.links.items() if link.role == "nic")]
        return [
            n
            for n in order
            if n not in hanging and n not in self.slaves and n not in self.guest_ports
        ]

    def health(self, name: str) -> Health:
        for table in (self.bonds, self.vlans, self.bridges):
            obj = table.get(name)
            if obj is not None:
                return obj.health
        link = self.links.get(name)
        return link.health if link is not None else Health(Level.UNKNOWN)

    def summary(self, name: str) -> str:
        if name in self.bonds:
            return bond_summary(self.bonds[name])
        if name in self.vlans:
            return vlan_summary(self.vlans[name])
        if name in self.bridges:
            return bridge_summary(self.bridges[name])
        link = self.links.get(name)
        return link_summary(link) if link is not None else "not present"


def _label(name: str, summary: str, health: Health, text_cls: type[Text]) -> Text:
    style = STYLE[health.level]
    return text_cls.assemble(
        (name, f"bold {style}"), "  ", (summary, "cyan"), "  ", (f"[{health.level.value}]", style)
    )


def _add_findings(node: Tree, findings: tuple[Finding, ...], text_cls: type[Text]) -> None:
    for f in findings:
        node.add(text_cls(f"! {f.message} ({f.code})", STYLE[f.level]))


def build_tree(doc: StatusDoc) -> Tree:
    """The rich Tree of the document (exposed for tests and the live diagram)."""
    from rich.text import Text
    from rich.tree import Tree

    lay = _Layout(doc)
    drawn: set[str] = set()
    title = Text.assemble(
        ("host ", "bold"),
        (doc.host.hostname or "(unknown)", "bold"),
        f"  {doc.host.source} {doc.host.root}  kernel {show(doc.host.kernel_release)}  ",
        (f"overall {doc.overall.value.upper()}", STYLE[doc.overall]),
    )
    tree = Tree(title)

    def grow(node: Tree, name: str) -> None:
        drawn.add(name)
        health = lay.health(name)
        own = [f for f in health.findings if f.subject == name or name in lay.bonds]
        _add_findings(node, tuple(own), Text)
        bond = lay.bonds.get(name)
        if bond is not None:
            for s in bond.slaves:
                drawn.add(s.name)
                tag = "slave" + (
                    ", primary" if s.name == (bond.configured_primary or bond.primary) else ""
                )
                slave_health = lay.health(s.name) if s.name in lay.links else Health(Level.UNKNOWN)
                node.add(
                    _label(s.name, f"{tag}, {slave_summary(bond, s.name)}", slave_health, Text)
                )
        bridge = lay.bridges.get(name)
        if bridge is not None:
            others = [p.name for p in bridge.ports if p.role == "uplink"][1:]
            if others:
                node.add(Text("also uplinks: " + ", ".join(others), "dim"))
            for p in bridge.ports:
                if p.role == "guest" and p.guest is not None:
                    drawn.add(p.name)
                    node.add(
                        Text.assemble(
                            ("guest ", "dim"),
                            (describe_guest(p.guest), "bold blue"),
                            f"  {p.name} ({p.guest.source}), {show(p.stp_state)}, "
                            f"mtu {show(p.mtu)}, {show(p.address)}",
                        )
                    )
        for child in lay.children.get(name, []):
            if child not in drawn:
                grow(node.add(_label(child, lay.summary(child), lay.health(child), Text)), child)

    for root in lay.roots():
        if root not in drawn:
            grow(tree.add(_label(root, lay.summary(root), lay.health(root), Text)), root)
    rest = [n for n in [*lay.bonds, *lay.vlans, *lay.bridges] if n not in drawn]
    if rest:
        unattached = tree.add(Text("unattached", "red"))
        for name in rest:
            if name not in drawn:
                grow(unattached.add(_label(name, lay.summary(name), lay.health(name), Text)), name)
    if doc.problems:
        problems = tree.add(Text("unreadable", "magenta"))
        for problem in doc.problems:
            problems.add(Text(problem, "magenta"))
    return tree


def render_tree(doc: StatusDoc, console: Console | None = None) -> None:
    from rich.console import Console

    (console or Console()).print(build_tree(doc))


def render_tables(doc: StatusDoc, console: Console | None = None) -> None:
    """Bonds, slaves, VLANs, bridge ports, then every finding (:mod:`hvnet.status.tables`)."""
    from hvnet.status.tables import render_tables as draw

    draw(doc, console)


def health_cell(health: Health) -> str:
    """A verdict as rich markup in its colour."""
    return f"[{STYLE[health.level]}]{health.level.value}[/]"


# --- diagrams -------------------------------------------------------------------------------


def _dot_quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "") + '"'


def render_dot(doc: StatusDoc) -> str:
    """Graphviz digraph of the running host: nodes filled with their verdict's colour."""
    lay = _Layout(doc)
    lines = [
        f"digraph {_dot_quote('hvnet ' + (doc.host.hostname or 'live'))} {{",
        "  rankdir=BT;",
        '  node [fontname="Helvetica", fontsize=10, style=filled];',
    ]
    shapes = {"bond": "box3d", "vlan": "hexagon", "bridge": "ellipse", "guest": "component"}
    for link in doc.links:
        if link.role == "other":
            continue
        health = lay.health(link.name)
        detail = "\n".join(f.message for f in health.findings)
        label = "\n".join(x for x in (link.name, lay.summary(link.name), detail) if x)
        lines.append(
            f"  {_dot_quote(link.name)} [label={_dot_quote(label)}, "
            f"shape={shapes.get(link.role, 'box')}, "
            f"fillcolor={_dot_quote(DOT_COLOUR[health.level])}];"
        )
    for b in doc.bonds:
        for s in b.slaves:
            lines.append(f"  {_dot_quote(s.name)} -> {_dot_quote(b.name)};")
    for v in doc.vlans:
        if v.parent:
            lines.append(f"  {_dot_quote(v.parent)} -> {_dot_quote(v.name)};")
    for br in doc.bridges:
        for p in br.ports:
            if p.role == "uplink":
                lines.append(f"  {_dot_quote(p.name)} -> {_dot_quote(br.name)};")
            else:
                label = describe_guest(p.guest) if p.guest else ""
                lines.append(
                    f"  {_dot_quote(br.name)} -> {_dot_quote(p.name)} [label={_dot_quote(label)}];"
                )
    lines.append("}")
    return "\n".join(lines) + "\n"


class GraphvizMissing(RuntimeError):
    """``--format svg`` without Graphviz's ``dot`` on PATH."""


def dot_to_svg(dot: str) -> str:
    """Run Graphviz (``dot -Tsvg``); raises GraphvizMissing when it is not installed."""
    import shutil
    import subprocess

    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing(
            "Graphviz is not installed (apt install graphviz); "
            "use --format dot and render it elsewhere"
        )
    try:
        done = subprocess.run(
            [exe, "-Tsvg"], input=dot, capture_output=True, text=True, check=False, timeout=120
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError("dot did not finish within 120 s") from exc
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.strip()}")
    return done.stdout


def render_live_diagram(
    fmt: str = "tree", config: str | None = None, root: str | None = None
) -> int:
    """``hvnet diagram --live``: draw the running host (or ``root``) with health colours.

    ``fmt`` is tree, dot or svg (svg needs Graphviz). ``config`` names guests and states
    the intended slaves and ports. Returns the exit code (0, or 2 for unusable input).
    Flapping memory is neither read nor written: a picture must not change what the next
    ``hvnet status`` reports.
    """
    import click

    from hvnet.status import StatusError, judged_document

    try:
        doc = judged_document(root, config)
    except StatusError as exc:
        click.echo(f"hvnet: {exc}", err=True)
        return exc.exit_code
    if fmt == "tree":
        render_tree(doc)
        return 0
    dot = render_dot(doc)
    if fmt == "dot":
        click.echo(dot, nl=False)
        return 0
    return print_svg(dot)


def print_svg(dot: str) -> int:
    """Print Graphviz source as SVG; returns 0, or 2 with a message when Graphviz fails.

    Shared by ``diagram --live -f svg`` and the config diagram's ``-f svg``.
    """
    import click

    try:
        click.echo(dot_to_svg(dot), nl=False)
    except (RuntimeError, OSError) as exc:
        click.echo(f"hvnet: {exc}", err=True)
        return 2
    return 0
