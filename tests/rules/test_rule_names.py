"""Names: kernel-refused explicit names (HV101), generated names (HV103), templates (HV104)."""

from __future__ import annotations

from hvnet.rules.names import name_problem

from hvtest import BASE, codes, load_snippet


def _one(result, code):  # type: ignore[no-untyped-def]
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [d.format() for d in result.diagnostics]
    return found[0]


def test_name_problem_matches_dev_valid_name() -> None:
    assert name_problem("bond0") is None
    assert name_problem("a" * 15) is None
    assert "16 bytes" in (name_problem("a" * 16) or "")
    assert "bytes" in (name_problem("é" * 8) or "")  # 16 bytes in UTF-8
    for bad in ("", ".", "..", "eth/0", "eth0:1", "eth 0", "eth%d"):
        assert name_problem(bad) is not None, bad


def test_long_nic_name_points_at_key() -> None:
    result = load_snippet(BASE.replace("eth1", "averyveryverylongname"))
    diag = _one(result, "HV101")
    assert diag.position is not None and diag.position.line == 3
    assert "15" in diag.message and "rename" in diag.hint
    assert codes(result).count("HV101") == 1  # reported once, at the definition


def test_colon_in_bond_name() -> None:
    result = load_snippet(BASE.replace("bond0", "bond:0"))
    assert "HV101" in codes(result)


def test_undefined_bad_reference_is_reported_where_used() -> None:
    result = load_snippet(BASE.replace("slaves: [eth0, eth1]", "slaves: [eth0, eth1, 'a b']"))
    diag = _one(result, "HV101")
    assert diag.path == ("bonds", "bond0", "slaves", 2)
    assert "HV213" in codes(result)


def test_bad_explicit_bridge_name_on_network() -> None:
    result = load_snippet(BASE + "    bridge_name: br/lan\n")
    assert _one(result, "HV101").path == ("networks", "lan", "bridge_name")


def test_good_names_are_quiet() -> None:
    result = load_snippet(BASE.replace("eth1", "enp129s0f1np1"))  # 13 bytes
    assert "HV101" not in codes(result)


def test_generated_name_too_long() -> None:
    text = BASE + "  averylongnetworkname:\n    on: bond0\n"
    result = load_snippet(text)
    diag = _one(result, "HV103")
    assert "br-averylongnetworkname" in diag.message and "untagged_bridge" in diag.message
    assert "bridge_name" in diag.hint
    assert diag.position is not None and diag.position.line == 14


def test_generated_name_override_avoids_it() -> None:
    text = BASE + "  averylongnetworkname:\n    on: bond0\n    bridge_name: br-long\n"
    result = load_snippet(text)
    assert "HV103" not in codes(result)


def test_vlan_template_with_long_parent() -> None:
    text = BASE.replace("bond0", "bond-uplink-a1")  # 14 bytes; bond-uplink-a1.10 is 17
    result = load_snippet(text)
    diag = _one(result, "HV103")
    assert "bond-uplink-a1.10" in diag.message and "naming.vlan" in diag.message


def test_bad_template_field() -> None:
    result = load_snippet("naming:\n  bridge: 'br{vlan}'\n" + BASE)
    diag = _one(result, "HV104")
    assert diag.path == ("naming", "bridge") and diag.position is not None
    assert diag.position.line == 2 and "{vid}" in diag.hint


def test_attribute_access_in_template_is_refused() -> None:
    result = load_snippet("naming:\n  vlan: '{parent.__class__}'\n" + BASE)
    assert "HV104" in codes(result)


def test_good_templates() -> None:
    result = load_snippet("naming:\n  vlan: 'vlan{vid:04d}'\n  bridge: 'br-{network}'\n" + BASE)
    assert result.ok and "HV104" not in codes(result), [d.format() for d in result.diagnostics]
