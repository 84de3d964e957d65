"""ENI importer over the shared corpus: details the per-file table does not show.

Slave-side bond options, bridge-utils waits, sources under a root and similar specifics;
the per-file expectations (bonds, VLANs, bridges, addresses, exact not-converted lines) are
in test_eni_corpus.py.
"""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path

import pytest

from hvnet.importers import NoteKind
from hvnet.importers.eni import import_eni
from hvnet.model import Bond, Bridge, Method4, Method6, Vlan, VlanProtocol

from eni_corpus_helpers import CORPUS, corpus, empty_root, imported

__all__ = ["empty_root"]  # the fixture, imported so pytest finds it here

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="ENI corpus not available")


def test_01_slave_side_primary_and_waitport(empty_root: Path) -> None:
    result = imported("01", empty_root)
    bond0 = result.host.links["bond0"]
    assert isinstance(bond0, Bond)
    assert (bond0.options.primary, bond0.options.miimon, bond0.options.updelay) == (
        "eth0",
        100,
        200,
    )
    converted = {n.line: n.reason for n in result.notes if n.kind is NoteKind.CONVERTED}
    assert "applied to bond0" in converted[15]
    assert "waits for nothing" in converted[70]
    bridge = result.host.links["br-mgmt"]
    assert isinstance(bridge, Bridge)
    assert (bridge.options.stp, bridge.options.forward_delay) == (False, 0.0)
    assert bridge.gateway == ip_address("172.29.236.1")
    assert result.host.dns.nameservers == (ip_address("8.8.8.8"), ip_address("8.8.4.4"))


def test_02_singular_dns_nameserver_repeated(empty_root: Path) -> None:
    host = imported("02", empty_root).host
    assert host.dns.nameservers == (ip_address("64.31.5.1"), ip_address("64.31.5.2"))
    bond = host.links["bond0"]
    assert isinstance(bond, Bond)
    assert bond.options.lacp_rate == "fast"
    assert bond.options.xmit_hash_policy is not None
    assert bond.options.xmit_hash_policy.value == "layer3+4"


def test_03_numeric_lacp_rate_and_dhcp(empty_root: Path) -> None:
    host = imported("03", empty_root).host
    bond = host.links["bond0"]
    assert isinstance(bond, Bond)
    assert (bond.options.lacp_rate, bond.options.min_links) == ("fast", 1)
    assert host.links["eth0"].method is Method4.DHCP


def test_06_typos_get_a_suggestion(empty_root: Path) -> None:
    reasons = {n.line: n.reason for n in imported("06", empty_root).not_converted}
    assert "did you mean bridge-vlan-aware?" in reasons[46]
    assert "did you mean dns-nameservers?" in reasons[41]


def test_07_ifconfig_mtu_chain_sets_three_mtus(empty_root: Path) -> None:
    host = imported("07", empty_root).host
    assert [host.links[n].mtu for n in ("enp2s0f0", "enp2s0f1", "bond0")] == [9000] * 3


def test_10_qinq_service_vlan(empty_root: Path) -> None:
    host = imported("10", empty_root).host
    vlan = host.links["sv_myzone"]
    assert isinstance(vlan, Vlan) and vlan.protocol is VlanProtocol.DOT1AD
    bridge = host.links["z_myzone"]
    assert isinstance(bridge, Bridge) and bridge.options.vlan_filtering is True


def test_12_crlf_inet_and_inet6_merge(empty_root: Path) -> None:
    host = imported("12", empty_root).host
    eth0 = host.links["eth0"]
    assert (eth0.method, eth0.method6) == (Method4.STATIC, Method6.STATIC)
    assert (eth0.gateway, eth0.gateway6) == (ip_address("65.108.72.1"), ip_address("fe80::1"))
    assert [str(r.to) for r in host.links["vmbr0"].routes] == ["2a01:4f9:6b:4821::/64"]


def test_16_netmask_as_bit_count(empty_root: Path) -> None:
    host = imported("16", empty_root).host
    assert [str(a) for a in host.links["swp_AA_"].addresses] == ["172.30.1.3/24"]


def test_17_familyless_stanza_with_both_families(empty_root: Path) -> None:
    link = imported("17", empty_root).host.links["servers"]
    assert isinstance(link, Vlan) and (link.parent, link.vid, link.mtu) == ("eth0", 5, 8000)
    assert (link.gateway, link.gateway6) == (
        ip_address("1.2.10.1"),
        ip_address("abcd:ef12:3456:10::1"),
    )


def test_19_imperative_address_and_mac(empty_root: Path) -> None:
    host = imported("19", empty_root).host
    assert [str(a) for a in host.links["br0"].addresses] == ["192.0.2.1/24"]
    assert host.links["prv0"].mac == "3c:97:0e:81:ee:45"


def test_20_bridge_timers_in_seconds(empty_root: Path) -> None:
    result = imported("20", empty_root)
    bridge = result.host.links["virbr0"]
    assert isinstance(bridge, Bridge)
    options = bridge.options
    assert (options.forward_delay, options.hello_time, options.max_age) == (9.0, 2.0, 12.0)
    assert result.host.dns.search == ("co-in.local",)


def test_21_port_address_and_broadcast_typo_are_reported(empty_root: Path) -> None:
    result = imported("21", empty_root)
    reasons = {n.line: n.reason for n in result.notes if n.kind is NoteKind.INCONSISTENT}
    assert "enslaved to br0" in reasons[20]
    assert "192.168.0.255" in reasons[37]
    assert result.host.links["eth0"].addresses == ()


def test_23_bond_primary_reselect_mixed_spelling(empty_root: Path) -> None:
    bond = imported("23", empty_root).host.links["bond0"]
    assert isinstance(bond, Bond)
    assert bond.options.primary_reselect is not None
    assert (bond.options.primary, bond.options.primary_reselect.value) == ("eth0", "always")
    assert bond.method is Method4.DHCP


def test_sources_are_followed_under_the_root(tmp_path: Path) -> None:
    fragments = tmp_path / "etc" / "network" / "interfaces.d"
    fragments.mkdir(parents=True)
    (fragments / "vlan5").write_text("auto eth0.5\niface eth0.5 inet manual\n")
    (tmp_path / "etc" / "network" / "custom-ifaces").mkdir()
    result = import_eni(corpus("25"), root=tmp_path)
    assert result.not_converted == []
    assert {v.name for v in result.host.vlans} == {"eth0.5"}
