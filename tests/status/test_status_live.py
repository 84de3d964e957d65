"""The live reader's netlink decoding, guest naming and the flapping memory.

Netlink messages are built here by a tiny independent encoder from the uapi numbers, so the
decoder is checked against the wire format rather than against itself; the real kernel is
exercised in tests/lab/test_status_lab.py (the development kernel has no bonding).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from hvnet.kernel import snapshot as kernel_snapshot
from hvnet.status.guests import (
    GUEST_PORT_RE,
    config_mac_index,
    describe_guest,
    name_guest_port,
    parse_libvirt_xml,
    read_libvirt_ports,
)
from hvnet.status.live import assemble, read_live
from hvnet.status.rtnl import decode_dump, dump_request
from hvnet.status.state import load_previous, save_run

from nlkit import host_dump


def test_dump_request_is_a_getlink_dump() -> None:
    req = dump_request(7)
    length, kind, flags, seq, _pid = struct.unpack_from("=IHHII", req)
    assert (length, kind, flags & 0x300, seq) == (len(req), 18, 0x300, 7)


def test_decode_and_assemble(tmp_path: Path) -> None:
    data = host_dump()
    raws: list = []
    assert decode_dump(data, len(data), raws) is True
    assert [r.name for r in raws] == ["lo", "eth0", "eth1", "bond0", "bond0.10", "br10", "vnet0"]
    proc = tmp_path / "proc"
    (proc / "net" / "bonding").mkdir(parents=True)
    facts, extras = assemble(raws, str(proc), str(tmp_path / "sys"))
    bond = facts.bonds["bond0"]
    assert (bond.mode, bond.miimon_ms, bond.updelay_ms, bond.downdelay_ms) == (
        "active-backup",
        100,
        200,
        200,
    )
    assert (bond.active_slave, bond.primary, bond.primary_reselect) == ("eth0", "eth0", "always")
    assert (bond.xmit_hash_policy, bond.lacp_rate, bond.lacp_active) == ("layer2+3", "fast", "on")
    assert bond.arp_ip_targets == ("192.0.2.1",) and bond.mii_status == "up"
    assert bond.slaves == ("eth0", "eth1")
    eth1 = bond.slave_facts[1]
    assert (eth1.state, eth1.mii_status, eth1.link_failure_count, eth1.perm_hwaddr) == (
        "backup",
        "down",
        3,
        "52:54:00:00:00:02",
    )
    vlan = facts.vlans["bond0.10"]
    assert (vlan.vid, vlan.parent, vlan.reorder_hdr, vlan.egress_map) == (10, "bond0", True, {2: 5})
    assert extras["bond0.10"].protocol == "802.1ad"
    assert extras["bond0.10"].flags.mvrp is True and extras["bond0.10"].flags.gvrp is False
    br = facts.bridges["br10"]
    assert (br.forward_delay_s, br.hello_time_s, br.max_age_s, br.ageing_time_s) == (
        15.0,
        2.0,
        20.0,
        300.0,
    )
    assert (br.stp_state, br.priority, br.bridge_id) == (1, 4096, "1000.020000000005")
    assert [p.name for p in br.ports] == ["bond0.10", "vnet0"]
    assert (br.ports[0].state_name, br.ports[0].path_cost) == ("forwarding", 100)
    # The live reader decodes only what status shows of a port; the rest stays unknown.
    assert br.ports[0].learning is None and br.ports[0].designated_root is None
    link = facts.links["bond0.10"]
    assert (link.kind, link.master, link.operstate, link.carrier, link.mtu) == (
        "vlan",
        "br10",
        "up",
        True,
        1500,
    )
    assert link.statistics["rx_packets"] == 10 and link.statistics["multicast"] == 5
    assert facts.links["bond0"].lowers == ("eth0", "eth1")
    assert facts.links["bond0"].uppers == ("bond0.10",)


def test_live_document_from_decoded_dump(tmp_path: Path) -> None:
    from hvnet.status.collect import Gathered, build
    from hvnet.status.health import evaluate

    data = host_dump()
    raws: list = []
    decode_dump(data, len(data), raws)
    facts, extras = assemble(raws, str(tmp_path), str(tmp_path))
    gathered = Gathered(facts=facts, live=True, libvirt_ports={"vnet0": "web1"}, vlan_extras=extras)
    doc = evaluate(build(gathered))
    assert doc.vlans[0].protocol == "802.1ad"
    port = doc.bridges[0].ports[1]
    assert (port.role, port.guest and port.guest.name) == ("guest", "web1")
    roles = {link.name: link.role for link in doc.links}
    assert roles == {
        "eth0": "nic",
        "eth1": "nic",
        "bond0": "bond",
        "bond0.10": "vlan",
        "br10": "bridge",
        "vnet0": "guest",
    }
    codes = {f.code for f in doc.findings()}
    assert codes == {"bond-degraded", "no-redundancy", "slave-down"}


def test_netlink_error_raises() -> None:
    err = struct.pack("=IHHII", 36, 2, 0, 1, 0) + struct.pack("=i", -1) + b"\0" * 16
    with pytest.raises(OSError, match="netlink link dump"):
        decode_dump(err, len(err), [])


def test_read_live_on_this_host() -> None:
    """Whatever this kernel has, the live reader reads it without error (no bonds needed)."""
    try:
        facts, _extras = read_live()
    except OSError as exc:  # no netlink in this sandbox
        pytest.skip(str(exc))
    assert "lo" in facts.links and facts.links["lo"].mtu


# --- guests -------------------------------------------------------------------------------

LIBVIRT_XML = """<domstatus state='running' pid='1'>
  <domain type='kvm' id='3'>
    <name>web1</name>
    <devices>
      <interface type='bridge'>
        <mac address='52:54:00:50:00:01'/><source bridge='br50'/><target dev='vnet7'/>
      </interface>
      <interface type='bridge'><source bridge='br9'/></interface>
    </devices>
  </domain>
