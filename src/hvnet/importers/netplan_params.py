"""Netplan bond and bridge ``parameters:`` → :class:`BondOptions` / :class:`BridgeOptions`.

Netplan spells kernel options its own way (``mii-monitor-interval``, ``gratuitious-arp``,
``packets-per-member``...) and expresses times as systemd time spans whose bare numbers are
milliseconds for bond intervals but seconds for bridge timers and ``learn-packet-interval``
(netplan(5)). The tables below say, once, which netplan key feeds which option and in what
unit. A value netplan accepts but hvnet cannot hold (a fractional millisecond, a hello time
outside 1-10 s) is noted and left at the kernel default rather than silently rounded.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from hvnet.importers import NoteKind
from hvnet.importers.netplan_values import boolean, duration_ms, ipv4, text, unsigned
from hvnet.importers.netplan_yaml import Node, Notes
from hvnet.options import (
    AdSelect,
    ArpValidate,
    BondMode,
    BondOptions,
    BridgeOptions,
    FailOverMac,
    PrimaryReselect,
    XmitHashPolicy,
)

#: netplan key → (BondOptions field, accepted values).
_BOND_CHOICES: dict[str, tuple[str, type[StrEnum] | tuple[str, ...]]] = {
    "mode": ("mode", BondMode),
    "lacp-rate": ("lacp_rate", ("slow", "fast")),
    "transmit-hash-policy": ("xmit_hash_policy", XmitHashPolicy),
    "ad-select": ("ad_select", AdSelect),
    "arp-validate": ("arp_validate", ArpValidate),
    "arp-all-targets": ("arp_all_targets", ("any", "all")),
    "fail-over-mac-policy": ("fail_over_mac", FailOverMac),
    "primary-reselect-policy": ("primary_reselect", PrimaryReselect),
}
#: Bond intervals: bare numbers are milliseconds, like the kernel's own unit.
_BOND_MS = {
    "mii-monitor-interval": "miimon",
    "up-delay": "updelay",
    "down-delay": "downdelay",
    "arp-interval": "arp_interval",
}
_BOND_INTS = {
    "min-links": "min_links",
    "gratuitous-arp": "num_grat_arp",
    "gratuitious-arp": "num_grat_arp",  # netplan's historic misspelling, still accepted
    "packets-per-slave": "packets_per_slave",
    "packets-per-member": "packets_per_slave",
    "resend-igmp": "resend_igmp",
}
_BOND_BOOLS = {"all-slaves-active": "all_slaves_active", "all-members-active": "all_slaves_active"}
_OVS_MODES = ("balance-tcp", "balance-slb")

#: Bridge timers: bare numbers are seconds (netplan(5)), BridgeOptions' unit too.
_BRIDGE_SECONDS = {
    "forward-delay": "forward_delay",
    "hello-time": "hello_time",
    "max-age": "max_age",
    "ageing-time": "ageing",
    "aging-time": "ageing",
}
_BRIDGE_NOT_MODELLED = {
    "vlan-default-pvid": "the default PVID of a VLAN-aware bridge is not part of the hvnet model",
    "vlans": "bridge VLAN membership is not part of the hvnet model",
    "port-vlans": "per-port bridge VLAN membership is not part of the hvnet model",
}


def _choice(node: Node, key: str, accepted: type[StrEnum] | tuple[str, ...]) -> str:
    word = text(node).strip()
    values = tuple(v.value for v in accepted) if isinstance(accepted, type) else accepted
    normalised = word.replace("-", "_") if key == "arp-validate" else word
    if normalised not in values:
        what = "bond mode" if key == "mode" else f"value for {key}"
        node.fail(f"unknown {what} '{word}' (expected one of: {', '.join(values)})")
    return normalised


def _validated(
    model: type[BondOptions | BridgeOptions],
    values: dict[str, Any],
    sources: dict[str, Node],
    notes: Notes,
) -> Any:
    """Build *model*; a value outside hvnet's range is noted and dropped, not fatal.

    Netplan's own limits are often wider than the kernel's or hvnet's (any unsigned int for a
    bridge priority); refusing the whole file for that would lose everything else.
    """
    while True:
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
            if not bad & set(values):  # pragma: no cover - every field comes from *values*
                raise
            for field in bad & set(values):
                node = sources[field]
                notes.add(
                    node,
                    f"{text_or_list(node)} is outside the range hvnet accepts for "
                    f"{field}; left at the kernel default",
                )
                del values[field]


def text_or_list(node: Node) -> str:
    return repr(node.plain()) if not node.is_scalar else repr(text(node))


def _set(
    field: str,
    value: Any,
    node: Node,
    values: dict[str, Any],
    sources: dict[str, Node],
    notes: Notes,
) -> None:
    """Record one option; a second netplan key for the same option wins, as in netplan."""
    earlier = sources.get(field)
    if earlier is not None:
        notes.add(
            earlier,
            f"{field} is set again at line {node.key_line}; the later value is used",
            NoteKind.INCONSISTENT,
        )
    values[field], sources[field] = value, node


def bond_options(params: Node | None, notes: Notes) -> tuple[BondOptions, Node | None]:
    """The bond options of a ``parameters:`` mapping, and the ``primary:`` node (an ID).

    The primary is returned unresolved: it names a netplan ID that the caller maps to an
    interface name. Without ``mode`` the bond is balance-rr, netplan's documented default
    and the kernel's.
    """
    values: dict[str, Any] = {}
    sources: dict[str, Node] = {}
    primary: Node | None = None
    if params is None:
        return BondOptions(), None
    if not params.is_map:
        params.fail("expected mapping (check indentation)")
    for key, node in params.items():
        if key in _BOND_CHOICES:
            field, accepted = _BOND_CHOICES[key]
            if key == "mode" and text(node).strip() in _OVS_MODES:
                notes.add(
                    node,
                    f"mode {text(node).strip()} exists only in Open vSwitch, which "
                    "hvnet does not manage; the bond is imported as balance-rr",
                )
                continue
            _set(field, _choice(node, key, accepted), node, values, sources, notes)
        elif key in _BOND_MS:
            ms = duration_ms(node, "ms")
            if ms != ms.to_integral_value():
                notes.add(
                    node,
                    f"{ms} ms is not a whole number of milliseconds, the kernel's "
                    "unit; left at the kernel default",
                )
                continue
            _set(_BOND_MS[key], int(ms), node, values, sources, notes)
        elif key == "learn-packet-interval":
            seconds = duration_ms(node, "s") / Decimal(1000)
            if seconds != seconds.to_integral_value():
                notes.add(
                    node,
                    "the kernel counts lp_interval in whole seconds; left at the kernel default",
                )
                continue
            _set("lp_interval", int(seconds), node, values, sources, notes)
        elif key in _BOND_INTS:
            _set(_BOND_INTS[key], unsigned(node), node, values, sources, notes)
        elif key in _BOND_BOOLS:
            _set(_BOND_BOOLS[key], boolean(node), node, values, sources, notes)
        elif key == "arp-ip-targets":
            if not node.is_seq:
                node.fail("expected sequence")
            _set("arp_ip_target", tuple(ipv4(t) for t in node.seq()), node, values, sources, notes)
        elif key == "primary":
            text(node)
            primary = node
        else:
            notes.add(node, f"'{key}' is not a bond parameter netplan documents; ignored")
    options: BondOptions = _validated(BondOptions, values, sources, notes)
    return options, primary


def bridge_options(
    params: Node | None, notes: Notes
) -> tuple[BridgeOptions, dict[str, tuple[int, Node]], dict[str, tuple[int, Node]]]:
    """Bridge options plus per-port priorities and path costs keyed by netplan ID."""
    values: dict[str, Any] = {}
    sources: dict[str, Node] = {}
    priorities: dict[str, tuple[int, Node]] = {}
    costs: dict[str, tuple[int, Node]] = {}
    if params is None:
        return BridgeOptions(), priorities, costs
    if not params.is_map:
        params.fail("expected mapping (check indentation)")
    for key, node in params.items():
        if key in _BRIDGE_SECONDS:
            seconds = duration_ms(node, "s") / Decimal(1000)
            _set(_BRIDGE_SECONDS[key], float(seconds), node, values, sources, notes)
        elif key == "stp":
            _set("stp", boolean(node), node, values, sources, notes)
        elif key == "vlan-filtering":
            _set("vlan_filtering", boolean(node), node, values, sources, notes)
        elif key == "priority":
            _set("priority", unsigned(node), node, values, sources, notes)
        elif key in ("port-priority", "path-cost"):
            if not node.is_map:
                node.fail("expected mapping (check indentation)")
            table = priorities if key == "port-priority" else costs
            for port, value in node.items():
                number = unsigned(value)
                if key == "port-priority" and number > 63:
                    value.fail(f"invalid port priority value (must be between 0 and 63): {number}")
                if port in table:
                    value.fail(f"interface '{port}' already has a {key.replace('-', ' ')}")
                table[port] = (number, value)
        elif key in _BRIDGE_NOT_MODELLED:
            notes.add(node, _BRIDGE_NOT_MODELLED[key])
        else:
            notes.add(node, f"'{key}' is not a bridge parameter netplan documents; ignored")
    if "stp" not in values:
        # netplan's parser turns STP on as soon as a parameters block exists (bridge_params.stp
        # = TRUE in handle_bridge), whatever the renderer: say so, the kernel default is off.
        values["stp"] = True
        sources["stp"] = params
        notes.add(
            params,
            "no 'stp' given: netplan enables STP when a bridge has parameters; "
            "imported as stp: true",
            NoteKind.CONVERTED,
        )
    options: BridgeOptions = _validated(BridgeOptions, values, sources, notes)
    return options, priorities, costs
