"""Guests: unknown networks, duplicate and unsuitable MACs, duplicate guest names."""

from __future__ import annotations

from hvnet.diagnostics import Severity

from hvtest import BASE, codes, load_snippet


def guests(body: str) -> str:
    return BASE + "guests:\n" + body


def _one(result, code):  # type: ignore[no-untyped-def]
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [d.format() for d in result.diagnostics]
    return found[0]


def test_unknown_network_suggests() -> None:
    result = load_snippet(guests("  vm1:\n    nics:\n      - {network: lam}\n"))
    diag = _one(result, "HV601")
    assert diag.path == ("guests", "vm1", "nics", 0, "network")
    assert "did you mean 'lan'" in diag.hint
    assert diag.position is not None and diag.position.line == 17


def test_known_network_and_bridge_are_fine() -> None:
    text = guests("  vm1:\n    nics:\n      - {network: lan}\n      - {network: br10}\n")
    assert "HV601" not in codes(load_snippet(text))


def test_duplicate_guest_mac_case_insensitive() -> None:
    body = (
        "  vm1:\n    nics:\n      - {network: lan, mac: '52:54:00:aa:bb:cc'}\n"
        "  vm2:\n    nics:\n      - {network: lan, mac: '52:54:00:AA:BB:CC'}\n"
    )
    diag = _one(load_snippet(guests(body)), "HV602")
    assert diag.path == ("guests", "vm2", "nics", 0, "mac") and "vm1" in diag.message


def test_guest_mac_equal_to_host_mac() -> None:
    text = guests("  vm1:\n    nics:\n      - {network: lan, mac: '52:54:00:00:00:01'}\n")
    text = text.replace("  eth0: {}", "  eth0: {match: {mac: '52:54:00:00:00:01'}}")
    diag = _one(load_snippet(text), "HV602")
    assert "host nic eth0" in diag.message


def test_distinct_macs_are_fine() -> None:
    body = (
        "  vm1:\n    nics:\n      - {network: lan, mac: '52:54:00:00:00:01'}\n"
        "  vm2:\n    nics:\n      - {network: lan, mac: '52:54:00:00:00:02'}\n"
    )
    assert "HV602" not in codes(load_snippet(guests(body)))


def test_multicast_mac_is_an_error() -> None:
    text = guests("  vm1:\n    nics:\n      - {network: lan, mac: '01:00:5e:00:00:01'}\n")
    diag = _one(load_snippet(text), "HV603")
    assert diag.severity is Severity.ERROR and "multicast" in diag.message


def test_vendor_mac_is_a_warning() -> None:
    text = guests("  vm1:\n    nics:\n      - {network: lan, mac: '00:1b:21:00:00:01'}\n")
    diag = _one(load_snippet(text), "HV603")
    assert diag.severity is Severity.WARNING and "52:54:00" in diag.hint


def test_conventional_virtual_macs_are_fine() -> None:
    for mac in ("52:54:00:00:00:01", "00:16:3e:00:00:01", "02:00:00:00:00:01"):
        text = guests(f"  vm1:\n    nics:\n      - {{network: lan, mac: '{mac}'}}\n")
        assert "HV603" not in codes(load_snippet(text)), mac


def test_duplicate_guest_name_fails_validation() -> None:
    body = "  vm1:\n    nics: []\n  vm1:\n    type: xen\n"
    result = load_snippet(guests(body))
    assert {"HV006", "HV604"} & set(codes(result)) and not result.ok
    diag = next(d for d in result.diagnostics if d.code in ("HV006", "HV604"))
    assert diag.position is not None and diag.position.line == 17


def test_distinct_guest_names_are_fine() -> None:
    result = load_snippet(guests("  vm1:\n    nics: []\n  vm2:\n    nics: []\n"))
    assert result.ok and not {"HV006", "HV604"} & set(codes(result))
