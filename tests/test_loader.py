"""The loading pipeline: YAML locations, schema translation, resolution of the shorthand."""

from __future__ import annotations

from hvnet.loader import load_file
from hvnet.model import Bond, Bridge, Vlan

from hvtest import BASE, EXAMPLES, codes, load_snippet


def test_examples_are_clean() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        result = load_file(path)
        assert result.ok, [d.format() for d in result.diagnostics]
        assert result.diagnostics == [], [d.format() for d in result.diagnostics]


def test_host_a_expands_networks_with_templates() -> None:
    host = load_file(EXAMPLES / "host-a.yaml").host
    assert host is not None
    assert isinstance(host.links["vlan50"], Vlan) and host.links["vlan50"].parent == "bond1"
    br50 = host.links["br50"]
    assert isinstance(br50, Bridge) and br50.port_names == ("vlan50",)
    assert (
        br50.options.stp is False and br50.options.forward_delay == 0 and br50.options.maxwait == 5
    )
    assert str(br50.addresses[0]) == "192.168.100.1/24"
    bond0 = host.links["bond0"]
    assert isinstance(bond0, Bond) and bond0.slaves == ("eth0", "eth2")
    assert bond0.options.updelay == 200 and str(bond0.gateway) == "10.10.100.1"
    assert not host.links["br200"].has_host_address


def test_host_b_naming_style() -> None:
    host = load_file(EXAMPLES / "host-b.yaml").host
    assert host is not None
    assert [v.name for v in host.vlans] == ["bond0.16", "bond0.32", "bond0.48"]
    assert [b.name for b in host.bridges] == ["vlan16", "vlan32", "vlan48"]
    assert host.creation_order().index("bond0") < host.creation_order().index("bond0.16")


def test_unknown_key_suggests_and_points_at_key() -> None:
    result = load_snippet(BASE.replace("miimon: 100", "miimonn: 100"))
    diag = next(d for d in result.diagnostics if d.code == "HV003")
    assert "did you mean 'miimon'" in diag.hint
    assert diag.position is not None and (diag.position.line, diag.position.column) == (8, 5)


def test_bad_enum_value_suggests() -> None:
    result = load_snippet(BASE.replace("active-backup", "active-backpu"))
    diag = next(d for d in result.diagnostics if d.code == "HV005")
    assert "active-backup" in diag.hint


def test_yaml_error_has_position() -> None:
    result = load_snippet("nics: [eth0,\n  bonds: x")
    assert codes(result) == ["HV001"]
    assert result.diagnostics[0].position is not None


def test_duplicate_key_reported() -> None:
    result = load_snippet(BASE + "  lan:\n    vlan: 11\n    on: bond0\n")
    assert "HV006" in codes(result)


def test_leading_zero_is_decimal_and_mac_is_text() -> None:
    result = load_snippet(BASE.replace("vlan: 10", "vlan: 0100") + "    mac: 02:00:00:00:00:01\n")
    assert result.ok, [d.format() for d in result.diagnostics]
    assert result.host is not None and result.host.networks["lan"].vid == 100


def test_injection_is_rejected_everywhere() -> None:
    result = load_snippet(BASE + 'dns:\n  search: ["example.com\\nup rm -rf /"]\n')
    assert "HV110" in codes(result) and not result.ok


def test_unreadable_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = load_file(tmp_path / "missing.yaml")
    assert codes(result) == ["HV000"] and result.host is None


def test_not_a_mapping() -> None:
    assert codes(load_snippet("- a\n- b\n")) == ["HV002"]


def test_numeric_netmask_and_duplicate_guest() -> None:
    result = load_snippet("nics:\n  eth0: {addresses: [{address: 10.0.0.1, netmask: 24}]}\n")
    assert result.ok and result.host is not None
    assert str(result.host.links["eth0"].addresses[0]) == "10.0.0.1/24"
    dup = load_snippet("guests:\n  a: {}\n  a: {}\n")
    assert codes(dup) == ["HV604"]


def test_template_format_only_on_vid() -> None:
    result = load_snippet(BASE + "naming: {vlan: 'v{parent:04d}'}\n")
    assert "HV104" in codes(result) or not result.ok
