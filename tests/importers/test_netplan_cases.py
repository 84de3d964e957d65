"""Netplan importer: netplan's edge rules on synthetic files (the corpus: test_netplan.py).

Durations, merging of several files, match/set-name, what netplan refuses (fatal, with a
position), what hvnet cannot hold (noted), and damaged corpus files that must never raise
anything but an ImportError_.
"""

from ipaddress import ip_address, ip_interface, ip_network
from pathlib import Path
from typing import Any

import pytest

from hvnet.importers import ImportError_, NoteKind
from hvnet.importers.netplan import import_netplan, parse_netplan
from hvnet.model import Bond, Bridge, Method4, Method6, Nic, Route, Vlan
from hvnet.options import BondMode

from netplan_helpers import (
    CORPUS,
    bonds,
    bridges,
    kinds,
    not_converted,
    parse,
    snippet,
    vlans,
)

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="netplan corpus not available")


# -- synthetic edge cases ---------------------------------------------------------------------

BOND = """\
network:
  version: 2
  ethernets: {eth0: {}, eth1: {}}
  bonds:
    bond0:
      interfaces: [eth0, eth1]
      parameters:
        mode: active-backup
        {param}
"""


@pytest.mark.parametrize(
    ("param", "field", "value"),
    [
        ("mii-monitor-interval: 100", "miimon", 100),
        ("mii-monitor-interval: 100ms", "miimon", 100),
        ("mii-monitor-interval: 1s", "miimon", 1000),
        ("mii-monitor-interval: 0.5s", "miimon", 500),
        ("mii-monitor-interval: 1s 500ms", "miimon", 1500),
        ("up-delay: 2min", "updelay", 120_000),
        ("down-delay: '200'", "downdelay", 200),
        ("arp-interval: 3000us", "arp_interval", 3),
        ("learn-packet-interval: 2", "lp_interval", 2),
        ("learn-packet-interval: 3000ms", "lp_interval", 3),
        ("gratuitous-arp: 3", "num_grat_arp", 3),
        ("packets-per-member: 0", "packets_per_slave", 0),
        ("all-members-active: y", "all_slaves_active", True),
        ("min-links: 1", "min_links", 1),
        (
            "arp-ip-targets: [10.0.0.1, 10.0.0.2]",
            "arp_ip_target",
            (ip_address("10.0.0.1"), ip_address("10.0.0.2")),
        ),
    ],
)
def test_bond_parameters_and_durations(param: str, field: str, value: Any) -> None:
    result = parse(BOND.replace("{param}", param))
    bond = result.host.links["bond0"]
    assert isinstance(bond, Bond)
    assert getattr(bond.options, field) == value
    assert result.notes == []


def test_durations_that_do_not_fit_are_noted_not_rounded() -> None:
    result = parse(BOND.replace("{param}", "mii-monitor-interval: 1.5ms"))
    bond = result.host.links["bond0"]
    assert isinstance(bond, Bond) and bond.options.miimon is None
    assert not_converted(result) == [(9, "mii-monitor-interval: 1.5ms")]


@pytest.mark.parametrize(
    "bad", ["mii-monitor-interval: 10 parsecs", "transmit-hash-policy: layer9", "lacp-rate: x"]
)
def test_invalid_bond_values_are_fatal(bad: str) -> None:
    with pytest.raises(ImportError_) as caught:
        parse(BOND.replace("{param}", bad))
    assert caught.value.line == 9


def test_bridge_times_are_seconds_with_optional_suffix() -> None:
    result = parse("""\
        network:
          ethernets: {eth0: {}}
          bridges:
            br0:
              interfaces: [eth0]
              parameters: {stp: true, forward-delay: 1500ms, hello-time: 2, max-age: 0.2min}
        """)
    bridge = result.host.links["br0"]
    assert isinstance(bridge, Bridge)
    options = bridge.options
    assert (options.forward_delay, options.hello_time, options.max_age) == (1.5, 2, 12)
    assert result.notes == []


def test_merge_scalars_override_sequences_append_mappings_merge() -> None:
    first = """\
        network:
          version: 2
          ethernets:
            eth0:
              addresses: [10.0.0.1/24]
              mtu: 1500
              nameservers: {addresses: [10.0.0.53]}
        """
    second = """\
        network:
          ethernets:
            eth0:
              addresses: [10.0.0.2/24, 10.0.0.1/24]
              mtu: 9000
              dhcp6: true
        """
    # Names decide the order, not the argument order: 10- is read before 20-.
    result = parse_netplan(
        [snippet(second, "/etc/netplan/20-b.yaml"), snippet(first, "/etc/netplan/10-a.yaml")]
    )
    eth0 = result.host.links["eth0"]
    assert [str(a) for a in eth0.addresses] == ["10.0.0.1/24", "10.0.0.2/24"]
    assert (eth0.mtu, eth0.method6) == (9000, Method6.DHCP)
    assert result.host.dns.nameservers == (ip_address("10.0.0.53"),)
    assert result.notes == []


