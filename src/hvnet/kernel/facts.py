"""Typed, immutable results of reading kernel networking state.

These types are the contract between the readers in :mod:`hvnet.kernel.procfs` /
:mod:`hvnet.kernel.sysfs` and whoever renders or judges the state (``hvnet status``).
They are deliberately *observations*, not opinions: every field is optional because
kernels of different ages print different things, a support bundle may lack files,
and a non-root reader does not see the LACP details.  ``None`` always means
"not reported", never "false" or "zero".

All classes are frozen slotted dataclasses built only from ``str``/``int``/``float``/
``bool``/``None``, tuples and ``dict[str, ...]``, so :func:`dataclasses.asdict` (and
:func:`to_json_dict`) turns any of them into plain JSON-ready data.  Dicts inside a
frozen instance must be treated as read-only by callers.
"""

from __future__ import annotations

from hvnet.kernel.record import Record, asdict, field

TYPE_CHECKING = False  # not typing's: importing typing costs more than this command
if TYPE_CHECKING:
    from typing import Any

#: Bonding mode names as the kernel spells them in sysfs/netlink, by mode number.
BOND_MODE_NAMES: tuple[str, ...] = (
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
)

#: Bridge port STP state numbers (``brport/state``) to names.
BRIDGE_PORT_STATES: dict[int, str] = {
    0: "disabled",
    1: "listening",
    2: "learning",
    3: "forwarding",
    4: "blocking",
}


def to_json_dict(obj: Any) -> dict[str, Any]:
    """Return a plain ``dict`` for any facts dataclass (JSON-serialisable)."""
    result: dict[str, Any] = asdict(obj)
    return result


class LacpPortState(Record):
    """An 802.3ad actor/partner port state octet, decoded bit by bit.

    Kept as booleans (not an enum.Flag) so it serialises plainly and the
    health rules can read ``state.in_sync`` without bit arithmetic.
    """

    value: int
    lacp_active: bool
    short_timeout: bool
    aggregatable: bool
    in_sync: bool
    collecting: bool
    distributing: bool
    defaulted: bool
    expired: bool

    @classmethod
    def from_int(cls, value: int) -> LacpPortState:
        """Decode the decimal bitmask printed by ``/proc/net/bonding`` or sysfs."""
        return cls(
            value=value,
            lacp_active=bool(value & 0x01),
            short_timeout=bool(value & 0x02),
            aggregatable=bool(value & 0x04),
            in_sync=bool(value & 0x08),
            collecting=bool(value & 0x10),
            distributing=bool(value & 0x20),
            defaulted=bool(value & 0x40),
            expired=bool(value & 0x80),
        )

    @property
    def healthy(self) -> bool:
        """In sync, collecting and distributing: the port carries traffic."""
        return self.in_sync and self.collecting and self.distributing


class LacpPduDetails(Record):
    """One ``details actor lacp pdu:`` / ``details partner lacp pdu:`` block.

    ``port_key`` is the actor's ``port key`` or the partner's ``oper key``.
    """

    system_priority: int | None = None
    system_mac: str | None = None
    port_key: int | None = None
    port_priority: int | None = None
    port_number: int | None = None
    port_state: LacpPortState | None = None
    extra: dict[str, str] = field(default_factory=dict)


class AggregatorInfo(Record):
    """The bond's ``Active Aggregator Info:`` block (802.3ad, root reader)."""

    aggregator_id: int | None = None
    number_of_ports: int | None = None
    actor_key: int | None = None
    partner_key: int | None = None
    partner_mac: str | None = None


class BondSlaveProcInfo(Record):
    """One ``Slave Interface:`` section of ``/proc/net/bonding/BOND``.

    ``speed_mbps``/``duplex`` are ``None`` when the kernel printed ``Unknown``
    (or an old kernel's sentinel such as 65535 / -1); the raw text is kept in
    ``speed_text``.  ``has_aggregator`` is False for ``Aggregator ID: N/A``.
    """

    name: str
    mii_status: str | None = None
    speed_mbps: int | None = None
    speed_text: str | None = None
    duplex: str | None = None
    link_failure_count: int | None = None
    perm_hwaddr: str | None = None
    queue_id: int | None = None
    aggregator_id: int | None = None
    has_aggregator: bool | None = None
    actor_churn_state: str | None = None
    partner_churn_state: str | None = None
    actor_churned_count: int | None = None
    partner_churned_count: int | None = None
    actor_lacp: LacpPduDetails | None = None
    partner_lacp: LacpPduDetails | None = None
    extra: dict[str, str] = field(default_factory=dict)


