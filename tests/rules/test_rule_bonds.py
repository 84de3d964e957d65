"""Bonds: monitoring, delays, ARP monitor, mode-restricted options, separate switches, slaves."""

from __future__ import annotations

from hvnet.diagnostics import Severity

from hvtest import BASE, codes, load_snippet


def bond(options: str, slaves: str = "[eth0, eth1]", mode: str = "active-backup") -> str:
    """BASE with bond0's options replaced by *options* (YAML lines, 4-space indented)."""
    text = BASE.replace(
        "    mode: active-backup\n    miimon: 100\n", f"    mode: {mode}\n{options}"
    )
    return text.replace("[eth0, eth1]", slaves)


def _all(result, code):  # type: ignore[no-untyped-def]
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [d.format() for d in result.diagnostics]
    return found


def test_no_link_monitoring() -> None:
    diag = _all(load_snippet(bond("")), "HV401")[0]
    assert diag.severity is Severity.WARNING and "miimon: 100" in diag.hint
    assert diag.path == ("bonds", "bond0", "miimon")


def test_monitoring_present_or_forced() -> None:
    assert "HV401" not in codes(load_snippet(BASE))
    assert "HV401" not in codes(load_snippet(bond("", mode="802.3ad")))  # kernel forces 100
    arp = "    arp_interval: 200\n    arp_ip_target: [192.0.2.254]\n"
    assert "HV401" not in codes(load_snippet(bond(arp)))


def test_delay_without_miimon_is_an_error() -> None:
    diag = _all(load_snippet(bond("    updelay: 200\n")), "HV402")[0]
    assert diag.severity is Severity.ERROR and "EPERM" in diag.hint
    assert diag.position is not None and diag.position.line == 8


def test_delay_rounded_down() -> None:
    diag = _all(load_snippet(bond("    miimon: 100\n    downdelay: 250\n")), "HV402")[0]
    assert diag.severity is Severity.WARNING and "200 ms" in diag.message
    assert diag.path == ("bonds", "bond0", "downdelay")


def test_delay_below_miimon_becomes_zero() -> None:
    diag = _all(load_snippet(bond("    miimon: 100\n    peer_notif_delay: 50\n")), "HV402")[0]
    assert "no delay at all" in diag.message


def test_delay_relying_on_forced_miimon() -> None:
    result = load_snippet(bond("    updelay: 200\n", mode="802.3ad"))
    diags = _all(result, "HV402")
    assert len(diags) == 1 and diags[0].severity is Severity.WARNING
    assert "ifenslave" in diags[0].hint


def test_delay_multiple_of_miimon_is_fine() -> None:
    assert "HV402" not in codes(load_snippet(bond("    miimon: 100\n    updelay: 300\n")))


def test_arp_without_targets() -> None:
    diag = _all(load_snippet(bond("    arp_interval: 200\n")), "HV403")[0]
    assert diag.severity is Severity.ERROR and diag.path == ("bonds", "bond0", "arp_interval")


def test_arp_without_source_address() -> None:
    text = bond("    arp_interval: 200\n    arp_ip_target: [192.0.2.254]\n")
    text = text.replace("    addresses: [192.0.2.1/24]\n", "")
    diag = _all(load_snippet(text), "HV403")[0]
    assert diag.severity is Severity.WARNING and "0.0.0.0" in diag.hint
    validating = text.replace("    arp_interval", "    arp_validate: all\n    arp_interval")
    assert _all(load_snippet(validating), "HV403")[0].severity is Severity.ERROR


def test_arp_with_address_on_bridge_above_is_fine() -> None:
    text = bond("    arp_interval: 200\n    arp_ip_target: [192.0.2.254]\n")
    assert "HV403" not in codes(load_snippet(text))  # network lan's bridge has 192.0.2.1


def test_option_refused_in_mode() -> None:
    result = load_snippet(bond("    miimon: 100\n    lacp_rate: fast\n"))
    diag = _all(result, "HV404")[0]
    assert diag.severity is Severity.ERROR and "EACCES" in diag.message
    assert "802.3ad" in diag.hint and diag.path == ("bonds", "bond0", "lacp_rate")


