"""A snapshot of the running kernel's links, in model terms, plus what the model cannot say.

Capture (``hvnet capture``), drift checks (``hvnet check``), the lab's comparison and apply's
verification all compare a desired :class:`~hvnet.model.Host` with what the kernel has. They
do it through one type: the kernel's state *as a Host* (``KernelSnapshot.host``), so there is
exactly one comparison engine (:mod:`hvnet.compare`). Runtime facts (ifindex, admin/oper
state, guest ports on bridges, links of kinds hvnet does not manage) sit beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hvnet.model import ISOLATION_SYSCTLS, Host


def read_isolation_sysctls(
    names: list[str], proc: str = "/proc/sys/net"
) -> dict[str, dict[str, str]]:
    """The isolation sysctls of each link (missing files, e.g. IPv6 disabled, are left out)."""
    out: dict[str, dict[str, str]] = {}
    for name in names:
        values: dict[str, str] = {}
        for family, key, _value in ISOLATION_SYSCTLS:
            try:
                with open(f"{proc}/{family}/conf/{name}/{key}") as handle:
                    values[key] = handle.read().strip()
            except OSError:
                continue
        out[name] = values
    return out


#: Bridge ports that belong to guests: libvirt's vnetN/macvtapN, Xen's vifD.N/vifD.N-emu,
#: generic tapX, Proxmox's tapVMIDiN/fwprVMIDpN/veth containers (vethVMIDiN).
GUEST_PORT_RE = re.compile(
    r"^(vnet\d+|macvtap\d+|vif\d+\.\d+(-emu)?|tap[\w.-]*|fwpr\d+p\d+|veth\d+i\d+)$"
)
#: Link kinds that the model represents as NICs (physical ports have no kind at all).
NIC_KINDS = frozenset({"", "veth", "dummy"})


def is_guest_port(name: str, kind: str) -> bool:
    """Whether a bridge port is a guest's virtual NIC (never config, never touched by hvnet)."""
    return kind == "tun" or bool(GUEST_PORT_RE.match(name))


@dataclass(frozen=True, slots=True)
class LinkRuntime:
    """Runtime facts about one kernel link, whatever its kind."""

    name: str
    ifindex: int
    kind: str  # "" for physical NICs; "bond", "vlan", "bridge", "veth", "tun", ...
    admin_up: bool
    oper_state: str
    carrier: bool | None
    master: str | None
    mtu: int
    mac: str | None


@dataclass(frozen=True, slots=True)
class KernelSnapshot:
    """The kernel's links as a Host (managed kinds only) plus runtime facts about every link."""

    host: Host
    runtime: dict[str, LinkRuntime] = field(default_factory=dict)
    guest_ports: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: link -> {"disable_ipv6": "0", "arp_ignore": "0", "rp_filter": "2"} (ISOLATION_SYSCTLS)
    sysctls: dict[str, dict[str, str]] = field(default_factory=dict)

    def guest_ports_of(self, bridge: str) -> tuple[str, ...]:
        return self.guest_ports.get(bridge, ())
