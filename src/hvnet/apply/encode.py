"""Model values → netlink (pyroute2 keyword) values, and which changes need what.

Kernel facts from ../shared/reference/kernel-semantics.md §2 and §5: netlink takes numbers
(enum index) where sysfs takes names, bridge times are centiseconds, and some bond options can
only change while the bond is down or has no slaves. pyroute2 0.9 cannot encode the newest
bond options, which therefore go through sysfs writes.
"""

from __future__ import annotations

from typing import Any

from hvnet.model import Vlan
from hvnet.options import (
    AdSelect,
    ArpValidate,
    BondOptions,
    BridgeOptions,
    FailOverMac,
    PrimaryReselect,
    XmitHashPolicy,
)

#: Options the kernel accepts only while the bond has no slaves (and is down).
NEEDS_EMPTY_BOND = frozenset({"mode", "fail_over_mac"})
#: Options the kernel accepts only while the bond is down.
NEEDS_DOWN_BOND = frozenset(
    {"lacp_rate", "lacp_active", "ad_select", "ad_user_port_key", "tlb_dynamic_lb"}
)
#: Options applied after the slaves are enslaved (they name a slave).
AFTER_SLAVES = frozenset({"primary"})
#: Options pyroute2 0.9 cannot encode: written to /sys/class/net/BOND/bonding/<name>.
SYSFS_ONLY = frozenset({"peer_notif_delay", "lacp_active", "arp_missed_max", "ns_ip6_target"})

_NETLINK_NAME = {"lacp_rate": "bond_ad_lacp_rate", "num_grat_arp": "bond_num_peer_notif"}
_ENUM_ORDER: dict[str, list[str]] = {
    "arp_validate": [v.value for v in ArpValidate],
    "xmit_hash_policy": [v.value for v in XmitHashPolicy],
    "primary_reselect": [v.value for v in PrimaryReselect],
    "fail_over_mac": [v.value for v in FailOverMac],
    "ad_select": [v.value for v in AdSelect],
    "lacp_rate": ["slow", "fast"],
    "arp_all_targets": ["any", "all"],
}
_CS = 100


def bond_value(name: str, value: Any) -> Any:
    """One bond option in netlink form (names stay names for link references)."""
    if name == "mode":
        return value.number
    if name in _ENUM_ORDER:
        return _ENUM_ORDER[name].index(getattr(value, "value", value))
    if isinstance(value, bool):
        return int(value)
    if name == "arp_ip_target":
        return [str(v) for v in value]
    return value


def bond_netlink_key(name: str) -> str:
    return _NETLINK_NAME.get(name, f"bond_{name}")


def bond_args(
    options: BondOptions,
    fields: set[str] | frozenset[str] | None = None,
    include_unset: bool = False,
) -> list[tuple[str, Any]]:
    """pyroute2 keywords for the set options (``mode`` first: the kernel needs it first)."""
    dumped = options.model_dump()
    args: list[tuple[str, Any]] = []
    for name, value in dumped.items():
        if fields is not None and name not in fields:
            continue
        if name in SYSFS_ONLY or name in AFTER_SLAVES:
            continue
        if value is None or (value == () and not include_unset):
            continue
        args.append((bond_netlink_key(name), bond_value(name, getattr(options, name))))
    # Never send MIIMON and ARP_INTERVAL both non-zero: the kernel keeps the last one.
    keys = dict(args)
    if keys.get("bond_miimon") and keys.get("bond_arp_interval"):
        args = [a for a in args if a[0] != "bond_arp_interval"]
    return args


def sysfs_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return (
            "on"
            if value and name == "lacp_active"
            else ("off" if name == "lacp_active" else str(int(value)))
        )
    return str(getattr(value, "value", value))


def bridge_args(options: BridgeOptions, fields: set[str] | None = None) -> list[tuple[str, Any]]:
    """pyroute2 bridge keywords; forward delay before STP state (the kernel clamps it later)."""
    o = options
    pairs: list[tuple[str, str, Any]] = [
        (
            "forward_delay",
            "br_forward_delay",
            None if o.forward_delay is None else round(o.forward_delay * _CS),
        ),
        (
            "hello_time",
            "br_hello_time",
            None if o.hello_time is None else round(o.hello_time * _CS),
        ),
        ("max_age", "br_max_age", None if o.max_age is None else round(o.max_age * _CS)),
        ("ageing", "br_ageing_time", None if o.ageing is None else round(o.ageing * _CS)),
        ("priority", "br_priority", o.priority),
        (
            "vlan_filtering",
            "br_vlan_filtering",
            None if o.vlan_filtering is None else int(o.vlan_filtering),
        ),
        ("stp", "br_stp_state", None if o.stp is None else int(o.stp)),
    ]
    return [
        (key, value)
        for field, key, value in pairs
        if value is not None and (fields is None or field in fields)
    ]


def vlan_args(vlan: Vlan) -> list[tuple[str, Any]]:
    return [
        ("link", vlan.parent),
        ("vlan_id", vlan.vid),
        ("vlan_protocol", vlan.protocol.ethertype),
    ]