def test_option_without_effect_in_mode() -> None:
    diag = _all(load_snippet(bond("    miimon: 100\n    xmit_hash_policy: layer3+4\n")), "HV404")[0]
    assert diag.severity is Severity.WARNING and "no effect" in diag.message


def test_primary_not_a_slave() -> None:
    text = BASE.replace("  eth1: {}\n", "  eth1: {}\n  eth2: {}\n")
    text = text.replace("    miimon: 100\n", "    miimon: 100\n    primary: eth2\n")
    diag = _all(load_snippet(text), "HV404")[0]
    assert "not one of its slaves" in diag.message and diag.path[-1] == "primary"


def test_options_matching_the_mode_are_fine() -> None:
    lacp = (
        "    miimon: 100\n    lacp_rate: fast\n    xmit_hash_policy: layer3+4\n    min_links: 1\n"
    )
    assert "HV404" not in codes(load_snippet(bond(lacp, mode="802.3ad")))
    assert "HV404" not in codes(load_snippet(bond("    miimon: 100\n    primary: eth0\n")))


def test_separate_switches_with_lacp() -> None:
    result = load_snippet(bond("    miimon: 100\n    separate_switches: true\n", mode="802.3ad"))
    diag = _all(result, "HV405")[0]
    assert diag.path == ("bonds", "bond0", "mode") and "active-backup" in diag.hint
    assert diag.position is not None and diag.position.line == 7


def test_separate_switches_with_active_backup_is_fine() -> None:
    assert "HV405" not in codes(
        load_snippet(bond("    miimon: 100\n    separate_switches: true\n"))
    )


def test_miimon_and_arp_both() -> None:
    text = bond("    miimon: 100\n    arp_interval: 200\n    arp_ip_target: [192.0.2.254]\n")
    diag = _all(load_snippet(text), "HV406")[0]
    assert diag.path == ("bonds", "bond0", "arp_interval") and "ifenslave" in diag.hint


def test_arp_only_is_fine() -> None:
    text = bond("    arp_interval: 200\n    arp_ip_target: [192.0.2.254]\n")
    assert "HV406" not in codes(load_snippet(text))


def test_bond_without_slaves() -> None:
    text = bond("    miimon: 100\n", slaves="[]").replace("  eth0: {}\n  eth1: {}\n", "")
    text = text.replace("nics:\n", "")
    assert _all(load_snippet(text), "HV407")[0].path == ("bonds", "bond0", "slaves")


def test_bond_with_one_slave() -> None:
    text = bond("    miimon: 100\n", slaves="[eth0]").replace("  eth1: {}\n", "")
    result = load_snippet(text)
    assert _all(result, "HV408")[0].severity is Severity.WARNING
    assert "HV407" not in codes(result)


def test_two_slaves_are_fine() -> None:
    assert not {"HV407", "HV408"} & set(codes(load_snippet(BASE)))


def test_multicast_actor_system_and_duplicate_targets() -> None:
    text = bond("    miimon: 100\n    ad_actor_system: '01:00:5e:00:00:01'\n", mode="802.3ad")
    assert _all(load_snippet(text), "HV409")[0].path[-1] == "ad_actor_system"
    text = bond("    arp_interval: 200\n    arp_ip_target: [192.0.2.254, 192.0.2.254]\n")
    assert _all(load_snippet(text), "HV409")[0].path[-1] == "arp_ip_target"


def test_unicast_actor_system_is_fine() -> None:
    text = bond("    miimon: 100\n    ad_actor_system: '02:00:00:00:00:01'\n", mode="802.3ad")
    assert "HV409" not in codes(load_snippet(text))


def test_min_links_above_slaves() -> None:
    text = bond("    miimon: 100\n    min_links: 3\n", mode="802.3ad")
    assert _all(load_snippet(text), "HV410")[0].path[-1] == "min_links"
    text = bond("    miimon: 100\n    min_links: 2\n", mode="802.3ad")
    assert "HV410" not in codes(load_snippet(text))


def test_arp_targets_without_interval() -> None:
    text = bond("    miimon: 100\n    arp_ip_target: [192.0.2.254]\n")
    diag = _all(load_snippet(text), "HV403")[0]
    assert diag.severity is Severity.WARNING and diag.path[-1] == "arp_ip_target"
