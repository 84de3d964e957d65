"""The pydantic schema of bond and bridge options: types, ranges, descriptions.

Only validation needs it (the config file, importers, ``hvnet schema``): the resolved model
carries the plain :class:`hvnet.options.BondOptions`/:class:`~hvnet.options.BridgeOptions`, so
``apply``, ``plan`` and ``status`` never import pydantic (a fifth of their start-up).
Field names and defaults must match those classes; a test checks they do.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from hvnet.options import (
    AdSelect,
    ArpAllTargets,
    ArpValidate,
    BondMode,
    FailOverMac,
    LacpRate,
    PrimaryReselect,
    XmitHashPolicy,
)

MacAddress = Annotated[
    str,
    Field(pattern=r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$", examples=["52:54:00:12:34:56"]),
]
Milliseconds = Annotated[int, Field(ge=0, le=2**31 - 1)]
Seconds = Annotated[float, Field(ge=0, le=100_000)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False, defer_build=True)


class BondOptionsSchema(_Frozen):
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


class BridgeOptionsSchema(_Frozen):
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
