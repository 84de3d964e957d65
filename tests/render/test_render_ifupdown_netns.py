"""Real classic ifupdown on rendered files, inside a throwaway network + mount namespace.

The lab VM proves bonds and VLANs (this kernel has neither); what the local kernel does have
(bridges, veth) is checked here against real ``ifup -a``/``ifdown -a`` and the real
bridge-utils hook, attribute by attribute: bridge timers, STP, priorities of *two* ports (the
keyword plus the ``up`` line), several IPv4 stanzas, IPv6, routes, MTU, MAC, and the isolation
sysctls. Skipped unless running as root with unshare, ifupdown and bridge-utils installed.
/run and /sys are private to the namespace, so the host's state is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hvnet.render.eni import render_text

from hvtest import load_snippet

HOST = """\
nics:
  eth0: {}
  eth1: {}
  eth2: {}
  eth3: {addresses: [203.0.113.5/24], mtu: 1400, mac: "02:00:00:00:00:33"}
bridges:
  br0:
    ports:
      - {name: eth0, priority: 10, cost: 100}
      - {name: eth1, priority: 20, cost: 200}
    stp: false
    forward_delay: 0
    ageing: 120.5
    maxwait: 0
    addresses: [192.0.2.1/24, 198.51.100.1/24, "2001:db8::1/64"]
    gateway: 192.0.2.254
    gateway6: "2001:db8::fe"
    routes:
      - {to: 10.99.0.0/16, via: 192.0.2.253, metric: 50}
      - {to: "2001:db8:99::/48", via: "2001:db8::fd"}
    mtu: 1450
    mac: "02:00:00:00:00:01"
  br1:
    ports: [eth2]
    stp: true
    forward_delay: 4
    hello_time: 1
    max_age: 10
    priority: 4096
    maxwait: 0
"""

SCRIPT = r"""
set -e
mount --make-rprivate /
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
mkdir -p /run/network
ip link set lo up
for i in 0 1 2 3; do ip link add eth$i type veth peer name peer$i; ip link set peer$i up; done
ifup -a -i "$DIR/interfaces" --state-dir "$DIR/state" > "$DIR/ifup.log" 2>&1
echo '{"link":'; ip -j -d link show; echo ',"addr":'; ip -j addr show
echo ',"route4":'; ip -j route show; echo ',"route6":'; ip -j -6 route show
echo ',"sysctl":{'
for n in eth0 eth1 eth2 eth3 br0 br1; do
  printf '"%s":[%s,%s,%s],' $n $(cat /proc/sys/net/ipv6/conf/$n/disable_ipv6) \
    $(cat /proc/sys/net/ipv4/conf/$n/arp_ignore) $(cat /proc/sys/net/ipv4/conf/$n/rp_filter)
done
echo '"":[]},"brport":{'
for p in eth0 eth1 eth2; do
  printf '"%s":[%s,%s],' $p $(cat /sys/class/net/$p/brport/priority) \
    $(cat /sys/class/net/$p/brport/path_cost)
done
echo '"":[]}'
ifdown -a -i "$DIR/interfaces" --state-dir "$DIR/state" > "$DIR/ifdown.log" 2>&1
printf ',"after_down":'; ip -j link show; echo '}'
"""


def _available() -> str | None:
    """Why the test cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root"
    for tool in ("unshare", "ifup", "brctl"):
        if not (shutil.which(tool) or Path("/sbin", tool).exists()):
            return f"{tool} not installed"
    probe = subprocess.run(
        [
            "unshare",
            "-n",
            "-m",
            "sh",
            "-c",
            "ip link add name hva type veth peer name hvb && ip link add name hvbr type bridge",
        ],
        capture_output=True,
        check=False,
    )
    return None if probe.returncode == 0 else "no veth/bridge support in network namespaces"


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    reason = _available()
    if reason:
        pytest.skip(reason)
    result = load_snippet(HOST)
    assert result.ok and result.host is not None, [d.format() for d in result.diagnostics]
    directory = tmp_path_factory.mktemp("netns")
    (directory / "state").mkdir()
    (directory / "interfaces").write_text(render_text(result.host))
    env = {**os.environ, "DIR": str(directory), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    run = subprocess.run(
        ["unshare", "-n", "-m", "sh", "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    log = (directory / "ifup.log").read_text() if (directory / "ifup.log").exists() else ""
    assert run.returncode == 0, f"{run.stderr}\n{log}"
    data: dict[str, Any] = json.loads(run.stdout)
    data["links"] = {link["ifname"]: link for link in data["link"]}
    data["ifup_log"] = log
    return data


def addresses(data: dict[str, Any], name: str) -> set[str]:
    entry = next(a for a in data["addr"] if a["ifname"] == name)
    return {f"{a['local']}/{a['prefixlen']}" for a in entry["addr_info"] if a["scope"] == "global"}


def test_bridge_attributes(state: dict[str, Any]) -> None:
    br0 = state["links"]["br0"]["linkinfo"]["info_data"]
    assert (br0["stp_state"], br0["forward_delay"], br0["ageing_time"]) == (0, 0, 12050)
    br1 = state["links"]["br1"]["linkinfo"]["info_data"]
    assert (br1["stp_state"], br1["forward_delay"], br1["hello_time"], br1["max_age"]) == (
        1,
        400,
        100,
        1000,
    )
    assert br1["priority"] == 4096
    assert state["links"]["eth0"]["master"] == "br0" and state["links"]["eth1"]["master"] == "br0"
    assert state["links"]["eth2"]["master"] == "br1"
    assert state["brport"]["eth0"] == [10, 100] and state["brport"]["eth1"] == [20, 200]


def test_mtu_mac_and_addresses(state: dict[str, Any]) -> None:
    links = state["links"]
    assert (links["br0"]["mtu"], links["br0"]["address"]) == (1450, "02:00:00:00:00:01")
    assert (links["eth3"]["mtu"], links["eth3"]["address"]) == (1400, "02:00:00:00:00:33")
    assert addresses(state, "br0") == {"192.0.2.1/24", "198.51.100.1/24", "2001:db8::1/64"}
    assert addresses(state, "eth3") == {"203.0.113.5/24"}
    assert addresses(state, "br1") == set()


def test_routes(state: dict[str, Any]) -> None:
    route4 = {(r["dst"], r.get("gateway"), r.get("metric")) for r in state["route4"]}
    assert ("default", "192.0.2.254", None) in route4
    assert ("10.99.0.0/16", "192.0.2.253", 50) in route4
    route6 = {(r["dst"], r.get("gateway")) for r in state["route6"]}
    assert ("default", "2001:db8::fe") in route6 and ("2001:db8:99::/48", "2001:db8::fd") in route6


def test_isolation_sysctls(state: dict[str, Any]) -> None:
    sysctl = state["sysctl"]
    for name in ("br1", "eth0", "eth1", "eth2"):  # no host address: isolated
        assert sysctl[name] == [1, 8, 1], name
    assert sysctl["br0"][0] == 0 and sysctl["eth3"][0] == 0


def test_ifdown_removes_the_bridges(state: dict[str, Any]) -> None:
    names = {link["ifname"] for link in state["after_down"]}
    assert "br0" not in names and "br1" not in names
    assert "failed" not in state["ifup_log"]


def test_script_is_self_contained() -> None:
    assert textwrap.dedent(SCRIPT).count("unshare") == 0  # namespaces come from the caller
