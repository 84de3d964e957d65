"""ENI importer, dialect by dialect (eni-dialects.md): each construct, its meaning, its notes.

Snippets are small on purpose: one construct per test, the model it must produce, and the
note (kind and line) the operator must see. Together with the corpus tests they cover
ifupdown + ifenslave + vlan + bridge-utils, ifupdown2, and the Xen-era command recipes.
"""

from __future__ import annotations

import textwrap
from ipaddress import ip_address, ip_interface

import pytest

from hvnet.importers import ImportResult, NoteKind
from hvnet.importers.eni import import_eni, import_eni_text
from hvnet.importers.eni_l3 import classful_prefix, mask_prefix
from hvnet.model import Bond, Bridge, Link, Method4, Method6, Nic, Vlan, VlanProtocol


def imp(text: str) -> ImportResult:
    return import_eni_text(textwrap.dedent(text), "ifaces")


def link(result: ImportResult, name: str) -> Link:
    return result.host.links[name]


def bond(result: ImportResult, name: str = "bond0") -> Bond:
    found = link(result, name)
    assert isinstance(found, Bond), found
    return found


def bridge(result: ImportResult, name: str = "br0") -> Bridge:
    found = link(result, name)
    assert isinstance(found, Bridge), found
    return found


def vlan(result: ImportResult, name: str) -> tuple[str, int, str]:
    found = link(result, name)
    assert isinstance(found, Vlan), found
    return found.parent, found.vid, found.protocol.value


def notes(result: ImportResult, kind: NoteKind) -> dict[int, str]:
    return {n.line: n.reason for n in result.notes if n.kind is kind}


def nc(result: ImportResult) -> dict[int, str]:
    return notes(result, NoteKind.NOT_CONVERTED)


def inconsistent(result: ImportResult) -> dict[int, str]:
    return notes(result, NoteKind.INCONSISTENT)


# -- ifenslave ---------------------------------------------------------------------------------


def test_membership_is_the_union_of_both_sides_and_disagreement_is_noted() -> None:
    result = imp(
        """\
        iface eth0 inet manual
            bond-master bond0
        iface eth1 inet manual
            bond-master bond0
        iface bond0 inet manual
            bond-slaves eth0
            bond-mode 4
        """
    )
    assert bond(result).slaves == ("eth0", "eth1")
    assert bond(result).options.mode.value == "802.3ad"
    assert "does not list eth1" in inconsistent(result)[4]


def test_bond_slaves_none_with_slave_stanzas_and_legacy_slaves_keyword() -> None:
    result = imp(
        """\
        iface eth0 inet manual
            bond-master bond0
        iface bond0 inet manual
            bond-slaves none
        iface bond1 inet manual
            slaves eth1 eth2
            bond_mode balance-alb
            bond_miimon 100
        """
    )
    assert bond(result).slaves == ("eth0",)
    assert bond(result, "bond1").slaves == ("eth1", "eth2")
    assert bond(result, "bond1").options.mode.value == "balance-alb"
    assert result.notes == [] or all(n.kind is NoteKind.CONVERTED for n in result.notes)


def test_a_slave_claimed_by_two_bonds_stays_with_the_first() -> None:
    result = imp(
        """\
        iface bond0 inet manual
            bond-slaves eth0 eth1
            bond-miimon 100
        iface bond1 inet manual
            bond-slaves eth1 eth2
            bond-miimon 100
        """
    )
    assert (bond(result).slaves, bond(result, "bond1").slaves) == (("eth0", "eth1"), ("eth2",))
    assert "already enslaved to bond0" in inconsistent(result)[5]


def test_bond_options_on_slave_stanzas_apply_to_the_master() -> None:
    result = imp(
        """\
        iface eth0 inet manual
            bond-master bond0
            bond-mode active-backup
            bond-miimon 200
            bond-primary eth0
        iface bond0 inet manual
            bond-slaves none
            bond-miimon 100
        """
    )
    options = bond(result).options
    assert (options.mode.value, options.miimon, options.primary) == ("active-backup", 100, "eth0")
    assert "applied to bond0" in notes(result, NoteKind.CONVERTED)[3]
    assert "100 itself" in inconsistent(result)[4]


