"""MTU: VLAN/bridge above their lower links, slave vs bond MTU, bridges that do nothing."""

from __future__ import annotations

from hvnet.diagnostics import Severity

from hvtest import BASE, codes, load_snippet


def _one(result, code):  # type: ignore[no-untyped-def]
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [d.format() for d in result.diagnostics]
    return found[0]


def test_network_bridge_mtu_above_inherited_vlan_mtu() -> None:
    diag = _one(load_snippet(BASE + "    mtu: 9000\n"), "HV501")
    assert diag.path == ("networks", "lan", "mtu") and "1500" in diag.message
    assert "raise mtu on bond0" in diag.hint
    assert diag.position is not None and diag.position.line == 14


def test_jumbo_from_the_bottom_is_fine() -> None:
    text = BASE.replace("    miimon: 100\n", "    miimon: 100\n    mtu: 9000\n") + "    mtu: 9000\n"
    result = load_snippet(text)
    assert "HV501" not in codes(result), [d.format() for d in result.diagnostics]


def test_explicit_vlan_mtu_above_parent() -> None:
    text = BASE + "vlans:\n  v5:\n    id: 5\n    link: bond0\n    mtu: 9000\n"
    diag = _one(load_snippet(text), "HV501")
    assert diag.path == ("vlans", "v5", "mtu") and "EINVAL" in diag.hint


def test_lower_vlan_mtu_is_fine() -> None:
    text = BASE + "vlans:\n  v5:\n    id: 5\n    link: bond0\n    mtu: 1400\n"
    assert "HV501" not in codes(load_snippet(text))


def test_explicit_bridge_above_port() -> None:
    text = BASE.replace("  eth1: {}\n", "  eth1: {}\n  eth2: {mtu: 1500}\n")
    text += "bridges:\n  br9:\n    ports: [eth2]\n    mtu: 9000\n"
    assert _one(load_snippet(text), "HV501").path == ("bridges", "br9", "mtu")


def test_slave_mtu_differs_from_bond() -> None:
    diag = _one(load_snippet(BASE.replace("  eth0: {}", "  eth0: {mtu: 9000}")), "HV502")
    assert diag.severity is Severity.WARNING and diag.path == ("nics", "eth0", "mtu")
    assert "bond0" in diag.hint


def test_slave_mtu_equal_to_bond_is_fine() -> None:
    text = BASE.replace("  eth0: {}", "  eth0: {mtu: 9000}")
    text = text.replace("    miimon: 100\n", "    miimon: 100\n    mtu: 9000\n")
    assert "HV502" not in codes(load_snippet(text))


def test_bridge_doing_nothing() -> None:
    diag = _one(load_snippet(BASE + "bridges:\n  br-idle: {}\n"), "HV503")
    assert diag.severity is Severity.WARNING and diag.path[:2] == ("bridges", "br-idle")


def test_internal_guest_bridge_is_fine() -> None:
    text = BASE + "bridges:\n  br-int: {}\nguests:\n  vm1:\n    nics:\n      - {network: br-int}\n"
    result = load_snippet(text)
    assert "HV503" not in codes(result) and "HV601" not in codes(result)
    text = BASE + "bridges:\n  br-host:\n    addresses: [198.51.100.1/24]\n"
    assert "HV503" not in codes(load_snippet(text))


def test_stp_with_zero_forward_delay_from_defaults() -> None:
    text = "defaults:\n  bridge: {stp: true, forward_delay: 0}\n" + BASE
    diag = _one(load_snippet(text), "HV504")
    assert diag.path == ("defaults", "bridge", "forward_delay") and "2 s" in diag.message
    assert diag.position is not None and diag.position.line == 2


def test_stp_forward_delay_on_the_network() -> None:
    text = BASE + "    stp: true\n    forward_delay: 45\n"
    assert _one(load_snippet(text), "HV504").path == ("networks", "lan", "forward_delay")


def test_forward_delay_zero_without_stp_is_fine() -> None:
    text = "defaults:\n  bridge: {stp: false, forward_delay: 0}\n" + BASE
    assert "HV504" not in codes(load_snippet(text))
    assert "HV504" not in codes(load_snippet(BASE + "    stp: true\n    forward_delay: 4\n"))
