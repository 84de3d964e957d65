"""Rules about MTUs along the stack NIC → bond → VLAN → bridge, and about idle bridges.

MTU mistakes are silent: the kernel refuses a VLAN MTU above its parent's, but accepts a
bridge MTU above its ports' and then drops every larger frame at the port, and a bond
overrides its slaves' MTU on enslave. Guests with jumbo frames then see connections hang
after the handshake. Effective MTUs are computed the way the kernel derives them (kernel
semantics §7), on demand and at most once per link.
"""

from __future__ import annotations

from collections.abc import Iterator

from hvnet.diagnostics import Diagnostic, Severity, error, warning
from hvnet.model import Bridge, Link, Vlan
from hvnet.rules import Rule, RuleContext
from hvnet.rules.topology import describe, from_network, kinds

E, W = Severity.ERROR, Severity.WARNING
DEFAULT_MTU = 1500


class Mtus:
    """Each link's MTU once applied, with why: ``explicit``, ``default`` or ``from X``.

    A bond slave takes the bond's MTU (the kernel sets it on enslave); a VLAN without an MTU
    inherits its parent's; a bridge without one follows its smallest port (1500 without
    ports); anything else defaults to 1500. Computed lazily, only for links below an explicit
    MTU, so a big host without MTU settings costs nothing; iterative, so deep stacks and
    cycles (HV214) are safe.
    """

    def __init__(self, ctx: RuleContext) -> None:
        self.links = ctx.host.links
        self.lowers = kinds(ctx).lowers
        self.known: dict[str, tuple[int, str]] = {}
        for bond in kinds(ctx).bonds:
            mtu = bond.mtu or DEFAULT_MTU
            self.known[bond.name] = (mtu, "explicit" if bond.mtu else "default")
            for slave in bond.slaves:
                if slave in self.links:
                    self.known.setdefault(slave, (mtu, f"from bond {bond.name}"))

    def __getitem__(self, name: str) -> tuple[int, str]:
        todo, visiting = [name], {name}
        while todo:
            current = todo[-1]
            if current in self.known:
                todo.pop()
                continue
            link = self.links[current]
            needed = (
                []
                if link.mtu
                else [n for n in self.lowers[current] if n in self.links and n not in self.known]
            )
            fresh = [n for n in needed if n not in visiting]
            if fresh:
                visiting.update(fresh)
                todo.extend(fresh)
                continue
            self.known[current] = self._compute(link)
            todo.pop()
        return self.known[name]

    def _compute(self, link: Link) -> tuple[int, str]:
        if link.mtu:
            return link.mtu, "explicit"
        lowers = [(self.known[n][0], n) for n in self.lowers[link.name] if n in self.known]
        if isinstance(link, Vlan) and lowers:
            return lowers[0][0], f"from {link.parent}"
        if isinstance(link, Bridge) and lowers:
            mtu, port = min(lowers)
            return mtu, f"from port {port}"
        return DEFAULT_MTU, "default"

    def show(self, name: str) -> str:
        mtu, why = self[name]
        return f"{mtu}" if why == "explicit" else f"{mtu}, {why}"

    def raise_hint(self, lower: str, mtu: int) -> str:
        """Where to raise the MTU: the lowest link that sets it (a slave's bond, a parent)."""
        target = lower
        for _ in range(len(self.links)):  # bounded even if inheritance loops
            if target not in self.links or not self[target][1].startswith("from "):
                break
            target = self[target][1].split()[-1]
        return f"raise mtu on {target} to at least {mtu} (links above inherit it)"