def test_bond_slaves_all_is_reported_and_mode_numbers_accepted() -> None:
    result = imp(
        """\
        iface bond0 inet manual
            bond-slaves all
            bond-mode 1
            bond-xmit-hash-policy 1
            bond-miimon 100
        """
    )
    assert bond(result).slaves == ()
    assert "'all'" in nc(result)[2]
    options = bond(result).options
    assert options.mode.value == "active-backup"
    assert options.xmit_hash_policy is not None and options.xmit_hash_policy.value == "layer3+4"


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        ("bond-miimon 100\n    bond-arp-interval 200\n    bond-arp-ip-target 192.0.2.1", "ARP"),
        ("bond-updelay 200", "without miimon"),
        ("bond-miimon 100\n    bond-lacp-rate fast", "refuses lacp_rate"),
        ("bond-mode 1\n    bond-miimon 100\n    bond-primary eth9", "not a slave"),
        ("bond-mode 802.3ad\n    bond-min-links 3", "min_links"),
    ],
)
def test_bond_options_the_kernel_refuses_are_dropped_with_a_note(lines: str, reason: str) -> None:
    result = imp(f"iface bond0 inet manual\n    bond-slaves eth0 eth1\n    {lines}\n")
    assert any(reason in text for text in inconsistent(result).values()), result.notes


def test_bad_bond_values_are_not_converted() -> None:
    result = imp(
        """\
        iface bond0 inet manual
            bond-slaves eth0
            bond-mode turbo
            bond-miimon fast
            bond-arp-ip-target +192.0.2.1
            bond-queue-id eth0:1
        """
    )
    assert set(nc(result)) == {3, 4, 5, 6}


def test_ifenslave_commands_make_a_bond() -> None:
    result = imp(
        """\
        iface bond0 inet static
            address 192.0.2.10/24
            up ifenslave bond0 eth0 eth1
            up echo 100 > /sys/class/net/bond0/bonding/miimon
            down ifenslave -d bond0 eth0 eth1
        """
    )
    assert bond(result).slaves == ("eth0", "eth1")
    assert bond(result).options.miimon == 100
    assert nc(result) == {}


# -- vlan package and ifupdown2 ------------------------------------------------------------------


def test_vlan_naming_styles() -> None:
    result = imp(
        """\
        iface vlan100 inet manual
            vlan-raw-device eth0
        iface vlan0200 inet manual
            vlan_raw_device eth0
        iface eth1.0300 inet manual
        iface bond0.400 inet manual
            vlan-raw-device bond0
        iface servers inet manual
            vlan-raw-device eth0
            vlan-id 500
            vlan-protocol 802.1ad
        iface br1 inet manual
            bridge-ports eth2.600
        """
    )
    assert vlan(result, "vlan100") == ("eth0", 100, "802.1q")
    assert vlan(result, "vlan0200") == ("eth0", 200, "802.1q")
    assert vlan(result, "eth1.0300") == ("eth1", 300, "802.1q")
    assert vlan(result, "bond0.400") == ("bond0", 400, "802.1q")
    assert vlan(result, "servers") == ("eth0", 500, "802.1ad")
    assert vlan(result, "eth2.600") == ("eth2", 600, "802.1q")
    converted = notes(result, NoteKind.CONVERTED)
    assert "from the name" in converted[5] and "from the name" in converted[13]


