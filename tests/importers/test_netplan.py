"""Netplan importer: every corpus file, round trips through emit/load, and netplan's edge rules.

The corpus (../shared/corpus/netplan, see its PROVENANCE.md) is real users' files; each test
states what the importer must find there (bonds with slaves and mode, VLANs with parent and
id, bridges with ports, addresses) and the exact lines reported as not converted.
"""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from hvnet.emit import emit_yaml
from hvnet.importers import ImportError_, ImportResult, NoteKind
from hvnet.importers.netplan import import_netplan, parse_netplan
from hvnet.loader import load_text
from hvnet.model import Bond, Bridge, Method4, Method6, Nic

from netplan_helpers import (
    CORPUS,
    addresses,
    bonds,
    bridges,
    corpus,
    kinds,
    not_converted,
    vlans,
)

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="netplan corpus not available")


# -- the corpus, file by file ---------------------------------------------------------------


def test_01_osa_bond_vlans_bridges() -> None:
    result = import_netplan(corpus("01"))
    host = result.host
    assert bonds(host) == {"bond0": ("802.3ad", ("eno1", "eno2"))}
    bond = host.links["bond0"]
    assert isinstance(bond, Bond)
    assert (bond.options.miimon, bond.options.lacp_rate) == (100, "fast")
    assert bond.options.xmit_hash_policy is not None
    assert bond.options.xmit_hash_policy.value == "layer3+4"
    assert vlans(host) == {f"bond0.{v}": ("bond0", v) for v in (10, 20, 30, 40)}
    assert bridges(host) == {
        "br-mgmt": ("bond0.10",),
        "br-storage": ("bond0.20",),
        "br-vxlan": ("bond0.30",),
        "br-ext": ("bond0.40",),
        "br-vlan": ("bond0",),
        "br-dbaas": (),
    }
    assert addresses(host) == {
        "br-mgmt": ["172.29.236.10/22"],
        "br-storage": ["172.21.244.10/22"],
        "br-vxlan": ["172.29.240.10/22"],
        "br-ext": ["192.1.1.10/22"],
    }
    assert host.links["br-ext"].gateway == ip_address("192.1.1.1")
    assert host.links["br-ext"].routes == ()
    assert host.dns.nameservers == (ip_address("8.8.8.8"), ip_address("8.8.4.4"))
    assert host.dns.search == ("example.com",)
    assert [link.mtu for link in host.links.values()].count(9000) == 8
    assert list(host.links)[:3] == ["eno1", "eno2", "bond0"]  # ethernets, bonds, vlans, bridges
    assert not_converted(result) == []
    assert result.notes == []
    assert result.source_format == "netplan"


def test_02_bridge_per_vlan() -> None:
    result = import_netplan(corpus("02"))
    host = result.host
    assert bonds(host) == {}
    assert vlans(host) == {f"eno1.{v}": ("eno1", v) for v in (2, 3, 4, 5)}
    assert bridges(host) == {"br1": ("eno1",), **{f"br{v}": (f"eno1.{v}",) for v in (2, 3, 4, 5)}}
    assert addresses(host) == {"br1": ["10.1.12.1/16"]}
    assert host.links["br1"].gateway == ip_address("10.1.0.1")
    for name in ("br1", "br2", "br5"):
        bridge = host.links[name]
        assert isinstance(bridge, Bridge)
        assert (bridge.options.stp, bridge.options.forward_delay) == (False, 0)
    assert all(link.mtu == 9000 for link in host.links.values())
    assert host.dns.nameservers == (ip_address("10.1.0.53"),)
    assert not_converted(result) == []
    # link-local: [] on address-less bridges matches what hvnet does there: noted as converted.
    assert kinds(result, NoteKind.CONVERTED) == [44, 52, 60, 68]


def test_03_kvm_bond_lacp_bridge() -> None:
    result = import_netplan(corpus("03"))
    host = result.host
    assert bonds(host) == {"bond0": ("802.3ad", ("enp4s0", "enp5s0"))}
    assert vlans(host) == {}
    assert bridges(host) == {"br0": ("bond0",)}
    assert addresses(host) == {"br0": ["192.168.73.12/24"]}
    assert host.links["br0"].gateway == ip_address("192.168.73.254")
    assert host.links["bond0"].method is Method4.MANUAL
    assert host.dns.search == ("parham.home",)
    assert list(host.links) == ["enp4s0", "enp5s0", "bond0", "br0"]  # not the file's order
    assert not_converted(result) == []
    assert result.notes == []


