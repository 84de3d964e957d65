"""Addressing: methods, long-form consistency, gateways, duplicates, overlaps, parse errors."""

from __future__ import annotations

from hvtest import BASE, codes, load_snippet

#: BASE plus a second network whose settings the tests fill in after "    on: bond0\n".
TWO = BASE + "  dmz:\n    vlan: 20\n    on: bond0\n"


def _one(result, code):  # type: ignore[no-untyped-def]
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [d.format() for d in result.diagnostics]
    return found[0]


def test_static_without_address() -> None:
    result = load_snippet(TWO + "    method: static\n")
    diag = _one(result, "HV301")
    assert diag.path == ("networks", "dmz", "method") and "IPv4" in diag.message
    assert diag.position is not None and diag.position.line == 17


def test_static6_without_ipv6_address() -> None:
    result = load_snippet(BASE + "    method6: static\n")
    assert _one(result, "HV301").path == ("networks", "lan", "method6")


def test_static_with_address_is_fine() -> None:
    result = load_snippet(BASE + "    method: static\n    method6: auto\n")
    assert "HV301" not in codes(result)


def test_netmask_contradicts_prefix() -> None:
    text = BASE.replace(
        "addresses: [192.0.2.1/24]",
        "addresses:\n      - {address: 192.0.2.1/24, netmask: 255.255.0.0}",
    )
    diag = _one(load_snippet(text), "HV302")
    assert diag.path == ("networks", "lan", "addresses", 0, "netmask")
    assert "/16" in diag.message and "192.0.2.1/24" in diag.hint


def test_non_contiguous_and_wildcard_masks() -> None:
    for mask, words in (("255.0.255.0", "contiguous"), ("0.0.0.255", "wildcard")):
        text = BASE.replace(
            "addresses: [192.0.2.1/24]",
            f"addresses:\n      - {{address: 192.0.2.1, netmask: {mask}}}",
        )
        diag = _one(load_snippet(text), "HV302")
        assert words in diag.message and diag.path[-1] == "netmask"


def test_network_and_broadcast_disagree() -> None:
    text = BASE.replace(
        "addresses: [192.0.2.1/24]",
        "addresses:\n      - address: 192.0.2.1\n        netmask: 255.255.255.0\n"
        "        network: 192.0.3.0\n        broadcast: 192.0.2.127",
    )
    result = load_snippet(text)
    fields = {d.path[-1] for d in result.diagnostics if d.code == "HV302"}
    assert fields == {"network", "broadcast"}


def test_network_address_as_host_address() -> None:
    diag = _one(load_snippet(BASE.replace("192.0.2.1/24", "192.0.2.0/24")), "HV302")
    assert "network address" in diag.message


def test_consistent_long_form_and_point_to_point_are_fine() -> None:
    text = BASE.replace(
        "addresses: [192.0.2.1/24]",
        "addresses:\n      - address: 192.0.2.1\n        netmask: 255.255.255.0\n"
        "        network: 192.0.2.0\n        broadcast: 192.0.2.255\n      - 198.51.100.0/31",
    )
    result = load_snippet(text)
    assert not {"HV302", "HV307"} & set(codes(result)), [d.format() for d in result.diagnostics]


def test_two_default_gateways() -> None:
    text = TWO + "    addresses: [198.51.100.1/24]\n    gateway: 198.51.100.254\n"
    text = text.replace("  lan:\n", "  lan:\n    gateway: 192.0.2.254\n")
    diag = _one(load_snippet(text), "HV303")
    assert diag.path == ("networks", "dmz", "gateway") and "192.0.2.254" in diag.message


def test_one_gateway_per_family_is_fine() -> None:
    text = BASE.replace("[192.0.2.1/24]", "[192.0.2.1/24, '2001:db8::1/64']")
    text += "    gateway: 192.0.2.254\n    gateway6: 2001:db8::fe\n"
    result = load_snippet(text)
    assert not {"HV303", "HV306", "HV308"} & set(codes(result)), [
        d.format() for d in result.diagnostics
    ]