def test_conflicting_raw_device_and_vlan_id_are_inconsistent() -> None:
    result = imp(
        """\
        iface eth0.100 inet manual
            vlan-raw-device eth1
        iface vlan200 inet manual
            vlan-raw-device eth0
            vlan-id 201
        iface odd inet manual
            vlan-raw-device eth0
        """
    )
    assert vlan(result, "eth0.100") == ("eth0", 100, "802.1q")  # the name wins for eth*
    assert vlan(result, "vlan200") == ("eth0", 201, "802.1q")  # vlan-id wins (ifupdown2)
    assert isinstance(link(result, "odd"), Nic)
    assert set(inconsistent(result)) == {2, 5, 7}


def test_imperative_vlans_vconfig_and_ip() -> None:
    result = imp(
        """\
        iface eth0 inet manual
            up vconfig add eth0 5
        iface tagged inet manual
            pre-up ip link add link eth0 name tagged type vlan id 6 protocol 802.1ad
            post-down ip link del tagged
        """
    )
    assert vlan(result, "eth0.5") == ("eth0", 5, "802.1q")
    assert vlan(result, "tagged") == ("eth0", 6, "802.1ad")
    assert nc(result) == {}


# -- bridge-utils --------------------------------------------------------------------------------


def test_every_bridge_utils_option() -> None:
    result = imp(
        """\
        auto br0
        iface br0 inet manual
            bridge_ports eth0 eth1
            bridge_stp yes
            bridge_fd 2.5
            bridge_hello 1
            bridge_maxage 10
            bridge_ageing 600
            bridge_bridgeprio 4096
            bridge_portprio eth0 16
            bridge_pathcost eth1 42
            bridge_maxwait 3
            bridge_waitport 0
            bridge_hw 02:00:00:00:00:aa
            bridge_gcint 4
            bridge-vlan-aware no
        """
    )
    br = bridge(result)
    options = br.options
    assert (options.stp, options.forward_delay, options.hello_time) == (True, 2.5, 1.0)
    assert (options.max_age, options.ageing, options.priority) == (10.0, 600.0, 4096)
    assert (options.maxwait, options.vlan_filtering) == (3, False)
    assert [(p.name, p.priority, p.cost) for p in br.ports] == [
        ("eth0", 16, None),
        ("eth1", None, 42),
    ]
    assert br.mac == "02:00:00:00:00:aa"
    assert set(nc(result)) == {15}  # gcint has no kernel setting


def test_bridge_ports_none_all_and_regex() -> None:
    result = imp(
        """\
        iface br0 inet manual
            bridge_ports none
        iface br1 inet manual
            bridge_ports all
        iface br2 inet manual
            bridge_ports eth0 regex eth1.* noregex eth2
        iface br3 inet manual
            bridge-portprios eth5=3 eth9=4
            bridge-ports eth5
        """
    )
    assert bridge(result).ports == ()
    assert bridge(result, "br1").ports == ()
    assert bridge(result, "br2").port_names == ("eth0", "eth2")
    assert [p.priority for p in bridge(result, "br3").ports] == [3]
    assert set(nc(result)) == {4, 6}
    assert "eth9 is not a port" in inconsistent(result)[8]


def test_xen_era_brctl_recipe_becomes_a_bridge() -> None:
    result = imp(
        """\
        auto xenbr0
        iface xenbr0 inet static
            address 192.0.2.5
            netmask 255.255.255.0
            pre-up brctl addbr xenbr0
            pre-up brctl addif xenbr0 eth0
            pre-up ip link set eth0 up
            pre-up brctl stp xenbr0 off
            pre-up brctl setfd xenbr0 0
            post-down ip link set eth0 down
            post-down brctl delif xenbr0 eth0
            post-down brctl delbr xenbr0
        """
    )
    br = bridge(result, "xenbr0")
    assert br.port_names == ("eth0",)
    assert (br.options.stp, br.options.forward_delay) == (False, 0.0)
    assert br.addresses == (ip_interface("192.0.2.5/24"),)
    assert nc(result) == {}
    assert {5, 6, 8, 9} <= set(notes(result, NoteKind.CONVERTED))


