"""Round trips between the ENI renderer and the ENI importer.

``import(render(model)) == model`` for every valid model (hypothesis over the shared strategy
of valid host documents), and for every corpus file ``import → render → import`` gives the
same model again. This is what makes ``hvnet import`` safe on a host hvnet rendered itself:
the hook lines the renderer writes (iproute2 bond options, 802.1ad VLANs, routes, port
priorities, the isolation sysctl) are recognised as model facts, never reported.

``separate_switches`` (a property of the cabling, not of the kernel) travels as hvnet's own
``hvnet-separate-switches`` option; DNS goes on the first stanza when no stanza has an address.
"""

from __future__ import annotations

from ipaddress import ip_address, ip_interface, ip_network
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

from hvnet.importers import NoteKind
from hvnet.importers.eni import import_eni, import_eni_text
from hvnet.model import (
    Bond,
    Bridge,
    BridgePort,
    Dns,
    Host,
    Link,
    Method4,
    Method6,
    Nic,
    Route,
    Vlan,
    VlanProtocol,
)
from hvnet.options import BondMode, BondOptions, BridgeOptions
from hvnet.render.eni import render_text

from strategies import host_documents, load_document

CORPUS = Path("/work/shared/corpus/eni")
if not CORPUS.is_dir():  # pragma: no cover
    CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "eni"


def expected_links(host: Host) -> dict[str, Link]:
    return dict(host.links)


def expected_dns(host: Host) -> Dns:
    return host.dns if host.links else Dns()


def assert_round_trip(host: Host) -> None:
    text = render_text(host)
    result = import_eni_text(text, "rendered")
    assert result.host.links == expected_links(host), text
    assert result.host.dns == expected_dns(host), text
    reported = [n.format() for n in result.notes if n.kind is not NoteKind.CONVERTED]
    assert reported == [], text


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(host_documents())
def test_import_of_rendered_model_is_the_model(doc: dict[str, object]) -> None:
    loaded = load_document(doc)
    assume(loaded.ok)
    assert loaded.host is not None
    assert_round_trip(loaded.host)


def test_every_hook_line_the_renderer_writes_comes_back() -> None:
    """One host using each renderer fallback: iproute2-only bond options (pre-up and up),
    a dotted 802.1ad VLAN, several port priorities and costs, routes and a gateway on a
    DHCP link, an MTU on a DHCP link, SLAAC next to a static IPv6 address, a pinned NIC."""
    bond = Bond(
        name="bond0",
        slaves=("eth0", "eth1"),
        options=BondOptions(
            mode=BondMode.LACP,
            miimon=100,
            peer_notif_delay=200,
            lacp_active=False,
            ad_user_port_key=5,
            ad_actor_sys_prio=100,
            ad_actor_system="02:aa:bb:cc:dd:ee",
            min_links=1,
            all_slaves_active=True,
            resend_igmp=3,
            lacp_rate="fast",
        ),
        mtu=9000,
    )
    vlan = Vlan(name="bond0.100", vid=100, parent="bond0", protocol=VlanProtocol.DOT1AD)
    named = Vlan(name="guests", vid=200, parent="bond0")
    bridge = Bridge(
        name="br0",
        ports=(BridgePort("eth2", 10, 100), BridgePort("eth3", 20, 200)),
        options=BridgeOptions(stp=True, forward_delay=4.0, hello_time=1.0, ageing=120.5),
        addresses=(ip_interface("2001:db8::1/64"),),
        method=Method4.DHCP,
        method6=Method6.AUTO,
        gateway=ip_address("192.0.2.1"),
        mtu=1400,
        routes=(
            Route(ip_network("198.51.100.0/24"), ip_address("192.0.2.254"), 10),
            Route(ip_network("2001:db8:1::/48"), ip_address("2001:db8::fe")),
        ),
        mac="02:00:00:00:00:01",
    )
    links: dict[str, Link] = {
        "eth0": Nic(name="eth0", mtu=9000),
        "eth1": Nic(name="eth1", mtu=9000, match_mac="52:54:00:00:00:02"),
        "eth2": Nic(name="eth2"),
        "eth3": Nic(name="eth3"),
        "bond0": bond,
        "bond0.100": vlan,
        "guests": named,
        "br0": bridge,
        "br1": Bridge(name="br1", ports=(BridgePort("guests"),)),
    }
    host = Host(links=links, dns=Dns((ip_address("192.0.2.53"),), ("example.net",)))
    assert_round_trip(host)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="ENI corpus not available")
@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.interfaces")), ids=lambda p: p.name[:2])
def test_corpus_import_render_import_is_stable(path: Path, tmp_path: Path) -> None:
    first = import_eni(path, root=tmp_path)
    again = import_eni_text(render_text(first.host), "rendered")
    assert again.host.links == first.host.links
    assert again.host.dns == first.host.dns
    assert [n.format() for n in again.notes if n.kind is not NoteKind.CONVERTED] == []
