"""Topology pictures: a terminal tree (rich) and Graphviz dot.

The tree reads top-down the way frames travel up the stack: NIC → bond → VLAN → bridge →
guests. A bond is the top node for its slaves (shown as its first children) so it appears once
even with several NICs; every other link hangs under the first lower link it is built on, and a
bridge lists its guest NICs. Anything no walk reaches (a bridge without ports, a VLAN on an
undefined parent) is listed under "unattached", so the picture never hides a link.
Addresses are shown on the link that has them; a link with no host address that is not
enslaved is marked, because the host is deliberately unreachable there.

rich is imported inside :func:`render_tree` so ``hvnet --version`` and the renderers never
pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hvnet.model import Bond, Bridge, Guest, GuestNic, Host, Link, Method4, Method6, Nic, Vlan

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

NO_ADDRESS = "no host address: switch only"


def describe(link: Link, masters: dict[str, str]) -> tuple[str, str]:
    """(kind summary, layer-3 summary) of a link, as plain text shared by both formats."""
    if isinstance(link, Bond):
        opts = link.options
        kind = f"bond {opts.mode.value}"
        if opts.miimon is not None:
            kind += f", miimon {opts.miimon}"
        if opts.arp_interval:
            kind += f", arp_interval {opts.arp_interval}"
        if link.separate_switches:
            kind += ", separate switches"
    elif isinstance(link, Vlan):
        kind = f"VLAN {link.vid} on {link.parent}"
        if link.protocol.value != "802.1q":
            kind += f" ({link.protocol.value})"
    elif isinstance(link, Bridge):
        stp = link.options.stp
        kind = "bridge, STP " + ("on" if stp else "off" if stp is False else "default (off)")
        if link.options.vlan_filtering:
            kind += ", VLAN-aware"
    else:
        kind = "NIC"
        if isinstance(link, Nic) and link.match_mac:
            kind += f" (MAC {link.match_mac})"
    if link.mtu is not None:
        kind += f", mtu {link.mtu}"
    if link.mac:
        kind += f", mac {link.mac}"
    layer3: list[str] = [str(a) for a in link.addresses]
    if link.method is Method4.DHCP:
        layer3.append("dhcp")
    if link.method6 in (Method6.DHCP, Method6.AUTO):
        layer3.append(f"inet6 {link.method6.value}")
    if link.gateway:
        layer3.append(f"gw {link.gateway}")
    if link.gateway6:
        layer3.append(f"gw6 {link.gateway6}")
    layer3 += [f"route {r.to}" + (f" via {r.via}" if r.via else "") for r in link.routes]
    if not link.has_host_address:  # a slave or port needs no mark: it has no layer 3 at all
        layer3 = [] if link.name in masters else [NO_ADDRESS, *layer3]
    return kind, ", ".join(layer3)


def _uppers(host: Host) -> dict[str, list[str]]:
    """For each link, the links whose *first* lower link it is (each link drawn once)."""
    uppers: dict[str, list[str]] = {name: [] for name in host.links}
    for link in host.links.values():
        if isinstance(link, Bond):
            continue  # bonds are roots; their slaves are drawn under them
        lowers = [n for n in link.lower_names() if n in host.links]
        if lowers:
            uppers[lowers[0]].append(link.name)
    return uppers


def _guests_on(host: Host) -> dict[str, list[tuple[Guest, GuestNic]]]:
    on: dict[str, list[tuple[Guest, GuestNic]]] = {}
    for guest in host.guests:
        for nic in guest.nics:
            if nic.bridge is not None:
                on.setdefault(nic.bridge, []).append((guest, nic))
    return on


def _roots(host: Host) -> list[str]:
    slaves = {s for b in host.bonds for s in b.slaves if s in host.links}
    roots = []
    for link in host.links.values():
        if isinstance(link, Bond) or (isinstance(link, Nic) and link.name not in slaves):
            roots.append(link.name)
    return roots


def render_tree(host: Host, console: Console | None = None) -> None:
    """Print the topology tree of *host* on *console* (a new stdout console by default)."""
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    console = console or Console()
    masters = host.upper_of()
    uppers = _uppers(host)
    guests_on = _guests_on(host)
    drawn: set[str] = set()

    def label(name: str, note: str = "") -> Text:
        link = host.links[name]
        kind, layer3 = describe(link, masters)
        if not note and isinstance(host.links.get(masters.get(name, "")), Bridge):
            note = f"port of {masters[name]}"
        text = Text.assemble((name, "bold"), "  ", (kind, "cyan"))
        if note:
            text.append(f"  {note}", "magenta")
        if layer3.startswith(NO_ADDRESS):
            text.append(f"  {layer3}", "yellow")
        elif layer3:
            text.append(f"  {layer3}", "green")
        return text

    def grow(node: Tree, name: str) -> None:
        drawn.add(name)
        link = host.links[name]
        if isinstance(link, Bond):
            for slave in link.slaves:
                note = "slave, primary" if slave == link.options.primary else "slave"
                if slave in host.links and slave not in drawn:
                    drawn.add(slave)
                    node.add(label(slave, note))
                else:
                    node.add(Text(f"{slave}  (not defined)", "red"))
        if isinstance(link, Bridge):
            others = [p.name for p in link.ports[1:]]
            if others:
                node.add(Text("also ports: " + ", ".join(others), "dim"))
            for guest, nic in guests_on.get(name, []):
                node.add(_guest_text(guest, nic, Text))
        for upper in uppers[name]:
            if upper not in drawn:
                grow(node.add(label(upper)), upper)

    tree = Tree(Text(f"host {host.hostname or '(unnamed)'}", "bold"))
    for root in _roots(host):
        if root not in drawn:
            grow(tree.add(label(root)), root)
    rest = [name for name in host.links if name not in drawn]
    if rest:
        unattached = tree.add(Text("unattached", "red"))
        for name in rest:
            if name not in drawn:
                grow(unattached.add(label(name)), name)
    console.print(tree)


def _guest_text(guest: Guest, nic: GuestNic, text_cls: type[Text]) -> Text:
    details = ", ".join(x for x in (nic.mac, nic.model) if x)
    return text_cls.assemble(
        ("guest ", "dim"),
        (guest.name, "bold blue"),
        f" ({guest.kind.value})",
        f"  {details}" if details else "",
    )


def dot_quote(text: str) -> str:
    """A Graphviz double-quoted string: backslash and quote escaped, no raw line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "") + '"'