def test_a_later_file_adds_members_and_notes_point_at_their_own_file() -> None:
    result = parse(
        """\
        network:
          ethernets: {eth0: {}, eth1: {}}
          bonds: {bond0: {interfaces: [eth0]}}
        """,
        """\
        network:
          bonds:
            bond0:
              interfaces: [eth1]
              optional: true
        """,
    )
    assert bonds(result.host) == {"bond0": ("balance-rr", ("eth0", "eth1"))}
    [note] = result.not_converted
    assert (note.file, note.line, note.text) == ("/etc/netplan/20-f.yaml", 5, "optional: true")


def test_run_shadows_etc_of_the_same_name() -> None:
    etc = snippet("network: {ethernets: {eth0: {mtu: 1500}}}\n", "/etc/netplan/50-x.yaml")
    run = snippet("network: {ethernets: {eth0: {mtu: 9000}}}\n", "/run/netplan/50-x.yaml")
    result = parse_netplan([run, etc])
    assert result.host.links["eth0"].mtu == 9000
    assert [(n.file, n.reason) for n in result.notes] == [
        ("/etc/netplan/50-x.yaml", "shadowed by /run/netplan/50-x.yaml (same file name): not read")
    ]


def test_match_and_set_name() -> None:
    result = parse("""\
        network:
          ethernets:
            lan:
              match: {macaddress: "AA:BB:CC:00:11:22"}
              set-name: lan0
            byname:
              match: {name: enp3s0}
            glob:
              match: {name: "enp2*"}
            drv:
              match: {driver: ixgbe}
              set-name: ten0
            macid:
              match: {macaddress: "aa:bb:cc:00:11:33"}
          bonds:
            bond0: {interfaces: [lan, byname, drv]}
        """)
    host = result.host
    assert bonds(host) == {"bond0": ("balance-rr", ("lan0", "enp3s0", "ten0"))}
    lan = host.links["lan0"]
    assert isinstance(lan, Nic) and lan.match_mac == "aa:bb:cc:00:11:22"
    assert set(host.links) == {"lan0", "enp3s0", "glob", "ten0", "macid", "bond0"}
    assert not_converted(result) == [(9, 'match: {name: "enp2*"}')]
    assert kinds(result, NoteKind.CONVERTED) == [11, 14]  # driver + set-name; MAC w/o set-name


def test_set_name_without_match_is_fatal() -> None:
    with pytest.raises(ImportError_, match="'set-name:' requires 'match:'"):
        parse("network: {ethernets: {eth0: {set-name: lan0}}}\n")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("foo: {}\n", 1, "no 'network:' mapping"),
        ("network: {version: 1}\n", 1, "Only version 2 is supported"),
        (
            "network:\n  bonds:\n    b0: {interfaces: [e0]}\n    b1: {interfaces: [e0]}\n",
            4,
            "b1: interface 'e0' is already assigned to bond b0",
        ),
        (
            "network:\n  bonds:\n    b0: {interfaces: [e0]}\n  bridges:\n"
            "    br0: {interfaces: [e0]}\n",
            5,
            "already assigned to bond b0",
        ),
        (
            "network:\n  ethernets: {e0: {}}\n  vlans:\n    v: {id: 4095, link: e0}\n",
            4,
            "invalid id '4095'",
        ),
        ("network:\n  vlans:\n    v: {id: 5}\n", 3, "v: missing 'link' property"),
        ("network:\n  ethernets:\n    e0: {addresses: [10.0.0.1]}\n", 3, "missing /prefixlength"),
        ("network:\n  ethernets:\n    e0: {addresses: [10.0.0.300/24]}\n", 3, "malformed address"),
        ("network:\n  ethernets:\n    e0: {gateway4: 'fe80::1'}\n", 3, "invalid IPv4 address"),
        ("network:\n  ethernets:\n    en*: {}\n", 3, "must not use globbing"),
        ("network:\n  ethernets:\n    e0: {routes: [{via: 10.0.0.1}]}\n", 3, "'to'"),
    ],
)
def test_what_netplan_refuses_is_fatal_with_a_position(text: str, line: int, message: str) -> None:
    with pytest.raises(ImportError_) as caught:
        parse_netplan([("bad.yaml", text)])
    assert caught.value.line == line
    assert caught.value.file == "bad.yaml"
    assert message in caught.value.message