def test_04_maas_match_set_name() -> None:
    result = import_netplan(corpus("04"))
    host = result.host
    assert bonds(host) == {}
    assert vlans(host) == {"enp2s0.617": ("enp2s0", 617)}
    assert bridges(host) == {"br-enp4s0": ("enp4s0",)}
    assert addresses(host) == {"br-enp4s0": ["10.1.66.27/24"], "enp2s0.617": ["10.1.67.27/24"]}
    nic = host.links["enp2s0"]
    assert isinstance(nic, Nic)
    assert (nic.match_mac, nic.mtu) == ("f4:52:14:76:9c:e0", 9000)
    assert host.links["br-enp4s0"].gateway == ip_address("10.1.66.10")
    assert host.dns.nameservers == (ip_address("10.1.8.10"),)  # given twice, kept once
    assert host.dns.search == ("maas",)
    assert not_converted(result) == []
    assert result.notes == []


def test_05_overlay_alone_is_refused_like_netplan_does() -> None:
    with pytest.raises(ImportError_) as caught:
        import_netplan(corpus("05"))
    assert (caught.value.line, caught.value.column) == (6, 5)
    assert "enp2s0.617: missing 'id' property" in str(caught.value)


def test_05_overlay_merged_with_04() -> None:
    # Given in the "wrong" order on purpose: netplan reads 99-juju before 99-storpool.
    result = import_netplan([corpus("05"), corpus("04")])
    host = result.host
    assert vlans(host) == {"enp2s0.617": ("enp2s0", 617)}
    assert host.links["enp2s0.617"].mtu == 9000
    assert addresses(host)["enp2s0.617"] == ["10.1.67.27/24"]
    assert host.links["enp2s0"].mtu == 9000
    assert bridges(host) == {"br-enp4s0": ("enp4s0",)}
    assert not_converted(result) == []


def test_06_bonding_router() -> None:
    result = import_netplan(corpus("06"))
    host = result.host
    assert bonds(host) == {
        "bond-lan": ("802.3ad", ("enp2s0", "enp3s0")),
        "bond-wan": ("active-backup", ("enp1s0", "enp4s0")),
        "bond-conntrack": ("balance-rr", ("enp5s0", "enp6s0")),
    }
    wan = host.links["bond-wan"]
    assert isinstance(wan, Bond)
    assert (wan.options.miimon, wan.options.num_grat_arp) == (1, 5)  # gratuitious-arp spelling
    assert wan.gateway == ip_address("192.168.1.1")
    assert addresses(host) == {
        "bond-lan": ["192.168.93.2/24"],
        "bond-wan": ["192.168.1.252/24"],
        "bond-conntrack": ["192.168.254.2/24"],
    }
    assert host.links["enp1s0"].method is Method4.MANUAL  # dhcp4: no
    assert not_converted(result) == [
        (3, "renderer: networkd"),
        (11, "optional: true"),
        (14, "optional: true"),
        (17, "optional: true"),
        (20, "optional: true"),
    ]


def test_07_vlan_filtering_bridge() -> None:
    result = import_netplan(corpus("07"))
    host = result.host
    assert bridges(host) == {"br0": ("eno1", "eno2")}
    bridge = host.links["br0"]
    assert isinstance(bridge, Bridge)
    assert (bridge.options.vlan_filtering, bridge.options.stp) == (True, True)
    assert isinstance(host.links["eno2"], Nic)  # not declared: imported as a bare NIC
    assert set(host.links) == {"eno1", "switchport", "eno2", "br0"}
    assert not_converted(result) == [
        (3, "renderer: networkd"),
        (12, "vlan-default-pvid: 42"),
        (13, "vlans: [10 pvid untagged, 20 untagged, 50]"),
        (
            14,
            "port-vlans:\n  eno1: [2 pvid untagged, 4 untagged]\n"
            "  eno2: [4000-4094, 0 pvid, 30 untagged] # 0 pvid can only be used with networkd "
            "backend",
        ),
    ]
    assert kinds(result, NoteKind.INCONSISTENT) == [9]  # eno2 undefined
    assert kinds(result, NoteKind.CONVERTED) == [10]  # STP on by netplan's default


