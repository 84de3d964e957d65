"""The status document: what ``hvnet status`` knows about a host, as plain frozen data.

Three steps produce and use it (collect → health → present), and this module is their only
shared vocabulary. Keeping it plain data (no I/O, no kernel types) is what lets the
presenters stay pure and lets ``--json`` be a stable, documented contract: the JSON is
produced field by field from these classes by :func:`to_json`, so renaming a Python
attribute cannot silently change the schema (docs/status.md; a golden test guards it).

``None`` everywhere means "unknown": not reported by the kernel, missing from a recorded
tree, or not readable without privileges. It never means false or zero.
"""

from __future__ import annotations

from hvnet.kernel.record import Record, field

TYPE_CHECKING = False  # not typing's: importing typing costs more than this command
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, ClassVar

SCHEMA_VERSION = 1


class _LevelType(type):
    """Makes :class:`Level` iterable over its four members, like an enum class."""

    def __iter__(cls) -> Iterator[Level]:
        return iter(_MEMBERS.values())


class Level(str, metaclass=_LevelType):
    """A verdict. Values double as the JSON spelling; :attr:`rank` orders "worse".

    Four canonical string instances rather than an ``enum.StrEnum``: importing ``enum``
    (with functools and collections) cost ``hvnet status --json`` a sixth of its time
    under the lab's emulation. It behaves as the enum did where hvnet relies on it: members
    are compared with ``is``, equal their JSON spelling, iterate in declaration order, and
    ``Level("ok")`` returns the member (anything else raises ValueError).
    """

    __slots__ = ()
    OK: ClassVar[Level]
    UNKNOWN: ClassVar[Level]
    WARNING: ClassVar[Level]
    CRITICAL: ClassVar[Level]

    def __new__(cls, value: str) -> Level:
        member = _MEMBERS.get(value)
        if member is None:
            raise ValueError(f"{value!r} is not a valid Level")
        return member

    def __repr__(self) -> str:
        return f"<Level.{self.name}: {str.__repr__(self)}>"

    @property
    def value(self) -> str:
        """The JSON spelling (``"ok"``), a plain string."""
        return str.__str__(self)

    @property
    def name(self) -> str:
        return self.value.upper()

    @property
    def rank(self) -> int:
        """ok < unknown < warning < critical: a known problem outranks missing knowledge."""
        return _RANK[self]

    @property
    def plugin_code(self) -> int:
        """Monitoring-plugin exit code (Nagios/Icinga): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."""
        return _PLUGIN[self]


_MEMBERS: dict[str, Level] = {
    value: str.__new__(Level, value) for value in ("ok", "unknown", "warning", "critical")
}
Level.OK, Level.UNKNOWN, Level.WARNING, Level.CRITICAL = _MEMBERS.values()
_RANK = {Level.OK: 0, Level.UNKNOWN: 1, Level.WARNING: 2, Level.CRITICAL: 3}
_PLUGIN = {Level.OK: 0, Level.WARNING: 1, Level.CRITICAL: 2, Level.UNKNOWN: 3}


def worst(levels: Any) -> Level:
    """The worst of an iterable of levels (OK when empty)."""
    result = Level.OK
    for level in levels:
        if level.rank > result.rank:
            result = level
    return result


class Finding(Record):
    """One health observation: a rule ``code``, its level, and the link it is about."""

    code: str
    level: Level
    subject: str
    message: str


class Health(Record):
    """The verdict on one object: its worst finding's level and every finding."""

    level: Level = Level.OK
    findings: tuple[Finding, ...] = ()

    @classmethod
    def of(cls, findings: list[Finding]) -> Health:
        """The verdict for these findings (one shared object when there are none)."""
        if not findings:
            return HEALTHY
        return cls(worst(f.level for f in findings), tuple(findings))


#: Objects built by collect carry this until health.evaluate() fills in the verdict.
NOT_JUDGED = Health(Level.UNKNOWN, ())
#: The verdict without findings; immutable, so every healthy object shares it.
HEALTHY = Health()


