"""Step 2 of ``hvnet status``: verdicts. Pure rules over a status document, no I/O.

Every rule is a small function that looks at one bond, VLAN or bridge and returns
:class:`~hvnet.status.doc.Finding` objects; an object's level is its worst finding, a
link's level the worst finding about it, the host's the worst of all (docs/status.md lists
every rule with its code and level). Rules never guess: when a fact a rule needs is unknown,
the rule says ``unknown`` instead of ``ok``.

"Active slave" means a slave in the bond whose MII status (or ARP monitor verdict, which the
kernel reports in the same field) is ``up``: a slave that can carry traffic after a failover.
For 802.3ad that deliberately ignores aggregators: a slave in another aggregator still takes
over when the active aggregator dies, so aggregator trouble is its own warning.

Flapping needs memory: :func:`evaluate` takes the previous run's link failure counts
(:mod:`hvnet.status.state` stores them) and flags any slave whose count rose since then.
"""

from __future__ import annotations

from hvnet.kernel.record import Record, field, replace
from hvnet.status.doc import (
    HEALTHY,
    BondStatus,
    BridgeStatus,
    Finding,
    Health,
    Level,
    LinkStatus,
    StatusDoc,
    VlanStatus,
    worst,
)

TYPE_CHECKING = False  # not typing's: importing typing costs more than this command
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import TypeVar

    _T = TypeVar("_T")


OK, UNKNOWN, WARNING, CRITICAL = Level.OK, Level.UNKNOWN, Level.WARNING, Level.CRITICAL
#: Modes where a primary slave means something to the kernel.
PRIMARY_MODES = frozenset({"active-backup", "balance-tlb", "balance-alb"})
#: Modes in which the kernel turns the MII monitor on by itself (miimon 100).
SELF_MONITORING_MODES = frozenset({"802.3ad", "balance-tlb", "balance-alb"})
#: Operstates in which a link carries nothing ("unknown" is what drivers without operstate
#: support report while working, e.g. tun and dummy, so it does not count as down).
DOWN_STATES = frozenset({"down", "lowerlayerdown", "notpresent"})
#: Bridge port STP states in which the port forwards (or will, after the forward delay).
FORWARDING_STATES = frozenset({"forwarding", "learning", "listening"})
_ZERO_MAC = "00:00:00:00:00:00"


class PreviousRun(Record):
    """What the previous run saw: its time and the link failure count per bond and slave."""

    time: str | None = None
    failure_counts: dict[str, dict[str, int]] = field(default_factory=dict)


def failure_counts(doc: StatusDoc) -> dict[str, dict[str, int]]:
    """This run's link failure counts, to be saved for the next run's flapping rule."""
    return {
        b.name: {s.name: s.link_failure_count for s in b.slaves if s.link_failure_count is not None}
        for b in doc.bonds
    }


# --- bonds ------------------------------------------------------------------------------


def _slave_findings(b: BondStatus, previous: PreviousRun | None) -> list[Finding]:
    out: list[Finding] = []
    before = (previous.failure_counts.get(b.name) or {}) if previous else {}
    for s in b.slaves:
        if not s.enslaved:
            out.append(
                Finding(
                    "slave-missing",
                    WARNING,
                    s.name,
                    f"{s.name} is configured but not a slave of {b.name}",
                )
            )
            continue
        if s.mii_status is None:
            out.append(
                Finding("slave-unknown", UNKNOWN, s.name, f"MII status of {s.name} is unknown")
            )
        elif s.mii_status != "up":
            out.append(Finding("slave-down", WARNING, s.name, f"slave {s.name} is {s.mii_status}"))
        old = before.get(s.name)
        if old is not None and s.link_failure_count is not None and s.link_failure_count > old:
            since = f" since {previous.time}" if previous and previous.time else ""
            out.append(
                Finding(
                    "flapping",
                    WARNING,
                    s.name,
                    f"{s.name} link failure count rose {old} → {s.link_failure_count}"
                    f"{since} (link is {s.mii_status or 'unknown'} now)",
                )
            )
    return out