def test_ip_link_master_and_sysfs_bridge_settings() -> None:
    result = imp(
        """\
        iface br0 inet manual
            pre-up ip link add br0 type bridge
            pre-up ip link set eth1 master br0
            up echo 400 > /sys/class/net/br0/bridge/forward_delay
        """
    )
    assert bridge(result).port_names == ("eth1",)
    assert bridge(result).options.forward_delay == 4.0


# -- addresses -----------------------------------------------------------------------------------


def test_netmask_overrides_or_not_and_defaults() -> None:
    result = imp(
        """\
        iface eth0 inet static
            address 192.0.2.1/24
            netmask 255.255.0.0
        iface eth1 inet static
            address 10.1.2.3
        iface eth2
            address 10.1.2.4
        iface eth3 inet static
            address 198.51.100.7
            netmask 255.0.255.0
        """
    )
    assert link(result, "eth0").addresses == (ip_interface("192.0.2.1/24"),)
    assert "/24 kept" in inconsistent(result)[3]
    assert link(result, "eth1").addresses == (ip_interface("10.1.2.3/8"),)
    assert link(result, "eth2").addresses == (ip_interface("10.1.2.4/32"),)
    assert "classful" in notes(result, NoteKind.CONVERTED)[5]
    assert 10 in nc(result)  # a non-contiguous mask


def test_network_broadcast_and_gateways() -> None:
    result = imp(
        """\
        auto eth0 eth1
        iface eth0 inet static
            address 192.0.2.1/24
            network 192.0.3.0
            broadcast 192.0.2.255
            gateway 192.0.2.254
            gateway 192.0.2.253
        iface eth1 inet static
            address 198.51.100.1/24
            gateway 198.51.100.254
            pointopoint 198.51.100.2
        iface eth2 inet manual
            gateway 203.0.113.1
        """
    )
    assert set(inconsistent(result)) == {4, 7, 10, 13}
    assert link(result, "eth0").gateway == ip_address("192.0.2.254")
    assert link(result, "eth1").gateway is None
    assert 11 in nc(result)


def test_methods_inet_inet6_and_ipv6_options() -> None:
    result = imp(
        """\
        auto eth0 eth1
        iface eth0 inet dhcp
        iface eth0 inet6 auto
        iface eth1 inet6 static
            address 2001:db8::1
            netmask 64
            autoconf 1
            accept_ra 2
        iface eth2 inet6 dhcp
            hwaddress ether 02:00:00:00:00:02
            mtu 1400
        """
    )
    assert (link(result, "eth0").method, link(result, "eth0").method6) == (
        Method4.DHCP,
        Method6.AUTO,
    )
    eth1 = link(result, "eth1")
    assert eth1.addresses == (ip_interface("2001:db8::1/64"),) and eth1.method6 is Method6.AUTO
    eth2 = link(result, "eth2")
    assert (eth2.method6, eth2.mac, eth2.mtu) == (Method6.DHCP, "02:00:00:00:00:02", 1400)
    assert set(nc(result)) == {8}


def test_dns_options_merge_into_the_host() -> None:
    result = imp(
        """\
        iface eth0 inet static
            address 192.0.2.1/24
            dns-nameservers 192.0.2.53 2001:db8::53
            dns-search example.net
            dns-domain example.org
        iface eth1 inet dhcp
            dns-nameserver 192.0.2.53
            dns-nameserver 192.0.2.54
        """
    )
    dns = result.host.dns
    assert [str(a) for a in dns.nameservers] == ["192.0.2.53", "2001:db8::53", "192.0.2.54"]
    assert dns.search == ("example.net", "example.org")


def test_addresses_on_enslaved_interfaces_are_not_imported() -> None:
    result = imp(
        """\
        iface eth0 inet static
            address 192.0.2.1/24
            bond-master bond0
        iface bond0 inet dhcp
            bond-slaves none
            bond-miimon 100
        """
    )
    assert link(result, "eth0").addresses == ()
    assert "enslaved to bond0" in inconsistent(result)[2]


