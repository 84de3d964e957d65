"""The planner: (desired host, kernel snapshot, ledger) → ordered, undoable steps. Pure.

Order follows the kernel's rules (kernel-semantics.md §2.1, §8): deletions top-down (bridges,
then VLANs, then bonds), then creations and changes bottom-up in dependency order (bond with
its mode first, slaves set down then enslaved, options naming slaves after, VLANs once their
parent is up, bridges, ports), then addresses and routes, then links up. Each step's undo is
computed from the snapshot, so rollback restores exactly the prior state. Ownership: links not
declared by the config are never modified; links are deleted only when hvnet created them;
guest ports are never detached and are re-attached when their bridge has to be recreated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hvnet.apply.encode import (
    AFTER_SLAVES,
    NEEDS_DOWN_BOND,
    NEEDS_EMPTY_BOND,
    SYSFS_ONLY,
    bond_args,
    bridge_args,
    sysfs_value,
    vlan_args,
)
from hvnet.apply.ledger import Ledger
from hvnet.apply.ops import Action, Op, Plan, Step, Verb, op
from hvnet.apply.planner_l3 import L3Planning
from hvnet.kernel.snapshot import KernelSnapshot
from hvnet.model import Bond, Bridge, Host, Link, Nic, Vlan
from hvnet.options import bond_options_differ, bridge_options_differ


class PlanError(Exception):
    """The desired state cannot be reached without touching what hvnet must not touch."""


_DEPTH = {Bridge: 3, Vlan: 2, Bond: 1, Nic: 0}


def _depth(link: Link) -> int:
    return _DEPTH.get(type(link), 0)


class _Planner(L3Planning):
    def __init__(self, desired: Host, snap: KernelSnapshot, ledger: Ledger) -> None:
        self.want = desired
        self.snap = snap
        self.have = snap.host.links
        self.rt = snap.runtime
        self.ledger = ledger
        self.steps: list[Step] = []
        self.next_index = max((r.ifindex for r in self.rt.values()), default=1) + 1
        self.new_indexes: dict[str, int] = {}
        # Ordered like lists, but membership is asked per link: dicts keep that O(1).
        self.deleted: dict[str, None] = {}
        self.created: dict[str, None] = {}
        self.reattach: dict[str, list[str]] = {}  # bridge name -> guest ports to re-attach
        self.masters: dict[str, str | None] = {n: r.master for n, r in self.rt.items()}
        self.bond_up_again: set[str] = set()  # bonds taken down to change down-only options
        self.routes_dropped: set[str] = set()  # links losing an address (and so its routes)
        self.closed: set[str] = set()  # links the kernel closes (released bond slaves)
        # Computed once: per-link recomputation made planning quadratic in the link count.
        self.isolated: set[str] = desired.isolated()
        self._guests_above: dict[str, list[str]] | None = None

    # -- helpers ---------------------------------------------------------------------------

    def step(
        self,
        actions: Iterable[tuple[Op, Iterable[Op]]],
        reason: str,
        disruptive: bool = False,
        guests: Iterable[str] = (),
    ) -> None:
        """Record a step; each action is (operation, the operations that undo exactly it)."""
        acts = tuple([Action(o, tuple(u)) for o, u in actions])
        if acts:
            self.steps.append(
                Step(acts, reason, disruptive, tuple(sorted(set(guests))) if guests else ())
            )

    def one(
        self,
        operation: Op,
        undo: Iterable[Op],
        reason: str,
        disruptive: bool = False,
        guests: Iterable[str] = (),
    ) -> None:
        """A step of a single operation."""
        self.step([(operation, undo)], reason, disruptive, guests)

    def guests_above(self, name: str) -> list[str]:
        """Guest ports whose traffic crosses link *name* (bridges on it, directly or not).

        Every step asks this, so the answer for every link is computed once (a walk down
        from each bridge that has guests), not one walk per step.
        """
        if self._guests_above is None:
            table: dict[str, list[str]] = {}
            for bridge, ports in self.snap.guest_ports.items():
                for link in (bridge, *sorted(self._lowers(bridge, set()))):
                    table.setdefault(link, []).extend(ports)
            self._guests_above = table
        return list(self._guests_above.get(name, ()))

    def _lowers(self, name: str, seen: set[str]) -> set[str]:
        link = self.have.get(name)
        if link is None or name in seen:
            return set()
        seen.add(name)
        out: set[str] = set()
        for lower in link.lower_names():
            out.add(lower)
            out |= self._lowers(lower, seen)
        return out

    def must_recreate(self, want: Link, have: Link) -> bool:
        if type(want) is not type(have):
            if isinstance(have, Nic) and not self.ledger.owns(have.name):
                raise PlanError(
                    f"{want.name} exists as a NIC (or a device hvnet did not create);"
                    f" the config wants a {want.kind.value}: rename one of them"
                )
            return True
        if isinstance(want, Vlan) and isinstance(have, Vlan):
            return (want.vid, want.parent, want.protocol) != (have.vid, have.parent, have.protocol)
        return False

    # -- recreation from the snapshot (the undo of a deletion) -------------------------------

    def recreate_ops(self, link: Link) -> list[Op]:
        rt = self.rt[link.name]
        ops: list[Op] = []
        base: dict[str, Any] = {"ifname": link.name, "index": rt.ifindex}
        if isinstance(link, Bond):
            # Only what differs from the defaults and what the mode accepts: the kernel refuses
            # a creation request carrying e.g. ad_actor_system outside 802.3ad.
            from hvnet.capture import bond_options_worth_setting  # only to undo a deletion

            options = bond_options_worth_setting(link.options).model_copy(update={"primary": None})
            ops.append(
                Op(Verb.LINK_ADD, link.name, (*base.items(), ("kind", "bond"), *bond_args(options)))
            )
            for slave in link.slaves:
                ops += [
                    op(Verb.LINK_SET, slave, state="down"),
                    op(Verb.LINK_SET, slave, master=link.name),
                ]
            if link.options.primary:
                ops.append(
                    op(Verb.LINK_SET, link.name, kind="bond", bond_primary=link.options.primary)
                )
        elif isinstance(link, Vlan):
            ops.append(
                Op(Verb.LINK_ADD, link.name, (*base.items(), ("kind", "vlan"), *vlan_args(link)))
            )
        elif isinstance(link, Bridge):
            ops.append(
                Op(
                    Verb.LINK_ADD,
                    link.name,
                    (*base.items(), ("kind", "bridge"), *bridge_args(link.options)),
                )
            )
            for port in (*link.port_names, *self.snap.guest_ports_of(link.name)):
                ops.append(op(Verb.LINK_SET, port, master=link.name))
        ops.append(op(Verb.LINK_SET, link.name, mtu=rt.mtu))
        if rt.mac:
            ops.append(op(Verb.LINK_SET, link.name, address=rt.mac))
        if rt.master:
            ops.append(op(Verb.LINK_SET, link.name, master=rt.master))
        ops += [self.addr(Verb.ADDR_ADD, link.name, a) for a in link.addresses]
        if rt.admin_up:
            ops.append(op(Verb.LINK_SET, link.name, state="up"))
        ops += self.route_ops(Verb.ROUTE_ADD, link)
        return ops

    # -- deletions -----------------------------------------------------------------------

    def successor_bridge(self, old: Bridge) -> str | None:
        """The desired bridge that takes over *old*'s guests: the same name (recreated), or
        the bridge that now has *old*'s uplink port (a renamed bridge)."""
        if isinstance(self.want.links.get(old.name), Bridge):
            return old.name
        for link in self.want.links.values():
            if isinstance(link, Bridge) and set(link.port_names) & set(old.port_names):
                return link.name
        return None

    def plan_deletions(self) -> None:
        doomed: list[Link] = []
        for name, have in self.have.items():
            want = self.want.links.get(name)
            stale = want is None and self.ledger.owns(name) and not isinstance(have, Nic)
            if stale or (want is not None and self.must_recreate(want, have)):
                doomed.append(have)
        doomed_names = {d.name for d in doomed}
        vlans_on: dict[str, list[str]] = {}  # parent -> VLANs on it (one pass, not per link)
        for upper, rt in self.rt.items():
            have_upper = self.have.get(upper)
            if rt.kind == "vlan" and isinstance(have_upper, Vlan):
                vlans_on.setdefault(have_upper.parent, []).append(upper)
        for have in sorted(doomed, key=_depth, reverse=True):
            for upper in vlans_on.get(have.name, ()):
                if upper not in doomed_names:
                    raise PlanError(
                        f"deleting {have.name} would destroy VLAN {upper}, which "
                        f"hvnet does not manage; remove or adopt it first"
                    )
            if isinstance(have, Bridge) and self.snap.guest_ports_of(have.name):
                successor = self.successor_bridge(have)
                if successor is not None:
                    self.reattach.setdefault(successor, []).extend(
                        self.snap.guest_ports_of(have.name)
                    )
            self.deleted[have.name] = None
            self.masters.update({p: None for p in have.lower_names()})
            if isinstance(have, Bond):
                self.closed.update(have.slaves)  # the kernel closes released slaves
            self.masters[have.name] = None
            why = (
                "not in the config any more (hvnet created it)"
                if have.name not in self.want.links
                else "must be recreated (kind/id/parent change)"
            )
            self.one(
                op(Verb.LINK_DEL, have.name),
                self.recreate_ops(have),
                f"delete {have.kind.value} {have.name}: {why}",
                disruptive=True,
                guests=self.guests_above(have.name),
            )

    # -- creations and changes -------------------------------------------------------------

    def plan_link(self, want: Link) -> None:
        have = self.have.get(want.name)
        if have is not None and want.name in self.deleted:
            have = None
        if have is None:
            if isinstance(want, Nic):
                raise PlanError(
                    f"NIC {want.name} does not exist on this host "
                    f"(physical ports cannot be created; check the name)"
                )
            self.create(want)
        else:
            self.modify(want, have)

    def create(self, want: Link) -> None:
        index = self.rt[want.name].ifindex if want.name in self.deleted else self.next_index
        if want.name not in self.deleted:
            self.next_index += 1
        self.new_indexes[want.name] = index
        self.created[want.name] = None
        args: list[tuple[str, Any]] = [("ifname", want.name), ("index", index)]
        if isinstance(want, Bond):
            args += [("kind", "bond"), *bond_args(want.options)]
        elif isinstance(want, Vlan):
            args += [("kind", "vlan"), *vlan_args(want)]
        elif isinstance(want, Bridge):
            args += [("kind", "bridge"), *bridge_args(want.options)]
        if want.mtu is not None:
            args.append(("mtu", want.mtu))
        if want.mac is not None:
            args.append(("address", want.mac))
        self.one(
            Op(Verb.LINK_ADD, want.name, tuple(args)),
            [op(Verb.LINK_DEL, want.name)],
            f"create {want.kind.value} {want.name}",
        )
        self.after_create_or_modify(want, None)

    def modify(self, want: Link, have: Link) -> None:
        rt = self.rt[want.name]
        if isinstance(want, Bond) and isinstance(have, Bond):
            self.modify_bond(want, have)
        elif isinstance(want, Bridge) and isinstance(have, Bridge):
            changed = bridge_options_differ(want.options, have.options)
            if changed:
                self.one(
                    op(
                        Verb.LINK_SET,
                        want.name,
                        kind="bridge",
                        **dict(bridge_args(want.options, changed)),
                    ),
                    [
                        op(
                            Verb.LINK_SET,
                            want.name,
                            kind="bridge",
                            **dict(bridge_args(have.options, changed)),
                        )
                    ],
                    f"bridge {want.name}: set {', '.join(sorted(changed))}",
                    guests=self.guests_above(want.name),
                )
        if want.mtu is not None and want.mtu != rt.mtu:
            self.one(
                op(Verb.LINK_SET, want.name, mtu=want.mtu),
                [op(Verb.LINK_SET, want.name, mtu=rt.mtu)],
                f"{want.name}: mtu {rt.mtu} → {want.mtu}",
                guests=self.guests_above(want.name),
            )
        if want.mac is not None and want.mac != rt.mac:
            self.one(
                op(Verb.LINK_SET, want.name, address=want.mac),
                [op(Verb.LINK_SET, want.name, address=rt.mac)],
                f"{want.name}: mac {rt.mac} → {want.mac}",
                disruptive=True,
                guests=self.guests_above(want.name),
            )
        self.after_create_or_modify(want, have)

    def modify_bond(self, want: Bond, have: Bond) -> None:
        changed = bond_options_differ(want.options, have.options)
        slaves_now = list(have.slaves)
        guests = self.guests_above(want.name)
        heavy = changed & (NEEDS_EMPTY_BOND | NEEDS_DOWN_BOND)
        if heavy:
            empty = bool(changed & NEEDS_EMPTY_BOND)
            rt_up = bool(self.rt.get(want.name) and self.rt[want.name].admin_up)
            actions: list[tuple[Op, list[Op]]] = [
                (
                    op(Verb.LINK_SET, want.name, state="down"),
                    [op(Verb.LINK_SET, want.name, state="up")],
                )
            ]
            if empty:
                # Released last-first, so that the undo re-enslaves them first-first: the
                # first slave enslaved gives the bond (and its VLANs) their MAC address.
                for s in reversed(slaves_now):
                    actions.append(
                        (
                            op(Verb.LINK_SET, s, master=None),
                            [
                                op(Verb.LINK_SET, s, state="down"),
                                op(Verb.LINK_SET, s, master=want.name),
                            ],
                        )
                    )
                    self.masters[s] = None
                    self.closed.add(s)
            actions.append(
                (
                    op(
                        Verb.LINK_SET,
                        want.name,
                        kind="bond",
                        **dict(bond_args(want.options, heavy)),
                    ),
                    # Self-sufficient undo: the bond must be down for these options, and it
                    # is only if the step's first operation succeeded, which a rollback
                    # cannot assume.
                    [
                        op(Verb.LINK_SET, want.name, state="down"),
                        op(
                            Verb.LINK_SET,
                            want.name,
                            kind="bond",
                            **dict(bond_args(have.options, heavy, include_unset=True)),
                        ),
                        *([op(Verb.LINK_SET, want.name, state="up")] if rt_up else []),
                    ],
                )
            )
            self.step(
                actions,
                f"bond {want.name}: {', '.join(sorted(heavy))} can only change while the "
                f"bond is down{' without slaves' if empty else ''}",
                disruptive=True,
                guests=guests,
            )
        live = changed - heavy - AFTER_SLAVES - SYSFS_ONLY
        if live:
            self.one(
                op(Verb.LINK_SET, want.name, kind="bond", **dict(bond_args(want.options, live))),
                [
                    op(
                        Verb.LINK_SET,
                        want.name,
                        kind="bond",
                        **dict(bond_args(have.options, live, include_unset=True)),
                    )
                ],
                f"bond {want.name}: set {', '.join(sorted(live))}",
                guests=guests,
            )
        for slave in slaves_now:
            if slave not in want.slaves and self.masters.get(slave) == want.name:
                self.masters[slave] = None
                self.closed.add(slave)
                self.one(
                    op(Verb.LINK_SET, slave, master=None),
                    [
                        op(Verb.LINK_SET, slave, state="down"),
                        op(Verb.LINK_SET, slave, master=want.name),
                    ],
                    f"release {slave} from bond {want.name}",
                    guests=guests,
                )
        if heavy:
            self.bond_up_again.add(want.name)

    def enslave(self, master: Link, slave: str) -> None:
        """Put *slave* under *master*: flush its addresses, set it down (bonds), set master.

        The undo restores the master the slave has at this point of the plan (an earlier
        step may have released it), not the one in the snapshot.
        """
        current = self.masters.get(slave)
        undo_master = current
        if current == master.name:
            return
        if current is not None and current not in self.want.links and not self.ledger.owns(current):
            raise PlanError(f"{slave} is enslaved to {current}, which hvnet does not manage")
        rt = self.rt.get(slave)
        have = self.have.get(slave)
        actions: list[tuple[Op, list[Op]]] = []
        if have is not None and slave not in self.deleted:
            for a in have.addresses:
                actions.append(
                    (self.addr(Verb.ADDR_DEL, slave, a), [self.addr(Verb.ADDR_ADD, slave, a)])
                )
        if isinstance(master, Bond):
            was_up = bool(rt and rt.admin_up and slave not in self.deleted)
            actions.append(
                (
                    op(Verb.LINK_SET, slave, state="down"),
                    [op(Verb.LINK_SET, slave, state="up")] if was_up else [],
                )
            )
        actions.append(
            (
                op(Verb.LINK_SET, slave, master=master.name),
                [op(Verb.LINK_SET, slave, master=undo_master)],
            )
        )
        self.masters[slave] = master.name
        self.step(
            actions,
            f"add {slave} to {master.kind.value} {master.name}",
            guests=self.guests_above(master.name),
        )

    def after_create_or_modify(self, want: Link, have: Link | None) -> None:
        if isinstance(want, Bond):
            for slave in want.slaves:
                self.enslave(want, slave)
            old_primary = have.options.primary if isinstance(have, Bond) else None
            if want.options.primary and want.options.primary != old_primary:
                self.one(
                    op(Verb.LINK_SET, want.name, kind="bond", bond_primary=want.options.primary),
                    [op(Verb.LINK_SET, want.name, kind="bond", bond_primary=old_primary)]
                    if old_primary
                    else [],
                    f"bond {want.name}: primary {want.options.primary}",
                )
            self.sysfs_options(want, have if isinstance(have, Bond) else None)
        if isinstance(want, Bridge):
            if isinstance(have, Bridge):
                declared = self.ledger.declared_ports(want.name)
                for name in have.port_names:
                    if name not in want.port_names and (name in declared or self.ledger.owns(name)):
                        self.masters[name] = None
                        self.one(
                            op(Verb.LINK_SET, name, master=None),
                            [op(Verb.LINK_SET, name, master=want.name)],
                            f"remove port {name} from {want.name} (no longer declared)",
                            guests=self.guests_above(want.name),
                        )
            have_prio = {p.name: p for p in have.ports} if isinstance(have, Bridge) else {}
            for port in want.ports:
                self.enslave(want, port.name)
                old = have_prio.get(port.name)
                old_prio = (old.priority or 32) if old else 32
                if port.priority is not None and (old is None or old_prio != port.priority):
                    self.one(
                        op(Verb.BRPORT_SET, port.name, priority=port.priority),
                        [op(Verb.BRPORT_SET, port.name, priority=old_prio)],
                        f"{want.name}: port {port.name} priority {port.priority}",
                    )
                if port.cost is not None and (old is None or old.cost != port.cost):
                    self.one(
                        op(Verb.BRPORT_SET, port.name, cost=port.cost),
                        [],
                        f"{want.name}: port {port.name} cost {port.cost}",
                    )
            for guest in self.reattach.get(want.name, ()):
                self.one(
                    op(Verb.LINK_SET, guest, master=want.name),
                    [op(Verb.LINK_SET, guest, master=None)],
                    f"re-attach guest port {guest} to recreated bridge {want.name}",
                    guests=[guest],
                )

    def sysfs_options(self, want: Bond, have: Bond | None) -> None:
        for name in sorted(SYSFS_ONLY):
            value = getattr(want.options, name)
            if value is None or value == ():
                continue
            old = getattr(have.options, name) if have else None
            if value == old:
                continue
            path = f"/sys/class/net/{want.name}/bonding/{name}"
            if name == "ns_ip6_target":
                actions = [
                    (
                        op(Verb.SYSFS_WRITE, want.name, path=path, value=f"+{t}"),
                        [op(Verb.SYSFS_WRITE, want.name, path=path, value=f"-{t}")],
                    )
                    for t in value
                    if t not in (old or ())
                ]
            else:
                undo = (
                    [op(Verb.SYSFS_WRITE, want.name, path=path, value=sysfs_value(name, old))]
                    if old is not None
                    else []
                )
                actions = [
                    (
                        op(Verb.SYSFS_WRITE, want.name, path=path, value=sysfs_value(name, value)),
                        undo,
                    )
                ]
            self.step(actions, f"bond {want.name}: {name} (sysfs)")

    def build(self) -> Plan:
        self.plan_deletions()
        order = self.want.creation_order()
        for name in order:
            self.plan_link(self.want.links[name])
        # Isolation before addresses and links up: no window in which a new link is up
        # without it, and no IPv6 link-local address made only to be removed again.
        self.plan_isolation([self.want.links[name] for name in order])
        for name in order:
            self.plan_l3(self.want.links[name])
        for name in order:
            self.plan_routes(self.want.links[name])
        return Plan(tuple(self.steps), self.new_indexes, tuple(self.created), tuple(self.deleted))


def plan(desired: Host, snapshot: KernelSnapshot, ledger: Ledger | None = None) -> Plan:
    """The steps that take the kernel in *snapshot* to *desired*; empty when they match."""
    return _Planner(desired, snapshot, ledger or Ledger()).build()
