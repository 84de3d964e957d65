"""``hvnet status --json`` of the live host, written straight from the link dump.

Monitoring runs this every minute on hypervisors with thousands of VLANs and bridges, and
issue #5 holds it to twice the time of ``ip -d -j link show``. The reference pipeline
(facts → document objects → verdicts → JSON through callbacks, :mod:`hvnet.status`) builds
about a dozen objects per link before writing a byte. Here the C decoder
(:mod:`hvnet._rtnl`) writes each link's own facts as JSON text while it decodes them
(its *fragments*: kind, state, MTU, counters, a VLAN's flags, a bridge's STP block, a
port's STP state), and this module adds what needs the other links — roles, masters,
parents, bridge ports, guests, speeds — and the verdicts, applying the very same rules
(:func:`~hvnet.status.health.vlan_findings`, :func:`~hvnet.status.health.bridge_findings`).
Bonds, the complex and rare part, go through the reference pipeline
(:func:`hvnet.status.live.assemble` → ``build`` → ``judge_bond``).

The result is byte for byte what :func:`hvnet.status.present.render_json` prints for the
same dump: ``tests/status/test_fastjson.py`` compares both on synthetic and captured
kernel dumps, and ``bench/bench_status.py`` on the lab's real kernel. Only the live host
without ``--config`` takes this path, and only when the C decoder is built
(:func:`available`); otherwise the reference pipeline prints the same document.
"""

from __future__ import annotations

import os
import time
from _json import encode_basestring as _quote  # what json.dumps(ensure_ascii=False) uses

from hvnet.status.guests import is_guest_port, name_guest_port
from hvnet.status.health import bridge_findings, vlan_findings
from hvnet.status.sysread import nic_speed

TYPE_CHECKING = False  # not typing's: importing typing costs more than this command
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from hvnet.status.doc import BondStatus, Finding
    from hvnet.status.rtnl import RawLink

    #: One link as the C decoder's ``status_rows`` gives it (hvnet/_rtnl_src/rows.c): the
    #: values needed across links, then the link's own facts as JSON fragments.
    Row = tuple[Any, ...]

# Row fields (see hvnet/_rtnl_src/rows.c).
_NAME, _INDEX, _KIND, _SLAVE_KIND, _MASTER, _PARENT, _OPERSTATE, _MTU, _ADDRESS = range(9)
_PORT_STATE, _Q_NAME, _F_LINK, _F_COUNTERS, _F_KIND1, _F_KIND2, _F_KIND3, _F_PORT = range(9, 17)

SCHEMA_VERSION = 1
_HEALTHY = '{"level": "ok", "findings": []}'
_RANK = {"ok": 0, "unknown": 1, "warning": 2, "critical": 3}
#: Kinds shown as NICs (as :mod:`hvnet.status.collect`): physical ports have none.
_NIC_KINDS = frozenset({None, "veth", "dummy", "tun"})
#: Roles that are the link's kind itself.
_OWN_ROLE = frozenset({"bond", "vlan", "bridge"})


def available() -> bool:
    """Whether this path can run: it needs the C decoder's fragments."""
    from hvnet.native import rtnl as c_decoder

    return c_decoder() is not None


def _refuse(value: object) -> object:
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _encoder() -> Any:
    """json's C encoder, set up as ``json.dumps(ensure_ascii=False)`` sets it up.

    Taken from ``_json`` directly: the json package imports its decoder and with it ``re``,
    which costs this command more than writing a thousand bridges. On a Python whose
    private API differs, the public encoder does the same job.
    """
    try:
        from _json import make_encoder

        return make_encoder(None, _refuse, _quote, None, ": ", ", ", False, False, True)
    except (ImportError, TypeError):
        from json import JSONEncoder

        return JSONEncoder(ensure_ascii=False).iterencode


_ENCODE = _encoder()


