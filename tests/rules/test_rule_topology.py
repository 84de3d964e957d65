"""Topology: VLAN ids, masters, enslaved addresses, references, cycles, slave kinds."""

from __future__ import annotations

from hvtest import BASE, codes, load_snippet

NICS3 = BASE.replace("  eth1: {}\n", "  eth1: {}\n  eth2: {}\n")


def _one(result, code):  # type: ignore[no-untyped-def]
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [d.format() for d in result.diagnostics]
    return found[0]


def test_vlan_id_out_of_range() -> None:
    result = load_snippet(BASE.replace("vlan: 10", "vlan: 4095"))
    diag = _one(result, "HV201")
    assert diag.path == ("networks", "lan", "vlan") and "ERANGE" in diag.message
    assert diag.position is not None and diag.position.line == 11


def test_vlan_zero_and_explicit_vlan() -> None:
    result = load_snippet(BASE + "vlans:\n  v0:\n    id: 0\n    link: bond0\n")
    diag = _one(result, "HV201")
    assert diag.path == ("vlans", "v0", "id") and "priority tagging" in diag.message


def test_vlan_id_bounds_are_fine() -> None:
    text = BASE.replace("vlan: 10", "vlan: 4094") + "  one:\n    vlan: 1\n    on: bond0\n"
    assert "HV201" not in codes(load_snippet(text))


def test_same_vid_twice_on_one_parent() -> None:
    result = load_snippet(BASE + "  lan-b:\n    vlan: 10\n    on: bond0\n    vlan_name: v10b\n")
    diag = _one(result, "HV202")
    assert diag.path == ("networks", "lan-b", "vlan") and "EEXIST" in diag.hint


def test_same_vid_other_protocol_or_parent_is_fine() -> None:
    text = (
        BASE + "  lan-b:\n    vlan: 10\n    on: bond0\n    vlan_name: v10b\n    protocol: 802.1ad\n"
    )
    assert "HV202" not in codes(load_snippet(text))
    text = NICS3 + "  lan-c:\n    vlan: 10\n    on: eth2\n    bridge_name: br10c\n"
    assert "HV202" not in codes(load_snippet(text))


def test_nic_in_two_bonds() -> None:
    text = BASE.replace(
        "networks:",
        "  bond1:\n    slaves: [eth1]\n    mode: active-backup\n    miimon: 100\nnetworks:",
    )
    result = load_snippet(text)
    diag = _one(result, "HV210")
    assert diag.path == ("bonds", "bond1", "slaves", 0) and "bond0" in diag.message


def test_slave_listed_twice() -> None:
    result = load_snippet(BASE.replace("[eth0, eth1]", "[eth0, eth1, eth0]"))
    assert _one(result, "HV210").path == ("bonds", "bond0", "slaves", 2)


def test_bond_slave_and_bridge_port() -> None:
    result = load_snippet(BASE + "bridges:\n  br0:\n    ports: [eth1]\n")
    diag = _one(result, "HV211")
    assert diag.path == ("bridges", "br0", "ports", 0, "name")
    assert diag.position is not None and diag.position.line == 16
    assert "bond0" in diag.hint and "EBUSY" in diag.hint


def test_bridging_the_bond_is_fine() -> None:
    result = load_snippet(BASE.replace("    vlan: 10\n", ""))
    assert not {"HV211", "HV215"} & set(codes(result)), [d.format() for d in result.diagnostics]


def test_port_in_two_bridges() -> None:
    text = BASE.replace("    vlan: 10\n", "") + "  lan2:\n    on: bond0\n"
    result = load_snippet(text)
    diag = _one(result, "HV215")
    assert diag.path == ("networks", "lan2", "on")


def test_address_on_bond_slave() -> None:
    result = load_snippet(BASE.replace("  eth0: {}", "  eth0: {addresses: [10.9.9.9/24]}"))
    diag = _one(result, "HV212")
    assert diag.path == ("nics", "eth0", "addresses") and "bond0" in diag.hint