def _redundancy_findings(b: BondStatus) -> list[Finding]:
    enslaved = [s for s in b.slaves if s.enslaved]
    expected = len(b.configured_slaves) if b.configured_slaves is not None else len(enslaved)
    if not b.slaves:
        return [Finding("bond-no-slaves", CRITICAL, b.name, f"{b.name} has no slaves")]
    if any(s.mii_status is None for s in enslaved):
        known_up = sum(1 for s in enslaved if s.mii_status == "up")
        if known_up == 0:
            return [
                Finding("bond-unknown", UNKNOWN, b.name, f"slave states of {b.name} are unknown")
            ]
    active = sum(1 for s in enslaved if s.mii_status == "up")
    out: list[Finding] = []
    if active == 0 or b.mii_status == "down":
        out.append(
            Finding(
                "bond-down",
                CRITICAL,
                b.name,
                f"{b.name} is down: no slave is up"
                if active == 0
                else f"{b.name} MII status is down",
            )
        )
    if 0 < active < expected:
        out.append(
            Finding(
                "bond-degraded", WARNING, b.name, f"{b.name} has {active} of {expected} slaves up"
            )
        )
    if active == 1 and expected >= 2:
        out.append(
            Finding(
                "no-redundancy",
                CRITICAL,
                b.name,
                f"{b.name} runs on its last slave: one more failure cuts it off",
            )
        )
    if expected == 1:
        out.append(
            Finding(
                "single-slave",
                WARNING,
                b.name,
                f"{b.name} has a single slave: no redundancy by design",
            )
        )
    return out


def _lacp_findings(b: BondStatus) -> list[Finding]:
    if b.mode != "802.3ad":
        return []
    out: list[Finding] = []
    up = [s for s in b.slaves if s.enslaved and s.mii_status == "up"]
    bond_partner = b.lacp.partner_mac if b.lacp else None
    no_partner = [s.name for s in up if s.partner_mac == _ZERO_MAC]
    if bond_partner == _ZERO_MAC or (no_partner and len(no_partner) == len(up)):
        out.append(
            Finding(
                "lacp-no-partner",
                WARNING,
                b.name,
                f"{b.name}: no LACP partner answers (is the switch port in LACP?)",
            )
        )
    elif no_partner:
        for name in no_partner:
            out.append(
                Finding("lacp-no-partner", WARNING, name, f"{name}: no LACP partner on this slave")
            )
    aggregators = {s.aggregator_id for s in up if s.aggregator_id is not None}
    if len(aggregators) > 1:
        detail = ", ".join(f"{s.name}={s.aggregator_id}" for s in up)
        out.append(
            Finding(
                "lacp-split",
                WARNING,
                b.name,
                f"{b.name}: slaves in different aggregators ({detail})",
            )
        )
    partners = {s.partner_mac for s in up if s.partner_mac not in (None, _ZERO_MAC)}
    if len(partners) > 1:
        out.append(
            Finding(
                "lacp-split",
                WARNING,
                b.name,
                f"{b.name}: slaves see different partners ({', '.join(sorted(partners))})",
            )
        )
    return out


def _primary_findings(b: BondStatus) -> list[Finding]:
    primary = b.configured_primary or b.primary
    if not primary or b.mode not in PRIMARY_MODES:
        return []
    if b.active_slave is None:
        return []  # no active slave at all: bond-down says it
    if b.active_slave != primary:
        slave = next((s for s in b.slaves if s.name == primary), None)
        why = f" ({primary} is {slave.mii_status})" if slave and slave.mii_status != "up" else ""
        return [
            Finding(
                "not-primary",
                WARNING,
                b.name,
                f"{b.name}: active slave is {b.active_slave}, not the primary {primary}{why}",
            )
        ]
    return []


def _monitoring_findings(b: BondStatus) -> list[Finding]:
    if b.monitoring.method == "none" and b.mode not in SELF_MONITORING_MODES:
        return [
            Finding(
                "no-monitoring",
                WARNING,
                b.name,
                f"{b.name} has neither miimon nor arp_interval: dead slaves go unnoticed",
            )
        ]
    return []


def _mtu_findings(
    owner: str, pairs: Iterable[tuple[str, int | None]], want: int | None, what: str
) -> list[Finding]:
    """Lower links whose MTU is below the upper link's (frames get dropped on the way)."""
    out: list[Finding] = []
    if want is None:
        return out
    for name, mtu in pairs:
        if mtu is not None and mtu < want:
            out.append(
                Finding(
                    "mtu-mismatch",
                    WARNING,
                    name,
                    f"{what} {name} has mtu {mtu}, below {owner}'s {want}",
                )
            )
    return out