def _plain(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)``."""
    return "".join(_ENCODE(value, 0))


def _health(findings: list[Finding]) -> str:
    """A verdict as JSON: the worst level of the findings, then the findings."""
    if not findings:
        return _HEALTHY
    level = max((f.level.value for f in findings), key=_RANK.__getitem__)
    items = ", ".join(
        _plain({"code": f.code, "level": f.level.value, "subject": f.subject, "message": f.message})
        for f in findings
    )
    return f'{{"level": "{level}", "findings": [{items}]}}'


class _Judged:
    """The findings of every judged object that has any, in document order, the findings
    about other links, and the worst level of all objects (for ``overall``).

    Healthy objects leave no trace but the count: on a healthy host of thousands of links
    that is almost all of them.
    """

    __slots__ = ("about", "count", "own", "worst")

    def __init__(self) -> None:
        self.own: dict[str, list[Finding]] = {}
        self.about: dict[str, list[Finding]] = {}
        self.count = 0
        self.worst = "ok"

    def add(self, name: str, findings: list[Finding]) -> None:
        self.own[name] = findings
        for f in findings:
            if _RANK[f.level.value] > _RANK[self.worst]:
                self.worst = f.level.value
            if f.subject != name:
                self.about.setdefault(f.subject, []).append(f)


def _bonds(
    subset: list[RawLink], proc: str, sys: str, state_file: Path | None, generated: str
) -> tuple[list[BondStatus], tuple[str, ...], str | None]:
    """Bonds through the reference pipeline (``subset``: the bonds and their slaves):
    judged bonds in name order, the /proc problems, and the previous run's time (flapping
    memory is only about bond slaves)."""
    previous = None
    if state_file is not None:
        from hvnet.status.state import load_previous

        previous = load_previous(state_file)
    bonds: list[BondStatus] = []
    problems: tuple[str, ...] = ()
    counts: dict[str, dict[str, int]] = {}
    if subset:
        from hvnet.status.collect import Gathered, build
        from hvnet.status.health import _set_health, judge_bond
        from hvnet.status.live import assemble

        facts, _ = assemble(subset, proc, sys)
        problems = facts.problems
        for bond in build(Gathered(facts=facts, live=True)).bonds:
            bonds.append(_set_health(bond, judge_bond(bond, previous)))
            counts[bond.name] = {
                s.name: s.link_failure_count
                for s in bond.slaves
                if s.link_failure_count is not None
            }
    if state_file is not None:
        from hvnet.status.state import save_run

        save_run(state_file, generated, counts)
    return bonds, problems, previous.time if previous else None


def live_json(state_file: Path | None = None, indent: int | None = None) -> str:
    """``hvnet status --json`` of this network namespace: one netlink dump, written out.

    Needs the C decoder (:func:`available`). Raises :class:`~hvnet.status.StatusError`
    when netlink cannot be read, as the reference path does. ``indent`` re-indents the
    compact text (for a terminal).
    """
    from hvnet.status.guests import read_libvirt_ports
    from hvnet.status.rtnl import dump_rows

    try:
        rows, bond_links = dump_rows()
    except OSError as exc:
        from hvnet.status import StatusError

        raise StatusError(f"cannot read the running kernel: {exc}") from exc
    text = render_live_json(
        rows, bond_links, state_file=state_file, libvirt_ports=read_libvirt_ports("/")
    )
    if indent is None:
        return text
    from json import dumps, loads

    return dumps(loads(text), indent=indent, ensure_ascii=False) + "\n"


def render_live_json(
    rows: list[Row],
    bond_links: list[RawLink],
    *,
    proc: str = "/proc",
    sys: str = "/sys",
    state_file: Path | None = None,
    libvirt_ports: dict[str, str] | None = None,
    generated: str | None = None,
) -> str:
    """The ``--json`` document (compact, with its final newline) for these links.

    ``rows`` and ``bond_links`` are what the C decoder's ``status_rows`` gives for one
    dump (:func:`hvnet.status.rtnl.dump_rows`).
    """
    if generated is None:  # the same text as collect.build, without importing datetime
        generated = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    libvirt = libvirt_ports or {}
    names = {row[_INDEX]: row[_NAME] for row in rows}
    by_name = {row[_NAME]: row for row in rows}
    link_names = by_name.keys() - {"lo"}
    ports_of: dict[str, list[str]] = {}
    has_lowers: set[str] = set()
    vlans: list[str] = []
    bridges: list[str] = []
    for row in rows:
        kind = row[_KIND]
        if kind == "vlan":
            vlans.append(row[_NAME])
        elif kind == "bridge":
            bridges.append(row[_NAME])
        master = names.get(row[_MASTER]) if row[_MASTER] else None
        if master is not None:
            has_lowers.add(master)
            if row[_SLAVE_KIND] == "bridge":
                ports_of.setdefault(master, []).append(row[_NAME])
    bonds, problems, previous_time = _bonds(bond_links, proc, sys, state_file, generated)
    judged = _Judged()
    bond_items = []
    if bonds:
        from hvnet.status.doc import to_json

        judged.count += len(bonds)
        for bond in bonds:
            judged.add(bond.name, list(bond.health.findings))
            bond_items.append(_plain(to_json(bond)))
    judged.count += len(vlans) + len(bridges)
    vlan_items = [
        _vlan(by_name[name], names, by_name, link_names, judged) for name in sorted(vlans)
    ]
    bridge_items = []
    bridge_ports: set[str] = set()
    for name in sorted(bridges):
        ports = sorted(ports_of.get(name, ()))
        bridge_ports.update(ports)
        bridge_items.append(
            _bridge(by_name[name], [by_name[p] for p in ports], name in has_lowers, libvirt, judged)
        )
    sys_net = os.path.join(sys, "class", "net")
    link_items = [
        _link(by_name[name], names, bridge_ports, sys_net, judged) for name in sorted(link_names)
    ]
    overall = judged.worst if judged.count else "ok" if link_names else "unknown"
    host = _plain(
        {
            "hostname": os.uname().nodename,
            "source": "live",
            "root": "/",
            "kernel_release": os.uname().release,
            "generated": generated,
            "config": None,
            "previous_run": previous_time,
        }
    )
    return (
        f'{{"version": {SCHEMA_VERSION}, "host": {host}, "overall": "{overall}", '
        f'"bonds": [{", ".join(bond_items)}], "vlans": [{", ".join(vlan_items)}], '
        f'"bridges": [{", ".join(bridge_items)}], "links": [{", ".join(link_items)}], '
        f'"problems": {_plain(list(problems))}}}\n'
    )


# The writers below run once per link on hosts with thousands of them: f-strings (faster
# than ``%`` with this many values) around the C decoder's fragments.


def _vlan(
    row: Row, names: dict[int, str], by_name: dict[str, Row], link_names: Any, judged: _Judged
) -> str:
    name = row[_NAME]
    parent = names.get(row[_PARENT] or 0)
    upper = by_name.get(parent) if parent is not None else None
    parent_state = upper[_OPERSTATE] if upper is not None else None
    parent_mtu = upper[_MTU] if upper is not None and parent in link_names else None
    findings = vlan_findings(
        name, parent, bool(link_names) and parent not in link_names, parent_state, row[_MTU],
        parent_mtu,
    )  # fmt: skip
    if findings:
        judged.add(name, findings)
    return (
        f'{{"name": {row[_Q_NAME]}, {row[_F_KIND1]}, '
        f'"parent": {"null" if parent is None else _quote(parent)}, {row[_F_KIND2]}, '
        f'"parent_operstate": {"null" if parent_state is None else _quote(parent_state)}, '
        f'{row[_F_KIND3]}, "health": {_health(findings) if findings else _HEALTHY}}}'
    )


def _bridge(
    row: Row, ports: list[Row], has_lowers: bool, libvirt: dict[str, str], judged: _Judged
) -> str:
    items = []
    views = []
    for port in ports:
        name, guest, role = port[_NAME], "null", "uplink"
        if is_guest_port(name, port[_KIND]):
            role = "guest"
            ref = name_guest_port(name, port[_ADDRESS], libvirt, {})
            guest = _plain({"name": ref.name, "source": ref.source, "domain_id": ref.domain_id})
        views.append((name, role, port[_PORT_STATE], port[_OPERSTATE], port[_MTU]))
        items.append(
            f'{{"name": {port[_Q_NAME]}, "role": "{role}", {port[_F_PORT]}, '
            f'"configured": null, "guest": {guest}}}'
        )
    known = bool(ports) or has_lowers or row[_OPERSTATE] is not None
    findings = bridge_findings(row[_NAME], views, known, None, row[_MTU])
    if findings:
        judged.add(row[_NAME], findings)
    return (
        f'{{"name": {row[_Q_NAME]}, {row[_F_KIND1]}, "ports": [{", ".join(items)}], '
        f'"ports_known": {"true" if known else "false"}, "configured_ports": null, '
        f'"health": {_health(findings) if findings else _HEALTHY}}}'
    )


def _link(
    row: Row, names: dict[int, str], bridge_ports: set[str], sys_net: str, judged: _Judged
) -> str:
    name, kind = row[_NAME], row[_KIND]
    speed = duplex = None
    if kind in _OWN_ROLE:
        role = kind
    else:
        if is_guest_port(name, kind) and (name in bridge_ports or kind in _NIC_KINDS):
            role = "guest"
        elif kind in _NIC_KINDS:
            role = "nic"
        else:
            role = "other"
        if kind in (None, "veth") and row[_SLAVE_KIND] != "bridge":
            speed, duplex = nic_speed(sys_net, name)
    master = names.get(row[_MASTER]) if row[_MASTER] else None
    own, about = judged.own.get(name), judged.about.get(name)
    health = _HEALTHY if own is None and about is None else _health([*(own or ()), *(about or ())])
    return (
        f'{{"name": {row[_Q_NAME]}, "role": "{role}", {row[_F_LINK]}, '
        f'"master": {"null" if master is None else _quote(master)}, '
        f'"speed_mbps": {"null" if speed is None else speed}, '
        f'"duplex": {"null" if duplex is None else _quote(duplex)}, {row[_F_COUNTERS]}, '
        f'"health": {health}}}'
    )
