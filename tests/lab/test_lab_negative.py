"""Proof the lab can fail: a wrong model fails step 3, a bond without link monitoring fails
the drill. One small host, applied once with real ifupdown, serves both."""

from __future__ import annotations

import dataclasses

import pytest

from hvnet.lab import LabVM
from hvnet.lab.report import MethodRun
from hvnet.lab.scenario import LabScenario
from hvnet.model import Host, Vlan

from hvtest import load_snippet

pytestmark = pytest.mark.lab

HOST = """\
hostname: lab-negative
naming: {vlan: "vlan{vid}", bridge: "br{vid}"}
nics: {eth0: {}, eth1: {}}
bonds:
  bond0: {slaves: [eth0, eth1], mode: active-backup, miimon: 0, addresses: [10.1.0.1/24]}
networks:
  lan: {vlan: 10, on: bond0, addresses: [10.2.0.1/24]}
"""


def wrong_vlan_id(host: Host) -> Host:
    vlan = host.links["vlan10"]
    assert isinstance(vlan, Vlan)
    links = dict(host.links)
    links["vlan10"] = dataclasses.replace(vlan, vid=11)
    return dataclasses.replace(host, links=links)


@pytest.fixture(scope="module")
def run(lab_vm: LabVM) -> MethodRun:
    loaded = load_snippet(HOST)
    assert loaded.ok and loaded.host is not None  # HV401 (no link monitoring) is a warning
    lab_vm.reset_network()
    scenario = LabScenario(lab_vm, loaded.host, expect=wrong_vlan_id(loaded.host), name="negative")
    return scenario.run_method("ifupdown", frozenset({"compare", "drill"}), keep_going=True)


def test_wrong_vlan_id_fails_the_comparison(run: MethodRun) -> None:
    assert run.apply is not None and run.apply.ok, run.apply.detail
    assert run.compare is not None and not run.compare.ok
    failed = {(c.link, c.attribute, c.expected, c.actual) for c in run.failed_checks}
    assert ("vlan10", "vlan id", "11", "10") in failed  # netlink
    assert ("vlan10", "vlan id (/proc/net/vlan)", "11", "10") in failed  # /proc cross-check
    assert all("vlan id" in c.attribute for c in run.failed_checks), failed


def test_bond_without_link_monitoring_loses_connectivity_for_good(run: MethodRun) -> None:
    assert run.drill is not None and not run.drill.ok
    (drill,) = run.drills
    active = [c for c in drill.cuts if c.was_active]
    assert active and all(c.lost_for_good for c in active), [c.cut for c in drill.cuts]
    assert all(c.after.active == c.slave for c in active)  # the bond never noticed
    backup = [c for c in drill.cuts if not c.was_active]
    assert all(not c.lost_for_good for c in backup)
