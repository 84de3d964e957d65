"""ENI syntax layer on the real-world corpus: what each user's file yields.

The importer's behaviour on these files is what users see, so each file's stanzas, problems
and tricky lines are pinned here (line rules, sources and properties: test_syntax.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hvnet.eni import parse_file, parse_text
from hvnet.eni.syntax import Document, Location, Option

from syntax_helpers import codes, corpus, corpus_files, names, uncovered_lines

__all__ = ["corpus"]  # the fixture, imported so pytest finds it here

# --------------------------------------------------------------------------------------------
# Corpus: every file parses, with the stanzas a human reads in it

EXPECTED: dict[str, tuple[list[str], set[str]]] = {
    "01": (
        [
            "eth0",
            "eth1",
            "eth2",
            "eth3",
            "bond0",
            "bond1",
            "bond0.10",
            "bond1.30",
            "bond0.20",
            "br-mgmt",
            "br-vxlan",
            "br-storage",
        ],
        set(),
    ),
    "02": (
        [
            "lo",
            "enp1s0f0",
            "enp1s0f1",
            "bond0",
            "macvlan0",
            "macvlan1",
            "macvlan2",
            "br-mgmt",
            "br-flat",
        ],
        {"source-missing"},
    ),
    "03": (["eth0", "eth1", "eth2", "bond0", "bond0.100", "bond0.200"], set()),
    "04": (["eth0", "eth1", "eth2", "bond0"], set()),
    "05": (["lo", "enp3s0f0", "enp3s0f1", "bond0", "vmbr0", "vmbr0.10"], set()),
    "06": (["lo", "eth0", "eth1", "eth2", "eth3", "bond0", "bond1", "vmbr0", "vmbr1"], set()),
    "07": (["lo", "enp2s0f0", "eno1", "eno2", "enp2s0f1", "bond0", "vmbr0"], set()),
    "08": (
        ["lo", "eth0", "vmbr0", "vmbr60", "vmbr50", "vmbr40", "vmbr30", "vmbr20", "vmbr10"],
        set(),
    ),
    "09": (
        [
            "lo",
            "enx00e04c680010",
            "enp39s0",
            "vlan10",
            "vlan20",
            "vlan30",
            "vlan40",
            "vlan50",
            "vlan60",
            "vmbr0",
            "vmbr1",
            "vmbr2",
        ],
        set(),
    ),
    "10": (["ln_myzone", "myvnet", "pr_myzone", "sv_myzone", "z_myzone"], set()),
    "11": (["lo", "wlp1s0", "enxa42a952efaf7", "vmbr0", "vmbr1"], {"source-missing"}),
    "12": (["lo", "eth0", "eth0", "vmbr0", "vmbr0", "vmbr1"], set()),
    "13": (["lo", "enp3s0", "enp3s0", "enp2s0", "vmbr0"], {"source-missing"}),
    "14": (["lo", "enp1s0f0", "enp1s0f1", "vmbr0"], set()),
    "15": (
        [
            "lo",
            "eth0",
            "uplink1",
            "peerlink",
            "downlink",
            "swp${port}",
            "bridge.4094",
            "vlan:bridge.4094",
            "bridge",
            "peerlink.4094",
        ],
        {"mako"},
    ),
    "16": (
        ["eth0", "mgmt", "lo", "swp_AA_", "swp_BB_.1005", "bond0", "vlan1007", "dummy0"],
        set(),
    ),
    "17": (["lo", "eth0", "servers"], set()),
    "18": (["eth0", "eth0", "eth0.1", "eth0.0201", "br0.0201", "br0.0202", "tunnel"], set()),
    "19": (["eth0.201", "eth0.201", "br0", "prv", "prv0"], set()),
    "20": (["lo", "virbr0", "eth0"], set()),
    "21": (["lo", "eth0", "br0"], set()),
    "22": (["lo", "br0", "eth0"], set()),
    "23": (["bond0"], set()),
    "24": (["lo", "eth0"], set()),
    "25": (["lo", "eth0"], {"source-missing"}),
}


def load(corpus: Path, number: str, root: Path) -> Document:
    """Parse corpus file ``number`` with absolute sources re-rooted into an empty ``root``,
    so the result does not depend on this machine's /etc/network."""
    (path,) = corpus.glob(f"{number}-*.interfaces")
    return parse_file(path, root=root)


def test_expected_covers_the_whole_corpus(corpus: Path) -> None:
    assert sorted(path.name[:2] for path in corpus_files()) == sorted(EXPECTED)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda path: path.name[:2])
