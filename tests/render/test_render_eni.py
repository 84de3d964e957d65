"""Targeted ENI cases: what each tricky model feature becomes for ifupdown 0.8 and its hooks."""

from __future__ import annotations

import textwrap
from ipaddress import IPv4Interface

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hvnet.model import Bridge, BridgePort, Dns, Host, Nic, Vlan, VlanProtocol
from hvnet.render.eni import (
    KEYWORDS,
    format_seconds,
    render,
    render_text,
    vlan_hook_name,
    vlan_is_native,
)

from hvtest import load_snippet


def eni(text: str) -> str:
    result = load_snippet(text)
    assert result.ok, [d.format() for d in result.diagnostics]
    assert result.host is not None
    return render_text(result.host)


def stanza(text: str, name: str, family: str = "inet") -> list[str]:
    """Option lines of the first ``iface NAME FAMILY`` stanza, stripped."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"iface {name} {family} "))
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        body.append(line.strip())
    return body


def iface_lines(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(f"iface {name} ")]


BOND = """\
nics: {eth0: {}, eth1: {}}
bonds:
  bond0:
    slaves: [eth0, eth1]
"""


def test_render_returns_the_system_path() -> None:
    result = load_snippet(BOND + "    mode: active-backup\n    miimon: 100\n")
    assert result.host is not None
    assert list(render(result.host)) == ["etc/network/interfaces"]


def test_header_loopback_and_dependency_order() -> None:
    text = eni(
        BOND + "    mode: active-backup\n    miimon: 100\n"
        "networks:\n  lan: {vlan: 10, on: bond0, addresses: [192.0.2.1/24]}\n"
        "hostname: h1\n"
    )
    lines = text.splitlines()
    assert lines[0] == "# /etc/network/interfaces for host h1"
    assert "do not edit" in lines[1]
    assert lines[4:6] == ["auto lo", "iface lo inet loopback"]
    autos = [line.split()[1] for line in lines if line.startswith("auto ")]
    assert autos == ["lo", "bond0", "bond0.10", "br10"]
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_slaves_are_manual_allow_bond_stanzas_without_auto() -> None:
    text = eni(BOND + "    mode: active-backup\n    miimon: 100\n    primary: eth1\n")
    assert "allow-bond0 eth0" in text and "allow-bond0 eth1" in text
    assert "auto eth0" not in text
    assert stanza(text, "eth0") == []
    assert iface_lines(text, "eth0") == ["iface eth0 inet manual"]
    assert "bond-master" not in text
    body = stanza(text, "bond0")
    assert body[:4] == [
        "bond-slaves eth0 eth1",
        "bond-mode active-backup",
        "bond-miimon 100",
        "bond-primary eth1",
    ]


def test_bond_values_in_sysfs_form() -> None:
    text = eni(
        BOND + "    mode: active-backup\n    arp_interval: 200\n"
        "    arp_ip_target: [192.0.2.1, 192.0.2.2]\n    arp_validate: active\n"
        "    use_carrier: false\n    fail_over_mac: follow\n    num_grat_arp: 3\n"
        "    addresses: [192.0.2.10/24]\n"
    )
    body = stanza(text, "bond0")
    assert "bond-arp-ip-target 192.0.2.1 192.0.2.2" in body  # no "+": ifenslave adds it
    assert "bond-arp-interval 200" in body
    assert "bond-arp-validate active" in body
    assert "bond-use-carrier 0" in body
    assert "bond-fail-over-mac follow" in body
    assert "bond-num-grat-arp 3" in body
    assert not any(line.startswith(("pre-up", "up ")) for line in body)


def test_lacp_options_ifenslave_ignores_are_set_before_it_runs() -> None:
    text = eni(
        BOND + "    mode: 802.3ad\n    miimon: 100\n    lacp_rate: fast\n"
        "    xmit_hash_policy: layer3+4\n    lacp_active: false\n    ad_user_port_key: 7\n"
        "    min_links: 1\n    ad_actor_sys_prio: 100\n    ad_actor_system: 02:00:00:00:00:01\n"
        "    peer_notif_delay: 200\n"
    )
    body = stanza(text, "bond0")
    assert "bond-lacp-rate fast" in body and "bond-xmit-hash-policy layer3+4" in body
    assert "pre-up test -d /sys/class/net/bond0 || ip link add dev bond0 type bond" in body
    assert (
        "pre-up ip link set dev bond0 type bond mode 802.3ad lacp_active off ad_actor_sys_prio 100 "
        "ad_actor_system 02:00:00:00:00:01 ad_user_port_key 7 min_links 1"
    ) in body
    # peer_notif_delay needs miimon, which ifenslave writes in if-pre-up.d: so an up line
    assert "up ip link set dev bond0 type bond peer_notify_delay 200" in body
    for keyword in ("bond-min-links", "bond-ad-actor", "bond-lacp-active", "bond-peer"):
        assert keyword not in text
    assert body.index("pre-up test -d /sys/class/net/bond0 || ip link add dev bond0 type bond") < (
        next(i for i, line in enumerate(body) if line.startswith("pre-up ip link set"))
    )


def test_options_without_keyword_in_active_backup() -> None:
    text = eni(
        BOND + "    mode: active-backup\n    arp_interval: 100\n    arp_ip_target: [192.0.2.1]\n"
        "    arp_all_targets: all\n    arp_missed_max: 3\n    ns_ip6_target: ['2001:db8::1', "
        "'2001:db8::2']\n    all_slaves_active: true\n    resend_igmp: 2\n"
        "    addresses: [192.0.2.10/24]\n"
    )
    assert (
        "pre-up ip link set dev bond0 type bond mode active-backup ns_ip6_target "
        "2001:db8::1,2001:db8::2 arp_all_targets all arp_missed_max 3 all_slaves_active 1 "
        "resend_igmp 2"
    ) in stanza(text, "bond0")


def test_lp_interval_in_alb() -> None:
    text = eni(BOND + "    mode: balance-alb\n    miimon: 100\n    lp_interval: 5\n")
    assert "pre-up ip link set dev bond0 type bond mode balance-alb lp_interval 5" in text


@pytest.mark.parametrize(
    ("name", "vid", "parent", "native"),
    [
        ("vlan50", 50, "bond1", True),
        ("vlan0050", 50, "bond1", True),
        ("vlan050", 50, "bond1", False),  # the hook pads to 4 digits: vlan0050
        ("vlan1000", 1000, "bond1", True),
        ("bond0.16", 16, "bond0", True),
        ("eth0.100", 100, "eth0", True),
        ("p1p1.5", 5, "p1p1", True),
        ("enp3s0.7", 7, "enp3s0", True),
        ("br-x.9", 9, "br-x", True),
        ("bond0.016", 16, "bond0", False),  # padded: the hook makes bond0.0016
        ("bond0.0016", 16, "bond0", False),  # only unpadded PARENT.VID is native
        ("bond-a.5", 5, "bond-a", False),  # "bond*" glob, but the sed cannot parse it
        ("dmz", 200, "bond1", False),
        ("vlan50", 51, "bond1", False),  # the name says another VID
        ("bond0.16", 16, "bond1", False),  # the name says another parent
        ("bond0.10.20", 20, "bond0.10", False),  # QinQ: ifupdown's core makes VID 10
    ],
)
def test_vlan_native_only_when_the_hook_derives_the_name(
    name: str, vid: int, parent: str, native: bool
) -> None:
    assert vlan_is_native(Vlan(name=name, vid=vid, parent=parent)) is native


def test_vlan_hook_transcription() -> None:
    assert vlan_hook_name("vlan0100", "x") == ("vlan0100", 100)
    assert vlan_hook_name("vlan100", "x") == ("vlan100", 100)
    assert vlan_hook_name("eth0.0100", "x") == ("eth0.0100", 100)
    assert vlan_hook_name("p1em2.5", "p1em2") is None  # sed strips "em2." mid-name
    assert vlan_hook_name("mgmt", "bond0") is None
    assert vlan_hook_name("eth0:1", "eth0") is None


def test_native_vlan_uses_vlan_raw_device() -> None:
    text = eni(
        BOND + "    mode: active-backup\n    miimon: 100\nvlans:\n  vlan7: {id: 7, link: bond0}\n"
    )
    assert stanza(text, "vlan7")[0] == "vlan-raw-device bond0"
    assert "ip link add" not in text


def test_arbitrary_vlan_name_is_created_with_iproute2() -> None:
    text = eni(
        BOND + "    mode: active-backup\n    miimon: 100\nvlans:\n  mgmt: {id: 7, link: bond0}\n"
    )
    body = stanza(text, "mgmt")
    assert "pre-up ip link add link bond0 name mgmt type vlan id 7" in body
    assert "post-down ip link del dev mgmt" in body
    assert "vlan-raw-device bond0" not in body
    assert not any("ip link del dev mgmt 2>/dev/null" in line for line in body)


def test_8021ad_vlan_with_dotted_name_replaces_what_ifupdown_created() -> None:
    text = eni(
        BOND + "    mode: active-backup\n    miimon: 100\n"
        "vlans:\n  bond0.300: {id: 300, link: bond0, protocol: 802.1ad}\n"
    )
    body = stanza(text, "bond0.300")
    assert body[:3] == [
        "pre-up ip link del dev bond0.300 2>/dev/null || true",
        "pre-up ip link add link bond0 name bond0.300 type vlan id 300 protocol 802.1ad",
        "post-down ip link del dev bond0.300",
    ]


def test_bridge_keywords_and_seconds() -> None:
    text = eni(
        "nics: {eth0: {}}\nbridges:\n  br0:\n    ports: [eth0]\n    stp: true\n"
        "    forward_delay: 4\n    hello_time: 2.5\n    max_age: 12\n    ageing: 120.0\n"
        "    priority: 4096\n    vlan_filtering: false\n    maxwait: 3\n"
        "    addresses: [192.0.2.1/24]\n"
    )
    assert stanza(text, "br0")[1:] == [
        "bridge-ports eth0",
        "bridge-stp on",
        "bridge-fd 4",
        "bridge-hello 2.5",
        "bridge-maxage 12",
        "bridge-ageing 120",
        "bridge-bridgeprio 4096",
        "bridge-vlan-aware no",
        "bridge-maxwait 3",
    ]


def test_format_seconds() -> None:
    assert [format_seconds(x) for x in (0, 15.0, 2.5, 0.1, 100000)] == [
        "0",
        "15",
        "2.5",
        "0.1",
        "100000",
    ]


def test_bridge_without_ports() -> None:
    text = eni("bridges:\n  br0: {addresses: [192.0.2.1/24]}\n")
    assert "bridge-ports none" in stanza(text, "br0")


def test_port_priorities_one_keyword_then_up_lines() -> None:
    text = eni(
        "nics: {eth0: {}, eth1: {}, eth2: {}}\nbridges:\n  br0:\n    ports:\n"
        "      - {name: eth0, priority: 10, cost: 100}\n      - {name: eth1, priority: 20}\n"
        "      - {name: eth2, cost: 300}\n    addresses: [192.0.2.1/24]\n"
    )
    body = stanza(text, "br0")
    assert [line for line in body if line.startswith("bridge-portprio")] == [
        "bridge-portprio eth0 10"
    ]
    assert [line for line in body if line.startswith("bridge-pathcost")] == [
        "bridge-pathcost eth0 100"
    ]
    assert "up ip link set dev eth1 type bridge_slave priority 20" in body
    assert "up ip link set dev eth2 type bridge_slave cost 300" in body


def test_no_host_address_isolation() -> None:
    text = eni(
        BOND + "    mode: active-backup\n    miimon: 100\n"
        "networks:\n  dmz: {vlan: 200, on: bond0}\n  lan: {vlan: 10, on: bond0, "
        "addresses: [192.0.2.1/24]}\n"
    )

    def isolated(name: str) -> bool:
        return any(
            line.startswith("up sysctl")
            and f"net/ipv6/conf/{name}/disable_ipv6=1" in line
            and f"net/ipv4/conf/{name}/arp_ignore=8" in line
            for line in stanza(text, name)
        )

    assert isolated("br200")  # a bridge that only switches guests
    assert isolated("bond0")  # a bond that only carries VLANs gets a link-local address
    assert isolated("bond0.200") and isolated("bond0.10")  # ports come up before enslaving
    assert not isolated("br10")  # the host is meant to be reachable there
    assert not isolated("eth0")  # slaves: IFF_SLAVE devices get no IPv6 address


def test_dhcp_and_mtu_and_mac() -> None:
    text = eni(
        "nics:\n  eth0: {method: dhcp, mtu: 9000, mac: '02:00:00:00:00:01'}\n"
        "  eth1: {addresses: [192.0.2.1/24], mtu: 1400, mac: '02:00:00:00:00:02'}\n"
    )
    assert iface_lines(text, "eth0") == ["iface eth0 inet dhcp"]
    # the dhcp method ignores "mtu": set it once the link is up
    assert stanza(text, "eth0") == [
        "hwaddress 02:00:00:00:00:01",
        "up ip link set dev eth0 mtu 9000",
    ]
    assert stanza(text, "eth1") == [
        "address 192.0.2.1/24",
        "mtu 1400",
        "hwaddress 02:00:00:00:00:02",
    ]


def test_several_addresses_ipv6_gateways_and_routes() -> None:
    text = eni(
        textwrap.dedent(
            """\
            nics:
              eth0:
                addresses: [192.0.2.1/24, 198.51.100.1/24, "2001:db8::1/64", "2001:db8:1::1/64"]
                gateway: 192.0.2.254
                gateway6: "2001:db8::fe"
                mtu: 1400
                routes:
                  - {to: 10.0.0.0/8, via: 198.51.100.254, metric: 10}
                  - {to: "2001:db8:99::/48", via: "2001:db8::fd"}
            dns: {nameservers: [192.0.2.53], search: [example.net]}
            """
        )
    )
    assert iface_lines(text, "eth0") == [
        "iface eth0 inet static",
        "iface eth0 inet static",
        "iface eth0 inet6 static",
        "iface eth0 inet6 static",
    ]
    assert stanza(text, "eth0") == [
        "address 192.0.2.1/24",
        "gateway 192.0.2.254",
        "mtu 1400",  # link settings only in the first stanza, always an inet one
        "dns-nameservers 192.0.2.53",
        "dns-search example.net",
    ]
    blocks = text.split("iface eth0 ")[1:]
    assert "address 198.51.100.1/24" in blocks[1]
    assert "up ip route add 10.0.0.0/8 via 198.51.100.254 dev eth0 metric 10" in blocks[1]
    assert "down ip route del 10.0.0.0/8 via 198.51.100.254 dev eth0 metric 10" in blocks[1]
    assert "gateway 2001:db8::fe" in blocks[2]
    assert "up ip -6 route add 2001:db8:99::/48 via 2001:db8::fd dev eth0" in blocks[3]
    assert "mtu" not in "".join(blocks[1:])


def test_ipv6_auto_dhcp_and_v6_only_links() -> None:
    text = eni(
        "nics:\n  eth0: {method: dhcp, method6: auto}\n  eth1: {method6: dhcp}\n"
        "  eth2: {addresses: ['2001:db8::1/64'], method6: auto, mtu: 1400}\n"
    )
    assert iface_lines(text, "eth0") == ["iface eth0 inet dhcp", "iface eth0 inet6 auto"]
    assert iface_lines(text, "eth1") == ["iface eth1 inet manual", "iface eth1 inet6 dhcp"]
    assert iface_lines(text, "eth2") == [
        "iface eth2 inet manual",  # carries the MTU: inet6 static would set the IPv6 MTU only
        "iface eth2 inet6 auto",
        "iface eth2 inet6 static",
    ]
    assert stanza(text, "eth2") == ["mtu 1400"]
    assert "autoconf 1" in text.split("iface eth2 inet6 static")[1]


def test_gateway_without_static_stanza_becomes_a_route_hook() -> None:
    text = eni("nics:\n  eth0: {method: dhcp, gateway: 192.0.2.1}\n")
    assert "up ip route add default via 192.0.2.1 dev eth0" in stanza(text, "eth0")


def test_dns_goes_to_the_first_static_stanza_without_gateway() -> None:
    text = eni(
        "nics:\n  eth0: {method: dhcp}\n  eth1: {addresses: [192.0.2.1/24]}\n"
        "dns: {nameservers: [192.0.2.53]}\n"
    )
    assert "dns-nameservers 192.0.2.53" in stanza(text, "eth1")


def test_every_option_keyword_is_declared() -> None:
    for host_file in ("host-a", "host-b"):
        from hvnet.loader import load_file

        from hvtest import EXAMPLES

        host = load_file(str(EXAMPLES / f"{host_file}.yaml")).host
        assert host is not None
        for line in render_text(host).splitlines():
            if line.startswith("    ") and not line.strip().startswith("#"):
                assert line.split()[0] in KEYWORDS


@pytest.mark.parametrize("bad", ["br0\nup rm -rf /", "br 0", "br0;reboot", "br$(x)"])
def test_guard_refuses_unsafe_names(bad: str) -> None:
    host = Host(
        links={bad: Bridge(name=bad, ports=(BridgePort("eth0"),)), "eth0": Nic(name="eth0")}
    )
    with pytest.raises(ValueError, match="unsafe"):
        render_text(host)


def test_guard_refuses_unsafe_port_and_domain() -> None:
    with pytest.raises(ValueError):
        render_text(Host(links={"v": Vlan(name="v", vid=5, parent="eth0 up")}))
    host = Host(
        links={"eth0": Nic(name="eth0", addresses=(IPv4Interface("192.0.2.1/24"),))},
        dns=Dns(search=("a.example\nup reboot",)),
    )
    with pytest.raises(ValueError):
        render_text(host)


def test_8021ad_is_never_native() -> None:
    vlan = Vlan(name="vlan5", vid=5, parent="eth0", protocol=VlanProtocol.DOT1AD)
    assert not vlan_is_native(vlan)


@settings(max_examples=300, deadline=None)
@given(
    parent=st.from_regex(r"\A(eth|bond|wlan|em|p|vlan|br|enp|x)[0-9a-z_-]{0,6}\Z"),
    vid=st.integers(1, 4094),
)
def test_native_shortcut_agrees_with_the_hook_transcription(parent: str, vid: int) -> None:
    name = f"{parent}.{vid}"
    vlan = Vlan(name=name, vid=vid, parent=parent)
    assert vlan_is_native(vlan) == (vlan_hook_name(name, parent) == (name, vid))


def test_dotted_name_that_is_not_a_vlan_gets_a_warning() -> None:
    host = Host(links={"eth0": Nic(name="eth0"), "eth0.br": Bridge(name="eth0.br")})
    text = render_text(host)
    assert "# warning: ifupdown 0.8 takes eth0.br for a VLAN; rename it (no dot)" in text
    assert "warning" not in render_text(Host(links={"eth0": Nic(name="eth0")}))
