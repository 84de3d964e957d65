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

        All of them come as one run of /proc/sys writes, after every link exists and before
        any is brought up: the executor sends its pending netlink batch before a run of
        file writes, so interleaving them with each link's requests would cut the batch into
        one-request pieces. Measured against the alternative of setting the IPv4 ones
        through netlink (IFLA_AF_SPEC, which IPv6's ``disable_ipv6`` lacks anyway): a
        /proc/sys write costs the kernel less than an RTM_NEWLINK change, which also builds
        and broadcasts a full link notification (2000 links: 0.03 s against 0.07 s of CPU).
        """
        for want in links:
            if want.name not in self.isolated:
                continue
            created = want.name in self.created
            if not created and want.name not in self.snap.sysctls:
                continue  # a snapshot without sysctl values (recorded tree, tests)
            current = {} if created else self.snap.sysctls[want.name]
            actions: list[tuple[Op, list[Op]]] = []
            for family, key, value in ISOLATION_SYSCTLS:
                old = current.get(key)
                if old == value or (old is None and not created):
                    continue  # already set, or not reported (e.g. IPv6 off for the host)
                path = f"/proc/sys/net/{family}/conf/{want.name}/{key}"
                undo = [op(Verb.SYSFS_WRITE, want.name, path=path, value=old)] if old else []
                actions.append((op(Verb.SYSFS_WRITE, want.name, path=path, value=value), undo))
            self.step(actions, f"{want.name}: no host address: IPv6 off, no ARP answers")

    def plan_routes(self, want: Link) -> None:
        """Gateways and static routes. Routes the kernel may have dropped with an address are
        re-added (as ``replace``, with no undo: the address removal's undo restores them)."""
        have = None if want.name in self.deleted else self.have.get(want.name)
        dropped = want.name in self.routes_dropped
        if not (want.routes or want.gateway or want.gateway6 or dropped) and (
            have is None or not (have.gateway or have.gateway6)
        ):
            return  # nothing routed through this link either way (most links of a big host)
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
