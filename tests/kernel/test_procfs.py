"""Tests for the /proc/net/bonding and /proc/net/vlan parsers.

Fixtures live in tests/fixtures/synthetic (see its README for provenance) and,
when captured, tests/fixtures/proc/<case>/proc/net/... from a real Debian VM.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hvnet.kernel.facts import BondProcInfo, LacpPortState, to_json_dict
from hvnet.kernel.procfs import (
    attr_bool,
    attr_centiseconds,
    attr_enum,
    attr_hex,
    attr_int,
    attr_str,
    bond_mode_from_text,
    parse_bonding,
    parse_uevent,
    parse_vlan_config,
    parse_vlan_dev,
    parse_vlan_name_type,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BONDING = FIXTURES / "synthetic" / "bonding"
VLAN = FIXTURES / "synthetic" / "vlan"


def bond(name: str) -> BondProcInfo:
    return parse_bonding((BONDING / name).read_text())


# --- every fixture ------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(BONDING.iterdir()), ids=lambda p: p.name)
def test_every_bonding_fixture_parses_cleanly(path: Path) -> None:
    info = parse_bonding(path.read_text())
    assert info.mode is not None
    assert info.mii_status in ("up", "down")
    assert info.slaves, "every fixture has at least one slave"
    assert info.extra == {}, "no line of a known format may be left unclassified"
    for slave in info.slaves:
        assert slave.extra == {}
        assert slave.mii_status in ("up", "down", "going down", "going back")
        for pdu in (slave.actor_lacp, slave.partner_lacp):
            assert pdu is None or pdu.extra == {}
    json.dumps(to_json_dict(info))  # JSON-friendly


# --- per mode -----------------------------------------------------------------


def test_balance_rr() -> None:
    info = bond("balance-rr")
    assert info.driver_version == "v6.1.0-18-amd64"
    assert info.mode == "balance-rr"
    assert info.mode_text == "load balancing (round-robin)"
    assert (info.miimon_ms, info.updelay_ms, info.downdelay_ms) == (100, 0, 0)
    assert info.peer_notif_delay_ms == 0
    assert info.xmit_hash_policy is None and info.primary_slave is None
    assert [s.name for s in info.slaves] == ["eth0", "eth1"]
    eth1 = info.slaves[1]
    assert eth1.speed_mbps == 1000 and eth1.duplex == "full"
    assert eth1.link_failure_count == 2
    assert eth1.perm_hwaddr == "52:54:00:12:34:02"
    assert eth1.queue_id == 0
    assert eth1.aggregator_id is None and eth1.has_aggregator is None


def test_active_backup_with_arp_fail_over_mac_and_primary_reselect() -> None:
    info = bond("active-backup-arp-fom")
    assert info.mode == "active-backup"
    assert info.mode_text == "fault-tolerance (active-backup)"
    assert info.fail_over_mac == "active"
    assert info.primary_slave == "eth0"
    assert info.primary_reselect == "better"
    assert info.active_slave == "eth1"
    assert info.miimon_ms == 0
    assert info.arp_interval_ms == 1000
    assert info.arp_missed_max == 3
    assert info.arp_ip_targets == ("192.0.2.1", "192.0.2.254")
    assert info.ns_ip6_targets == ()
    eth0, eth1 = info.slaves
    assert eth0.mii_status == "going back"
    assert eth0.speed_mbps is None and eth0.speed_text == "Unknown"
    assert eth0.duplex is None
    assert eth0.link_failure_count == 4
    assert eth1.speed_mbps == 10000 and eth1.queue_id == 2


def test_active_backup_down_without_active_slave() -> None:
    info = bond("active-backup-down")
    assert info.mode == "active-backup"
    assert info.fail_over_mac is None
    assert info.primary_slave is None and info.primary_reselect is None
    assert info.active_slave is None
    assert info.mii_status == "down"
    assert info.arp_interval_ms is None and info.arp_ip_targets is None
    assert [s.mii_status for s in info.slaves] == ["down", "going down"]


def test_balance_xor_hash_policy_and_delays() -> None:
    info = bond("balance-xor")
    assert info.mode == "balance-xor"
    assert info.xmit_hash_policy == "layer3+4"
    assert info.xmit_hash_policy_id == 1
    assert (info.updelay_ms, info.downdelay_ms, info.peer_notif_delay_ms) == (200, 400, 100)
    assert all(s.speed_mbps == 25000 for s in info.slaves)


def test_broadcast() -> None:
    info = bond("broadcast")
    assert info.mode == "broadcast"
    assert info.slaves[0].duplex == "half"
    assert info.slaves[0].speed_mbps == 100


def test_8023ad_full_root_view() -> None:
    info = bond("802.3ad")
    assert info.mode == "802.3ad"
    assert info.xmit_hash_policy == "layer2+3" and info.xmit_hash_policy_id == 2
    assert info.lacp_active is True
    assert info.lacp_rate == "fast"
    assert info.min_links == 1
    assert info.ad_select == "bandwidth"
    assert info.system_priority == 65535
    assert info.system_mac == "52:54:00:ab:cd:ef"
    assert info.has_active_aggregator is True
    agg = info.active_aggregator
    assert agg is not None
    assert (agg.aggregator_id, agg.number_of_ports, agg.actor_key, agg.partner_key) == (
        1,
        1,
        15,
        1001,
    )
    assert agg.partner_mac == "00:1c:73:00:00:99"

    eth0, eth1 = info.slaves
    assert eth0.aggregator_id == 1 and eth0.has_aggregator is True
    assert eth0.actor_churn_state == "none" and eth0.partner_churn_state == "none"
    assert eth0.actor_churned_count == 0 and eth0.partner_churned_count == 0
    actor, partner = eth0.actor_lacp, eth0.partner_lacp
    assert actor is not None and partner is not None
    assert actor.system_priority == 65535
    assert actor.system_mac == "52:54:00:ab:cd:ef"
    assert (actor.port_key, actor.port_priority, actor.port_number) == (15, 255, 1)
    assert actor.port_state == LacpPortState.from_int(63)
    assert partner.port_key == 1001  # "oper key"
    assert partner.port_number == 17
    assert partner.port_state is not None
    assert partner.port_state.value == 61
    assert partner.port_state.healthy and not partner.port_state.short_timeout

    assert eth1.aggregator_id == 2
    assert eth1.actor_churn_state == "churned"
    assert eth1.partner_churn_state == "monitoring"
    assert (eth1.actor_churned_count, eth1.partner_churned_count) == (1, 2)
    assert eth1.actor_lacp is not None and eth1.partner_lacp is not None
    a_state = eth1.actor_lacp.port_state
    assert a_state is not None
    assert a_state.defaulted and not a_state.in_sync and not a_state.healthy
    assert eth1.partner_lacp.system_mac == "00:00:00:00:00:00"


def test_8023ad_no_active_aggregator() -> None:
    info = bond("802.3ad-no-aggregator")
    assert info.lacp_active is False
    assert info.lacp_rate == "slow"
    assert info.system_priority == 100
    assert info.has_active_aggregator is False
    assert info.active_aggregator is None
    (eth4,) = info.slaves
    assert eth4.aggregator_id is None and eth4.has_aggregator is False
    assert eth4.actor_churn_state is None and eth4.actor_lacp is None


def test_8023ad_nonroot_has_no_details() -> None:
    info = bond("802.3ad-nonroot")
    assert info.xmit_hash_policy == "encap3+4" and info.xmit_hash_policy_id == 4
    assert info.system_priority is None and info.system_mac is None
    assert info.has_active_aggregator is None, "not reported is not the same as absent"
    (eth0,) = info.slaves
    assert eth0.aggregator_id == 1 and eth0.actor_churn_state == "none"
    assert eth0.actor_lacp is None and eth0.partner_lacp is None


def test_balance_tlb_with_hash_policy_and_primary() -> None:
    info = bond("balance-tlb")
    assert info.mode == "balance-tlb"
    assert info.xmit_hash_policy == "vlan+srcmac" and info.xmit_hash_policy_id == 5
    assert info.primary_slave == "eth0" and info.primary_reselect == "always"
    assert info.active_slave == "eth0"


def test_balance_alb() -> None:
    info = bond("balance-alb")
    assert info.mode == "balance-alb"
    assert info.mode_text == "adaptive load balancing"
    assert info.primary_slave is None and info.active_slave == "eth1"
    assert info.slaves[0].mii_status == "down" and info.slaves[0].speed_mbps is None


# --- old kernels ----------------------------------------------------------------


def test_old_3x_8023ad_aggregator_before_queue_id() -> None:
    info = bond("old-3.x-802.3ad")
    assert info.driver_version == "v3.7.1 (April 27, 2011)"
    assert info.peer_notif_delay_ms is None
    assert info.lacp_active is None and info.min_links is None
    assert info.system_priority is None
    agg = info.active_aggregator
    assert agg is not None and agg.aggregator_id == 3 and agg.number_of_ports == 2
    assert info.has_active_aggregator is True
    for slave in info.slaves:
        assert slave.aggregator_id == 3 and slave.queue_id == 0
        assert slave.actor_churn_state is None and slave.actor_lacp is None


def test_old_26_active_backup_arp_without_missed_max_and_speed_sentinel() -> None:
    info = bond("old-2.6-active-backup-arp")
    assert info.arp_interval_ms == 500
    assert info.arp_missed_max is None
    assert info.arp_ip_targets == ("10.0.0.1",)
    assert info.ns_ip6_targets is None
    eth0, eth1 = info.slaves
    assert eth0.speed_mbps is None and eth0.speed_text is None and eth0.queue_id is None
    assert eth1.speed_mbps is None and eth1.speed_text == "65535 Mbps"


# --- real pasted outputs ------------------------------------------------------------


def test_real_magpie_healthy_single_space_indent() -> None:
    info = bond("real-magpie-802.3ad-healthy")
    agg = info.active_aggregator
    assert agg is not None
    assert (agg.aggregator_id, agg.number_of_ports, agg.partner_key) == (1, 2, 201)
    assert agg.partner_mac == "02:01:00:00:01:01"
    assert [s.name for s in info.slaves] == ["eno3", "eno1"]
    for slave in info.slaves:
        assert slave.aggregator_id == agg.aggregator_id
        for pdu in (slave.actor_lacp, slave.partner_lacp):
            assert pdu is not None and pdu.port_state is not None
            assert pdu.port_state.value == 63 and pdu.port_state.healthy
    assert info.slaves[1].partner_lacp is not None
    assert info.slaves[1].partner_lacp.port_number == 1012


def test_real_magpie_churned_split_aggregators() -> None:
    info = bond("real-magpie-802.3ad-churned")
    assert info.active_aggregator is not None
    assert info.active_aggregator.aggregator_id == 2
    bad, good = info.slaves
    assert bad.aggregator_id == 1 and bad.actor_churn_state == "churned"
    assert bad.actor_lacp is not None and bad.actor_lacp.port_key == 7
    state = bad.partner_lacp.port_state if bad.partner_lacp else None
    assert state is not None and state.value == 13
    assert state.in_sync and not state.collecting and not state.short_timeout
    assert good.aggregator_id == 2 and good.actor_churn_state == "none"


def test_real_v350_no_speed_no_queue_id() -> None:
    info = bond("real-v3.5.0-802.3ad-no-aggregator")
    assert info.has_active_aggregator is False
    assert [s.has_aggregator for s in info.slaves] == [False, False]
    assert all(s.speed_mbps is None and s.queue_id is None for s in info.slaves)


# --- tolerance --------------------------------------------------------------------


def test_unknown_lines_are_kept_in_extra() -> None:
    text = (BONDING / "802.3ad").read_text()
    text = text.replace("MII Status: up\n", "MII Status: up\nCoupled Control: on\nweird\n", 1)
    text = text.replace("Slave queue ID: 0\n", "Slave queue ID: 0\nSlave active: 1\n", 1)
    text = text.replace("    port state: 63\n", "    port state: 63\n    actor port prio: 9\n")
    info = parse_bonding(text)
    assert info.extra == {"Coupled Control": "on", "weird": ""}
    assert info.slaves[0].extra == {"Slave active": "1"}
    assert info.slaves[0].actor_lacp is not None
    assert info.slaves[0].actor_lacp.extra == {"actor port prio": "9"}


def test_mixed_case_details_header_and_crlf() -> None:
    text = (BONDING / "802.3ad").read_text().replace("details partner", "details Partner")
    info = parse_bonding(text.replace("\n", "\r\n"))
    assert info.slaves[0].partner_lacp is not None
    assert info.slaves[0].partner_lacp.port_key == 1001


def test_empty_and_garbage_input() -> None:
    empty = parse_bonding("")
    assert empty.mode is None and empty.slaves == () and empty.extra == {}
    junk = parse_bonding("Bonding Mode: something new\nSpeed: fast\n:\n: :\n")
    assert junk.mode is None and junk.mode_text == "something new"


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("load balancing (round-robin)", "balance-rr"),
        ("fault-tolerance (active-backup)", "active-backup"),
        ("load balancing (xor)", "balance-xor"),
        ("fault-tolerance (broadcast)", "broadcast"),
        ("IEEE 802.3ad Dynamic link aggregation", "802.3ad"),
        ("transmit load balancing", "balance-tlb"),
        ("adaptive load balancing", "balance-alb"),
        ("802.3ad", "802.3ad"),
        ("nonsense", None),
        ("", None),
    ],
)
def test_mode_names(text: str, mode: str | None) -> None:
    assert bond_mode_from_text(text) == mode


_LINE_PIECES = st.sampled_from(
    [
        "Slave Interface: eth0",
        "details actor lacp pdu:",
        "details partner lacp pdu:",
        "    port state: ",
        "Aggregator ID: ",
        "Bonding Mode: ",
        "Primary Slave: ",
        "Transmit Hash Policy: ",
        "ARP IP target/s (n.n.n.n form):",
        "bond x has no active aggregator",
        "802.3ad info",
        "\t",
        ": ",
        "(",
        ")",
        "9" * 5000,
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_crashes_on_random_text(text: str) -> None:
    parse_bonding(text)
    parse_vlan_config(text)
    parse_vlan_dev(text)
    parse_vlan_name_type(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_LINE_PIECES, st.text(max_size=20)), max_size=40))
def test_never_crashes_on_plausible_lines(pieces: list[str]) -> None:
    text = "\n".join(pieces)
    json.dumps(to_json_dict(parse_bonding(text)))
    parse_vlan_dev(text.replace("Slave Interface", "Device"))


# --- sysfs attribute values ----------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "text", "want"),
    [
        (attr_int, "1500\n", 1500),
        (attr_int, "-1\n", -1),
        (attr_int, "0x8001\n", 0x8001),
        (attr_int, "", None),
        (attr_int, None, None),
        (attr_int, "9" * 5000, None),
        (attr_hex, "0x1\n", 1),
        (attr_hex, "ff", 255),
        (attr_hex, "zz", None),
        (attr_bool, "1\n", True),
        (attr_bool, "0\n", False),
        (attr_bool, "", None),
        (attr_enum, "802.3ad 4\n", "802.3ad"),
        (attr_enum, "layer2+3 2\n", "layer2+3"),
        (attr_enum, "active\n", "active"),
        (attr_enum, "\n", None),
        (attr_centiseconds, "1500\n", 15.0),
        (attr_centiseconds, "30000\n", 300.0),
        (attr_centiseconds, "x", None),
        (attr_str, "  \n", None),
        (
            parse_uevent,
            "DEVTYPE=vlan\nINTERFACE=bond0.100\njunk\n",
            {"DEVTYPE": "vlan", "INTERFACE": "bond0.100"},
        ),
    ],
)
def test_sysfs_attribute_values(func: Any, text: str | None, want: object) -> None:
    assert func(text) == want


# --- VLAN ---------------------------------------------------------------------------


def test_vlan_config() -> None:
    text = (VLAN / "config").read_text()
    entries = parse_vlan_config(text)
    assert [(e.name, e.vid, e.parent) for e in entries] == [
        ("bond0.100", 100, "bond0"),
        ("vlan200", 200, "bond0"),
        ("averyverylong15", 4094, "eth0"),
    ]
    assert parse_vlan_name_type(text) == "VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD"
    assert parse_vlan_config("VLAN Dev name\t | VLAN ID\nName-Type: X\n") == []


def test_vlan_dev() -> None:
    dev = parse_vlan_dev((VLAN / "bond0.100").read_text())
    assert dev.name == "bond0.100" and dev.vid == 100
    assert dev.reorder_hdr is True
    assert dev.priv_flags == 0x1021
    assert (dev.rx_frames, dev.rx_bytes, dev.rx_multicast) == (12345, 6789012, 42)
    assert (dev.tx_frames, dev.tx_bytes) == (321, 45678)
    assert dev.parent == "bond0"
    assert dev.ingress_map == dict.fromkeys(range(8), 0)
    assert dev.egress_map == {5: 3, 6: 5}
    assert dev.extra == {}


def test_vlan_dev_without_egress_and_reorder_off() -> None:
    dev = parse_vlan_dev(
        "eth0.7  VID: 7\t REORDER_HDR: 0  dev->priv_flags: 1\nDevice: eth0\n"
        "INGRESS priority mappings: 0:0  1:1  2:0  3:0  4:0  5:0  6:0 7:0\n"
        " EGRESS priority mappings: \n"
    )
    assert dev.reorder_hdr is False and dev.egress_map == {} and dev.ingress_map[1] == 1
    assert dev.rx_frames is None


# --- real captures from the lab VM (appear when the capture job has run) -----------

REAL_BONDING = sorted((FIXTURES / "proc").glob("*/proc/net/bonding/*"))
REAL_VLAN_CONFIG = sorted((FIXTURES / "proc").glob("*/proc/net/vlan/config"))


@pytest.mark.skipif(not REAL_BONDING, reason="no real /proc/net/bonding captures yet")
@pytest.mark.parametrize("path", REAL_BONDING, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_real_bonding_capture(path: Path) -> None:
    info = parse_bonding(path.read_text())
    assert info.mode is not None
    assert info.driver_version is not None
    assert info.extra == {}
    for slave in info.slaves:
        assert slave.extra == {}
        assert slave.mii_status is not None
    if info.mode == "802.3ad":
        assert info.lacp_rate is not None


@pytest.mark.skipif(not REAL_VLAN_CONFIG, reason="no real /proc/net/vlan captures yet")
@pytest.mark.parametrize("path", REAL_VLAN_CONFIG, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_real_vlan_capture(path: Path) -> None:
    entries = parse_vlan_config(path.read_text())
    for entry in entries:
        assert entry.vid is not None and entry.parent is not None
        dev_file = path.parent / entry.name
        if dev_file.exists():
            dev = parse_vlan_dev(dev_file.read_text())
            assert dev.vid == entry.vid and dev.parent == entry.parent
