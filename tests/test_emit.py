"""Writing a host back as a config file: resolve(load(emit(host))) gives the same host."""

from __future__ import annotations

from hvnet.emit import emit_yaml
from hvnet.loader import load_file, load_text

from hvtest import EXAMPLES, load_snippet


def _round_trip(host):  # type: ignore[no-untyped-def]
    result = load_text(emit_yaml(host), "emitted.yaml")
    assert result.ok, [d.format() for d in result.diagnostics]
    assert result.host is not None
    return result.host


def test_examples_round_trip_exactly() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        host = load_file(path).host
        assert host is not None
        again = _round_trip(host)
        assert again.links == host.links
        assert again.guests == host.guests
        assert again.networks == host.networks
        assert again.dns == host.dns


def test_explicit_entries_and_odd_names_survive() -> None:
    result = load_snippet(
        """\
        nics:
          eth0: {mtu: 9000}
          eth1: {match: {mac: "02:00:00:00:00:01"}}
        bonds:
          bond0:
            slaves: [eth0, eth1]
            mode: 802.3ad
            miimon: 100
            lacp_rate: fast
            xmit_hash_policy: layer3+4
            mtu: 9000
        vlans:
          storage: {id: 30, link: bond0, protocol: 802.1ad, addresses: [10.30.0.1/24, "fd00::1/64"]}
          v7: {id: 7, link: bond0}
        bridges:
          brx:
            ports: [{name: v7, priority: 10}]
            addresses: [10.7.0.1/24]
            stp: true
            forward_delay: 4
        networks:
          five: {vlan: 5, on: bond0, vlan_name: bond0.5x, bridge_name: br-five}
        """
    )
    assert result.ok, [d.format() for d in result.diagnostics]
    assert result.host is not None
    again = _round_trip(result.host)
    assert again.links == result.host.links