def test_corpus_file_parses(path: Path, tmp_path: Path) -> None:
    document = parse_file(path, root=tmp_path)
    expected_names, expected_codes = EXPECTED[path.name[:2]]
    assert names(document) == expected_names
    assert set(codes(document)) == expected_codes
    assert not document.misplaced
    assert document.sources == (str(path),)
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    assert uncovered_lines(document, str(path), text) == []


@pytest.mark.parametrize("path", corpus_files(), ids=lambda path: path.name[:2])
def test_corpus_file_as_text_matches_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    from_text = parse_text(text, str(path))
    from_file = parse_file(path, follow_sources=False)
    assert from_text.stanzas == from_file.stanzas
    assert from_text.problems == from_file.problems


def test_01_comments_and_commented_out_stanzas(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "01", tmp_path)
    assert not document.named("br-vlan")  # only present as comments
    assert any(c.text == "#auto br-vlan" for s in document.stanzas for c in s.comments)
    assert document.named("bond0")[0].values("bond-slaves") == ("none",)
    assert [m.name for m in document.auto][:2] == ["eth0", "eth1"]


def test_02_two_source_lines_recorded(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "02", tmp_path)
    sources = [d for d in document.directives if d.keyword == "source"]
    assert [d.args for d in sources] == [
        ("/etc/network/interfaces.d/*",),
        ("/etc/network/interfaces.d/*.cfg",),
    ]
    assert [d.location.line for d in sources] == [4, 58]
    (bond0,) = document.named("bond0")
    assert bond0.values("dns-nameserver") == ()
    assert [c.text for c in bond0.comments] == ["#mtu 8900"]
    assert document.named("br-mgmt")[0].values("dns-nameserver") == ("64.31.5.1", "64.31.5.2")


def test_03_trailing_comment_kept_verbatim(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "03", tmp_path)
    (option,) = document.named("eth1")[0].get("post-up")
    assert option.value == "ip link set $IFACE promisc on     # Only required on VX"
    assert option.value_without_comment == "ip link set $IFACE promisc on"
    assert option.has_trailing_comment
    assert [c.text for c in document.comments] == []  # the trailing comments follow bond0.200
    assert [c.text for c in document.named("bond0.200")[0].comments] == [
        "# install ifenslave",
        "# modprobe bonding",
    ]


def test_04_familyless_iface(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "04", tmp_path)
    eth1 = document.named("eth1")[0]
    assert (eth1.family, eth1.method) == (None, None)
    assert document.named("eth0")[0].method == "dhcp"
    assert document.named("bond0")[0].values("xmit-hash-policy") == ("layer3+4",)


def test_06_underscores_typos_and_mixed_indentation(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "06", tmp_path)
    vmbr0 = document.named("vmbr0")[0]
    assert [o.canonical for o in vmbr0.options] == [
        "address",
        "netmask",
        "gateway",
        "nameservers",
        "bridge-ports",
        "bridge-stp",
        "bridge-fd",
        "bridge-vlan-aware",
        "bridg-vlan-aware",
    ]
    assert vmbr0.first("bridge_ports") == vmbr0.first("bridge-ports")
    assert vmbr0.options[0].value == "192.168.1.3"  # double blank after the name dropped
    bond0 = document.named("bond0")[0]
    assert [(o.name, o.canonical) for o in bond0.options] == [
        ("slaves", "slaves"),
        ("bond_miimon", "bond-miimon"),
        ("bond_mode", "bond-mode"),
    ]


def test_07_no_indentation_options_land_in_their_stanza(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "07", tmp_path)
    bond0 = document.named("bond0")[0]
    assert [o.name for o in bond0.options] == [
        "slaves",
        "bond_miimon",
        "bond_mode",
        "bond-xmit-hash-policy",
        "post-up",
    ]
    assert bond0.values("post-up") == (
        "ifconfig enp2s0f0 mtu 9000 && ifconfig enp2s0f1 mtu 9000 && ifconfig bond0 mtu 9000",
    )
    vmbr0 = document.named("vmbr0")[0]
    assert [o.name for o in vmbr0.options] == [
        "address",
        "netmask",
        "gateway",
        "bridge_ports",
        "bridge_stp",
        "bridge_fd",
    ]
    assert all(not s.options for s in document.named("eno1"))


def test_08_pve_comment_after_stanza_belongs_to_it(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "08", tmp_path)
    assert [c.text for c in document.named("vmbr60")[0].comments] == ["#Admin"]
    assert [c.text for c in document.named("vmbr10")[0].comments] == ["#DMZ"]
    assert document.named("vmbr60")[0].values("network") == ("10.0.60.0",)


