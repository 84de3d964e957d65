"""``hvnet status --tables``: the document as narrow tables (fits an 80-column terminal).

One table per kind of object, with the per-member detail (slaves, bridge ports) in its
own table rather than extra columns, then the findings. Split from :mod:`present` to keep
both files short; like every presenter it reads nothing but the document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hvnet.status.doc import StatusDoc
from hvnet.status.guests import describe_guest
from hvnet.status.present import STYLE, health_cell, show

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

_VLAN_FLAGS = ("reorder_hdr", "gvrp", "mvrp", "loose_binding", "bridge_binding")


def _table(title: str, *columns: str) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=None, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def bond_tables(doc: StatusDoc) -> tuple[Table, Table]:
    bonds = _table("Bonds", "bond", "mode", "monitor", "primary", "active", "up", "health")
    slaves = _table(
        "Bond slaves",
        "bond",
        "slave",
        "mii",
        "state",
        "speed",
        "fails",
        "perm MAC",
        "agg",
        "partner",
        "key",
    )
    for b in doc.bonds:
        m = b.monitoring
        if m.method == "arp":
            monitor = f"arp {show(m.arp_interval_ms)}ms"
        elif m.method == "mii":
            monitor = f"mii {show(m.miimon_ms)}/{show(m.updelay_ms)}/{show(m.downdelay_ms)}"
        else:
            monitor = show(m.method)
        enslaved = [s for s in b.slaves if s.enslaved]
        up = sum(1 for s in enslaved if s.mii_status == "up")
        expected = len(b.configured_slaves) if b.configured_slaves is not None else len(enslaved)
        bonds.add_row(
            b.name,
            show(b.mode),
            monitor,
            show(b.configured_primary or b.primary),
            show(b.active_slave),
            f"{up}/{expected}",
            health_cell(b.health),
        )
        for s in b.slaves:
            slaves.add_row(
                b.name,
                s.name,
                show(s.mii_status) if s.enslaved else "NOT IN BOND",
                show(s.state),
                f"{show(s.speed_mbps)} {show(s.duplex)}",
                show(s.link_failure_count),
                show(s.perm_hwaddr),
                show(s.aggregator_id),
                show(s.partner_mac),
                show(s.partner_key),
            )
    return bonds, slaves


def vlan_table(doc: StatusDoc) -> Table:
    vlans = _table(
        "VLANs",
        "vlan",
        "id",
        "parent",
        "proto",
        "state",
        "mtu",
        "flags",
        "rx frames/bytes",
        "tx frames/bytes",
        "health",
    )
    for v in doc.vlans:
        flags = ",".join(n for n in _VLAN_FLAGS if getattr(v.flags, n)) or "-"
        c = v.counters
        vlans.add_row(
            v.name,
            show(v.vid),
            show(v.parent),
            show(v.protocol),
            show(v.operstate),
            show(v.mtu),
            flags,
            f"{show(c.rx_frames)}/{show(c.rx_bytes)}",
            f"{show(c.tx_frames)}/{show(c.tx_bytes)}",
            health_cell(v.health),
        )
    return vlans


def bridge_tables(doc: StatusDoc) -> tuple[Table, Table]:
    bridges = _table(
        "Bridges",
        "bridge",
        "state",
        "mtu",
        "address",
        "STP",
        "prio",
        "root",
        "uplinks",
        "guests",
        "health",
    )
    ports = _table("Bridge ports", "bridge", "port", "role", "guest", "STP state", "mtu", "address")
    for br in doc.bridges:
        uplinks = sum(1 for p in br.ports if p.role == "uplink")
        bridges.add_row(
            br.name,
            show(br.operstate),
            show(br.mtu),
            show(br.address),
            show(br.stp.mode),
            show(br.stp.priority),
            show(br.stp.root_id),
            str(uplinks),
            str(len(br.ports) - uplinks),
            health_cell(br.health),
        )
        for p in br.ports:
            ports.add_row(
                br.name,
                p.name,
                p.role,
                describe_guest(p.guest) if p.guest else "",
                show(p.stp_state),
                show(p.mtu),
                show(p.address),
            )
    return bridges, ports


def render_tables(doc: StatusDoc, console: Console | None = None) -> None:
    from rich.console import Console

    console = console or Console()
    for table in (*bond_tables(doc), vlan_table(doc), *bridge_tables(doc)):
        if table.row_count:
            console.print(table)
            console.print()
    findings = doc.findings()
    console.print(
        f"overall: [{STYLE[doc.overall]}]{doc.overall.value}[/] ({len(findings)} finding(s))"
    )
    for f in findings:
        console.print(
            f"  [{STYLE[f.level]}]{f.level.value:8}[/] {f.code:18} {f.message}", highlight=False
        )