class BondProcInfo(Record):
    """Everything ``/proc/net/bonding/BOND`` said, whatever the kernel age.

    ``mode`` is the kernel mode name (``active-backup``, ``802.3ad``, ...) derived
    from the descriptive ``Bonding Mode:`` text, which is kept in ``mode_text``.
    ``arp_ip_targets`` is ``None`` when the line is absent (ARP monitor off) and
    an empty tuple when it is printed without addresses.
    ``has_active_aggregator`` is False for ``bond X has no active aggregator``.
    Lines the parser does not know land in ``extra`` instead of being lost.
    """

    driver_version: str | None = None
    mode: str | None = None
    mode_text: str | None = None
    fail_over_mac: str | None = None
    xmit_hash_policy: str | None = None
    xmit_hash_policy_id: int | None = None
    primary_slave: str | None = None
    primary_reselect: str | None = None
    active_slave: str | None = None
    mii_status: str | None = None
    miimon_ms: int | None = None
    updelay_ms: int | None = None
    downdelay_ms: int | None = None
    peer_notif_delay_ms: int | None = None
    arp_interval_ms: int | None = None
    arp_missed_max: int | None = None
    arp_ip_targets: tuple[str, ...] | None = None
    ns_ip6_targets: tuple[str, ...] | None = None
    lacp_active: bool | None = None
    lacp_rate: str | None = None
    min_links: int | None = None
    ad_select: str | None = None
    system_priority: int | None = None
    system_mac: str | None = None
    has_active_aggregator: bool | None = None
    active_aggregator: AggregatorInfo | None = None
    slaves: tuple[BondSlaveProcInfo, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


class VlanProcEntry(Record):
    """One row of ``/proc/net/vlan/config``."""

    name: str
    vid: int | None
    parent: str | None


class VlanProcDev(Record):
    """``/proc/net/vlan/DEV``: VID, flags, counters and QoS maps of one VLAN."""

    name: str | None = None
    vid: int | None = None
    reorder_hdr: bool | None = None
    priv_flags: int | None = None
    parent: str | None = None
    rx_frames: int | None = None
    rx_bytes: int | None = None
    rx_multicast: int | None = None
    tx_frames: int | None = None
    tx_bytes: int | None = None
    ingress_map: dict[int, int] = field(default_factory=dict)
    egress_map: dict[int, int] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)


class LinkFacts(Record):
    """Generic ``/sys/class/net/IF`` attributes every interface has.

    ``carrier`` and ``speed_mbps`` are ``None`` when the kernel refuses to report
    them (interface down: EINVAL) or reports the unknown sentinel (-1).
    ``kind`` comes from ``uevent`` DEVTYPE or the presence of ``bonding/`` /
    ``bridge/``; ``lowers``/``uppers`` come from ``lower_*``/``upper_*`` links.
    ``carrier_changes`` growing between two reads means a flapping link.
    ``statistics`` holds the counters requested from ``statistics/``.
    """

    name: str
    ifindex: int | None = None
    iflink: int | None = None
    kind: str | None = None
    type: int | None = None
    operstate: str | None = None
    carrier: bool | None = None
    carrier_changes: int | None = None
    mtu: int | None = None
    address: str | None = None
    speed_mbps: int | None = None
    duplex: str | None = None
    master: str | None = None
    lowers: tuple[str, ...] = ()
    uppers: tuple[str, ...] = ()
    statistics: dict[str, int] = field(default_factory=dict)


class BondSlaveFacts(Record):
    """``/sys/class/net/SLAVE/bonding_slave/``, plus the /proc view when present."""

    name: str
    bond: str | None = None
    state: str | None = None
    mii_status: str | None = None
    link_failure_count: int | None = None
    perm_hwaddr: str | None = None
    queue_id: int | None = None
    prio: int | None = None
    ad_aggregator_id: int | None = None
    ad_actor_oper_port_state: LacpPortState | None = None
    ad_partner_oper_port_state: LacpPortState | None = None
    proc: BondSlaveProcInfo | None = None