# -- file syntax ---------------------------------------------------------------------------------


def test_syntax_variants_crlf_continuations_tabs_no_indent_comments() -> None:
    text = (
        "# top comment\r\n"
        "auto br0\r\n"
        "iface br0 inet static\r\n"
        "address 192.0.2.1\r\n"
        "\tnetmask 255.255.255.0 \r\n"
        "   # comment inside\r\n"
        "  bridge_ports eth0 \\\r\n"
        "eth1\r\n"
        "\t  iface eth0 inet manual\r\n"
    )
    result = import_eni_text(text, "crlf")
    assert bridge(result).port_names == ("eth0", "eth1")
    assert bridge(result).addresses == (ip_interface("192.0.2.1/24"),)
    assert nc(result) == {}


def test_everything_unconvertible_is_reported() -> None:
    result = imp(
        """\
        misplaced-option yes
        mapping eth0
            script /usr/local/bin/map
        rename eth9=lan0
        no-scripts eth0
        auto ghost
        iface lo inet loopback
            up ip route add 10.0.0.0/8 dev lo
        iface t0 inet6 6to4
            local 192.0.2.1
        iface eth0 inet manual
            totally-unknown 1
            up do-something || true
            post-up iptables -A INPUT -j ACCEPT
            down ip route del 10.9.0.0/16 dev eth0
            ovs_type OVSPort
        iface x inherits eth0
        """
    )
    assert set(nc(result)) == {1, 2, 3, 4, 5, 8, 9, 10, 12, 13, 14, 15, 16, 17}
    assert 6 in inconsistent(result)
    assert "not part of the hvnet model" in nc(result)[9]


def test_standard_loopback_is_silent_and_source_directory_is_followed(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "frag").mkdir()
    (root / "frag" / "bond0").write_text("iface bond0 inet manual\n  bond-slaves eth0 eth1\n")
    (root / "frag" / "skip.bak").write_text("iface junk inet manual\n")
    top = root / "interfaces"
    top.write_text("auto lo\niface lo inet loopback\nsource-directory frag\nauto bond0\n")
    result = import_eni(top)
    assert set(result.host.links) == {"bond0", "eth0", "eth1"}
    assert result.notes == [] or all(n.kind is not NoteKind.NOT_CONVERTED for n in result.notes)


def test_hvnet_isolation_line_on_an_addressed_link_is_reported() -> None:
    result = imp(
        """\
        iface eth0 inet static
            address 192.0.2.1/24
            up sysctl -q -e -w net/ipv6/conf/eth0/disable_ipv6=1 net/ipv4/conf/eth0/arp_ignore=8 net/ipv4/conf/eth0/rp_filter=1
        """  # noqa: E501
    )
    assert 3 in nc(result)


def test_vlan_protocol_on_a_plain_interface_and_qinq_names() -> None:
    result = imp(
        """\
        iface eth0.10.20 inet manual
        iface eth1 inet manual
            vlan-protocol 802.1ad
        """
    )
    assert vlan(result, "eth0.10.20") == ("eth0.10", 20, "802.1q")
    assert vlan(result, "eth0.10") == ("eth0", 10, "802.1q")
    assert 3 in nc(result)
    assert VlanProtocol.DOT1AD.value == "802.1ad"


def test_helpers() -> None:
    assert [classful_prefix(ip_address(a)) for a in ("10.0.0.1", "172.16.0.1", "192.0.2.1")] == [
        8,
        16,
        24,
    ]
    assert (mask_prefix("255.255.255.128", 4), mask_prefix("24", 4), mask_prefix("0.255", 4)) == (
        25,
        24,
        None,
    )


def test_unreadable_file_raises_import_error(tmp_path: object) -> None:
    from pathlib import Path

    from hvnet.importers import ImportError_

    with pytest.raises(ImportError_):
        import_eni(Path(str(tmp_path)) / "missing")
