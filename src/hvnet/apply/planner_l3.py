"""Layer-3 planning (addresses, gateways, routes) and admin state, for the planner.

Split from :mod:`hvnet.apply.planner` along a real boundary: these steps come after every
link exists and is enslaved, and they follow the kernel's address/route coupling (removing
an address drops the routes through its subnet).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hvnet.apply.ops import Op, Verb, op
from hvnet.kernel.snapshot import KernelSnapshot, LinkRuntime
from hvnet.model import ISOLATION_SYSCTLS, Bond, Host, Link, Nic, Route


class L3Planning:
    """Mixed into the planner; relies on the planner's state attributes declared here."""

    want: Host
    snap: KernelSnapshot
    have: dict[str, Link]
    rt: dict[str, LinkRuntime]
    deleted: dict[str, None]
    created: dict[str, None]
    masters: dict[str, str | None]
    closed: set[str]
    bond_up_again: set[str]
    routes_dropped: set[str]
    isolated: set[str]

    def one(
        self,
        operation: Op,
        undo: Iterable[Op],
        reason: str,
        disruptive: bool = False,
        guests: Iterable[str] = (),
    ) -> None:
        raise NotImplementedError

    def step(
        self,
        actions: Iterable[tuple[Op, Iterable[Op]]],
        reason: str,
        disruptive: bool = False,
        guests: Iterable[str] = (),
    ) -> None:
        raise NotImplementedError

    @staticmethod
    def addr(verb: Verb, name: str, address: Any) -> Op:
        return op(verb, name, address=str(address.ip), mask=address.network.prefixlen)

    @staticmethod
    def route_ops(
        verb: Verb, link: Link, routes: Iterable[Route] | None = None, gateways: bool = True
    ) -> list[Op]:
        ops: list[Op] = []
        if gateways:
            for gw, dst in ((link.gateway, "0.0.0.0/0"), (link.gateway6, "::/0")):
                if gw is not None:
                    ops.append(op(verb, link.name, dst=dst, gateway=str(gw), oif=link.name))
        for r in link.routes if routes is None else routes:
            args: dict[str, Any] = {"dst": str(r.to), "oif": link.name}
            if r.via is not None:
                args["gateway"] = str(r.via)
            if r.metric is not None:
                args["priority"] = r.metric
            ops.append(op(verb, link.name, **args))
        return ops

    def plan_l3(self, want: Link) -> None:
        """Addresses (removals first: the kernel drops routes with them) and admin state."""
        have = None if want.name in self.deleted else self.have.get(want.name)
        have_addrs = set(have.addresses) if have else set()
        if self.masters.get(want.name) is None and have is not None:
            for a in sorted(have_addrs - set(want.addresses), key=str):
                # Removing an address makes the kernel drop the routes through its subnet, so
                # the undo puts the link's routes back too (replace: harmless if they stayed).
                self.routes_dropped.add(want.name)
                self.one(
                    self.addr(Verb.ADDR_DEL, want.name, a),
                    [self.addr(Verb.ADDR_ADD, want.name, a), *self.route_ops(Verb.ROUTE_ADD, have)],
                    f"{want.name}: remove address {a} (not in the config)",
                    disruptive=True,
                )
        for a in want.addresses:
            if a not in have_addrs:
                self.one(
                    self.addr(Verb.ADDR_ADD, want.name, a),
                    [self.addr(Verb.ADDR_DEL, want.name, a)],
                    f"{want.name}: add address {a}",
                )
        rt = self.rt.get(want.name)
        down = (
            want.name in self.created or rt is None or not rt.admin_up or (want.name in self.closed)
        )
        master = self.masters.get(want.name)
        enslaved_nic = isinstance(want, Nic) and isinstance(self.want.links.get(master or ""), Bond)
        if (down or want.name in self.bond_up_again) and not enslaved_nic:
            self.one(
                op(Verb.LINK_SET, want.name, state="up"),
                [op(Verb.LINK_SET, want.name, state="down")],
                f"bring {want.name} up",
                disruptive=want.name in self.bond_up_again,
            )

    def plan_isolation(self, links: list[Link]) -> None:
        """Keep the host unreachable from links where it has no address (the sysctls the
        rendered ENI sets); the undo restores the previous values.

        IPv4's (``arp_ignore``, ``rp_filter``) go as netlink requests (IFLA_AF_SPEC), sent in
        the same batches as the rest of the plan; IPv6's ``disable_ipv6`` has no netlink
        setter, so it stays a /proc/sys write. All IPv4 steps come first, then all IPv6
        ones: the executor sends its pending batch before each run of file writes, so
        interleaving them per link would cut the batch into one-request pieces.
        """
        files: list[tuple[str, str, str, str | None]] = []  # (link, path, value, old)
        for want in links:
            if want.name not in self.isolated:
                continue
            created = want.name in self.created
            if not created and want.name not in self.snap.sysctls:
                continue  # a snapshot without sysctl values (recorded tree, tests)
            current = {} if created else self.snap.sysctls[want.name]
            new: list[str] = []
            old: list[str] = []
            for family, key, value in ISOLATION_SYSCTLS:
                before = current.get(key)
                if before == value or (before is None and not created):
                    continue  # already set, or not reported (e.g. IPv6 off for the host)
                if family != "ipv4":
                    path = f"/proc/sys/net/{family}/conf/{want.name}/{key}"
                    files.append((want.name, path, value, before))
                    continue
                new.append(f"{key}={value}")
                if before is not None:
                    old.append(f"{key}={before}")
            if new:
                self.one(
                    op(Verb.LINK_SET, want.name, ipv4_conf=tuple(new)),
                    [op(Verb.LINK_SET, want.name, ipv4_conf=tuple(old))] if old else [],
                    f"{want.name}: no host address: no ARP answers, strict rp_filter",
                )
        for name, path, value, before in files:
            self.one(
                op(Verb.SYSFS_WRITE, name, path=path, value=value),
                [op(Verb.SYSFS_WRITE, name, path=path, value=before)] if before else [],
                f"{name}: no host address: {path.rsplit('/', 1)[-1]} {value}",
            )

    def plan_routes(self, want: Link) -> None:
        """Gateways and static routes. Routes the kernel may have dropped with an address are
        re-added (as ``replace``, with no undo: the address removal's undo restores them)."""
        have = None if want.name in self.deleted else self.have.get(want.name)
        dropped = want.name in self.routes_dropped
        for gw_want, gw_have, dst in (
            (want.gateway, have.gateway if have else None, "0.0.0.0/0"),
            (want.gateway6, have.gateway6 if have else None, "::/0"),
        ):
            if gw_want == gw_have and not dropped:
                continue
            if gw_have is not None and gw_have != gw_want:
                self.one(
                    op(Verb.ROUTE_DEL, want.name, dst=dst, gateway=str(gw_have), oif=want.name),
                    [op(Verb.ROUTE_ADD, want.name, dst=dst, gateway=str(gw_have), oif=want.name)],
                    f"{want.name}: remove gateway {gw_have}",
                )
            if gw_want is not None:
                existed = gw_want == gw_have
                self.one(
                    op(Verb.ROUTE_ADD, want.name, dst=dst, gateway=str(gw_want), oif=want.name),
                    []
                    if existed
                    else [
                        op(Verb.ROUTE_DEL, want.name, dst=dst, gateway=str(gw_want), oif=want.name)
                    ],
                    f"{want.name}: default route via {gw_want}"
                    + (" (again, after an address change)" if existed else ""),
                )
        have_routes = set(have.routes) if have else set()
        todo = [r for r in want.routes if dropped or r not in have_routes]
        adds = self.route_ops(Verb.ROUTE_ADD, want, todo, gateways=False)
        dels = self.route_ops(Verb.ROUTE_DEL, want, todo, gateways=False)
        self.step(
            [
                (a, [] if r in have_routes else [d])
                for a, d, r in zip(adds, dels, todo, strict=True)
            ],
            f"{want.name}: add routes {', '.join(str(r.to) for r in todo)}",
        )