def test_duplicate_address() -> None:
    result = load_snippet(TWO + "    addresses: [192.0.2.1/25]\n")
    diag = _one(result, "HV304")
    assert diag.path == ("networks", "dmz", "addresses", 0) and "br-lan" not in diag.message
    assert diag.position is not None and diag.position.line == 17


def test_overlapping_subnets() -> None:
    result = load_snippet(TWO + "    addresses: [192.0.2.130/25]\n")
    diag = _one(result, "HV305")
    assert "192.0.2.0/24" in diag.message and "HV304" not in codes(result)


def test_secondary_address_and_disjoint_subnets_are_fine() -> None:
    text = BASE.replace("[192.0.2.1/24]", "[192.0.2.1/24, 192.0.2.2/25]")
    text += "  dmz:\n    vlan: 20\n    on: bond0\n    addresses: [192.0.3.1/24, 'fe80::1/64']\n"
    text += "  dmz2:\n    vlan: 21\n    on: bond0\n    addresses: ['fe80::1/64']\n"
    result = load_snippet(text)
    assert not {"HV304", "HV305"} & set(codes(result)), [d.format() for d in result.diagnostics]


def test_overlap_is_found_among_many_networks() -> None:
    lines = [
        f"  n{v}:\n    vlan: {v}\n    on: bond0\n    addresses: [10.{v}.0.1/16]\n"
        for v in range(20, 80)
    ]
    text = (
        BASE
        + "".join(lines)
        + "  wide:\n    vlan: 99\n    on: bond0\n    addresses: [10.64.0.9/10]\n"
    )
    result = load_snippet(text)
    assert {d.path[1] for d in result.diagnostics if d.code == "HV305"} == {
        f"n{v}" for v in range(64, 80)
    }


def test_gateway_outside_subnet() -> None:
    diag = _one(load_snippet(BASE + "    gateway: 192.0.3.1\n"), "HV306")
    assert diag.severity.value == "warning" and diag.path == ("networks", "lan", "gateway")
    assert "192.0.2.0/24" in diag.message


def test_gateway_is_own_address() -> None:
    diag = _one(load_snippet(BASE + "    gateway: 192.0.2.1\n"), "HV306")
    assert "own address" in diag.message


def test_route_via_outside_subnet() -> None:
    text = BASE + "    routes:\n      - {to: 10.0.0.0/8, via: 10.1.1.1}\n"
    assert _one(load_snippet(text), "HV306").path == ("networks", "lan", "routes", 0, "via")


def test_unparseable_address() -> None:
    result = load_snippet(BASE.replace("192.0.2.1/24", "10.0.0.300/24"))
    diag = _one(result, "HV307")
    assert diag.path == ("networks", "lan", "addresses", 0) and "10.0.0.300" in diag.message
    assert diag.position is not None and diag.position.line == 13


def test_unparseable_netmask() -> None:
    text = BASE.replace(
        "addresses: [192.0.2.1/24]",
        "addresses:\n      - {address: 192.0.2.1, netmask: 255.255.255.x}",
    )
    assert _one(load_snippet(text), "HV307").path[-1] == "netmask"


def test_gateway_without_address() -> None:
    diag = _one(load_snippet(TWO + "    gateway: 198.51.100.1\n"), "HV308")
    assert diag.path == ("networks", "dmz", "gateway")


def test_gateway_with_dhcp_is_fine() -> None:
    result = load_snippet(TWO + "    method: dhcp\n    gateway: 198.51.100.1\n")
    assert "HV308" not in codes(result)


def test_address_without_prefix() -> None:
    diag = _one(load_snippet(BASE.replace("192.0.2.1/24", "192.0.2.1")), "HV309")
    assert diag.severity.value == "warning" and "/32" in diag.hint


def test_duplicate_is_not_also_reported_as_overlap() -> None:
    result = load_snippet(TWO + "    addresses: [192.0.2.1/24]\n")
    assert "HV304" in codes(result) and "HV305" not in codes(result)


def test_link_local_ipv6_gateway_is_fine() -> None:
    text = (
        BASE.replace("[192.0.2.1/24]", "[192.0.2.1/24, '2001:db8::1/64']")
        + "    gateway6: fe80::1\n"
    )
    assert not {"HV306", "HV308"} & set(codes(load_snippet(text)))