</domstatus>"""


def test_guest_port_regex_matches_the_kernel_snapshot_one() -> None:
    assert GUEST_PORT_RE.pattern == kernel_snapshot.GUEST_PORT_RE.pattern


def test_libvirt_runtime_xml(tmp_path: Path) -> None:
    assert parse_libvirt_xml(LIBVIRT_XML) == {"vnet7": "web1"}
    assert parse_libvirt_xml("<not xml") == {}
    qemu = tmp_path / "run/libvirt/qemu"
    qemu.mkdir(parents=True)
    (qemu / "web1.xml").write_text(LIBVIRT_XML)
    (qemu / "broken.xml").write_text("<<<")
    assert read_libvirt_ports(str(tmp_path)) == {"vnet7": "web1"}
    assert read_libvirt_ports(str(tmp_path / "none")) == {}


def test_guest_naming_sources() -> None:
    macs = config_mac_index([("db1", "52:54:00:A0:00:01"), ("web1", "52:54:00:50:00:01")])
    assert name_guest_port("vnet7", None, {"vnet7": "web1"}, {}).source == "libvirt"
    by_mac = name_guest_port("vnet0", "fe:54:00:a0:00:01", {}, macs)
    assert (by_mac.name, by_mac.source) == ("db1", "config")
    assert name_guest_port("vnet0", "52:54:00:a0:00:01", {}, macs).source == "none"
    xen = name_guest_port("vif7.0", "fe:ff:ff:ff:ff:ff", {}, macs)
    assert (xen.name, xen.source, xen.domain_id) == (None, "xen", 7)
    assert describe_guest(xen) == "domain 7"
    assert describe_guest(name_guest_port("tap0", None, {}, {})) == "unknown guest"


# --- state --------------------------------------------------------------------------------


def test_state_round_trip_and_corruption(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "status.json"
    assert load_previous(path) is None
    assert save_run(path, "2026-01-01T00:00:00+00:00", {"bond0": {"eth0": 2}}) is None
    previous = load_previous(path)
    assert previous is not None and previous.failure_counts == {"bond0": {"eth0": 2}}
    assert previous.time == "2026-01-01T00:00:00+00:00"
    path.write_text("{not json")
    assert load_previous(path) is None
    path.write_text(json.dumps({"version": 1, "failure_counts": {"b": {"s": "x", "t": 1}}}))
    loaded = load_previous(path)
    assert loaded is not None and loaded.failure_counts == {"b": {"t": 1}}
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert save_run(blocked / "status.json", None, {}) is not None  # parent is a file
