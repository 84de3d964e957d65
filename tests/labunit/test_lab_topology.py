"""Lab planning from the model (no VM): switch ports, segments, peers, guests, drill paths."""

from __future__ import annotations

import subprocess
from ipaddress import IPv4Address, IPv4Network

import pytest

from hvnet.lab.netsetup import (
    attach_guests_script,
    build_script,
    hide_nics_script,
    install_eni_script,
    teardown_script,
)
from hvnet.lab.topology import plan_lab
from hvnet.loader import load_file
from hvnet.model import Host

from hvtest import EXAMPLES, load_snippet


def example(name: str) -> Host:
    host = load_file(EXAMPLES / f"{name}.yaml").host
    assert host is not None
    return host


def snippet(text: str) -> Host:
    result = load_snippet(text)
    assert result.ok, [d.format() for d in result.diagnostics]
    assert result.host is not None
    return result.host


def test_host_a_switch_ports_trunk_every_vlan_with_a_native_vlan_per_bond() -> None:
    plan = plan_lab(example("host-a"))
    ports = {p.nic: p for p in plan.ports}
    assert set(ports) == {"eth0", "eth1", "eth2", "eth3"}
    assert all(p.tagged == (50, 100, 200) for p in ports.values())
    assert ports["eth0"].native == ports["eth2"].native  # bond0's slaves
    assert ports["eth1"].native == ports["eth3"].native  # bond1's slaves
    assert ports["eth0"].native != ports["eth1"].native  # distinct untagged domains
    assert ports["eth0"].native not in (50, 100, 200)


def test_host_a_segments_peers_and_guests() -> None:
    plan = plan_lab(example("host-a"))
    seg = {s.name: s for s in plan.segments}
    assert list(seg) == ["bond0", "lan50", "lan100", "dmz"]
    assert (seg["lan50"].vid, seg["lan50"].uplink, seg["lan50"].bridge) == (50, "bond1", "br50")
    assert seg["bond0"].vid == plan.ports[0].native and seg["bond0"].bridge is None
    assert seg["dmz"].subnet == IPv4Network("172.31.0.0/24")  # no host address: lab subnet
    assert not seg["dmz"].host_has_address and seg["lan100"].host_has_address
    peers = {p.segment: p for p in plan.peers}
    assert peers["bond0"].ip == IPv4Address("10.10.100.1")  # plays the host's gateway
    assert peers["lan50"].ip == IPv4Address("192.168.100.254")
    guests = {g.name: g for g in plan.guests}
    assert set(guests) == {"web1/0", "db1/0", "db1/1", "proxy1/0", "proxy1/1"}
    assert guests["web1/0"].mac == "52:54:00:50:00:01"  # the config's guest MAC
    assert guests["db1/0"].segment == "lan100" and guests["proxy1/0"].segment == "dmz"
    addresses = [e.ip for e in plan.endpoints]
    assert len(set(addresses)) == len(addresses)
    assert IPv4Address("192.168.100.1") not in addresses  # the host's own address is kept free
    assert all(g.port.startswith("tap") for g in plan.guests)  # guest ports, ignored by compare


def test_host_a_drills_ping_the_host_across_each_bond() -> None:
    plan = plan_lab(example("host-a"))
    drills = {d.bond: d for d in plan.drills}
    assert drills["bond0"].target == IPv4Address("10.10.100.100")
    assert drills["bond0"].ports == ("up0", "up2")
    assert (drills["bond0"].miimon, drills["bond0"].downdelay) == (100, 200)
    assert drills["bond0"].primary == "eth0"
    assert drills["bond1"].source.segment == "lan50"
    assert drills["bond1"].target == IPv4Address("192.168.100.1")
    assert plan.skipped_drills == {}


def test_host_b_plans_without_notes() -> None:
    plan = plan_lab(example("host-b"))
    assert plan.notes == ()
    assert {d.bond for d in plan.drills} == {"bond0"}
    assert all(s.uplink == "bond0" for s in plan.segments)


def test_untagged_networks_on_separate_nics_get_separate_switch_vlans() -> None:
    host = snippet(
        """
        nics: {eth0: {}, eth1: {}}
        bridges:
          br0: {ports: [eth0], addresses: [10.0.0.1/24]}
          br1: {ports: [eth1]}
          brint: {}
        """
    )
    plan = plan_lab(host)
    seg = {s.name: s for s in plan.segments}
    assert seg["br0"].vid != seg["br1"].vid
    assert seg["brint"].uplink is None and seg["brint"].vid is None
    assert {p.segment for p in plan.peers} == {"br0", "br1"}  # no peer on the internal bridge


def test_single_slave_bond_and_tiny_subnet() -> None:
    host = snippet(
        """
        nics: {eth0: {}}
        bonds:
          bond0: {slaves: [eth0], mode: active-backup, miimon: 100, addresses: [10.0.0.1/30]}
        """
    )
    plan = plan_lab(host)
    assert plan.drills == ()
    assert "fewer than two slaves" in plan.skipped_drills["bond0"]
    (seg,) = plan.segments
    assert seg.host_addresses == () and "too small" in seg.note
    assert seg.subnet.subnet_of(IPv4Network("172.31.0.0/16"))


def bash_syntax(script: str) -> None:
    r = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("name", ["host-a", "host-b"])
def test_scripts_are_valid_bash_and_batch_everything(name: str) -> None:
    plan = plan_lab(example(name))
    build = build_script(plan)
    others = [attach_guests_script(plan), teardown_script(), hide_nics_script(["eth0", "eth1"])]
    for script in (build, *others, install_eni_script("/x/interfaces")):
        bash_syntax(script)
    assert build.count("ip -batch -") == 1  # every namespace and veth in one exec
    assert "vlan_filtering 1" in build
    assert "link set dev eth0 name hvlabnic0" in hide_nics_script(["eth0"])