def test_09_no_trailing_newline(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "09", tmp_path)
    vmbr2 = document.named("vmbr2")[0]
    assert vmbr2.values("ovs_ports") == ("vlan10 vlan20 vlan30 vlan40 vlan60",)
    assert [c.text for c in vmbr2.comments] == ["#LAN"]
    assert document.named("vlan10")[0].values("ovs-options") == ("tag=10",)


def test_10_sdn_generated(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "10", tmp_path)
    assert document.comments[0].text == "#version:1"
    sv = document.named("sv_myzone")[0]
    assert sv.values("vlan-protocol") == ("802.1ad",)
    assert document.named("myvnet")[0].values("bridge-ports") == ("z_myzone.100",)


def test_11_commands_after_blank_lines_and_comments_stay_in_vmbr1(
    corpus: Path, tmp_path: Path
) -> None:
    document = load(corpus, "11", tmp_path)
    vmbr1 = document.named("vmbr1")[0]
    assert len(vmbr1.get("post-up")) == 5
    assert len(vmbr1.get("post-down")) == 4
    assert vmbr1.get("post-up")[-1].location.line == 64
    assert vmbr1.get("post-down")[-1].value.endswith("--to-destination 10.10.10.4:8080")
    assert document.directives[-1].keyword == "source"
    assert document.directives[-1].location.line == 70


def test_12_crlf_and_inet_inet6(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "12", tmp_path)
    eth0 = document.named("eth0")
    assert [(s.family, s.method) for s in eth0] == [("inet", "static"), ("inet6", "static")]
    assert [s.family for s in document.named("vmbr0")] == ["inet", "inet6"]
    for stanza in document.stanzas:
        for option in stanza.options:
            assert "\r" not in option.value
        assert "\r" not in stanza.name
    assert eth0[0].values("address") == ("65.108.72.29/32",)
    assert eth0[1].values("gateway") == ("fe80::1",)
    assert len(eth0[0].get("post-up")) == 2  # across the blank line
    assert [c.text for c in document.named("vmbr1")[0].comments] == ["#VM Net"]


def test_13_same_interface_twice(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "13", tmp_path)
    first, second = document.named("enp3s0")
    assert (first.method, second.method) == ("manual", "static")
    assert first.options == ()
    assert second.values("address") == ("192.168.1.200/24",)
    assert document.is_auto("enp3s0")
    assert not document.is_auto("enp2s0")


def test_14_redacted_values_are_just_text(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "14", tmp_path)
    enp = document.named("enp1s0f0")[0]
    assert enp.values("hwaddress") == ("ether xx:xx:xx:xx:xx:xx",)
    assert len(document.named("vmbr0")[0].get("post-up")) == 4


def test_15_mako_lines_are_problems(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "15", tmp_path)
    mako = document.problems_with("mako")
    assert [p.location.line for p in mako] == [62, 63, 64, 65, 67]
    assert "%for" in mako[0].message
    assert "%endfor" in mako[-1].message
    (vlan,) = document.named("bridge.4094", kind="vlan")
    assert vlan.values("bridge-igmp-querier-src") == ("172.16.101.1",)
    assert len(document.named("bridge.4094", kind=None)) == 2
    bridge = document.named("bridge")[0]
    assert bridge.values("bridge-ports") == ("uplink1 peerlink downlink glob swp2-20",)
    assert (document.named("lo")[0].family, document.named("lo")[0].method) == (None, None)


def test_16_tabs_and_spaces(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "16", tmp_path)
    dummy0 = document.named("dummy0")[0]
    assert [o.name for o in dummy0.options] == ["link-type", "address"]
    assert document.named("swp_AA_")[0].values("netmask") == ("24",)


def test_17_repeated_address_and_underscore_vlan_id(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "17", tmp_path)
    servers = document.named("servers")[0]
    assert servers.values("address") == ("1.2.10.4/24", "abcd:ef12:3456:10::4/64")
    assert servers.values("vlan-id") == ("5",)
    assert servers.first("vlan-id") == Option("vlan_id", "vlan-id", "5", servers.options[-1][3])
    assert not document.is_auto("lo")


def test_18_several_names_on_one_auto_line(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "18", tmp_path)
    assert [m.name for m in document.auto] == [
        "eth0",
        "eth0.1",
        "eth0.0201",
        "br0.0201",
        "br0.0202",
        "tunnel",
    ]
    assert {m.location.line for m in document.auto} == {2}
    assert document.named("tunnel")[0].method == "6to4"