class BondFacts(Record):
    """A bond as seen through ``bonding/`` sysfs and ``/proc/net/bonding``.

    Enum-valued sysfs files (``802.3ad 4``) are reduced to the name.  Delays are
    milliseconds as printed.  ``proc`` carries the richer /proc view (active
    aggregator, churn, LACP PDUs) when that file was readable.
    """

    name: str
    mode: str | None = None
    slaves: tuple[str, ...] | None = None
    active_slave: str | None = None
    primary: str | None = None
    primary_reselect: str | None = None
    mii_status: str | None = None
    miimon_ms: int | None = None
    updelay_ms: int | None = None
    downdelay_ms: int | None = None
    peer_notif_delay_ms: int | None = None
    arp_interval_ms: int | None = None
    arp_ip_targets: tuple[str, ...] | None = None
    arp_validate: str | None = None
    arp_all_targets: str | None = None
    arp_missed_max: int | None = None
    fail_over_mac: str | None = None
    xmit_hash_policy: str | None = None
    lacp_rate: str | None = None
    lacp_active: str | None = None
    ad_select: str | None = None
    ad_actor_sys_prio: int | None = None
    ad_actor_system: str | None = None
    ad_user_port_key: int | None = None
    ad_aggregator: int | None = None
    ad_num_ports: int | None = None
    ad_actor_key: int | None = None
    ad_partner_key: int | None = None
    ad_partner_mac: str | None = None
    min_links: int | None = None
    num_peer_notif: int | None = None
    packets_per_slave: int | None = None
    tlb_dynamic_lb: int | None = None
    use_carrier: int | None = None
    all_slaves_active: int | None = None
    slave_facts: tuple[BondSlaveFacts, ...] = ()
    proc: BondProcInfo | None = None


class VlanFacts(Record):
    """An 802.1Q VLAN device from ``/proc/net/vlan`` (and sysfs for the parent)."""

    name: str
    vid: int | None = None
    parent: str | None = None
    reorder_hdr: bool | None = None
    ingress_map: dict[int, int] = field(default_factory=dict)
    egress_map: dict[int, int] = field(default_factory=dict)
    proc: VlanProcDev | None = None


class BridgePortFacts(Record):
    """``/sys/class/net/PORT/brport/``: STP role and per-port flags.

    ``state`` is the STP state number, ``state_name`` its name.  Flags such as
    ``learning`` are booleans when the file exists, ``None`` otherwise.
    """

    name: str
    bridge: str | None = None
    path_cost: int | None = None
    priority: int | None = None
    port_id: int | None = None
    port_no: int | None = None
    state: int | None = None
    state_name: str | None = None
    designated_root: str | None = None
    designated_bridge: str | None = None
    designated_port: int | None = None
    designated_cost: int | None = None
    learning: bool | None = None
    unicast_flood: bool | None = None
    multicast_flood: bool | None = None
    broadcast_flood: bool | None = None
    hairpin_mode: bool | None = None
    bpdu_guard: bool | None = None
    root_block: bool | None = None
    isolated: bool | None = None


class BridgeFacts(Record):
    """``/sys/class/net/BR/bridge/`` with times converted from centiseconds to s."""

    name: str
    stp_state: int | None = None
    priority: int | None = None
    forward_delay_s: float | None = None
    hello_time_s: float | None = None
    max_age_s: float | None = None
    ageing_time_s: float | None = None
    bridge_id: str | None = None
    root_id: str | None = None
    root_port: int | None = None
    root_path_cost: int | None = None
    topology_change: bool | None = None
    vlan_filtering: bool | None = None
    vlan_protocol: str | None = None
    default_pvid: int | None = None
    group_fwd_mask: int | None = None
    ports: tuple[BridgePortFacts, ...] = ()


class KernelFacts(Record):
    """Everything read from one tree (``/`` or an unpacked support bundle).

    Mappings are keyed by interface name.  ``problems`` lists files that existed
    but could not be read or parsed, so a report can say why something is unknown.
    """

    root: str
    links: dict[str, LinkFacts] = field(default_factory=dict)
    bonds: dict[str, BondFacts] = field(default_factory=dict)
    vlans: dict[str, VlanFacts] = field(default_factory=dict)
    bridges: dict[str, BridgeFacts] = field(default_factory=dict)
    bonding_masters: tuple[str, ...] | None = None
    vlan_name_type: str | None = None
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data (``json.dumps(facts.to_json())`` works)."""
        return to_json_dict(self)
