# ruff: noqa: E501  (expected lines are quoted verbatim from the corpus files)
"""ENI importer over the shared corpus: what each real file must yield, line by line.

The corpus (../shared/corpus/eni, see its PROVENANCE.md) is users' files as found. For each
file the test states the bonds (mode and slaves), VLANs (parent and id), bridges (ports) and
addresses the importer must find, the exact (line, text) list of lines reported as not
converted and the lines reported as inconsistent; then the generated hvnet YAML must load with
no error, with exactly the warnings listed in WARNINGS (each explained there).

``source`` lines are resolved under an empty root so the result never depends on the
machine running the tests (/etc/network/interfaces.d of the test host).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from hvnet.emit import emit_yaml
from hvnet.importers import NoteKind
from hvnet.loader import load_text

from eni_corpus_helpers import CORPUS, empty_root, imported

__all__ = ["empty_root"]  # the fixture, imported so pytest finds it here

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="ENI corpus not available")


@dataclass(frozen=True)
class Expect:
    bonds: dict[str, tuple[str, tuple[str, ...]]]
    vlans: dict[str, tuple[str, int]]
    bridges: dict[str, tuple[str, ...]]
    addresses: dict[str, tuple[str, ...]]
    not_converted: list[tuple[int, str]]
    inconsistent: list[int]


CASES: dict[str, Expect] = {
    "01": Expect(
        bonds={
            "bond0": ("active-backup", ("eth0", "eth2")),
            "bond1": ("active-backup", ("eth1", "eth3")),
        },
        vlans={"bond0.10": ("bond0", 10), "bond1.30": ("bond1", 30), "bond0.20": ("bond0", 20)},
        bridges={"br-mgmt": ("bond0.10",), "br-vxlan": ("bond1.30",), "br-storage": ("bond0.20",)},
        addresses={"br-mgmt": ("172.29.236.11/22",), "br-vxlan": ("172.29.240.16/22",)},
        not_converted=[],
        inconsistent=[],
    ),
    "02": Expect(
        bonds={"bond0": ("802.3ad", ("enp1s0f0", "enp1s0f1"))},
        vlans={},
        bridges={"br-mgmt": ("macvlan0",), "br-flat": ("macvlan1",)},
        addresses={"br-mgmt": ("192.169.91.98/28",)},
        not_converted=[
            (4, "source /etc/network/interfaces.d/*"),
            (29, "pre-up ip link add macvlan0 link bond0 type macvlan mode passthru"),
            (33, "pre-up ip link add macvlan1 link bond0 type macvlan mode passthru"),
            (37, "pre-up ip link add macvlan2 link bond0 type macvlan mode passthru"),
            (58, "source /etc/network/interfaces.d/*.cfg"),
        ],
        inconsistent=[],
    ),
    "03": Expect(
        bonds={"bond0": ("802.3ad", ("eth1", "eth2"))},
        vlans={"bond0.100": ("bond0", 100), "bond0.200": ("bond0", 200)},
        bridges={},
        addresses={
            "bond0": ("172.16.1.101/24",),
            "bond0.100": ("172.16.100.101/24",),
            "bond0.200": ("172.16.200.101/24",),
        },
        not_converted=[
            (7, "post-up ip link set $IFACE promisc on     # Only required on VX"),
            (12, "post-up ip link set $IFACE promisc on     # Only required on VX"),
        ],
        inconsistent=[],
    ),
    "04": Expect(
        bonds={"bond0": ("802.3ad", ("eth1", "eth2"))},
        vlans={},
        bridges={},
        addresses={"bond0": ("172.16.1.101/24",)},
        not_converted=[(23, "xmit-hash-policy layer3+4")],
        inconsistent=[],
    ),
    "05": Expect(
        bonds={"bond0": ("802.3ad", ("enp3s0f0", "enp3s0f1"))},
        vlans={"vmbr0.10": ("vmbr0", 10)},
        bridges={"vmbr0": ("bond0",)},
        addresses={"vmbr0.10": ("10.0.10.2/24",)},
        not_converted=[(25, "bridge-vids 10 20 30 40")],
        inconsistent=[],
    ),
    "06": Expect(
        bonds={"bond0": ("802.3ad", ("eth0", "eth1")), "bond1": ("802.3ad", ("eth2", "eth3"))},
        vlans={},
        bridges={"vmbr0": ("bond0",), "vmbr1": ("bond1",)},
        addresses={"vmbr0": ("192.168.1.3/24",)},
        not_converted=[(41, "nameservers 192.168.1.1"), (46, "bridg_vlan_aware yes")],
        inconsistent=[],
    ),
    "07": Expect(
        bonds={"bond0": ("802.3ad", ("enp2s0f0", "enp2s0f1"))},
        vlans={},
        bridges={"vmbr0": ("bond0",)},
        addresses={"vmbr0": ("10.10.10.10/24",)},
        not_converted=[],
        inconsistent=[],
    ),
    "08": Expect(
        bonds={},
        vlans={
            "eth0.60": ("eth0", 60),
            "eth0.50": ("eth0", 50),
            "eth0.40": ("eth0", 40),
            "eth0.30": ("eth0", 30),
            "eth0.20": ("eth0", 20),
            "eth0.10": ("eth0", 10),
        },
        bridges={
            "vmbr0": ("eth0",),
            "vmbr60": ("eth0.60",),
            "vmbr50": ("eth0.50",),
            "vmbr40": ("eth0.40",),
            "vmbr30": ("eth0.30",),
            "vmbr20": ("eth0.20",),
            "vmbr10": ("eth0.10",),
        },
        addresses={"vmbr60": ("10.0.60.22/24",)},
        not_converted=[],
        inconsistent=[],
    ),
    "09": Expect(
        bonds={},
        vlans={},
        bridges={},
        addresses={"vmbr0": ("192.168.35.250/24",)},
        not_converted=[
            (6, "ovs_type OVSPort"),
            (7, "ovs_bridge vmbr0"),
            (11, "ovs_type OVSPort"),
            (12, "ovs_bridge vmbr1"),
            (16, "ovs_type OVSIntPort"),
            (17, "ovs_bridge vmbr2"),
            (18, "ovs_options tag=10"),
            (22, "ovs_type OVSIntPort"),
            (23, "ovs_bridge vmbr2"),
            (24, "ovs_options tag=20"),
            (28, "ovs_type OVSIntPort"),
            (29, "ovs_bridge vmbr2"),
            (30, "ovs_options tag=30"),
            (34, "ovs_type OVSIntPort"),
            (35, "ovs_bridge vmbr2"),
            (36, "ovs_options tag=40"),
            (40, "ovs_type OVSIntPort"),
            (41, "ovs_bridge vmbr0"),
            (42, "ovs_options tag=50"),
            (47, "ovs_type OVSIntPort"),
            (48, "ovs_bridge vmbr2"),
            (49, "ovs_options tag=60"),
            (56, "ovs_type OVSBridge"),
            (57, "ovs_ports enx00e04c680010 vlan50"),
            (62, "ovs_type OVSBridge"),
            (63, "ovs_ports enp39s0"),
            (68, "ovs_type OVSBridge"),
            (69, "ovs_ports vlan10 vlan20 vlan30 vlan40 vlan60"),
        ],
        inconsistent=[],
    ),
    "10": Expect(
        bonds={},
        vlans={"sv_myzone": ("eth0", 10), "z_myzone.100": ("z_myzone", 100)},
        bridges={"myvnet": ("z_myzone.100",), "z_myzone": ("sv_myzone", "ln_myzone")},
        addresses={},
        not_converted=[
            (5, "link-type veth"),
            (6, "veth-peer-name pr_myzone"),
            (16, "link-type veth"),
            (17, "veth-peer-name ln_myzone"),
            (31, "bridge-vids 2-4094"),
        ],
        inconsistent=[],
    ),
    "11": Expect(
        bonds={},
        vlans={},
        bridges={"vmbr0": ("enxa42a952efaf7",), "vmbr1": ()},
        addresses={"vmbr0": ("192.168.0.33/24",), "vmbr1": ("10.10.10.1/24",)},
        not_converted=[
            (51, "post-up echo 1 > /proc/sys/net/ipv4/ip_forward"),
            (
                52,
                "post-up iptables -t nat -A POSTROUTING -s '10.10.10.0/24' -o vmbr0 -j MASQUERADE",
            ),
            (
                53,
                "post-down iptables -t nat -D POSTROUTING -s '10.10.10.0/24' -o vmbr0 -j MASQUERADE",
            ),
            (
                62,
                "post-up iptables -t nat -A PREROUTING  -p tcp --dport 2222 -j DNAT --to-destination 10.10.10.2:22",
            ),
            (
                63,
                "post-up iptables -t nat -A PREROUTING  -p tcp --dport 2233 -j DNAT --to-destination 10.10.10.3:22",
            ),
            (
                64,
                "post-up iptables -t nat -A PREROUTING  -p tcp --dport 8080 -j DNAT --to-destination 10.10.10.4:8080",
            ),
            (
                66,
                "post-down iptables -t nat -D PREROUTING  -p tcp --dport 2222 -j DNAT --to-destination 10.10.10.2:22",
            ),
            (
                67,
                "post-down iptables -t nat -D PREROUTING  -p tcp --dport 2233 -j DNAT --to-destination 10.10.10.3:22",
            ),
            (
                68,
                "post-down iptables -t nat -D PREROUTING  -p tcp --dport 8080 -j DNAT --to-destination 10.10.10.4:8080",
            ),
            (70, "source /etc/network/interfaces.d/*"),
        ],
        inconsistent=[],
    ),
    "12": Expect(
        bonds={},
        vlans={},
        bridges={"vmbr0": (), "vmbr1": ()},
        addresses={
            "eth0": ("65.108.72.29/32", "2a01:4f9:6b:4821::1/128"),
            "vmbr0": ("192.168.1.1/30", "fd7d:ec00:7e3a:d92c::1/64"),
        },
        not_converted=[
            (8, "pointopoint 65.108.72.1"),
            (9, "post-up sysctl -w net.ipv4.ip_forward=1"),
            (
                11,
                "post-up iptables -t nat -A PREROUTING -i eth0 -p tcp -m multiport ! --dports 22,8006 -j DNAT --to-destination 192.168.1.2",
            ),
            (
                12,
                "post-down iptables -t nat -D PREROUTING -i eth0 -p tcp -m multiport ! --dports 22,8006 -j DNAT --to-destination 192.168.1.2",
            ),
            (17, "post-up sysctl -w net.ipv6.conf.all.forwarding=1"),
            (18, "post-up sysctl -w net.ipv6.conf.all.autoconf=0"),
            (19, "post-up sysctl -w net.ipv6.conf.all.accept_ra=0"),
            (20, "post-up sysctl -w net.ipv6.conf.default.autoconf=0"),
            (21, "post-up sysctl -w net.ipv6.conf.default.accept_ra=0"),
            (
                31,
                "post-up iptables -t nat -A POSTROUTING -s '192.168.1.0/30' -o eth0 -j MASQUERADE",
            ),
            (
                32,
                "post-down iptables -t nat -D POSTROUTING -s '192.168.1.0/30' -o eth0 -j MASQUERADE",
            ),
        ],
        inconsistent=[],
    ),
    "13": Expect(
        bonds={},
        vlans={},
        bridges={"vmbr0": ()},
        addresses={"enp3s0": ("192.168.1.200/24",), "vmbr0": ("10.1.1.1/24",)},
        not_converted=[
            (19, "post-up echo 1 > /proc/sys/net/ipv4/ip_forward"),
            (20, "post-up iptables -t nat -A POSTROUTING -s '10.1.1.0/24' -o enp3s0 -j MASQUERADE"),
            (
                21,
                "post-down iptables -t nat -D POSTROUTING -s '10.1.1.0/24' -o enp3s0 -j MASQUERADE",
            ),
            (23, "source /etc/network/interfaces.d/*"),
        ],
        inconsistent=[],
    ),
    "14": Expect(
        bonds={},
        vlans={},
        bridges={"vmbr0": ()},
        addresses={"vmbr0": ("10.10.10.1/24",)},
        not_converted=[
            (17, "address xx.xx.xx.xx/24"),
            (18, "gateway xx.xx.xx.254"),
            (19, "hwaddress ether xx:xx:xx:xx:xx:xx"),
            (30, "post-up echo 1 > /proc/sys/net/ipv4/ip_forward"),
            (
                31,
                "post-up iptables -t nat -A POSTROUTING -s '10.10.10.0/24' -o enp1s0f0 -j MASQUERADE",
            ),
            (
                32,
                "post-down iptables -t nat -D POSTROUTING -s '10.10.10.0/24' -o enp1s0f0 -j MASQUERADE",
            ),
            (
                34,
                "post-up iptables -t nat -A PREROUTING -i vmbr0 -p tcp --dport 80xx -j DNAT --to 10.10.10.xx:80",
            ),
            (
                35,
                "post-down iptables -t nat -D PREROUTING -i vmbr0 -p tcp --dport 80xx -j DNAT --to 10.10.10.xx:80",
            ),
            (37, "post-up iptables -t raw -I PREROUTING -i fwbr+ -j CT --zone 1"),
            (38, "post-down iptables -t raw -D PREROUTING -i fwbr+ -j CT --zone 1"),
        ],
        inconsistent=[],
    ),
    "15": Expect(
        bonds={
            "uplink1": ("802.3ad", ("swp32",)),
            "peerlink": ("802.3ad", ("swp30", "swp31")),
            "downlink": ("802.3ad", ("swp1",)),
        },
        vlans={"bridge.4094": ("bridge", 4094), "peerlink.4094": ("peerlink", 4094)},
        bridges={"bridge": ("uplink1", "peerlink", "downlink")},
        addresses={"bridge.4094": ("11.100.1.252/24",), "peerlink.4094": ("192.168.10.1/30",)},
        not_converted=[
            (30, "bridge-vids 2000-2079"),
            (42, "bridge-vids 2000-2079 4094"),
            (54, "bridge-vids 2000-2079"),
            (62, "%for port, vlanid in zip(range(2, 20), range(2004, 2022)) :"),
            (63, "auto swp${port}"),
            (64, "iface swp${port}"),
            (65, "bridge-vids ${vlanid}"),
            (67, "%endfor"),
            (76, "vlan bridge.4094"),
            (77, "bridge-igmp-querier-src 172.16.101.1"),
            (85, "bridge-ports uplink1 peerlink downlink glob swp2-20"),
        ],
        inconsistent=[],
    ),
    "16": Expect(
        bonds={"bond0": ("802.3ad", ("swp_BB_", "swp_CC_"))},
        vlans={"swp_BB_.1005": ("swp_BB_", 1005), "vlan1007": ("bond0", 1007)},
        bridges={},
        addresses={
            "swp_AA_": ("172.30.1.3/24",),
            "swp_BB_.1005": ("10.132.253.11/31",),
            "vlan1007": ("10.132.253.15/31",),
            "dummy0": ("fdca:ffee:ff12:fe06::1/64",),
        },
        not_converted=[(3, "vrf mgmt"), (7, "vrf-table auto"), (36, "link-type dummy")],
        inconsistent=[],
    ),
    "17": Expect(
        bonds={},
        vlans={"servers": ("eth0", 5)},
        bridges={},
        addresses={
            "eth0": ("1.2.3.4/24", "abcd:ef12:3456:3::4/64"),
            "servers": ("1.2.10.4/24", "abcd:ef12:3456:10::4/64"),
        },
        not_converted=[],
        inconsistent=[],
    ),
    "18": Expect(
        bonds={},
        vlans={"eth0.1": ("eth0", 1), "eth0.0201": ("eth0", 201), "br0.0202": ("br0", 202)},
        bridges={"br0.0201": ("eth0.0201",)},
        addresses={
            "eth0": ("1.2.3.4/24", "3ffe:ffff:100:f101::1/64"),
            "eth0.1": ("3ffe:ffff:120:f101::1/64",),
        },
        not_converted=[
            (9, "privext 2"),
            (10, "accept_ra 0"),
            (11, "dad-attempts 0"),
            (15, "dad-attempts 0"),
            (21, "iface tunnel inet6 6to4"),
            (22, "local 1.2.3.4"),
        ],
        inconsistent=[17],
    ),
    "19": Expect(
        bonds={},
        vlans={"eth0.201": ("eth0", 201), "eth0.2990": ("eth0", 2990)},
        bridges={"br0": ("eth1",), "prv0": ("eth0.2990",)},
        addresses={"br0": ("192.0.2.1/24",)},
        not_converted=[
            (21, "ip-routing-table public_net"),
            (22, "ip-routes 192.0.2.0/24"),
            (23, "ip-gateway 192.0.2.1"),
            (24, "ip-forwarding 1"),
            (25, "ip-proxy-arp 1"),
            (26, "arp-ip 192.0.2.254"),
            (29, "ip-routing-table public_net"),
            (30, "ip-routes 2001:db8::/64"),
            (31, "ip-gateway 2001:db8::1"),
            (32, "ip-forwarding 1"),
            (33, "ip-proxy-ndp 1"),
            (49, "post-up iptables -t nat -A POSTROUTING -o eth0 -s 192.0.2.0/24 -j MASQUERADE"),
            (63, "up prv-net-helper up   eth0 1 5 2990"),
            (64, "down prv-net-helper down eth0 1 5 2990"),
        ],
        inconsistent=[],
    ),
    "20": Expect(
        bonds={},
        vlans={},
        bridges={"virbr0": ("eth0",)},
        addresses={"virbr0": ("192.168.20.178/24",)},
        not_converted=[(24, "pre-up ifconfig eth0 0.0.0.0 promisc up")],
        inconsistent=[],
    ),
    "21": Expect(
        bonds={},
        vlans={},
        bridges={"br0": ("eth0",)},
        addresses={"br0": ("192.168.0.211/24",)},
        not_converted=[],
        inconsistent=[20, 21, 22, 37],
    ),
    "22": Expect(
        bonds={},
        vlans={},
        bridges={"br0": ("eth0",)},
        addresses={},
        not_converted=[],
        inconsistent=[],
    ),
    "23": Expect(
        bonds={"bond0": ("active-backup", ("eth0", "wlan0"))},
        vlans={},
        bridges={},
        addresses={},
        not_converted=[
            (
                8,
                "pre-up wpa_supplicant -B -b bond0 -i wlan0 -c /etc/wpa_supplicant/wpa_supplicant.conf",
            )
        ],
        inconsistent=[],
    ),
    "24": Expect(
        bonds={},
        vlans={},
        bridges={},
        addresses={"eth0": ("135.79.246.80/24",)},
        not_converted=[],
        inconsistent=[],
    ),
    "25": Expect(
        bonds={},
        vlans={},
        bridges={},
        addresses={},
        not_converted=[
            (4, "source /etc/network/interfaces.d/*"),
            (5, "source-directory /etc/network/custom-ifaces"),
        ],
        inconsistent=[],
    ),
}


def test_every_corpus_file_has_a_case() -> None:
    keys = sorted(p.name[:2] for p in CORPUS.glob("*.interfaces"))
    assert keys == sorted(CASES)


@pytest.mark.parametrize("key", sorted(CASES))
def test_corpus_file(key: str, empty_root: Path) -> None:
    result = imported(key, empty_root)
    host, want = result.host, CASES[key]
    assert {b.name: (b.options.mode.value, b.slaves) for b in host.bonds} == want.bonds
    assert {v.name: (v.parent, v.vid) for v in host.vlans} == want.vlans
    assert {b.name: b.port_names for b in host.bridges} == want.bridges
    addresses = {
        name: tuple(str(a) for a in link.addresses)
        for name, link in host.links.items()
        if link.addresses
    }
    assert addresses == want.addresses
    assert [(n.line, n.text) for n in result.not_converted] == want.not_converted
    assert [n.line for n in result.notes if n.kind is NoteKind.INCONSISTENT] == want.inconsistent
    assert all(n.reason for n in result.notes)
    assert result.source_format == "eni"


#: Validation warnings of the generated config, per file. Each describes the source host as
#: it is; the importer must not hide them by changing the host.
WARNINGS: dict[str, list[str]] = {
    # bond1 updelay/downdelay 250 with miimon 100: the kernel rounds to 200 (kept as written)
    "01": ["HV402", "HV402"],
    # macvlan2 (imported as a NIC, its macvlan creation reported) is used by nothing
    "02": ["HV217"],
    # eno1/eno2 are declared "inet manual" and used by nothing
    "07": ["HV217", "HV217"],
    # OVS ports, internal ports and bridges imported as plain NICs: nothing uses them
    "09": ["HV217"] * 10,
    # pr_myzone is one end of a veth pair (not modelled) and used by nothing
    "10": ["HV217"],
    # wlp1s0 "inet manual" and unused
    "11": ["HV217"],
    # Hetzner routed setup: /32 address with an on-link gateway; vmbr1 is an empty bridge
    "12": ["HV306", "HV503"],
    # enp2s0 "inet manual" and unused
    "13": ["HV217"],
    # enp1s0f0's redacted address was not importable; enp1s0f1 unused
    "14": ["HV217", "HV217"],
    # ifupdown2 example bonds with one slave each
    "15": ["HV408", "HV408"],
    # the VRF device mgmt is imported as a NIC and used by nothing
    "16": ["HV217"],
    # prv is a helper-script bridge pool (commands not modelled): a NIC nobody uses
    "19": ["HV217"],
}


@pytest.mark.parametrize("key", sorted(CASES))
def test_generated_config_validates(key: str, empty_root: Path) -> None:
    result = imported(key, empty_root)
    loaded = load_text(emit_yaml(result.host, "header"), f"{key}.yaml")
    assert loaded.ok, [d.format() for d in loaded.diagnostics]
    assert [d.code for d in loaded.diagnostics] == WARNINGS.get(key, [])
    assert loaded.host is not None and loaded.host.links == result.host.links
    assert loaded.host.dns == result.host.dns