def test_08_bridge_on_vlan() -> None:
    result = import_netplan(corpus("08"))
    host = result.host
    assert vlans(host) == {"vlan15": ("enp0s25", 15)}
    assert bridges(host) == {"br0": ("vlan15",)}
    assert addresses(host) == {"br0": ["10.3.99.25/24"]}
    assert host.links["enp0s25"].method is Method4.DHCP
    assert host.links["vlan15"].method6 is Method6.MANUAL  # accept-ra: no, no host address
    assert not_converted(result) == [(3, "renderer: networkd")]
    assert kinds(result, NoteKind.CONVERTED) == [9]


def test_09_curtin_stp_params() -> None:
    result = import_netplan(corpus("09"))
    host = result.host
    assert bridges(host) == {"br0": ("eth1", "eth2")}
    bridge = host.links["br0"]
    assert isinstance(bridge, Bridge)
    assert [(p.name, p.priority, p.cost) for p in bridge.ports] == [
        ("eth1", 28, 50),
        ("eth2", 14, 75),
    ]
    options = bridge.options
    assert (options.ageing, options.forward_delay, options.hello_time, options.max_age) == (
        250,
        1,
        1,
        10,
    )
    assert (options.priority, options.stp) == (22, False)
    assert addresses(host) == {"br0": ["192.168.14.2/24"]}
    eth0 = host.links["eth0"]
    assert isinstance(eth0, Nic)
    assert (eth0.match_mac, eth0.method) == ("52:54:00:12:34:00", Method4.DHCP)
    assert not_converted(result) == [(2, "showtrace: true")]


def test_10_bond_default_mode() -> None:
    result = import_netplan(corpus("10"))
    host = result.host
    assert bonds(host) == {"bond0": ("balance-rr", ("eno1", "eno2"))}  # netplan's default
    assert bridges(host) == {"br0": ("bond0",)}
    assert addresses(host) == {}
    assert host.links["br0"].method is Method4.DHCP
    bridge = host.links["br0"]
    assert isinstance(bridge, Bridge)
    assert (bridge.options.stp, bridge.options.forward_delay) == (False, 0)
    assert not_converted(result) == [(5, "renderer: networkd")]


def test_11_broken_yaml_has_a_position() -> None:
    with pytest.raises(ImportError_) as caught:
        import_netplan(corpus("11"))
    error = caught.value
    assert error.file.endswith("11-broken-yaml-version-no-colon.yaml")
    assert (error.line, error.column) == (26, 10)  # the "version" line with no colon
    assert "Invalid YAML: could not find expected ':'" in error.message
    assert "'version'" in error.message


def test_11_once_repaired_keeps_three_gateways_and_notes_two() -> None:
    repaired = corpus("11").read_text().replace("  version", "  version: 2")
    result = parse_netplan([("11-repaired.yaml", repaired)])
    assert [link.gateway for link in result.host.links.values()] == [
        ip_address("10.0.0.1"),
        ip_address("192.168.12.1"),
        ip_address("192.168.1.1"),
    ]
    assert kinds(result, NoteKind.INCONSISTENT) == [15, 22]  # netplan warns, hvnet refuses
    assert kinds(result, NoteKind.CONVERTED) == [16, 23]  # DNS of three NICs merged
    assert not_converted(result) == []


IMPORTABLE = ["01", "02", "03", "04", "06", "07", "08", "09", "10", "04+05"]


def _import(case: str) -> ImportResult:
    return import_netplan([corpus(part) for part in case.split("+")])


@pytest.mark.parametrize("case", IMPORTABLE)
def test_emitted_config_loads_and_round_trips(case: str) -> None:
    result = _import(case)
    loaded = load_text(emit_yaml(result.host, header=f"imported from {case}"), f"{case}.yaml")
    errors = [d.format() for d in loaded.diagnostics if d.severity.value == "error"]
    assert errors == []
    assert loaded.host is not None
    assert loaded.host.links == result.host.links
    assert loaded.host.dns == result.host.dns


def test_every_corpus_file_imports_or_fails_cleanly() -> None:
    for path in sorted(CORPUS.glob("*.yaml")):
        try:
            import_netplan(path)
        except ImportError_ as exc:
            assert exc.line >= 1 and path.name.startswith(("05-", "11-")), str(exc)
