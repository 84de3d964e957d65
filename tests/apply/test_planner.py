"""The pure planner, against snapshots built in memory (no kernel needed).

The lab proves the same plans on a real kernel; here we pin down ordering, ownership,
disruption marking and undo construction for bonds and VLANs, which this machine's kernel
lacks.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from hvnet.apply.ledger import Ledger
from hvnet.apply.ops import Verb
from hvnet.apply.planner import PlanError, plan
from hvnet.kernel.snapshot import KernelSnapshot, LinkRuntime
from hvnet.loader import load_file
from hvnet.model import Bond, Bridge, Host, Link, Nic, Vlan
from hvnet.options import BondMode

from hvtest import EXAMPLES


def snapshot_of(
    links: dict[str, Link], guests: dict[str, tuple[str, ...]] | None = None, up: bool = True
) -> KernelSnapshot:
    """A snapshot whose kernel holds exactly *links*, all admin up, with ifindexes 2.."""
    masters: dict[str, str] = {}
    for link in links.values():
        if isinstance(link, Bond | Bridge):
            for lower in link.lower_names():
                masters[lower] = link.name
    runtime = {}
    for i, (name, link) in enumerate(links.items(), start=2):
        runtime[name] = LinkRuntime(
            name,
            i,
            "" if isinstance(link, Nic) else link.kind.value,
            up,
            "UP",
            True,
            masters.get(name),
            link.mtu or 1500,
            None,
        )
    for bridge, ports in (guests or {}).items():
        for j, port in enumerate(ports, start=100):
            runtime[port] = LinkRuntime(port, j, "tun", True, "UP", True, bridge, 1500, None)
    return KernelSnapshot(Host(links=dict(links)), runtime, dict(guests or {}))


def host_a() -> Host:
    host = load_file(EXAMPLES / "host-a.yaml").host
    assert host is not None
    return host


def bare_nics(host: Host) -> dict[str, Link]:
    return {n.name: Nic(name=n.name) for n in host.nics}


def test_from_bare_nics_everything_is_created_in_dependency_order() -> None:
    host = host_a()
    the_plan = plan(host, snapshot_of(bare_nics(host), up=False))
    ops = [a.op for a in the_plan.actions]
    first = {}
    for i, o in enumerate(ops):
        first.setdefault((o.verb, o.link), i)
    add = lambda name: first[(Verb.LINK_ADD, name)]  # noqa: E731
    assert add("bond1") < add("vlan50") < add("br50")
    enslave = next(i for i, o in enumerate(ops) if o.link == "eth1" and o.arg("master") == "bond1")
    down = next(i for i, o in enumerate(ops) if o.link == "eth1" and o.arg("state") == "down")
    assert down < enslave  # slaves must be down to be enslaved
    bond_add = next(o for o in ops if o.verb is Verb.LINK_ADD and o.link == "bond0")
    assert bond_add.args[3] == ("bond_mode", 1)  # mode first, right after name/index/kind
    assert set(the_plan.created) == {
        "bond0",
        "bond1",
        "vlan50",
        "br50",
        "vlan100",
        "br100",
        "vlan200",
        "br200",
    }
    assert all(a.undo for a in the_plan.actions if a.op.verb is Verb.LINK_ADD)


def test_matching_kernel_plans_nothing() -> None:
    host = host_a()
    assert plan(host, snapshot_of(dict(host.links))).empty


def test_bond_mode_change_is_disruptive_and_undoable() -> None:
    host = host_a()
    kernel = dict(host.links)
    bond1 = kernel["bond1"]
    assert isinstance(bond1, Bond)
    kernel["bond1"] = replace(
        bond1, options=bond1.options.model_copy(update={"mode": BondMode.BALANCE_XOR})
    )
    the_plan = plan(host, snapshot_of(kernel, guests={"br50": ("vnet0",)}))
    step = next(s for s in the_plan.steps if "bond1" in s.reason and s.disruptive)
    verbs = [(a.op.link, a.op.arg("master", "-"), a.op.arg("state", "-")) for a in step.actions]
    assert ("bond1", "-", "down") in verbs and ("eth1", None, "-") in verbs
    assert "vnet0" in step.guests  # a guest on br50 (over bond1) is affected
    mode_undo = [u for u in step.actions[-1].undo if u.arg("bond_mode") is not None]
    assert mode_undo[0].arg("bond_mode") == BondMode.BALANCE_XOR.number
    # the undo takes the bond down itself: a rollback cannot assume the step's first op ran
    assert step.actions[-1].undo[0].arg("state") == "down"


def test_vlan_parent_change_recreates_vlan_and_keeps_bridge() -> None:
    host = host_a()
    kernel = dict(host.links)
    vlan50 = kernel["vlan50"]
    assert isinstance(vlan50, Vlan)
    kernel["vlan50"] = replace(vlan50, parent="bond0")
    the_plan = plan(host, snapshot_of(kernel, guests={"br50": ("vnet0",)}))
    assert the_plan.deleted == ("vlan50",) and "br50" not in the_plan.deleted
    delete = the_plan.steps[0]
    assert delete.disruptive and delete.guests == ("vnet0",)
    assert delete.actions[0].undo[0].verb is Verb.LINK_ADD  # undo recreates it as it was
    readd = next(
        a.op
        for a in the_plan.actions
        if a.op.verb is Verb.LINK_SET and a.op.link == "vlan50" and a.op.arg("master") == "br50"
    )
    assert readd is not None


def test_only_owned_links_are_deleted() -> None:
    host = host_a()
    kernel = dict(host.links)
    kernel["br999"] = Bridge(name="br999")
    assert plan(host, snapshot_of(kernel)).empty  # someone else's bridge: left alone
    the_plan = plan(host, snapshot_of(kernel), Ledger(created={"br999"}))
    assert the_plan.deleted == ("br999",)


def test_refuses_to_destroy_a_foreign_vlan() -> None:
    host = host_a()
    kernel = dict(host.links)
    kernel["bondx"] = Bond(name="bondx")
    kernel["bondx.7"] = Vlan(name="bondx.7", vid=7, parent="bondx")
    with pytest.raises(PlanError, match=r"bondx\.7"):
        plan(host, snapshot_of(kernel), Ledger(created={"bondx"}))


def test_missing_nic_is_a_clear_error() -> None:
    host = host_a()
    kernel = bare_nics(host)
    del kernel["eth3"]
    with pytest.raises(PlanError, match="eth3"):
        plan(host, snapshot_of(kernel))


def test_recreated_bridge_gets_its_guest_ports_back() -> None:
    host = host_a()
    kernel = dict(host.links)
    kernel["br50"] = Vlan(name="br50", vid=999, parent="bond0")  # wrong kind under that name
    the_plan = plan(host, snapshot_of(kernel, guests={}), Ledger(created={"br50"}))
    assert "br50" in the_plan.deleted and "br50" in the_plan.created


def test_plan_json_is_machine_readable() -> None:
    host = host_a()
    data = plan(host, snapshot_of(bare_nics(host))).to_json()
    assert data["version"] == 1 and data["operations"] > 10 and not data["empty"]
    assert {"reason", "disruptive", "guests", "actions"} <= set(data["steps"][0])


def test_renamed_bridge_takes_its_guests_along() -> None:
    host = host_a()
    kernel = dict(host.links)
    old = kernel.pop("br50")
    assert isinstance(old, Bridge)
    kernel["brold"] = replace(old, name="brold")
    the_plan = plan(
        host, snapshot_of(kernel, guests={"brold": ("vnet3",)}), Ledger(created={"brold"})
    )
    assert "brold" in the_plan.deleted and "br50" in the_plan.created
    moves = [a.op for a in the_plan.actions if a.op.link == "vnet3"]
    assert [m.arg("master") for m in moves] == ["br50"]


def test_isolation_is_one_run_of_writes_before_links_come_up() -> None:
    """The /proc/sys writes come as one run after every link exists (the executor sends its
    netlink batch once before them, not once per link) and before any link is brought up."""
    host = host_a()
    ops = [a.op for a in plan(host, snapshot_of(bare_nics(host), up=False)).actions]
    files = [
        i for i, o in enumerate(ops) if o.verb is Verb.SYSFS_WRITE and "/proc/sys" in o.arg("path")
    ]
    adds = [i for i, o in enumerate(ops) if o.verb is Verb.LINK_ADD]
    ups = [i for i, o in enumerate(ops) if o.arg("state") == "up"]
    assert files and adds and ups
    assert files == list(range(min(files), max(files) + 1))
    assert max(adds) < min(files) and max(files) < min(ups)
    assert {ops[i].link for i in files} == host.isolated()
    assert len(files) == 3 * len(host.isolated())


def test_isolation_undo_restores_previous_values_and_plans_only_differences() -> None:
    host = host_a()
    name = sorted(host.isolated())[0]
    snap = snapshot_of(dict(host.links))
    snap.sysctls.update(
        {n: {"disable_ipv6": "1", "arp_ignore": "8", "rp_filter": "1"} for n in host.isolated()}
    )
    assert plan(host, snap).empty
    snap.sysctls[name] = {"disable_ipv6": "0", "arp_ignore": "8", "rp_filter": "2"}
    actions = plan(host, snap).actions
    assert [
        (a.op.link, a.op.arg("path").rsplit("/", 1)[1], a.op.arg("value")) for a in actions
    ] == [
        (name, "disable_ipv6", "1"),
        (name, "rp_filter", "1"),
    ]
    assert [a.undo[0].arg("value") for a in actions] == ["0", "2"]


def test_planning_work_does_not_grow_with_links_squared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-link work must not rescan the host: isolated() once per plan, not once per link
    (at 1000 VLANs + 1000 bridges that rescan was most of a full apply's time)."""
    calls = []
    original = Host.isolated
    monkeypatch.setattr(Host, "isolated", lambda self: calls.append(1) or original(self))
    host = host_a()
    plan(host, snapshot_of(bare_nics(host), up=False))
    assert len(calls) == 1