class Monitoring(Record):
    """How the bond notices a dead slave: the MII monitor, the ARP monitor, or nothing."""

    method: str | None  # "mii", "arp" or "none"
    miimon_ms: int | None = None
    updelay_ms: int | None = None
    downdelay_ms: int | None = None
    arp_interval_ms: int | None = None
    arp_ip_targets: tuple[str, ...] | None = None
    arp_validate: str | None = None
    arp_missed_max: int | None = None


class Lacp(Record):
    """802.3ad settings and the bond's active aggregator (``None`` in other modes)."""

    rate: str | None = None
    active: str | None = None
    ad_select: str | None = None
    actor_system: str | None = None
    system_priority: int | None = None
    aggregator_id: int | None = None
    number_of_ports: int | None = None
    actor_key: int | None = None
    partner_key: int | None = None
    partner_mac: str | None = None


class SlaveStatus(Record):
    """One slave of a bond. ``enslaved`` False: configured but not in the kernel's bond."""

    name: str
    enslaved: bool = True
    configured: bool | None = None
    mii_status: str | None = None
    state: str | None = None
    operstate: str | None = None
    speed_mbps: int | None = None
    duplex: str | None = None
    link_failure_count: int | None = None
    perm_hwaddr: str | None = None
    queue_id: int | None = None
    mtu: int | None = None
    aggregator_id: int | None = None
    actor_key: int | None = None
    partner_mac: str | None = None
    partner_key: int | None = None
    actor_port_state: int | None = None
    partner_port_state: int | None = None
    actor_churn_state: str | None = None
    partner_churn_state: str | None = None


class BondStatus(Record):
    name: str
    mode: str | None = None
    mii_status: str | None = None
    operstate: str | None = None
    mtu: int | None = None
    address: str | None = None
    monitoring: Monitoring = field(default_factory=lambda: Monitoring(None))
    primary: str | None = None
    configured_primary: str | None = None
    primary_reselect: str | None = None
    active_slave: str | None = None
    xmit_hash_policy: str | None = None
    min_links: int | None = None
    lacp: Lacp | None = None
    slaves: tuple[SlaveStatus, ...] = ()
    configured_slaves: tuple[str, ...] | None = None
    health: Health = NOT_JUDGED


class VlanFlags(Record):
    """802.1Q flags; only ``reorder_hdr`` is visible in /proc, the rest need netlink."""

    reorder_hdr: bool | None = None
    gvrp: bool | None = None
    mvrp: bool | None = None
    loose_binding: bool | None = None
    bridge_binding: bool | None = None


class VlanCounters(Record):
    """/proc/net/vlan/DEV counters (frames/bytes) plus sysfs error and drop counters."""

    rx_frames: int | None = None
    rx_bytes: int | None = None
    rx_multicast: int | None = None
    tx_frames: int | None = None
    tx_bytes: int | None = None
    rx_errors: int | None = None
    tx_errors: int | None = None
    rx_dropped: int | None = None
    tx_dropped: int | None = None


class VlanStatus(Record):
    name: str
    vid: int | None = None
    parent: str | None = None
    protocol: str | None = None
    operstate: str | None = None
    parent_operstate: str | None = None
    mtu: int | None = None
    address: str | None = None
    flags: VlanFlags = field(default_factory=VlanFlags)
    counters: VlanCounters = field(default_factory=VlanCounters)
    ingress_map: dict[int, int] = field(default_factory=dict)
    egress_map: dict[int, int] = field(default_factory=dict)
    health: Health = NOT_JUDGED


class GuestRef(Record):
    """Who owns a guest port: ``source`` says how we know (libvirt, config, xen, none)."""

    name: str | None
    source: str
    domain_id: int | None = None


class BridgePortStatus(Record):
    name: str
    role: str  # "uplink" or "guest"
    stp_state: str | None = None
    priority: int | None = None
    path_cost: int | None = None
    operstate: str | None = None
    mtu: int | None = None
    address: str | None = None
    configured: bool | None = None
    guest: GuestRef | None = None