def test_dhcp_on_bridged_bond() -> None:
    text = BASE.replace("    vlan: 10\n", "").replace("    addresses: [192.0.2.1/24]\n", "")
    text = text.replace("    miimon: 100\n", "    miimon: 100\n    method: dhcp\n")
    diag = _one(load_snippet(text), "HV212")
    assert diag.path == ("bonds", "bond0", "method") and "network lan" in diag.hint


def test_address_on_bond_with_vlans_is_fine() -> None:
    text = BASE.replace("    miimon: 100\n", "    miimon: 100\n    addresses: [10.1.1.1/24]\n")
    assert "HV212" not in codes(load_snippet(text))


def test_undefined_references() -> None:
    text = BASE.replace("[eth0, eth1]", "[eth0, eth11]").replace("on: bond0", "on: bond9")
    text += "vlans:\n  v5:\n    id: 5\n    link: nope\n"
    result = load_snippet(text)
    paths = {d.path for d in result.diagnostics if d.code == "HV213"}
    assert paths == {
        ("bonds", "bond0", "slaves", 1),
        ("networks", "lan", "on"),
        ("vlans", "v5", "link"),
    }
    slave = next(d for d in result.diagnostics if d.path == ("bonds", "bond0", "slaves", 1))
    assert "did you mean 'eth1'" in slave.hint


def test_undefined_primary() -> None:
    result = load_snippet(BASE.replace("    miimon: 100\n", "    miimon: 100\n    primary: eth7\n"))
    assert _one(result, "HV213").path == ("bonds", "bond0", "primary")
    assert "HV404" not in codes(result)


def test_defined_references_are_fine() -> None:
    assert "HV213" not in codes(load_snippet(BASE))


def test_cycle_bond_bridge() -> None:
    text = BASE.replace("[eth0, eth1]", "[eth0, br0]") + "bridges:\n  br0:\n    ports: [bond0]\n"
    result = load_snippet(text)
    diag = _one(result, "HV214")
    assert "bond0 → br0 → bond0" in diag.message or "br0 → bond0 → br0" in diag.message
    assert codes(result).count("HV214") == 1


def test_vlan_on_itself() -> None:
    result = load_snippet(BASE + "vlans:\n  v7:\n    id: 7\n    link: v7\n")
    diag = _one(result, "HV214")
    assert diag.path == ("vlans", "v7", "link") and "itself" in diag.message


def test_no_cycle_in_normal_stack() -> None:
    text = BASE + "vlans:\n  v7:\n    id: 7\n    link: bond0\n  v7.8:\n    id: 8\n    link: v7\n"
    assert "HV214" not in codes(load_snippet(text))


def test_bond_of_bond_and_bond_of_vlan() -> None:
    text = (
        NICS3.replace(
            "networks:",
            "  bond1:\n    slaves: [bond0, eth2]\n    mode: active-backup\n    miimon: 100\n"
            "  bond2:\n    slaves: [v3]\n    mode: active-backup\n    miimon: 100\nnetworks:",
        )
        + "vlans:\n  v3:\n    id: 3\n    link: eth2\n"
    )
    result = load_snippet(text)
    found = {d.path: d.severity.value for d in result.diagnostics if d.code == "HV216"}
    assert found == {
        ("bonds", "bond1", "slaves", 0): "error",
        ("bonds", "bond2", "slaves", 0): "warning",
    }


def test_bond_of_nics_is_fine() -> None:
    assert "HV216" not in codes(load_snippet(BASE))


def test_unused_nic() -> None:
    result = load_snippet(NICS3)
    diag = _one(result, "HV217")
    assert diag.severity.value == "warning" and diag.path == ("nics", "eth2")
    assert diag.position is not None and diag.position.line == 4


def test_nic_with_vlan_or_address_is_used() -> None:
    text = NICS3.replace("  eth2: {}", "  eth2: {addresses: [10.2.2.2/24]}")
    assert "HV217" not in codes(load_snippet(text))
    text = NICS3 + "vlans:\n  eth2.5:\n    id: 5\n    link: eth2\n"
    assert "HV217" not in codes(load_snippet(text))


def test_network_name_used_as_interface() -> None:
    text = BASE + "bridges:\n  br0:\n    ports: [lan]\n"
    diag = _one(load_snippet(text), "HV213")
    assert "is a network" in diag.hint and "br10" in diag.hint
