"""Acceptance of ``hvnet status`` / ``hvnet check`` against the real kernel in the lab VM.

* every bonding mode built at once (one bond per mode over veth pairs whose far ends sit in
  namespace ``sw``; the 802.3ad bond has a real LACP partner there), plus an 802.1Q and an
  802.1ad VLAN and a bridge with a guest tap named by libvirt's runtime XML:
  ``status --json`` reports exactly what was built, the fast JSON path and the reference
  pipeline (``HVNET_PURE_PYTHON=1``) print the same document, and the netlink reader and
  the sysfs reader (``--root /``) agree on it;
* a cable pulled (QMP ``set_link``) turns the bond degraded; plugged back it is healthy
  again, with the link failure count one higher and no flapping reported;
* a bond option changed and a VLAN deleted behind hvnet's back: ``check`` names exactly
  those two attributes and exits 2.

One VM boot per session (``lab`` fixture); under TCG a ``hvnet`` run costs seconds, so each
test runs the command as few times as it can.
"""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from hvnet.lab import LabVM

pytestmark = pytest.mark.lab

HVNET = str(Path(sys.prefix) / "bin" / "hvnet")
REPO = Path(__file__).resolve().parents[2]
MODES = (
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
)
LIBVIRT_XML = """<domstatus state='running'><domain type='kvm' id='1'><name>web1</name>
<devices><interface type='bridge'><mac address='52:54:00:12:34:56'/>
<source bridge='br0'/><target dev='vnet0'/></interface></devices></domain></domstatus>
"""


def hvnet(vm: LabVM, *args: str, timeout: float = 600) -> Any:
    return vm.run([HVNET, *args], timeout=timeout, cwd=REPO)


def status_json(vm: LabVM, *args: str) -> dict[str, Any]:
    result = hvnet(vm, "status", "--json", *args)
    assert result.rc == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


_MOVING = frozenset({"generated", "statistics", "counters", "carrier_changes"})


def steady(doc: Any) -> Any:
    """A status document without what changes between two runs (time, traffic counters)."""
    if isinstance(doc, dict):
        return {k: steady(v) for k, v in doc.items() if k not in _MOVING}
    if isinstance(doc, list):
        return [steady(v) for v in doc]
    return doc


def proc_bond(vm: LabVM, bond: str) -> str:
    return str(vm.run(["cat", f"/proc/net/bonding/{bond}"], check=True).stdout)