def judge_bond(b: BondStatus, previous: PreviousRun | None = None) -> Health:
    findings = _redundancy_findings(b)
    findings += _slave_findings(b, previous)
    findings += _lacp_findings(b)
    findings += _primary_findings(b)
    findings += _monitoring_findings(b)
    findings += _mtu_findings(
        b.name, ((s.name, s.mtu) for s in b.slaves if s.enslaved), b.mtu, "slave"
    )
    return Health.of(findings)


# --- VLANs and bridges --------------------------------------------------------------------


def judge_vlan(v: VlanStatus, link_names: Mapping[str, LinkStatus]) -> Health:
    parent = link_names.get(v.parent) if v.parent is not None else None
    return Health.of(
        vlan_findings(
            v.name,
            v.parent,
            bool(link_names) and v.parent not in link_names,
            v.parent_operstate,
            v.mtu,
            parent.mtu if parent is not None else None,
        )
    )


def vlan_findings(
    name: str,
    parent: str | None,
    parent_missing: bool,
    parent_operstate: str | None,
    mtu: int | None,
    parent_mtu: int | None,
) -> list[Finding]:
    """The VLAN rules over plain values (``parent_missing``: the link list lacks it).

    Plain values rather than a :class:`VlanStatus` so that the fast JSON path
    (:mod:`hvnet.status.fastjson`) applies the very same rules without building
    document objects for thousands of VLANs.
    """
    findings: list[Finding] = []
    if parent is None:
        findings.append(
            Finding("vlan-parent-unknown", UNKNOWN, name, f"parent of {name} is unknown")
        )
    elif parent_missing:
        findings.append(
            Finding(
                "vlan-parent-missing", CRITICAL, name, f"{name}: parent {parent} does not exist"
            )
        )
    elif parent_operstate is None:
        findings.append(
            Finding(
                "vlan-parent-unknown",
                UNKNOWN,
                name,
                f"state of {name}'s parent {parent} is unknown",
            )
        )
    elif parent_operstate in DOWN_STATES:
        findings.append(
            Finding(
                "vlan-parent-down", CRITICAL, name, f"{name}: parent {parent} is {parent_operstate}"
            )
        )
    if parent is not None and parent_mtu is not None and mtu is not None and mtu > parent_mtu:
        findings.append(
            Finding(
                "mtu-mismatch",
                WARNING,
                name,
                f"{name} has mtu {mtu}, above its parent {parent}'s {parent_mtu}",
            )
        )
    return findings


#: What the bridge rules read of a port: name, role, STP state, operstate, MTU.
PortView = tuple[str, str, str | None, str | None, int | None]


def _forwards(port: PortView) -> bool | None:
    """Whether a port passes frames: its STP state, else its operstate; None if unknown."""
    if port[2] is not None:
        return port[2] in FORWARDING_STATES
    return None if port[3] is None else port[3] not in DOWN_STATES


def judge_bridge(br: BridgeStatus) -> Health:
    ports = [(p.name, p.role, p.stp_state, p.operstate, p.mtu) for p in br.ports]
    return Health.of(bridge_findings(br.name, ports, br.ports_known, br.configured_ports, br.mtu))


