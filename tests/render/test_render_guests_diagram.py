"""Guest snippets (libvirt XML, xl vif lines) and the tree/dot diagrams on edge cases."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hvnet.model import Bridge, BridgePort, Guest, GuestKind, GuestNic, Host, Nic, Vlan
from hvnet.render.diagram import dot_quote, render_dot
from hvnet.render.guests import render_libvirt, render_xen

from hvtest import load_snippet
from render_helpers import tree_text

GUESTS = """\
nics: {eth0: {}}
networks:
  lan: {vlan: 10, on: eth0, addresses: [192.0.2.1/24]}
guests:
  k1:
    type: kvm
    nics:
      - {network: lan, mac: "02:00:00:00:00:01", model: virtio}
      - {network: lan}
  x1:
    type: xen
    nics:
      - {network: lan, mac: "02:00:00:00:00:02", model: netfront}
      - {network: lan, mac: "02:00:00:00:00:03", model: e1000}
      - {network: lan}
"""


def host_of(text: str) -> Host:
    result = load_snippet(text)
    assert result.ok, [d.format() for d in result.diagnostics]
    assert result.host is not None
    return result.host


def test_libvirt_only_kvm_guests_well_formed_xml() -> None:
    files = render_libvirt(host_of(GUESTS))
    assert list(files) == ["libvirt/k1.xml"]
    root = ET.fromstring(files["libvirt/k1.xml"])
    assert root.tag == "devices"
    first, second = root.findall("interface")
    assert first.get("type") == "bridge"
    assert first.find("mac").get("address") == "02:00:00:00:00:01"  # type: ignore[union-attr]
    assert first.find("source").get("bridge") == "br10"  # type: ignore[union-attr]
    assert first.find("model").get("type") == "virtio"  # type: ignore[union-attr]
    assert second.find("mac") is None and second.find("model") is None  # libvirt picks them


def test_xen_only_xen_guests_model_only_when_emulated() -> None:
    files = render_xen(host_of(GUESTS))
    assert list(files) == ["xen/x1.cfg"]
    vif = files["xen/x1.cfg"].splitlines()[-1]
    assert vif == (
        "vif = [ 'mac=02:00:00:00:00:02,bridge=br10', "
        "'mac=02:00:00:00:00:03,bridge=br10,model=e1000', 'bridge=br10' ]"
    )


def test_guest_nic_without_bridge_is_left_out_with_a_note() -> None:
    nic = GuestNic("nowhere", None, "02:00:00:00:00:09", None)
    host = Host(guests=(Guest("k", GuestKind.KVM, (nic,)), Guest("x", GuestKind.XEN, (nic,))))
    assert "no bridge, left out" in render_libvirt(host)["libvirt/k.xml"]
    assert render_xen(host)["xen/x.cfg"].splitlines()[-2:] == [
        "# network nowhere: no bridge, left out",
        "vif = [ ]",
    ]


@pytest.mark.parametrize(
    "guest",
    [
        Guest("a'b", GuestKind.XEN),
        Guest("ok", GuestKind.XEN, (GuestNic("n", "br0", None, "e1000,script=/x"),)),
        Guest("ok", GuestKind.KVM, (GuestNic("n", "br0'", None, None),)),
        Guest("ok", GuestKind.KVM, (GuestNic("n", "br0", "not-a-mac", None),)),
    ],
)
def test_guest_guard(guest: Guest) -> None:
    host = Host(guests=(guest,))
    with pytest.raises(ValueError):
        render_xen(host) if guest.kind is GuestKind.XEN else render_libvirt(host)


def test_tree_shows_stack_addresses_and_unattached() -> None:
    host = host_of(
        GUESTS
        + "bridges:\n  lonely: {}\nvlans:\n  v5: {id: 5, link: eth0}\n"
        + "bonds:\n  bond0: {slaves: [], mode: active-backup, miimon: 100}\n"
    )
    text = tree_text(host)
    lines = text.splitlines()
    assert lines[0] == "host (unnamed)"
    assert any("eth0" in line and "NIC" in line and "no host address" in line for line in lines)
    assert any("br10" in line and "192.0.2.1/24" in line for line in lines)
    assert any("guest k1 (kvm)" in line and "02:00:00:00:00:01, virtio" in line for line in lines)
    assert "unattached" in text and "lonely" in text.split("unattached")[1]
    assert sum(line.count(" v5 ") for line in lines) == 1  # every link drawn once


def test_tree_marks_undefined_slave() -> None:
    host = Host(
        links={"bond0": __import__("hvnet.model").model.Bond(name="bond0", slaves=("eth9",))}
    )
    assert "eth9  (not defined)" in tree_text(host)


def test_dot_quotes_identifiers() -> None:
    assert dot_quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    host = Host(
        hostname='h"1',
        links={
            "eth0": Nic(name="eth0"),
            "v.5": Vlan(name="v.5", vid=5, parent="eth0"),
            "br": Bridge(name="br", ports=(BridgePort("v.5"),)),
        },
        guests=(Guest('g"x', GuestKind.KVM, (GuestNic("n", "br", None, None),)),),
    )
    dot = render_dot(host)
    assert dot.startswith('digraph "hvnet h\\"1" {')
    assert '"eth0" -> "v.5";' in dot and '"v.5" -> "br";' in dot
    assert '"br" -> "guest:g\\"x"' in dot
    assert dot.rstrip().endswith("}")