def wait_for(vm: LabVM, bond: str, needle: str, present: bool = True, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = proc_bond(vm, bond)
        if (needle in text) == present:
            return
        time.sleep(0.5)
    raise AssertionError(f"{bond}: {needle!r} {'never appeared' if present else 'stayed'}:\n{text}")


def build_all_modes(vm: LabVM) -> str:
    lines = ["netns add sw"]
    for i, mode in enumerate(MODES):
        for side in "mn":
            a, b = f"{side}{i}a", f"{side}{i}b"
            lines += [
                f"link add {a} address 02:00:00:0{i}:{'0a' if side == 'm' else '1a'}:00 "
                f"type veth peer name {b}",
                f"link set {b} netns sw",
            ]
            if mode != "802.3ad":  # those join the partner bond, which brings them up
                lines.append(f"-n sw link set {b} up")
        extra = " lacp_rate fast" if mode == "802.3ad" else ""
        lines += [
            f"link add bond{i} type bond mode {mode} miimon 100{extra}",
            f"link set m{i}a master bond{i}",
            f"link set n{i}a master bond{i}",
            f"link set bond{i} up",
            f"link add link bond{i} name bond{i}.100 type vlan id 100",
            f"link set bond{i}.100 up",
        ]
    lines += [
        "-n sw link add swbond type bond mode 802.3ad miimon 100 lacp_rate fast",
        "-n sw link set m4b master swbond",
        "-n sw link set n4b master swbond",
        "-n sw link set swbond up",
        "link set bond1 type bond primary m1a",
        "link add link bond0 name bond0.200 type vlan proto 802.1ad id 200",
        "link set bond0.200 up",
        "link add br0 type bridge",
        "link set bond1.100 master br0",
        "link add vnet0 type veth peer name vnet0p",  # no /dev/net/tun in the lab
        "link set vnet0 address fe:54:00:12:34:56 master br0",
        "link set br0 up",
    ]
    return "".join(f"ip {line}\n" for line in lines) + "mkdir -p /run/libvirt/qemu\n"


def test_status_reports_every_mode_as_built(lab: LabVM) -> None:
    lab.sh(build_all_modes(lab), check=True, timeout=300)
    lab.write_file("web1.xml", LIBVIRT_XML)
    lab.sh(f"cp {lab.share}/files/web1.xml /run/libvirt/qemu/web1.xml", check=True)
    wait_for(lab, "bond4", "Partner Mac Address: 00:00:00:00:00:00", present=False)
    started = time.monotonic()
    live = status_json(lab, "--no-state")
    live_seconds = time.monotonic() - started
    bonds = {b["name"]: b for b in live["bonds"]}
    for i, mode in enumerate(MODES):
        b = bonds[f"bond{i}"]
        assert b["mode"] == mode
        assert [s["name"] for s in b["slaves"]] == [f"m{i}a", f"n{i}a"], b
        assert b["monitoring"]["method"] == "mii" and b["monitoring"]["miimon_ms"] == 100
        assert all(s["mii_status"] == "up" and s["link_failure_count"] == 0 for s in b["slaves"])
        perm = [s["perm_hwaddr"] for s in b["slaves"]]
        assert perm == [f"02:00:00:0{i}:0a:00", f"02:00:00:0{i}:1a:00"]
        assert b["health"]["level"] == "ok", b["health"]
    assert bonds["bond1"]["primary"] == "m1a" and bonds["bond1"]["active_slave"] == "m1a"
    lacp = bonds["bond4"]["lacp"]
    assert lacp["rate"] == "fast" and lacp["partner_mac"] != "00:00:00:00:00:00"
    assert len({s["aggregator_id"] for s in bonds["bond4"]["slaves"]}) == 1
    vlans = {v["name"]: v for v in live["vlans"]}
    for i in range(len(MODES)):
        v = vlans[f"bond{i}.100"]
        assert (v["vid"], v["parent"], v["protocol"]) == (100, f"bond{i}", "802.1q")
        assert v["flags"]["reorder_hdr"] is True
    assert (vlans["bond0.200"]["vid"], vlans["bond0.200"]["protocol"]) == (200, "802.1ad")
    (br,) = live["bridges"]
    ports = {p["name"]: p for p in br["ports"]}
    assert ports["bond1.100"]["role"] == "uplink"
    assert ports["vnet0"]["role"] == "guest"
    assert ports["vnet0"]["guest"] == {"name": "web1", "source": "libvirt", "domain_id": None}
    assert live["overall"] == "ok", [b["health"] for b in live["bonds"]]

    # The fast path (C rows, hvnet.status.fastjson) and the reference pipeline (Python
    # decoder, document objects) must print the same document for the real kernel.
    pure = lab.run(
        [HVNET, "status", "--json", "--no-state"],
        env={"HVNET_PURE_PYTHON": "1"},
        timeout=600,
        cwd=REPO,
    )
    assert pure.rc == 0, pure.stderr
    assert steady(json.loads(pure.stdout)) == steady(live)

    # The sysfs reader (used for support bundles) must see the same host.
    recorded = status_json(lab, "--root", "/")
    rbonds = {b["name"]: b for b in recorded["bonds"]}
    for name, b in bonds.items():
        r = rbonds[name]
        for key in ("mode", "mii_status", "primary", "active_slave", "monitoring"):
            assert r[key] == b[key], (name, key)
        for s, rs in zip(b["slaves"], r["slaves"], strict=True):
            for key in (
                "name",
                "mii_status",
                "state",
                "link_failure_count",
                "perm_hwaddr",
                "aggregator_id",
                "partner_mac",
            ):
                assert rs[key] == s[key], (name, s["name"], key)
    rvlans = {v["name"]: (v["vid"], v["parent"]) for v in recorded["vlans"]}
    assert rvlans == {name: (v["vid"], v["parent"]) for name, v in vlans.items()}
    assert [(p["name"], p["role"], p["stp_state"]) for p in recorded["bridges"][0]["ports"]] == [
        (p["name"], p["role"], p["stp_state"]) for p in br["ports"]
    ]
    print(f"\nstatus --json over {len(live['links'])} links: {live_seconds:.1f}s (TCG-inflated)")


def test_cut_slave_degraded_then_healthy_with_one_more_failure(lab: LabVM) -> None:
    lab.sh(
        "ip link add bond0 type bond mode active-backup miimon 100 primary eth0\n"
        "ip link set eth0 master bond0\nip link set eth2 master bond0\nip link set bond0 up\n",
        check=True,
    )
    wait_for(lab, "bond0", "Currently Active Slave: eth0")
    state = ["--state-dir", "/tmp/hvnet-status-state"]
    lab.run(["rm", "-rf", "/tmp/hvnet-status-state"], check=True)

    def bond0(doc: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = next(b for b in doc["bonds"] if b["name"] == "bond0")
        return found

    def fails(b: dict[str, Any]) -> dict[str, int]:
        return {s["name"]: s["link_failure_count"] for s in b["slaves"]}

    before = bond0(status_json(lab, *state))
    assert before["health"]["level"] == "ok" and fails(before) == {"eth0": 0, "eth2": 0}

    lab.set_link("eth0", up=False)
    wait_for(lab, "bond0", "Currently Active Slave: eth2")
    cut = bond0(status_json(lab, *state))
    codes = {f["code"] for f in cut["health"]["findings"]}
    assert {"bond-degraded", "slave-down", "no-redundancy", "not-primary"} <= codes, codes
    assert cut["health"]["level"] == "critical"
    assert fails(cut) == {"eth0": 1, "eth2": 0}

    lab.set_link("eth0", up=True)
    wait_for(lab, "bond0", "Currently Active Slave: eth0")
    deadline = time.monotonic() + 30
    while "MII Status: down" in proc_bond(lab, "bond0") and time.monotonic() < deadline:
        time.sleep(0.5)
    healed_doc = status_json(lab, *state)
    healed = bond0(healed_doc)
    assert healed["health"] == {"level": "ok", "findings": []}, healed["health"]
    assert fails(healed) == {"eth0": 1, "eth2": 0}
    assert healed_doc["host"]["previous_run"] is not None


def test_check_names_exactly_the_drift_and_exits_2(lab: LabVM) -> None:
    config = lab.write_file(
        "check-host.yaml",
        textwrap.dedent("""\
        nics: {v0a: {}, v1a: {}}
        bonds:
          bond0: {slaves: [v0a, v1a], mode: active-backup, miimon: 100, primary: v0a}
        vlans:
          bond0.100: {id: 100, link: bond0}
          bond0.200: {id: 200, link: bond0}
        """),
    )
    lab.sh(
        "ip link add v0a type veth peer name v0b\nip link add v1a type veth peer name v1b\n"
        "ip link set v0b up\nip link set v1b up\n"
        "ip link add bond0 type bond mode active-backup miimon 100\n"
        "ip link set v0a master bond0\nip link set v1a master bond0\n"
        "ip link set bond0 type bond primary v0a\nip link set bond0 up\n"
        "ip link add link bond0 name bond0.100 type vlan id 100\nip link set bond0.100 up\n"
        "ip link add link bond0 name bond0.200 type vlan id 200\nip link set bond0.200 up\n"
        # what ifupdown (rendered ENI) and hvnet apply set on links without a host address
        "for l in bond0 bond0.100 bond0.200; do sysctl -q -w net/ipv6/conf/$l/disable_ipv6=1"
        " net/ipv4/conf/$l/arp_ignore=8 net/ipv4/conf/$l/rp_filter=1; done\n",
        check=True,
    )
    wait_for(lab, "bond0", "Currently Active Slave: v0a")
    clean = hvnet(lab, "check", str(config), "--no-state")
    assert clean.rc == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("HVNET CHECK OK - ")

    lab.sh("ip link set bond0 type bond miimon 250\nip link delete bond0.200\n", check=True)
    drift = hvnet(lab, "check", str(config), "--no-state", "--failures-only")
    assert drift.rc == 2, drift.stdout + drift.stderr
    lines = drift.stdout.splitlines()
    assert lines[0].startswith("HVNET CHECK CRITICAL - 2 of ")
    assert lines[1:] == [
        "[FAIL] bond0 miimon: expected 100, kernel has 250",
        "[FAIL] bond0.200 exists: expected vlan, kernel has nothing",
    ]