def bridge_findings(
    name: str,
    ports: list[PortView],
    ports_known: bool,
    configured_ports: tuple[str, ...] | None,
    mtu: int | None,
) -> list[Finding]:
    """The bridge rules over plain values (see :func:`vlan_findings` for why)."""
    if len(ports) == 1:  # the usual bridge: one uplink; healthy when it forwards, MTU fits
        _, role, state, operstate, port_mtu = ports[0]
        forwards = state in FORWARDING_STATES if state is not None else None
        if state is None and operstate is not None:
            forwards = operstate not in DOWN_STATES
        if role == "uplink" and forwards and (port_mtu is None or mtu is None or port_mtu >= mtu):
            return []
    findings: list[Finding] = []
    uplinks = [p for p in ports if p[1] == "uplink"]
    if not uplinks:
        if not ports_known:
            findings.append(
                Finding("bridge-ports-unknown", UNKNOWN, name, f"ports of {name} are unknown")
            )
        elif configured_ports != ():  # a config saying "no ports" means host-only
            findings.append(
                Finding(
                    "bridge-no-uplink",
                    WARNING,
                    name,
                    f"{name} has no uplink: guests reach only each other",
                )
            )
    else:
        verdicts = [_forwards(p) for p in uplinks]
        if not any(verdicts):
            if all(v is False for v in verdicts):
                findings.append(
                    Finding(
                        "bridge-uplink-down",
                        CRITICAL,
                        name,
                        f"{name}: no uplink forwards ("
                        + ", ".join(f"{p[0]} {p[2] or p[3]}" for p in uplinks)
                        + ")",
                    )
                )
            else:
                findings.append(
                    Finding(
                        "bridge-ports-unknown",
                        UNKNOWN,
                        name,
                        f"state of {name}'s uplinks is unknown",
                    )
                )
    mtus = {p[4] for p in ports if p[4] is not None}
    if len(mtus) > 1:
        low = min(mtus)
        names = ", ".join(f"{p[0]} {p[4]}" for p in ports if p[4] is not None)
        findings.append(
            Finding(
                "mtu-mismatch",
                WARNING,
                name,
                f"{name}: ports differ in MTU ({names}); frames above "
                f"{low} are dropped on the smaller ports",
            )
        )
    elif mtus and mtu is not None and min(mtus) < mtu:
        findings += _mtu_findings(name, ((p[0], p[4]) for p in ports), mtu, "port")
    return findings


# --- the whole document -----------------------------------------------------------------

_SLOTS: dict[type, tuple[str, ...]] = {}


def with_health(obj: _T, health: Health) -> _T:
    """A copy of a frozen slotted document object with its verdict set.

    :func:`dataclasses.replace` re-runs ``__init__`` through field introspection: on a host
    with thousands of links that alone cost more than every rule together.
    """
    cls = type(obj)
    names = _SLOTS.get(cls)
    if names is None:
        names = _SLOTS[cls] = obj.__fields__  # type: ignore[attr-defined]
    new = object.__new__(cls)
    setter = object.__setattr__
    for name in names:
        setter(new, name, getattr(obj, name))
    setter(new, "health", health)
    return new


def _set_health(obj: _T, health: Health) -> _T:
    """Set the verdict of an object nobody else holds yet (see ``evaluate(fresh=True)``)."""
    object.__setattr__(obj, "health", health)
    return obj


def evaluate(
    doc: StatusDoc, previous: PreviousRun | None = None, *, fresh: bool = False
) -> StatusDoc:
    """Judge every bond, VLAN, bridge and link; set the overall verdict.

    The document passed in is left as it was, unless ``fresh`` says it was just built for
    this call and is referenced nowhere else (what :func:`hvnet.status.judge` does): then
    the verdicts are stored in its objects instead of copies of them, which on thousands
    of links saves more time than every rule takes.
    """
    put = _set_health if fresh else with_health
    link_names = {link.name: link for link in doc.links}
    bonds = tuple(put(b, judge_bond(b, previous)) for b in doc.bonds)
    vlans = tuple(put(v, judge_vlan(v, link_names)) for v in doc.vlans)
    bridges = tuple(put(br, judge_bridge(br)) for br in doc.bridges)
    about: dict[str, list[Finding]] = {}
    own: dict[str, Health] = {}
    for group in (bonds, vlans, bridges):
        for obj in group:
            own[obj.name] = obj.health
            for f in obj.health.findings:
                if f.subject != obj.name:
                    about.setdefault(f.subject, []).append(f)
    links = []
    for link in doc.links:
        extra = about.get(link.name)
        mine = own.get(link.name)
        if extra is None and mine is None:
            health = HEALTHY
        else:
            found = [*(mine.findings if mine else ()), *(extra or ())]
            health = Health(worst([f.level for f in found]), tuple(found))
        links.append(put(link, health))
    levels = [o.health.level for group in (bonds, vlans, bridges) for o in group]
    overall = worst(levels) if levels else (OK if doc.links else UNKNOWN)
    return replace(
        doc,
        bonds=bonds,
        vlans=vlans,
        bridges=bridges,
        links=tuple(links),
        overall=overall,
        host=replace(doc.host, previous_run=previous.time if previous else None),
    )