class Stp(Record):
    """Bridge STP settings and the root it sees (times in seconds)."""

    enabled: bool | None = None
    mode: str | None = None  # "off", "kernel", "user"
    priority: int | None = None
    bridge_id: str | None = None
    root_id: str | None = None
    root_port: int | None = None
    root_path_cost: int | None = None
    forward_delay_s: float | None = None
    hello_time_s: float | None = None
    max_age_s: float | None = None
    topology_change: bool | None = None


class BridgeStatus(Record):
    name: str
    operstate: str | None = None
    mtu: int | None = None
    address: str | None = None
    stp: Stp = field(default_factory=Stp)
    ageing_time_s: float | None = None
    vlan_filtering: bool | None = None
    ports: tuple[BridgePortStatus, ...] = ()
    ports_known: bool = True
    configured_ports: tuple[str, ...] | None = None
    health: Health = NOT_JUDGED


class LinkStatus(Record):
    """Every interface (bonds, VLANs, bridges, NICs, guest ports, others) in one list.

    ``role`` places it in the stack: nic, bond, vlan, bridge, guest or other.
    """

    name: str
    role: str
    kind: str | None = None
    operstate: str | None = None
    carrier: bool | None = None
    mtu: int | None = None
    address: str | None = None
    master: str | None = None
    speed_mbps: int | None = None
    duplex: str | None = None
    carrier_changes: int | None = None
    statistics: dict[str, int] = field(default_factory=dict)
    health: Health = NOT_JUDGED


class HostInfo(Record):
    """Where the facts came from: ``source`` is "live" or "recorded" (``--root``)."""

    hostname: str | None
    source: str
    root: str
    kernel_release: str | None = None
    generated: str | None = None
    config: str | None = None
    previous_run: str | None = None


class StatusDoc(Record):
    host: HostInfo
    bonds: tuple[BondStatus, ...] = ()
    vlans: tuple[VlanStatus, ...] = ()
    bridges: tuple[BridgeStatus, ...] = ()
    links: tuple[LinkStatus, ...] = ()
    problems: tuple[str, ...] = ()
    overall: Level = Level.UNKNOWN

    def findings(self) -> list[Finding]:
        """Every finding of every bond, VLAN and bridge (links repeat them: not counted)."""
        out: list[Finding] = []
        for group in (self.bonds, self.vlans, self.bridges):
            for obj in group:
                out.extend(obj.health.findings)
        return out


_SCALARS = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_json(obj: Any) -> Any:
    """Plain JSON data for any document object (enums as their value, tuples as lists).

    Written out instead of :func:`dataclasses.asdict` (which deep-copies every value) with a
    per-class field cache and a scalar fast path: on a host with thousands of links this
    function is most of ``status --json``'s Python time.
    """
    kind = type(obj)
    if kind in _SCALARS:
        return obj
    names = _FIELD_NAMES.get(kind)
    if names is not None:
        out = {}
        for name in names:
            value = getattr(obj, name)
            out[name] = value if type(value) in _SCALARS else to_json(value)
        return out
    if kind is tuple or kind is list:
        return [v if type(v) in _SCALARS else to_json(v) for v in obj]
    if kind is dict:
        return {str(k): v if type(v) in _SCALARS else to_json(v) for k, v in obj.items()}
    if kind is Level:
        return obj.value
    if isinstance(obj, Record):
        _FIELD_NAMES[kind] = obj.__fields__
        return to_json(obj)
    return obj


def document_json(doc: StatusDoc) -> dict[str, Any]:
    """The ``--json`` document: top-level keys in the documented order (docs/status.md)."""
    return {
        "version": SCHEMA_VERSION,
        "host": to_json(doc.host),
        "overall": doc.overall.value,
        "bonds": to_json(doc.bonds),
        "vlans": to_json(doc.vlans),
        "bridges": to_json(doc.bridges),
        "links": to_json(doc.links),
        "problems": list(doc.problems),
    }