def test_same_id_as_two_device_types_is_fatal() -> None:
    with pytest.raises(ImportError_, match="changes device type"):
        parse("network: {ethernets: {x0: {}}}\n", "network: {bridges: {x0: {}}}\n")


def test_gateway4_and_default_route() -> None:
    result = parse("""\
        network:
          ethernets:
            e0:
              addresses: [10.0.0.2/24]
              gateway4: 10.0.0.254
              routes:
                - to: default
                  via: 10.0.0.1
                  metric: 100
                - to: 10.9.0.0/16
                  via: 10.0.0.9
                  metric: 5
                  on-link: true
                - to: 10.8.0.0/16
                  via: 10.0.0.8
                  table: 76
            e1:
              addresses: [10.1.0.2/24]
              gateway4: 10.1.0.1
              routes: [{to: 0.0.0.0/0, via: 10.1.0.1}]
        """)
    e0, e1 = result.host.links["e0"], result.host.links["e1"]
    assert e0.gateway == ip_address("10.0.0.1")  # the route wins, noted
    assert e0.routes == (Route(ip_network("10.9.0.0/16"), ip_address("10.0.0.9"), 5),)
    assert e1.gateway == ip_address("10.1.0.1")
    assert kinds(result, NoteKind.INCONSISTENT) == [5, 20]  # gateway4 vs route; 2nd gateway
    assert kinds(result, NoteKind.CONVERTED) == [19]
    assert not_converted(result) == [
        (9, "metric: 100"),
        (13, "on-link: true"),
        (14, "- to: 10.8.0.0/16\n  via: 10.0.0.8\n  table: 76"),
    ]


def test_address_options_are_noted_and_the_address_kept() -> None:
    result = parse("""\
        network:
          ethernets:
            e0:
              addresses:
                - "10.0.0.15/24":
                    lifetime: 0
                    label: maas
                - "2001:db8::1/64"
        """)
    e0 = result.host.links["e0"]
    assert e0.addresses == (ip_interface("10.0.0.15/24"), ip_interface("2001:db8::1/64"))
    assert (e0.method, e0.method6) == (Method4.STATIC, Method6.STATIC)
    assert not_converted(result) == [(6, "lifetime: 0"), (7, "label: maas")]


def test_stp_defaults() -> None:
    result = parse("""\
        network:
          renderer: NetworkManager
          ethernets: {e0: {}, e1: {}}
          bridges:
            plain: {interfaces: [e0]}
            params: {interfaces: [e1], parameters: {priority: 100}}
        """)
    plain, params = result.host.links["plain"], result.host.links["params"]
    assert isinstance(plain, Bridge) and isinstance(params, Bridge)
    assert plain.options.stp is True  # NetworkManager's default
    assert (params.options.stp, params.options.priority) == (True, 100)  # netplan's default
    assert kinds(result, NoteKind.CONVERTED) == [5, 6]


def test_vlan_id_and_link_resolve_through_set_name() -> None:
    result = parse("""\
        network:
          ethernets:
            uplink: {match: {macaddress: "52:54:00:00:00:01"}, set-name: eth9}
          vlans:
            vlan42: {id: 42, link: uplink, accept-ra: true}
        """)
    vlan = result.host.links["vlan42"]
    assert isinstance(vlan, Vlan)
    assert (vlan.parent, vlan.vid, vlan.method6) == ("eth9", 42, Method6.AUTO)


def test_unsupported_sections_and_unknown_keys_are_noted() -> None:
    result = parse("""\
        network:
          tunnels:
            wg0: {mode: wireguard}
          ethernets:
            e0: {wakeonlan: true, wakeonlan6: 1, optional: false}
          bridges:
            br0: {interfaces: [e0, wg0]}
        """)
    assert bridges(result.host) == {"br0": ("e0",)}
    assert [line for line, _ in not_converted(result)] == [2, 5, 5, 7]
    assert result.not_converted[0].text == "tunnels:\n  wg0: {mode: wireguard}"


def test_duplicate_keys_are_noted() -> None:
    result = parse("network:\n  ethernets:\n    e0: {mtu: 1500}\n    e0: {mtu: 9000}\n")
    assert result.host.links["e0"].mtu == 1500
    assert kinds(result, NoteKind.INCONSISTENT) == [4]


def test_mode_given_twice_by_alias_keys() -> None:
    result = parse(BOND.replace("{param}", "gratuitous-arp: 2\n        gratuitious-arp: 4"))
    bond = result.host.links["bond0"]
    assert isinstance(bond, Bond)
    assert bond.options.num_grat_arp == 4 and bond.options.mode is BondMode.ACTIVE_BACKUP
    assert kinds(result, NoteKind.INCONSISTENT) == [9]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ImportError_, match="cannot read file"):
        import_netplan(tmp_path / "missing.yaml")


