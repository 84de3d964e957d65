"""Tests for recognising imperative network definitions in ENI command options (§6).

The point of the module is the Xen-era pattern (``pre-up brctl addbr``/``addif``,
``post-down brctl delbr``) and its iproute2/sysfs/ifenslave/vconfig cousins; every other
command must come back as :class:`Other` with its text intact, and nothing may raise.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hvnet.eni.commands import (
    AddressAdd,
    AddressFlush,
    BondCreate,
    BondDelete,
    BondModuleOptions,
    BondOptionSet,
    BondSlaveAdd,
    BondSlaveRemove,
    BridgeCreate,
    BridgeDelete,
    BridgeOptionSet,
    BridgePortAdd,
    BridgePortRemove,
    BridgeStp,
    Fact,
    LinkCreate,
    LinkDelete,
    LinkSet,
    MasterSet,
    Other,
    VlanCreate,
    facts,
    parse_command,
    parse_commands,
    split_chain,
    stanza_commands,
)
from hvnet.eni.syntax import parse_file, parse_text

#: Real users' files (see PROVENANCE.md there); overridable for other checkouts.
CORPUS = Path(os.environ.get("HVNET_ENI_CORPUS", "/work/shared/corpus/eni"))


@pytest.fixture
def corpus() -> Path:
    """The corpus directory; tests needing it are skipped where it is absent.

    Defined here rather than in a ``tests/eni/conftest.py``: other test packages import the
    root ``conftest`` by module name, which a second ``conftest`` module would shadow.
    """
    if not CORPUS.is_dir():
        pytest.skip(f"ENI corpus not found at {CORPUS}")
    return CORPUS


def test_xen_era_bridge_in_commands() -> None:
    document = parse_text(
        "auto xenbr0\n"
        "iface xenbr0 inet static\n"
        "    address 192.0.2.10/24\n"
        "    pre-up brctl addbr xenbr0\n"
        "    pre-up brctl addif xenbr0 eth0 eth1\n"
        "    pre-up brctl stp xenbr0 off\n"
        "    pre-up brctl setfd xenbr0 0\n"
        "    post-down brctl delbr xenbr0\n"
        "    up /etc/xen/scripts/custom-thing $IFACE\n"
    )
    (stanza,) = document.stanzas
    parsed = stanza_commands(stanza)
    assert [p.option.name for p in parsed] == ["pre-up"] * 4 + ["post-down", "up"]
    assert [fact for p in parsed for fact in p.facts] == [
        BridgeCreate("xenbr0"),
        BridgePortAdd("xenbr0", "eth0"),
        BridgePortAdd("xenbr0", "eth1"),
        BridgeStp("xenbr0", enabled=False),
        BridgeOptionSet("xenbr0", "fd", "0"),
        BridgeDelete("xenbr0"),
        Other("/etc/xen/scripts/custom-thing $IFACE"),
    ]
    assert parsed[-1].commands[0].argv == ("/etc/xen/scripts/custom-thing", "xenbr0")
    assert not parsed[-1].commands[0].recognised
    assert parsed[0].commands[0].recognised


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("brctl addbr br0", [BridgeCreate("br0")]),
        ("/usr/sbin/brctl delbr br0", [BridgeDelete("br0")]),
        ("brctl delif br0 eth0", [BridgePortRemove("br0", "eth0")]),
        ("brctl stp br0 yes", [BridgeStp("br0", enabled=True)]),
        ("brctl setpathcost br0 eth0 10", [BridgeOptionSet("br0", "pathcost", "10", "eth0")]),
        ("brctl hairpin br0 vnet0 on", [BridgeOptionSet("br0", "hairpin", "on", "vnet0")]),
        ("brctl show", [Other("brctl show", "read-only command")]),
        ("ip link add br0 type bridge", [BridgeCreate("br0", (), "ip")]),
        (
            "ip link add name br0 type bridge stp_state 1 forward_delay 400",
            [BridgeCreate("br0", (("stp_state", "1"), ("forward_delay", "400")), "ip")],
        ),
        ("ip link set eth0 master br0", [MasterSet("eth0", "br0")]),
        ("ip link set dev eth0 nomaster", [MasterSet("eth0", None)]),
        (
            "ip link set dev eth0 master br0 up",
            [MasterSet("eth0", "br0"), LinkSet("eth0", up=True)],
        ),
        ("ip link set eth0 down", [LinkSet("eth0", up=False)]),
        (
            "ip link set dev br0 type bridge stp_state 1 vlan_filtering 1",
            [
                BridgeOptionSet("br0", "stp_state", "1", None, "ip"),
                BridgeOptionSet("br0", "vlan_filtering", "1", None, "ip"),
            ],
        ),
        (
            "ip link set bond0 down type bond mode 1",
            [LinkSet("bond0", up=False), BondOptionSet("bond0", "mode", "1", "ip")],
        ),
        (
            "ip link set vx0 type vxlan learning",
            [LinkSet("vx0", extra=("type", "vxlan", "learning"))],
        ),
        ("ip link set dev bond0 mtu 9000", [LinkSet("bond0", mtu=9000)]),
        (
            "ip link set prv0 address 3c:97:0e:81:ee:45",
            [LinkSet("prv0", mac="3c:97:0e:81:ee:45")],
        ),
        (
            "ip link set eth0 txqueuelen 10000 up",
            [LinkSet("eth0", up=True, extra=("txqueuelen", "10000"))],
        ),
        (
            "ip link add link eth0 name eth0.100 type vlan id 100",
            [VlanCreate("eth0", "eth0.100", 100)],
        ),
        (
            "ip link add link eth0 name sv0 type vlan id 10 protocol 802.1ad",
            [VlanCreate("eth0", "sv0", 10, "802.1ad")],
        ),
        (
            "ip link add vlan7 link bond0 type vlan id 7 reorder_hdr off",
            [VlanCreate("bond0", "vlan7", 7, None, (("reorder_hdr", "off"),))],
        ),
        ("vconfig add eth0 0100", [VlanCreate("eth0", "eth0.100", 100)]),
        ("vconfig rem eth0.100", [LinkDelete("eth0.100")]),
        ("ip link del dev eth0.100", [LinkDelete("eth0.100")]),
        (
            "ifenslave bond0 eth0 eth1",
            [BondSlaveAdd("bond0", "eth0"), BondSlaveAdd("bond0", "eth1")],
        ),
        ("ifenslave -d bond0 eth1", [BondSlaveRemove("bond0", "eth1")]),
        ("ifenslave -c bond0 eth1", [BondOptionSet("bond0", "active_slave", "eth1", "ifenslave")]),
        ("echo +bond1 > /sys/class/net/bonding_masters", [BondCreate("bond1", (), "sysfs")]),
        ("echo -bond1 > /sys/class/net/bonding_masters", [BondDelete("bond1")]),
        ("echo +eth2 >> /sys/class/net/bond1/bonding/slaves", [BondSlaveAdd("bond1", "eth2")]),
        ("echo -eth2 > /sys/class/net/bond1/bonding/slaves", [BondSlaveRemove("bond1", "eth2")]),
        (
            "echo 802.3ad > /sys/class/net/bond1/bonding/mode",
            [BondOptionSet("bond1", "mode", "802.3ad")],
        ),
        (
            "echo 0 >/sys/class/net/br0/bridge/multicast_snooping",
            [BridgeOptionSet("br0", "multicast_snooping", "0", None, "sysfs")],
        ),
        ("echo 9000 > /sys/class/net/eth0/mtu", [LinkSet("eth0", mtu=9000)]),
        (
            "ip link add bond0 type bond mode 802.3ad miimon 100 xmit_hash_policy layer3+4",
            [
                BondCreate(
                    "bond0",
                    (("mode", "802.3ad"), ("miimon", "100"), ("xmit_hash_policy", "layer3+4")),
                    "ip",
                )
            ],
        ),
        (
            "modprobe bonding mode=active-backup miimon=100 max_bonds=0",
            [BondModuleOptions((("mode", "active-backup"), ("miimon", "100"), ("max_bonds", "0")))],
        ),
        ("modprobe 8021q", [Other("modprobe 8021q", "module load")]),
        (
            "ip link add macvlan0 link bond0 type macvlan mode passthru",
            [LinkCreate("macvlan0", "macvlan", "bond0", (), ("mode", "passthru"))],
        ),
        (
            "ip link add veth0 mtu 1500 type veth peer name veth1",
            [LinkCreate("veth0", "veth", None, (("mtu", "1500"),), ("peer", "name", "veth1"))],
        ),
        ("ip addr add 192.0.2.1/24 dev br0", [AddressAdd("br0", "192.0.2.1/24")]),
        ("ip -4 addr flush dev eth0", [AddressFlush("eth0")]),
        ("ifconfig eth0 mtu 9000", [LinkSet("eth0", mtu=9000)]),
        ("ifconfig eth0 down", [LinkSet("eth0", up=False)]),
        (
            "ifconfig eth0 0.0.0.0 promisc up",
            [AddressFlush("eth0"), LinkSet("eth0", up=True, promisc=True)],
        ),
        (
            "ifconfig eth0 hw ether 00:11:22:33:44:55",
            [LinkSet("eth0", mac="00:11:22:33:44:55")],
        ),
        (
            "ifconfig eth0:1 192.0.2.5 netmask 255.255.255.0 up",
            [AddressAdd("eth0:1", "192.0.2.5", "255.255.255.0"), LinkSet("eth0:1", up=True)],
        ),
        ("sudo ip link set eth0 up", [LinkSet("eth0", up=True)]),
        ("ip l s eth1 master br0", [MasterSet("eth1", "br0")]),
        ("ip link show", [Other("ip link show", "read-only command")]),
        ("sysctl -w net.ipv4.ip_forward=1", [Other("sysctl -w net.ipv4.ip_forward=1")]),
        (
            "echo 1 > /proc/sys/net/ipv4/ip_forward",
            [Other("echo 1 > /proc/sys/net/ipv4/ip_forward")],
        ),
        ("ip link add type vlan", [Other("ip link add type vlan", "no name or no type")]),
        (
            "ip link add link eth0 name v type vlan id $VID",
            [
                Other(
                    "ip link add link eth0 name v type vlan id $VID",
                    "vlan without 'link' or a numeric 'id'",
                )
            ],
        ),
        ("", []),
    ],
)
def test_single_commands(command: str, expected: list[Fact]) -> None:
    assert list(facts(command)) == expected


def test_chains_and_operators() -> None:
    value = (
        "ip link set eth0 up; brctl addbr br0 && brctl addif br0 eth0 || "
        "logger failed & ip link set br0 up"
    )
    commands = parse_commands(value)
    assert [(c.operator, c.text) for c in commands] == [
        ("", "ip link set eth0 up"),
        (";", "brctl addbr br0"),
        ("&&", "brctl addif br0 eth0"),
        ("||", "logger failed"),
        ("&", "ip link set br0 up"),
    ]
    assert [c.recognised for c in commands] == [True, True, True, False, True]


def test_corpus_07_ifconfig_chain() -> None:
    value = "ifconfig enp2s0f0 mtu 9000 && ifconfig enp2s0f1 mtu 9000 && ifconfig bond0 mtu 9000"
    assert facts(value) == (
        LinkSet("enp2s0f0", mtu=9000),
        LinkSet("enp2s0f1", mtu=9000),
        LinkSet("bond0", mtu=9000),
    )


def test_iface_substitution_and_trailing_comment() -> None:
    value = "ip link set $IFACE promisc on     # Only required on VX"
    assert facts(value, iface="eth1") == (LinkSet("eth1", promisc=True),)
    assert facts("ip link set ${IFACE} up", iface="eth1") == (LinkSet("eth1", up=True),)
    assert facts("ip link set $IFACE up") == (LinkSet("$IFACE", up=True),)


def test_split_chain_respects_quoting_and_redirections() -> None:
    assert split_chain("a ';' b; c") == (("", "a ';' b"), (";", "c"))
    assert split_chain('a "x && y" | b') == (("", 'a "x && y"'), ("|", "b"))
    assert split_chain("find / -exec rm {} \\; ; d") == (("", "find / -exec rm {} \\;"), (";", "d"))
    assert split_chain("x $(a; b) && y") == (("", "x $(a; b)"), ("&&", "y"))
    assert split_chain("x `a; b` && y") == (("", "x `a; b`"), ("&&", "y"))
    assert split_chain("cmd 2>&1 >/dev/null &>x; y") == (
        ("", "cmd 2>&1 >/dev/null &>x"),
        (";", "y"),
    )
    assert split_chain("a # b; c") == (("", "a"),)
    assert split_chain("tag=1#2; x") == (("", "tag=1#2"), (";", "x"))
    assert split_chain(";; ;") == ()
    assert split_chain("a\nb") == (("", "a"), (";", "b"))


def test_redirections_are_not_arguments() -> None:
    assert facts("echo 100 > /sys/class/net/bond0/bonding/miimon 2>/dev/null") == (
        BondOptionSet("bond0", "miimon", "100"),
    )
    assert facts("brctl addbr br0 2>/dev/null || true") == (BridgeCreate("br0"), Other("true"))


def test_unsplittable_command_is_other() -> None:
    (command,) = parse_commands("echo 'unbalanced")
    assert command.argv == ()
    (fact,) = command.facts
    assert isinstance(fact, Other)
    assert fact.text == "echo 'unbalanced"
    assert "cannot split" in fact.reason


def test_parse_command_does_not_split_chains() -> None:
    assert parse_command("  brctl addbr br0  ") == (BridgeCreate("br0"),)


def test_only_command_options_are_parsed() -> None:
    document = parse_text(
        "iface br0 inet manual\n  bridge_ports eth0\n  up ip link set eth0 up\n"
        "  pre-down ip link set eth0 down\n  post_up brctl addbr x\n"
    )
    parsed = stanza_commands(document.stanzas[0])
    assert [p.option.canonical for p in parsed] == ["up", "pre-down", "post-up"]


def test_every_corpus_command_is_handled(corpus: Path, tmp_path: Path) -> None:
    """Nothing in real files raises, and the recognisable ones are recognised."""
    recognised: dict[str, list[Fact]] = {}
    for path in sorted(corpus.glob("*.interfaces")):
        document = parse_file(path, root=tmp_path)
        for stanza in document.stanzas:
            for parsed in stanza_commands(stanza):
                for command in parsed.commands:
                    assert command.facts
                    for fact in command.facts:
                        if not isinstance(fact, Other):
                            recognised.setdefault(path.name[:2], []).append(fact)
    assert recognised["02"] == [
        LinkCreate(f"macvlan{n}", "macvlan", "bond0", (), ("mode", "passthru")) for n in range(3)
    ]
    assert recognised["03"] == [LinkSet("eth1", promisc=True), LinkSet("eth2", promisc=True)]
    assert recognised["07"] == [
        LinkSet("enp2s0f0", mtu=9000),
        LinkSet("enp2s0f1", mtu=9000),
        LinkSet("bond0", mtu=9000),
    ]
    assert recognised["19"] == [
        AddressAdd("br0", "192.0.2.1/24"),
        LinkSet("prv0", mac="3c:97:0e:81:ee:45"),
    ]
    assert recognised["20"] == [
        AddressFlush("eth0"),
        LinkSet("eth0", up=True, promisc=True),
        LinkSet("eth0", up=False),
    ]
    assert set(recognised) == {"02", "03", "07", "19", "20"}


_TOKENS = st.sampled_from(
    [
        "ip",
        "link",
        "l",
        "add",
        "a",
        "set",
        "s",
        "del",
        "dev",
        "name",
        "type",
        "vlan",
        "bond",
        "bridge",
        "id",
        "master",
        "nomaster",
        "mtu",
        "address",
        "up",
        "down",
        "promisc",
        "on",
        "brctl",
        "addbr",
        "addif",
        "stp",
        "setfd",
        "setportprio",
        "vconfig",
        "rem",
        "ifenslave",
        "-d",
        "-c",
        "echo",
        "+x",
        "-x",
        ">",
        ">>",
        "2>&1",
        "/sys/class/net/bonding_masters",
        "/sys/class/net/b/bonding/slaves",
        "/sys/class/net/b/bonding/mode",
        "/sys/class/net/e/mtu",
        "/sys/class/net/b/bridge/x",
        "modprobe",
        "bonding",
        "a=b",
        "ifconfig",
        "hw",
        "ether",
        "netmask",
        "0.0.0.0",
        "1.2.3.4",
        "inet6",
        "add",
        "9000",
        "x",
        "eth0",
        "$IFACE",
        ";",
        "&&",
        "||",
        "|",
        "&",
        "'",
        '"',
        "\\",
        "#",
        "$(",
        ")",
        "`",
        "(",
        "sudo",
        "A=1",
        "",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_TOKENS, max_size=12), st.one_of(st.none(), st.just("eth9")))
def test_token_soup_never_raises(tokens: list[str], iface: str | None) -> None:
    value = " ".join(tokens)
    for command in parse_commands(value, iface):
        assert command.facts
        assert command.text.strip() == command.text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_never_raises(text: str) -> None:
    facts(text, "x")
