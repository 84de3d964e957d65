"""The running kernel as an hvnet config: ``hvnet capture``.

A snapshot knows every value the kernel holds, defaults included; a config should say only
what matters. Capture therefore drops values equal to the kernel defaults (MTU 1500, bond and
bridge defaults, kernel-chosen MACs) and options the bond's mode does not accept, so that the
captured file reads like one a person wrote, and feeding it back to ``hvnet plan`` plans
nothing (unset values are "kernel default, don't care"). Guest ports are listed as comments:
they are guests' NICs, not configuration.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hvnet.kernel.snapshot import KernelSnapshot
from hvnet.model import Bond, Bridge, Host, Link, Nic
from hvnet.options import BOND_OPTION_SPECS, BondOptions, BridgeOptions

DEFAULT_MTU = 1500
BOND_DEFAULTS: dict[str, Any] = {
    "miimon": 0,
    "updelay": 0,
    "downdelay": 0,
    "peer_notif_delay": 0,
    "use_carrier": True,
    "arp_interval": 0,
    "arp_validate": "none",
    "arp_all_targets": "any",
    "arp_missed_max": 2,
    "primary_reselect": "always",
    "fail_over_mac": "none",
    "xmit_hash_policy": "layer2",
    "lacp_rate": "slow",
    "lacp_active": True,
    "ad_select": "stable",
    "ad_actor_sys_prio": 65535,
    "ad_actor_system": "00:00:00:00:00:00",
    "ad_user_port_key": 0,
    "min_links": 0,
    "all_slaves_active": False,
    "num_grat_arp": 1,
    "resend_igmp": 1,
    "packets_per_slave": 1,
    "tlb_dynamic_lb": True,
    "lp_interval": 1,
}
BRIDGE_DEFAULTS: dict[str, Any] = {
    "stp": False,
    "forward_delay": 15.0,
    "hello_time": 2.0,
    "max_age": 20.0,
    "ageing": 300.0,
    "priority": 32768,
    "vlan_filtering": False,
}


def bond_options_worth_setting(options: BondOptions) -> BondOptions:
    """The options that differ from kernel defaults and that the bond's mode accepts."""
    values = options.model_dump(mode="json")
    kept: dict[str, Any] = {"mode": options.mode}
    for name, value in values.items():
        spec = BOND_OPTION_SPECS[name]
        if name == "mode" or value in (None, [], ()) or BOND_DEFAULTS.get(name) == value:
            continue
        if spec.kernel_modes is not None and options.mode not in spec.kernel_modes:
            continue
        if spec.effective_modes is not None and options.mode not in spec.effective_modes:
            continue
        kept[name] = getattr(options, name)
    return BondOptions.model_construct(**kept)


def _bridge_options(options: BridgeOptions) -> BridgeOptions:
    values = options.model_dump()
    kept = {k: v for k, v in values.items() if v is not None and BRIDGE_DEFAULTS.get(k) != v}
    return BridgeOptions.model_construct(**kept)


def normalise(link: Link) -> Link:
    """A captured link with kernel defaults and kernel-chosen values removed."""
    mtu = None if link.mtu == DEFAULT_MTU else link.mtu
    if isinstance(link, Bond):
        return replace(link, mtu=mtu, mac=None, options=bond_options_worth_setting(link.options))
    if isinstance(link, Bridge):
        return replace(link, mtu=mtu, mac=None, options=_bridge_options(link.options))
    return replace(link, mtu=mtu, mac=None)


def _idle_nics(snapshot: KernelSnapshot) -> set[str]:
    """NICs that are down, carry nothing and serve nothing: not worth a config entry."""
    used = {lower for link in snapshot.host.links.values() for lower in link.lower_names()}
    return {
        name
        for name, link in snapshot.host.links.items()
        if isinstance(link, Nic)
        and name not in used
        and not link.has_host_address
        and not (snapshot.runtime.get(name) and snapshot.runtime[name].admin_up)
    }


def captured_host(snapshot: KernelSnapshot, hostname: str | None = None) -> Host:
    """The snapshot as a host config would state it (idle, down NICs left out)."""
    idle = _idle_nics(snapshot)
    links = {
        name: normalise(link) for name, link in snapshot.host.links.items() if name not in idle
    }
    return Host(hostname=hostname, links=links)


def capture_header(snapshot: KernelSnapshot) -> str:
    """Comment lines for the captured file: provenance and the guest ports seen."""
    lines = [
        "Captured from the running kernel by hvnet capture.",
        "Values equal to kernel defaults are omitted.",
    ]
    idle = sorted(_idle_nics(snapshot))
    if idle:
        lines.append(f"left out (down and unused): {', '.join(idle)}")
    for bridge, ports in sorted(snapshot.guest_ports.items()):
        lines.append(f"guest ports on {bridge} (not configuration): {', '.join(ports)}")
    return "\n".join(lines)
