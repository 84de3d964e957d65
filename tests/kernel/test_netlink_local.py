"""Netlink snapshot and comparison against a real kernel: bridges and veths in a namespace.

This machine's kernel has bridges and veth (not bonds or VLANs: those are proven in the lab),
so the snapshot reader and the comparison engine are exercised for real here, in a throwaway
network namespace.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hvnet.compare import compare, failures
from hvnet.kernel.netlink import read_bond_sysfs, read_snapshot
from hvnet.options import BondOptions

from hvtest import load_snippet


def _ip(ns: str, *args: str) -> None:
    subprocess.run(["ip", "-n", ns, *args], check=True, capture_output=True)


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"hvtest-{uuid.uuid4().hex[:8]}"
    if subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode != 0:
        pytest.skip("cannot create network namespaces here (needs root)")
    try:
        _ip(name, "link", "add", "br50", "type", "bridge", "stp_state", "0", "forward_delay", "0")
        _ip(name, "link", "add", "eth0", "type", "veth", "peer", "name", "vnet0")
        _ip(name, "link", "add", "eth1", "type", "veth", "peer", "name", "peer1")
        _ip(name, "link", "set", "eth0", "master", "br50")
        _ip(name, "link", "set", "vnet0", "master", "br50")
        _ip(name, "addr", "add", "192.0.2.1/24", "dev", "br50")
        for link in ("br50", "eth0", "vnet0", "eth1"):
            _ip(name, "link", "set", link, "up")
        _ip(name, "route", "add", "default", "via", "192.0.2.254", "dev", "br50")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


HOST = """\
nics:
  eth0: {}
  eth1: {}
bridges:
  br50:
    ports: [eth0]
    stp: false
    forward_delay: 0
    addresses: [192.0.2.1/24]
    gateway: 192.0.2.254
"""


def test_snapshot_sees_bridge_ports_addresses_and_guest_taps(netns: str) -> None:
    snap = read_snapshot(netns)
    bridge = snap.host.links["br50"]
    assert [p.name for p in bridge.ports] == ["eth0"]  # type: ignore[attr-defined]
    assert snap.guest_ports_of("br50") == ("vnet0",)
    assert "vnet0" not in snap.host.links
    assert [str(a) for a in bridge.addresses] == ["192.0.2.1/24"]
    assert str(bridge.gateway) == "192.0.2.254"


def test_model_matches_kernel_and_drift_is_named(netns: str) -> None:
    desired = load_snippet(HOST).host
    assert desired is not None
    assert failures(compare(desired, read_snapshot(netns))) == []
    _ip(netns, "link", "set", "br50", "type", "bridge", "forward_delay", "400")
    _ip(netns, "addr", "del", "192.0.2.1/24", "dev", "br50")
    bad = failures(compare(desired, read_snapshot(netns)))
    assert sorted((c.link, c.attribute) for c in bad) == [
        ("br50", "addresses"),
        ("br50", "forward_delay"),
        ("br50", "gateway"),  # the default route went with the address
    ]


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "proc"


@pytest.mark.parametrize(
    "case",
    sorted(p.name for p in FIXTURES.iterdir() if (p / "sys/class/net/bond0/bonding").is_dir()),
)
def test_bond_options_read_from_real_sysfs_captures(case: str) -> None:
    """Every bonding mode's sysfs files, captured from Debian's kernel, read back as options."""
    options = read_bond_sysfs("bond0", FIXTURES / case / "sys")
    mode_text = (FIXTURES / case / "sys/class/net/bond0/bonding/mode").read_text().split()[0]
    assert options.mode.value == mode_text
    assert options.miimon is not None
    if case.startswith("802.3ad"):
        assert options.ad_actor_sys_prio == 65535 and options.lacp_rate is not None
    else:
        assert options.ad_actor_system is None  # empty file outside 802.3ad
    # Built without the schema, yet the same as the schema makes of the same values.
    assert options == BondOptions.model_validate(options.model_dump())