def render_dot(host: Host) -> str:
    """Graphviz ``digraph``: one node per link and guest, edges from lower to upper link."""
    masters = host.upper_of()
    shapes = {Nic: "box", Bond: "box3d", Vlan: "hexagon", Bridge: "ellipse"}
    lines = [
        f"digraph {dot_quote('hvnet ' + (host.hostname or '(unnamed)'))} {{",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=10];',
    ]
    for link in host.links.values():
        kind, layer3 = describe(link, masters)
        label = "\n".join(x for x in (link.name, kind, layer3) if x)
        shape = next((s for cls, s in shapes.items() if isinstance(link, cls)), "box")
        style = ", style=dashed" if layer3.startswith(NO_ADDRESS) else ""
        lines.append(f"  {dot_quote(link.name)} [label={dot_quote(label)}, shape={shape}{style}];")
    for link in host.links.values():
        for lower in link.lower_names():
            if lower in host.links:
                lines.append(f"  {dot_quote(lower)} -> {dot_quote(link.name)};")
    for guest in host.guests:
        gid = dot_quote("guest:" + guest.name)
        lines.append(
            f"  {gid} [label={dot_quote(guest.name + chr(10) + guest.kind.value)}, "
            "shape=component];"
        )
        for nic in guest.nics:
            if nic.bridge is not None and nic.bridge in host.links:
                details = " ".join(x for x in (nic.mac, nic.model) if x)
                lines.append(f"  {dot_quote(nic.bridge)} -> {gid} [label={dot_quote(details)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