def test_per_link_dns_is_merged_into_the_host_and_noted() -> None:
    result = parse("""\
        network:
          ethernets:
            e0: {nameservers: {addresses: [10.0.0.53], search: [a.example]}}
            e1: {nameservers: {addresses: [10.0.0.53, "2001:db8::53"], search: [b.example]}}
            e2: {nameservers: {addresses: [10.0.0.53]}}
        """)
    dns = result.host.dns
    assert dns.nameservers == (ip_address("10.0.0.53"), ip_address("2001:db8::53"))
    assert dns.search == ("a.example", "b.example")
    assert kinds(result, NoteKind.CONVERTED) == [4]  # e2 adds nothing new: no note


def test_values_netplan_accepts_but_hvnet_cannot_hold() -> None:
    result = parse("""\
        network:
          ethernets:
            e0: {mtu: 20, macaddress: random}
            e1: {macaddress: "52:54:00:AB:CD:EF", addresses: ["2001:db8::2/64"], accept-ra: true}
            e2: {addresses: [10.0.0.2/24], link-local: [ipv4], accept-ra: false}
            any:
              match: {}
          bonds:
            b0:
              interfaces: [e0]
              parameters: {mode: balance-tcp}
          vlans:
            v0: {id: 0, link: e1, renderer: sriov}
          bridges:
            br0:
              interfaces: [b0]
              parameters:
                stp: false
                hello-time: 30
                path-cost: {b0: 0, e9: 5}
        """)
    host = result.host
    e0, e1 = host.links["e0"], host.links["e1"]
    assert (e0.mtu, e0.mac, e1.mac) == (None, None, "52:54:00:ab:cd:ef")
    assert e1.method6 is Method6.STATIC
    bond, bridge, vlan = host.links["b0"], host.links["br0"], host.links["v0"]
    assert isinstance(bond, Bond) and bond.options.mode is BondMode.BALANCE_RR
    assert isinstance(vlan, Vlan) and vlan.vid == 0
    assert isinstance(bridge, Bridge)
    assert bridge.options.hello_time is None
    assert [(p.name, p.cost) for p in bridge.ports] == [("b0", None)]
    assert [line for line, _ in not_converted(result)] == [3, 3, 4, 5, 5, 7, 11, 13, 19, 20]
    assert kinds(result, NoteKind.INCONSISTENT) == [13, 20]  # VLAN id 0, e9 not a port


def test_references_go_through_set_name_and_undefined_ones_are_noted() -> None:
    result = parse("""\
        network:
          ethernets:
            left: {match: {macaddress: "52:54:00:00:00:01"}, set-name: eth0}
            right: {match: {macaddress: "52:54:00:00:00:02"}, set-name: eth1}
          bonds:
            bond0:
              interfaces: [left, right, left]
              parameters: {mode: active-backup, primary: right}
          vlans:
            bond0.7: {id: 7, link: bond0}
            eth5.9: {id: 9, link: eth5}
        """)
    host = result.host
    bond = host.links["bond0"]
    assert isinstance(bond, Bond)
    assert (bond.slaves, bond.options.primary) == (("eth0", "eth1"), "eth1")
    assert vlans(host) == {"bond0.7": ("bond0", 7), "eth5.9": ("eth5", 9)}
    assert isinstance(host.links["eth5"], Nic)
    assert kinds(result, NoteKind.CONVERTED) == [7]  # left listed twice
    assert kinds(result, NoteKind.INCONSISTENT) == [11]  # eth5 undefined
    assert list(host.links) == ["eth0", "eth1", "eth5", "bond0", "bond0.7", "eth5.9"]


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.yaml")))
def test_damaged_corpus_files_never_raise_anything_but_import_errors(name: str) -> None:
    """Each line deleted, or its value replaced by something of the wrong kind."""
    lines = (CORPUS / name).read_text().splitlines()
    for i, line in enumerate(lines):
        variants = [lines[:i] + lines[i + 1 :]]
        if ":" in line:
            key = line.split(":", 1)[0]
            variants += [[*lines[:i], f"{key}: {v}", *lines[i + 1 :]] for v in ("{}", "[x]", "")]
        for variant in variants:
            try:
                result = parse_netplan([(name, "\n".join(variant))])
            except ImportError_ as exc:
                assert exc.line >= 1 and exc.message
                continue
            assert all(note.line >= 1 for note in result.notes)
