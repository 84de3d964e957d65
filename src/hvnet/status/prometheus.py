"""``hvnet status --prometheus``: the status document in Prometheus' text exposition format.

Meant for node_exporter's textfile collector (``--collector.textfile.directory``): write the
output to a ``*.prom`` file atomically (``hvnet status --prometheus > f.$$ && mv f.$$
f.prom``) from cron or a systemd timer.

Names follow node_exporter's bonding collector (``node_bonding_slaves{master}`` = slaves in
the bond, ``node_bonding_active{master}`` = slaves up) with the same labels and meaning,
but with the ``hvnet_`` prefix: node_exporter enables its bonding collector by default, and
the same metric name arriving from the textfile collector with other HELP text makes the
scrape report "collected before" errors. Everything else is ``hvnet_*``. Levels are numbers
in the monitoring-plugin convention (0 ok, 1 warning, 2 critical, 3 unknown) so an alert
is ``hvnet_health_level > 0``. Unknown values are left out, never exported as 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from hvnet.kernel.facts import BRIDGE_PORT_STATES
from hvnet.status.doc import Level, StatusDoc

_STP_NUMBERS = {name: number for number, name in BRIDGE_PORT_STATES.items()}


def escape_label(value: str) -> str:
    """A label value per the exposition format: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items())
    return "{" + inner + "}"


class _Family:
    """One metric family: HELP and TYPE once, then its samples (the format requires it)."""

    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.name, self.kind, self.help = name, kind, help_text
        self.samples: list[str] = []

    def add(self, value: float | int | bool, **labels: str) -> None:
        number = int(value) if isinstance(value, bool) else value
        self.samples.append(f"{self.name}{_labels(labels)} {number}")

    def lines(self) -> Iterable[str]:
        if not self.samples:
            return ()
        help_text = self.help.replace("\\", "\\\\").replace("\n", "\\n")
        return (f"# HELP {self.name} {help_text}", f"# TYPE {self.name} {self.kind}", *self.samples)


def render_prometheus(doc: StatusDoc) -> str:
    """Every metric of the document (docs/status.md lists them)."""
    fam: dict[str, _Family] = {}

    def family(name: str, kind: str, help_text: str) -> _Family:
        return fam.setdefault(name, _Family(name, kind, help_text))

    overall = family(
        "hvnet_health_overall",
        "gauge",
        "Worst verdict on this host: 0 ok, 1 warning, 2 critical, 3 unknown.",
    )
    overall.add(doc.overall.plugin_code)
    counts = family("hvnet_objects", "gauge", "Bonds, VLANs and bridges on this host.")
    counts.add(len(doc.bonds), kind="bond")
    counts.add(len(doc.vlans), kind="vlan")
    counts.add(len(doc.bridges), kind="bridge")
    findings = family("hvnet_findings", "gauge", "Health findings on this host, by level.")
    by_level: dict[Level, int] = {level: 0 for level in Level if level is not Level.OK}
    for finding in doc.findings():
        by_level[finding.level] = by_level.get(finding.level, 0) + 1
    for level, n in by_level.items():
        findings.add(n, level=level.value)

    slaves_f = family(
        "hvnet_bonding_slaves", "gauge", "Number of configured slaves per bonding interface."
    )
    active_f = family(
        "hvnet_bonding_active", "gauge", "Number of active slaves per bonding interface."
    )
    info_f = family("hvnet_bond_info", "gauge", "Bond mode and link monitoring (always 1).")
    mii_f = family("hvnet_bond_slave_mii_up", "gauge", "Slave MII status: 1 up, 0 not up.")
    cur_f = family(
        "hvnet_bond_slave_current",
        "gauge",
        "1 for the bond's currently active slave (active-backup, tlb, alb).",
    )
    fail_f = family(
        "hvnet_bond_slave_link_failures_total",
        "counter",
        "Link failures of the slave since it joined the bond.",
    )
    agg_f = family("hvnet_bond_slave_aggregator_id", "gauge", "802.3ad aggregator of the slave.")
    part_f = family(
        "hvnet_bond_lacp_partner", "gauge", "802.3ad: 1 when an LACP partner answers on the bond."
    )
    for b in doc.bonds:
        enslaved = [s for s in b.slaves if s.enslaved]
        expected = len(b.configured_slaves) if b.configured_slaves is not None else len(enslaved)
        slaves_f.add(expected, master=b.name)
        active_f.add(sum(1 for s in enslaved if s.mii_status == "up"), master=b.name)
        info_f.add(
            1, master=b.name, mode=b.mode or "unknown", monitoring=b.monitoring.method or "unknown"
        )
        if b.lacp is not None and b.lacp.partner_mac is not None:
            part_f.add(b.lacp.partner_mac != "00:00:00:00:00:00", master=b.name)
        for s in enslaved:
            if s.mii_status is not None:
                mii_f.add(s.mii_status == "up", master=b.name, slave=s.name)
            if b.active_slave is not None:
                cur_f.add(s.name == b.active_slave, master=b.name, slave=s.name)
            if s.link_failure_count is not None:
                fail_f.add(s.link_failure_count, master=b.name, slave=s.name)
            if s.aggregator_id is not None:
                agg_f.add(s.aggregator_id, master=b.name, slave=s.name)

    vlan_f = family("hvnet_vlan_info", "gauge", "VLAN id, parent and protocol (always 1).")
    for v in doc.vlans:
        vlan_f.add(
            1,
            vlan=v.name,
            vid="" if v.vid is None else str(v.vid),
            parent=v.parent or "",
            protocol=v.protocol or "unknown",
        )

    ports_f = family("hvnet_bridge_ports", "gauge", "Bridge ports by role (uplink or guest).")
    stp_f = family(
        "hvnet_bridge_port_stp_state",
        "gauge",
        "STP state: 0 disabled, 1 listening, 2 learning, 3 forwarding, 4 blocking.",
    )
    for br in doc.bridges:
        roles = {"uplink": 0, "guest": 0}
        for p in br.ports:
            roles[p.role] = roles.get(p.role, 0) + 1
            number = _STP_NUMBERS.get(p.stp_state or "")
            if number is not None:
                stp_f.add(number, bridge=br.name, port=p.name, role=p.role)
        for role, n in roles.items():
            ports_f.add(n, bridge=br.name, role=role)

    health_f = family(
        "hvnet_health_level", "gauge", "Verdict per link: 0 ok, 1 warning, 2 critical, 3 unknown."
    )
    for link in doc.links:
        health_f.add(link.health.level.plugin_code, link=link.name, role=link.role)

    lines: list[str] = []
    for metric in fam.values():
        lines.extend(metric.lines())
    return "\n".join(lines) + "\n"
