"""Bond and bridge options: declared once, used by the schema, validator, renderers and lab.

Following ifupdown2's attribute tables, each kernel option is described a single time here:
its type (through the pydantic field), the modes the kernel accepts it in, whether it only
*matters* in some modes, and how it is spelled in ENI, sysfs and netlink. Parsers, rules,
renderers and ``hvnet explain`` read these tables instead of repeating the knowledge.
Facts come from ../shared/reference/kernel-semantics.md §2 and eni-dialects.md §3.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class BondMode(StrEnum):
    """Kernel bonding modes by their sysfs names (numbers 0-6 in netlink)."""

    BALANCE_RR = "balance-rr"
    ACTIVE_BACKUP = "active-backup"
    BALANCE_XOR = "balance-xor"
    BROADCAST = "broadcast"
    LACP = "802.3ad"
    BALANCE_TLB = "balance-tlb"
    BALANCE_ALB = "balance-alb"

    @property
    def number(self) -> int:
        return list(BondMode).index(self)


class ArpValidate(StrEnum):
    NONE = "none"
    ACTIVE = "active"
    BACKUP = "backup"
    ALL = "all"
    FILTER = "filter"
    FILTER_ACTIVE = "filter_active"
    FILTER_BACKUP = "filter_backup"


class XmitHashPolicy(StrEnum):
    LAYER2 = "layer2"
    LAYER34 = "layer3+4"
    LAYER23 = "layer2+3"
    ENCAP23 = "encap2+3"
    ENCAP34 = "encap3+4"
    VLAN_SRCMAC = "vlan+srcmac"


class PrimaryReselect(StrEnum):
    ALWAYS = "always"
    BETTER = "better"
    FAILURE = "failure"


class FailOverMac(StrEnum):
    NONE = "none"
    ACTIVE = "active"
    FOLLOW = "follow"


class AdSelect(StrEnum):
    STABLE = "stable"
    BANDWIDTH = "bandwidth"
    COUNT = "count"


LacpRate = Literal["slow", "fast"]
ArpAllTargets = Literal["any", "all"]
MacAddress = Annotated[
    str,
    Field(pattern=r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$", examples=["52:54:00:12:34:56"]),
]
Milliseconds = Annotated[int, Field(ge=0, le=2**31 - 1)]
Seconds = Annotated[float, Field(ge=0, le=100_000)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False, defer_build=True)


class BondOptions(_Frozen):
    """Every kernel bonding option; ``None`` means "leave the kernel default"."""

    mode: BondMode = Field(
        BondMode.BALANCE_RR, description="Bonding mode (kernel default balance-rr)."
    )
    miimon: Milliseconds | None = Field(None, description="MII link monitoring interval, ms.")
    updelay: Milliseconds | None = Field(
        None,
        description="Wait before enabling a slave whose link came up, ms (multiple of miimon).",
    )
    downdelay: Milliseconds | None = Field(
        None,
        description="Wait before disabling a slave whose link went down, ms (multiple of miimon).",
    )
    peer_notif_delay: Annotated[int, Field(ge=0, le=300_000)] | None = Field(
        None, description="Delay between peer notifications after failover, ms."
    )
    use_carrier: bool | None = Field(
        None, description="Use netif_carrier for MII monitoring (kernel default true)."
    )
    arp_interval: Milliseconds | None = Field(
        None, description="ARP link monitoring interval, ms (not in 802.3ad/tlb/alb)."
    )
    arp_ip_target: tuple[IPv4Address, ...] = Field(
        (), max_length=16, description="IPv4 targets of the ARP monitor (at most 16)."
    )
    ns_ip6_target: tuple[IPv6Address, ...] = Field(
        (), max_length=16, description="IPv6 targets of the NS monitor (at most 16)."
    )
    arp_validate: ArpValidate | None = Field(
        None, description="Which ARP replies validate a slave."
    )
    arp_all_targets: ArpAllTargets | None = Field(
        None, description="Whether any or all ARP targets must answer."
    )
    arp_missed_max: Annotated[int, Field(ge=1, le=255)] | None = Field(
        None, description="Missed ARP intervals before a slave is down."
    )
    primary: str | None = Field(
        None, description="Preferred slave (active-backup, balance-tlb, balance-alb)."
    )
    primary_reselect: PrimaryReselect | None = Field(
        None, description="When the primary becomes active again."
    )
    fail_over_mac: FailOverMac | None = Field(
        None, description="MAC policy on failover (active-backup)."
    )
    xmit_hash_policy: XmitHashPolicy | None = Field(
        None, description="Transmit hash (balance-xor, 802.3ad)."
    )
    lacp_rate: LacpRate | None = Field(
        None, description="LACPDU rate asked of the partner (802.3ad)."
    )
    lacp_active: bool | None = Field(None, description="Send LACPDUs actively (802.3ad).")
    ad_select: AdSelect | None = Field(None, description="Aggregator selection policy (802.3ad).")
    ad_actor_sys_prio: Annotated[int, Field(ge=1, le=65535)] | None = Field(
        None, description="LACP system priority (802.3ad)."
    )
    ad_actor_system: MacAddress | None = Field(None, description="LACP system MAC (802.3ad).")
    ad_user_port_key: Annotated[int, Field(ge=0, le=1023)] | None = Field(
        None, description="Upper bits of the LACP port key (802.3ad)."
    )
    min_links: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = Field(
        None, description="Minimum active links for carrier (802.3ad)."
    )
    all_slaves_active: bool | None = Field(
        None, description="Deliver duplicate frames received on inactive slaves."
    )
    num_grat_arp: Annotated[int, Field(ge=0, le=255)] | None = Field(
        None,
        validation_alias=AliasChoices("num_grat_arp", "num_unsol_na"),
        description="Peer notifications after failover (num_unsol_na is the same kernel value).",
    )
    resend_igmp: Annotated[int, Field(ge=0, le=255)] | None = Field(
        None, description="IGMP reports after failover."
    )
    packets_per_slave: Annotated[int, Field(ge=0, le=65535)] | None = Field(
        None, description="Packets per slave before moving on (balance-rr)."
    )
    tlb_dynamic_lb: bool | None = Field(
        None, description="Dynamic shuffling of flows (balance-tlb/alb)."
    )
    lp_interval: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        None, description="Seconds between learning packets (balance-tlb/alb)."
    )


_RR, _AB, _XOR, _BC, _AD, _TLB, _ALB = list(BondMode)
_NOT_ARP_MODES = frozenset({_RR, _AB, _XOR, _BC})


@dataclass(frozen=True, slots=True)
class BondOptionSpec:
    """How one bond option is spelled elsewhere and in which modes it is legal or useful.

    ``kernel_modes``: modes the kernel accepts it in (others fail with EACCES: an error).
    ``effective_modes``: modes where it has an effect (others: accepted but useless: a warning).
    ``eni``: the ifenslave/ifupdown2 keyword, or None when ENI dialects have none.
    """

    field: str
    sysfs: str
    eni: str | None
    kernel_modes: frozenset[BondMode] | None = None
    effective_modes: frozenset[BondMode] | None = None


def _spec(
    field: str,
    eni: str | None = "",
    sysfs: str = "",
    kernel: frozenset[BondMode] | None = None,
    effective: frozenset[BondMode] | None = None,
) -> BondOptionSpec:
    eni_name = ("bond-" + field.replace("_", "-")) if eni == "" else eni
    return BondOptionSpec(field, sysfs or field, eni_name, kernel, effective)


BOND_OPTION_SPECS: dict[str, BondOptionSpec] = {
    s.field: s
    for s in (
        _spec("mode"),
        _spec("miimon"),
        _spec("updelay"),
        _spec("downdelay"),
        _spec("peer_notif_delay", eni=None),
        _spec("use_carrier"),
        _spec("arp_interval", kernel=_NOT_ARP_MODES),
        _spec("arp_ip_target", effective=_NOT_ARP_MODES),
        _spec("ns_ip6_target", eni=None, effective=_NOT_ARP_MODES),
        _spec("arp_validate", kernel=_NOT_ARP_MODES),
        _spec("arp_all_targets", eni=None, effective=frozenset({_AB})),
        _spec("arp_missed_max", eni=None, kernel=_NOT_ARP_MODES),
        _spec("primary", kernel=frozenset({_AB, _TLB, _ALB})),
        _spec("primary_reselect", effective=frozenset({_AB, _TLB, _ALB})),
        _spec("fail_over_mac", effective=frozenset({_AB})),
        _spec("xmit_hash_policy", effective=frozenset({_XOR, _AD, _TLB, _ALB})),
        _spec("lacp_rate", kernel=frozenset({_AD})),
        _spec("lacp_active", eni=None, kernel=frozenset({_AD})),
        _spec("ad_select", effective=frozenset({_AD})),
        _spec("ad_actor_sys_prio", kernel=frozenset({_AD})),
        _spec("ad_actor_system", kernel=frozenset({_AD})),
        _spec("ad_user_port_key", eni=None, kernel=frozenset({_AD})),
        _spec("min_links", effective=frozenset({_AD})),
        _spec("all_slaves_active", eni=None),
        _spec("num_grat_arp", effective=frozenset({_AB})),
        _spec("resend_igmp", eni=None),
        _spec("packets_per_slave", kernel=frozenset({_RR})),
        _spec("tlb_dynamic_lb", kernel=frozenset({_TLB, _ALB})),
        _spec("lp_interval", eni=None, effective=frozenset({_TLB, _ALB})),
    )
}

#: Bonding modes that keep working when the slaves go to two independent switches.
SEPARATE_SWITCH_SAFE_MODES = frozenset({BondMode.ACTIVE_BACKUP, BondMode.BROADCAST})
#: Modes in which the kernel forces miimon to 100 when no monitor is configured.
MIIMON_FORCED_MODES = frozenset({BondMode.LACP, BondMode.BALANCE_TLB, BondMode.BALANCE_ALB})


class BridgeOptions(_Frozen):
    """Bridge settings in operator units (seconds); ``None`` leaves the kernel default."""

    stp: bool | None = Field(None, description="Spanning tree (kernel default off).")
    forward_delay: Seconds | None = Field(
        None, description="Forward delay, s (kernel default 15; 2-30 when STP is on)."
    )
    hello_time: Annotated[float, Field(ge=1, le=10)] | None = Field(
        None, description="STP hello time, s (1-10)."
    )
    max_age: Annotated[float, Field(ge=6, le=40)] | None = Field(
        None, description="STP max message age, s (6-40)."
    )
    ageing: Seconds | None = Field(
        None, description="MAC address ageing time, s (kernel default 300)."
    )
    priority: Annotated[int, Field(ge=0, le=65535)] | None = Field(
        None, description="Bridge priority for STP root election."
    )
    vlan_filtering: bool | None = Field(None, description="VLAN-aware bridge.")
    maxwait: Annotated[int, Field(ge=0, le=3600)] | None = Field(
        None, description="ifupdown: seconds to wait for ports to forward at boot."
    )

    def merged_over(self, base: BridgeOptions) -> BridgeOptions:
        """These options with unset values taken from *base* (used for network defaults)."""
        values = base.model_dump(exclude_none=True)
        values.update(self.model_dump(exclude_none=True))
        return BridgeOptions.model_construct(**values)


BRIDGE_ENI_KEYWORDS: dict[str, str] = {
    "stp": "bridge-stp",
    "forward_delay": "bridge-fd",
    "hello_time": "bridge-hello",
    "max_age": "bridge-maxage",
    "ageing": "bridge-ageing",
    "priority": "bridge-bridgeprio",
    "vlan_filtering": "bridge-vlan-aware",
    "maxwait": "bridge-maxwait",
}


TIME_TOLERANCE_S = 0.011  # bridge times travel as centiseconds
DELAY_OPTIONS = ("updelay", "downdelay", "peer_notif_delay")


def effective_delay(value: int, miimon: int | None) -> int:
    """What the kernel stores for a bond delay: rounded down to a multiple of miimon."""
    return value - value % miimon if miimon else value


def bond_options_differ(want: BondOptions, have: BondOptions) -> set[str]:
    """Options *want* sets whose kernel value (*have*) differs, in the kernel's own terms:
    delays as the kernel rounds them, target lists as sets, and miimon 0 ignored in the modes
    where the kernel forces 100. Shared by the planner and the comparison engine, so that
    what apply changes and what verification checks can never disagree."""
    changed: set[str] = set()
    actual = have.model_dump()
    for name, value in want.model_dump(exclude_none=True).items():
        got = actual.get(name)
        if name in ("arp_ip_target", "ns_ip6_target"):
            if set(value) != set(got or ()):
                changed.add(name)
            continue
        if name == "miimon" and value == 0 and want.mode in MIIMON_FORCED_MODES:
            continue
        if name in DELAY_OPTIONS:
            value = effective_delay(value, want.miimon)
        if value != got:
            changed.add(name)
    return changed


def bridge_options_differ(want: BridgeOptions, have: BridgeOptions) -> set[str]:
    """Bridge options *want* sets that differ from the kernel's: times within the centisecond
    tolerance, forward delay as the kernel clamps it while STP is on, maxwait (an ifupdown
    boot-time wait, not kernel state) ignored."""
    changed: set[str] = set()
    actual = have.model_dump()
    for name, value in want.model_dump(exclude_none=True).items():
        if name == "maxwait":
            continue
        got = actual.get(name)
        if isinstance(value, float | int) and not isinstance(value, bool) and got is not None:
            expected = float(value)
            if name == "forward_delay" and want.stp:
                expected = min(max(expected, 2.0), 30.0)
            if abs(expected - float(got)) > TIME_TOLERANCE_S:
                changed.add(name)
        elif value != got:
            changed.add(name)
    return changed