def check_stack_mtus(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV501: a VLAN or bridge with an explicit MTU above what its lower links carry."""
    links = ctx.host.links
    mtus = Mtus(ctx)
    for link in links.values():
        if not link.mtu:
            continue
        if isinstance(link, Vlan) and link.parent in links:
            parent = mtus[link.parent][0]
            if link.mtu > parent:
                yield error(
                    "HV501",
                    f"VLAN {link.name}: mtu {link.mtu} is above its parent {link.parent} "
                    f"({mtus.show(link.parent)})",
                    f"the kernel refuses it (EINVAL/ERANGE): "
                    f"{mtus.raise_hint(link.parent, link.mtu)}, or lower this mtu",
                    (*link.origin, "mtu"),
                )
        elif isinstance(link, Bridge):
            for port in mtus.lowers[link.name]:
                if port in links and mtus[port][0] < link.mtu:
                    yield error(
                        "HV501",
                        f"{describe(link)}: mtu {link.mtu} is above its port {port} "
                        f"({mtus.show(port)})",
                        f"frames larger than {mtus[port][0]} are dropped at the port: "
                        f"{mtus.raise_hint(port, link.mtu)}",
                        (*link.origin, "mtu"),
                    )
                    break


def check_slave_mtus(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV502: a slave's own MTU is overwritten by the bond's on enslave."""
    links = ctx.host.links
    claimed: set[str] = set()  # a slave of two bonds is HV210; judge it by its first bond
    for bond in kinds(ctx).bonds:
        bond_mtu = bond.mtu or DEFAULT_MTU
        for slave_name in bond.slaves:
            slave = links.get(slave_name)
            if slave_name in claimed or slave is None:
                continue
            claimed.add(slave_name)
            if not slave.mtu or slave.mtu == bond_mtu:
                continue
            yield warning(
                "HV502",
                f"{slave.name}: mtu {slave.mtu} differs from its bond {bond.name} "
                f"({bond_mtu}{'' if bond.mtu else ', default'})",
                f"the kernel sets a slave's MTU to the bond's when enslaving it: set mtu: "
                f"{slave.mtu} on {bond.name} instead and remove it from {slave.name}",
                (*slave.origin, "mtu"),
            )


def check_idle_bridges(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV503: a bridge with no ports, no host address and no guests does nothing."""
    used = {nic.bridge for guest in ctx.host.guests for nic in guest.nics if nic.bridge}
    for bridge in kinds(ctx).bridges:
        if bridge.ports or bridge.has_host_address or bridge.name in used:
            continue
        yield warning(
            "HV503",
            f"bridge {bridge.name} has no ports, no host address and no guests",
            "add the uplink (a bond or VLAN) under ports:, give the host an address on it, or "
            "remove it; a bridge without ports only makes sense as an internal guest switch",
            (*bridge.origin, "ports"),
        )


def check_stp_forward_delay(ctx: RuleContext) -> Iterator[Diagnostic]:
    """HV504: with STP on, the kernel clamps forward_delay into 2-30 s."""
    for bridge in kinds(ctx).bridges:
        options = bridge.options
        delay = options.forward_delay
        if not options.stp or delay is None or 2 <= delay <= 30:
            continue
        path = (*bridge.origin, "forward_delay")
        entry = ctx.config.networks.get(str(bridge.origin[1])) if from_network(bridge) else None
        if entry is not None and entry.forward_delay is None:
            path = ("defaults", "bridge", "forward_delay")  # inherited from the defaults
        yield warning(
            "HV504",
            f"bridge {bridge.name}: forward_delay {delay:g} s with STP on; the kernel clamps "
            f"it to {2 if delay < 2 else 30} s",
            "use 2-30 s with stp: true (15 is the default), or turn STP off for a bridge "
            "with a single uplink and forward_delay 0",
            path,
        )


RULES = [
    Rule(
        "HV501",
        E,
        "MTU above what the lower link carries",
        "A VLAN cannot have a larger MTU than its parent: the kernel refuses it (EINVAL on "
        "create, ERANGE on change), so the VLAN and its bridge are not created. A bridge MTU "
        "above one of its ports' is accepted, but every larger frame is dropped at that port: "
        "guests using jumbo frames hang after the TCP handshake. Raise the MTU at the bottom of "
        "the stack (the bond; slaves follow it, VLANs inherit it) rather than at the top.",
        check_stack_mtus,
    ),
    Rule(
        "HV502",
        W,
        "bond slave MTU differs from the bond's",
        "When a NIC is enslaved, the kernel sets its MTU to the bond's (and restores it on "
        "release), so an MTU written on a slave is overwritten at every ifup. If the slave's "
        "value was the one meant (jumbo frames), the bond and everything above stay at 1500. "
        "Set the MTU on the bond and leave it off the slaves.",
        check_slave_mtus,
    ),
    Rule(
        "HV503",
        W,
        "bridge that does nothing",
        "A bridge with no ports and no host address forwards nothing: no uplink, and the "
        "host is not on it. Guests attached to it can only talk to each other, which is "
        "sometimes intended (an internal network) - those bridges are not reported. Usually "
        "the ports list was forgotten.",
        check_idle_bridges,
    ),
    Rule(
        "HV504",
        W,
        "STP forward delay outside 2-30 s",
        "The 802.1D forward delay must be 2-30 s while STP runs; the kernel accepts any value "
        "with STP off and clamps it into that range when STP is turned on (ifupdown's "
        "bridge_fd 0 with bridge_stp on becomes 2 s). Ports then spend twice the clamped "
        "delay in listening/learning after every link change, so guests lose their network "
        "for 4-60 s. Use 2-30 s with STP, or turn STP off on bridges with a single uplink.",
        check_stp_forward_delay,
    ),
]
