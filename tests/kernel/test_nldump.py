"""The fast dump decoder gives the same snapshot as pyroute2's decoder (the reference).

Run inside a throwaway namespace holding bridges, veths, a guest port, addresses (v4 and v6)
and routes; bonds and VLANs are compared the same way in the lab (tests/lab).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

SCRIPT = """
from hvnet.kernel.netlink import read_snapshot, read_snapshot_pyroute2
fast, reference = read_snapshot(), read_snapshot_pyroute2()
assert fast.host.links == reference.host.links, (fast.host.links, reference.host.links)
assert fast.runtime == reference.runtime, (fast.runtime, reference.runtime)
assert fast.guest_ports == reference.guest_ports
# Isolation sysctls come from the dump's IFLA_AF_SPEC: the same as pyroute2 decodes and as
# the /proc/sys files say (some set to non-default values by the fixture).
from hvnet.kernel.snapshot import read_isolation_sysctls
assert fast.sysctls == reference.sysctls, (fast.sysctls, reference.sysctls)
assert fast.sysctls == read_isolation_sysctls(list(fast.host.links)), fast.sysctls
assert fast.sysctls["br1"] == {"disable_ipv6": "1", "arp_ignore": "8", "rp_filter": "1"}
assert fast.sysctls["eth0"]["rp_filter"] == "2", fast.sysctls
print(len(fast.host.links), sorted(fast.guest_ports))
"""


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"hvdump-{uuid.uuid4().hex[:8]}"
    if subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode != 0:
        pytest.skip("cannot create network namespaces here (needs root)")
    script = """
link add br0 type bridge stp_state 1 forward_delay 400 priority 4096
link add br1 type bridge ageing_time 1000
link add eth0 type veth peer name peer0
link add vnet3 type veth peer name guest3
link set eth0 master br0
link set vnet3 master br0
link set dev eth0 type bridge_slave priority 10 cost 55
link set br0 mtu 1400
addr add 192.0.2.1/24 dev br0
addr add 2001:db8::1/64 dev br0
link set br0 up
link set eth0 up
route add 10.50.0.0/16 via 192.0.2.253 dev br0 metric 20
route add default via 192.0.2.254 dev br0
"""
    subprocess.run(["ip", "-n", name, "-batch", "-"], input=script, text=True, check=True)
    sysctls = (
        "echo 1 > /proc/sys/net/ipv6/conf/br1/disable_ipv6;"
        "echo 8 > /proc/sys/net/ipv4/conf/br1/arp_ignore;"
        "echo 1 > /proc/sys/net/ipv4/conf/br1/rp_filter;"
        "echo 2 > /proc/sys/net/ipv4/conf/eth0/rp_filter"
    )
    subprocess.run(["ip", "netns", "exec", name, "sh", "-c", sysctls], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_fast_decoder_matches_pyroute2(netns: str) -> None:
    proc = subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[-1] == "['br0']"