def test_19_indented_comment_inside_stanza(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "19", tmp_path)
    br0 = document.named("br0")[0]
    assert br0.comments[0].text == "# These apply only for host that will do NAT"
    assert br0.values("up") == ("ip addr add 192.0.2.1/24 dev br0",)
    assert [s.family for s in document.named("eth0.201")] == ["inet", "inet6"]
    assert document.named("prv")[0].values("down") == ("prv-net-helper down eth0 1 5 2990",)


def test_20_and_22_stanza_after_the_bridge(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "20", tmp_path)
    assert document.named("eth0")[0].values("pre-up") == ("ifconfig eth0 0.0.0.0 promisc up",)
    assert not document.is_auto("eth0")
    document = load(corpus, "22", tmp_path)
    assert document.named("br0")[0].values("bridge_ports") == ("eth0",)


def test_21_no_indentation_and_commented_variant(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "21", tmp_path)
    br0 = document.named("br0")[0]
    assert br0.values("broadcast") == ("192.18.0.255",)
    assert br0.values("bridge_ports") == ("eth0",)
    assert not document.is_auto("br0")
    assert document.named("eth0")[0].values("gateway") == ("192.168.0.254",)


def test_23_comments_between_auto_and_iface(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "23", tmp_path)
    (bond0,) = document.stanzas
    assert document.is_auto("bond0")
    assert bond0.values("bond-primary-reselect") == ("always",)
    assert bond0.first("bond-primary-reselect") is not None
    assert bond0.get("bond-primary-reselect")[0].name == "bond-primary_reselect"
    assert len(bond0.comments) == 2


def test_24_indented_iface_keyword(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "24", tmp_path)
    eth0 = document.named("eth0")[0]
    assert eth0.location.line == 6
    assert eth0.values("dns-nameservers") == ("8.8.8.8 8.8.4.4",)
    assert document.named("lo")[0].method == "loopback"


def test_25_missing_sources_are_problems(corpus: Path, tmp_path: Path) -> None:
    document = load(corpus, "25", tmp_path)
    assert [p.location.line for p in document.problems] == [4, 5]
    assert document.allow == {"hotplug": (document.allow["hotplug"][0],)}
    assert document.allow["hotplug"][0].name == "eth0"
    assert not document.auto or [m.name for m in document.auto] == ["lo"]


def test_25_sources_resolved_in_a_tree(corpus: Path, tmp_path: Path) -> None:
    """Build the tree the file expects under a fake root and check what gets read."""
    etc = tmp_path / "etc" / "network"
    (etc / "interfaces.d").mkdir(parents=True)
    (etc / "custom-ifaces").mkdir()
    main = etc / "interfaces"
    shutil.copy(next(corpus.glob("25-*.interfaces")), main)
    (etc / "interfaces.d" / "b-vlan").write_text("auto eth0.5\niface eth0.5 inet manual\n")
    (etc / "interfaces.d" / "a-bond").write_text("iface bond0 inet manual\n  bond-mode 1\n")
    (etc / "interfaces.d" / ".hidden").write_text("iface hidden inet manual\n")
    (etc / "custom-ifaces" / "eth2").write_text("iface eth2 inet manual\n")
    (etc / "custom-ifaces" / "eth1").write_text("iface eth1 inet manual\n")
    (etc / "custom-ifaces" / "eth3.dpkg-old").write_text("iface skipped inet manual\n")
    (etc / "custom-ifaces" / "backup~").write_text("iface skipped2 inet manual\n")

    document = parse_file(main, root=tmp_path)
    assert names(document) == ["bond0", "eth0.5", "eth1", "eth2", "lo", "eth0"]
    assert document.problems == ()
    assert document.sources == (
        str(main),
        str(etc / "interfaces.d" / "a-bond"),
        str(etc / "interfaces.d" / "b-vlan"),
        str(etc / "custom-ifaces" / "eth1"),
        str(etc / "custom-ifaces" / "eth2"),
    )
    bond0 = document.named("bond0")[0]
    assert bond0.location == Location(str(etc / "interfaces.d" / "a-bond"), 1)
    source, auto_in_part, source_dir = document.directives[:3]
    assert (source.keyword, auto_in_part.keyword, source_dir.keyword) == (
        "source",
        "auto",
        "source-directory",
    )
    assert source.included == document.sources[1:3]
    assert source_dir.included == document.sources[3:]
    assert document.is_auto("eth0.5")
