"""Every health rule, triggered and not, over the real-kernel fixtures and edited documents.

The fixtures (tests/fixtures/proc, captured in the lab VM) give the healthy baseline of each
bonding mode and two real failures (a pulled cable, an LACP bond without partner); rules
the fixtures cannot show are triggered by editing one fact of a real document, so every
rule is exercised against realistic surroundings.
"""

from __future__ import annotations

import pytest
from statuskit import BOND_CASES, codes, doc_for

from hvnet.kernel.record import replace
from hvnet.status.doc import BondStatus, Level, SlaveStatus, StatusDoc
from hvnet.status.health import PreviousRun, evaluate, failure_counts, judge_bond

HEALTHY = [c for c in BOND_CASES if c not in ("802.3ad-nopartner", "active-backup-failover")]


def _bond(doc: StatusDoc, name: str = "bond0") -> BondStatus:
    return next(b for b in doc.bonds if b.name == name)


def _with_slave(b: BondStatus, name: str, **changes: object) -> BondStatus:
    slaves = tuple(replace(s, **changes) if s.name == name else s for s in b.slaves)  # type: ignore[arg-type]
    return replace(b, slaves=slaves)


def _codes_of(b: BondStatus, previous: PreviousRun | None = None) -> set[str]:
    return {f.code for f in judge_bond(b, previous).findings}


@pytest.mark.parametrize("case", HEALTHY)
def test_every_healthy_mode_is_ok(case: str) -> None:
    doc = doc_for(case)
    assert doc.overall is Level.OK, doc.findings()
    assert [b.health.level for b in doc.bonds] == [Level.OK]
    assert all(v.health.level is Level.OK for v in doc.vlans)


def test_failover_fixture_degraded_no_redundancy_slave_down() -> None:
    doc = doc_for("active-backup-failover")
    bond = _bond(doc)
    assert {"bond-degraded", "no-redundancy", "slave-down"} <= codes(doc)
    assert bond.health.level is Level.CRITICAL
    down = next(f for f in bond.health.findings if f.code == "slave-down")
    assert down.subject == "eth0" and down.level is Level.WARNING
    links = {link.name: link for link in doc.links}
    assert links["eth0"].health.level is Level.WARNING
    assert links["eth2"].health.level is Level.OK
    assert links["bond0"].health.level is Level.CRITICAL


def test_three_slaves_one_down_is_degraded_but_redundant() -> None:
    b = _bond(doc_for("active-backup"))
    extra = replace(b.slaves[1], name="v2a")
    b = replace(b, slaves=(*b.slaves, extra))
    b = _with_slave(b, "v1a", mii_status="down")
    health = judge_bond(b)
    assert {f.code for f in health.findings} == {"bond-degraded", "slave-down"}
    assert health.level is Level.WARNING


def test_all_slaves_down_is_bond_down() -> None:
    b = _bond(doc_for("balance-rr"))
    b = _with_slave(_with_slave(b, "v0a", mii_status="down"), "v1a", mii_status="down")
    assert "bond-down" in _codes_of(b)
    assert judge_bond(b).level is Level.CRITICAL


def test_configured_slave_missing_from_bond() -> None:
    config = """
    nics: {v0a: {}, v1a: {}, v2a: {}}
    bonds:
      bond0: {slaves: [v0a, v1a, v2a], mode: balance-rr, miimon: 100}
    """
    doc = doc_for("balance-rr", config)
    bond = _bond(doc)
    assert [s.name for s in bond.slaves if not s.enslaved] == ["v2a"]
    assert {"slave-missing", "bond-degraded"} <= codes(doc)
    assert "no-redundancy" not in codes(doc)
    assert bond.health.level is Level.WARNING


def test_single_slave_by_design() -> None:
    b = _bond(doc_for("balance-rr"))
    b = replace(b, slaves=b.slaves[:1])
    assert _codes_of(b) == {"single-slave"}


def test_flapping_needs_a_rising_count() -> None:
    doc = doc_for("active-backup-arp")  # both slaves show link failure count 1
    assert failure_counts(doc) == {"bond0": {"v0a": 1, "v1a": 1}}
    same = PreviousRun("2026-01-01T00:00:00+00:00", {"bond0": {"v0a": 1, "v1a": 1}})
    assert "flapping" not in codes(evaluate(doc, same))
    lower = PreviousRun("2026-01-01T00:00:00+00:00", {"bond0": {"v0a": 0, "v1a": 1}})
    judged = evaluate(doc, lower)
    flap = [f for f in judged.findings() if f.code == "flapping"]
    assert [f.subject for f in flap] == ["v0a"]
    assert "0 → 1" in flap[0].message and "2026-01-01" in flap[0].message
    assert judged.overall is Level.WARNING
    assert judged.host.previous_run == "2026-01-01T00:00:00+00:00"
    # a bond re-created (count reset) is not flapping; an unknown bond neither
    reset = PreviousRun(None, {"bond0": {"v0a": 5}, "bond9": {"x": 1}})
    assert "flapping" not in codes(evaluate(doc, reset))
    assert "flapping" not in codes(evaluate(doc, None))


def test_lacp_partner_missing_and_split_aggregators() -> None:
    doc = doc_for("802.3ad-nopartner")
    assert codes(doc) == {"lacp-no-partner", "lacp-split"}
    assert doc.overall is Level.WARNING
    healthy = _bond(doc_for("802.3ad"))
    assert _codes_of(healthy) == set()
    split = _with_slave(healthy, "v1a", aggregator_id=7)
    assert _codes_of(split) == {"lacp-split"}
    one_partner_gone = _with_slave(healthy, "v1a", partner_mac="00:00:00:00:00:00")
    found = judge_bond(one_partner_gone).findings
    assert [(f.code, f.subject) for f in found] == [("lacp-no-partner", "v1a")]


def test_active_slave_not_primary() -> None:
    b = _bond(doc_for("active-backup"))
    assert b.primary == "v0a" and b.active_slave == "v0a"
    swapped = replace(b, active_slave="v1a")
    assert _codes_of(swapped) == {"not-primary"}
    assert judge_bond(swapped).level is Level.WARNING
    # the config's primary wins over the kernel's
    configured = replace(b, configured_primary="v1a")
    assert _codes_of(configured) == {"not-primary"}
    # no primary in a mode without primaries: nothing to say
    assert _codes_of(replace(_bond(doc_for("balance-tlb")), primary=None)) == set()


def test_no_link_monitoring() -> None:
    b = _bond(doc_for("balance-rr"))
    blind = replace(b, monitoring=replace(b.monitoring, method="none", miimon_ms=0))
    assert _codes_of(blind) == {"no-monitoring"}
    lacp = _bond(doc_for("802.3ad"))  # the kernel monitors 802.3ad by itself
    assert _codes_of(replace(lacp, monitoring=replace(lacp.monitoring, method="none"))) == set()


def test_unknown_slave_state_is_unknown_not_ok() -> None:
    b = _bond(doc_for("balance-rr"))
    blank = _with_slave(_with_slave(b, "v0a", mii_status=None), "v1a", mii_status=None)
    health = judge_bond(blank)
    assert health.level is Level.UNKNOWN
    assert {"bond-unknown", "slave-unknown"} <= {f.code for f in health.findings}


def test_mtu_mismatch_slave_vlan_bridge() -> None:
    b = _bond(doc_for("balance-rr"))
    assert _codes_of(_with_slave(replace(b, mtu=9000), "v0a", mtu=9000)) == {"mtu-mismatch"}
    doc = doc_for("balance-rr")
    vlan = doc.vlans[0]
    links = tuple(replace(link, mtu=1500) for link in doc.links)
    bigger = replace(doc, vlans=(replace(vlan, mtu=9000),), links=links)
    assert "mtu-mismatch" in codes(evaluate(bigger))
    br_doc = doc_for("bridge")
    br = br_doc.bridges[0]
    ports = (br.ports[0], replace(br.ports[1], mtu=9000))
    assert "mtu-mismatch" in codes(evaluate(replace(br_doc, bridges=(replace(br, ports=ports),))))
    assert "mtu-mismatch" not in codes(br_doc)


def test_vlan_parent_down_missing_unknown() -> None:
    doc = doc_for("balance-rr")
    vlan = doc.vlans[0]
    assert vlan.parent == "bond0" and vlan.parent_operstate == "up"
    down = replace(doc, vlans=(replace(vlan, parent_operstate="down"),))
    assert codes(evaluate(down)) == {"vlan-parent-down"}
    assert evaluate(down).overall is Level.CRITICAL
    lower = replace(doc, vlans=(replace(vlan, parent_operstate="lowerlayerdown"),))
    assert codes(evaluate(lower)) == {"vlan-parent-down"}
    gone = replace(doc, vlans=(replace(vlan, parent="bond9"),))
    assert codes(evaluate(gone)) == {"vlan-parent-missing"}
    unknown = replace(doc, vlans=(replace(vlan, parent_operstate=None),))
    assert evaluate(unknown).overall is Level.UNKNOWN


def test_bridge_uplinks() -> None:
    doc = doc_for("bridge")
    br = doc.bridges[0]
    assert [p.role for p in br.ports] == ["uplink", "uplink"] and codes(doc) == set()
    guests_only = replace(br, ports=tuple(replace(p, role="guest") for p in br.ports))
    assert codes(evaluate(replace(doc, bridges=(guests_only,)))) == {"bridge-no-uplink"}
    host_only = replace(guests_only, configured_ports=())
    assert codes(evaluate(replace(doc, bridges=(host_only,)))) == set()
    blocked = replace(br, ports=tuple(replace(p, stp_state="disabled") for p in br.ports))
    judged = evaluate(replace(doc, bridges=(blocked,)))
    assert codes(judged) == {"bridge-uplink-down"} and judged.overall is Level.CRITICAL
    one_left = replace(br, ports=(replace(br.ports[0], stp_state="blocking"), br.ports[1]))
    assert codes(evaluate(replace(doc, bridges=(one_left,)))) == set()
    unknown = replace(br, ports=(), ports_known=False)
    assert evaluate(replace(doc, bridges=(unknown,))).overall is Level.UNKNOWN


def test_overall_is_worst_and_empty_host_unknown() -> None:
    doc = doc_for("active-backup-failover")
    assert doc.overall is Level.CRITICAL
    empty = evaluate(replace(doc, bonds=(), vlans=(), bridges=(), links=()))
    assert empty.overall is Level.UNKNOWN
    links_only = evaluate(replace(doc, bonds=(), vlans=(), bridges=()))
    assert links_only.overall is Level.OK


def test_level_order_and_plugin_codes() -> None:
    assert [lv.plugin_code for lv in Level] == [0, 3, 1, 2]
    order = sorted(Level, key=lambda lv: lv.rank)
    assert order == [Level.OK, Level.UNKNOWN, Level.WARNING, Level.CRITICAL]


def test_slave_status_from_proc_and_sysfs() -> None:
    bond = _bond(doc_for("802.3ad"))
    v0a: SlaveStatus = bond.slaves[0]
    assert (v0a.name, v0a.mii_status, v0a.speed_mbps, v0a.duplex) == ("v0a", "up", 10000, "full")
    assert (v0a.aggregator_id, v0a.partner_mac, v0a.partner_key) == (2, "02:00:00:00:5b:00", 15)
    assert v0a.perm_hwaddr == "02:00:00:00:0a:00" and v0a.link_failure_count == 0
    assert bond.lacp is not None and bond.lacp.partner_mac == "02:00:00:00:5b:00"
    ab = _bond(doc_for("active-backup"))
    m = ab.monitoring
    assert (m.method, m.miimon_ms, m.updelay_ms, m.downdelay_ms) == ("mii", 100, 200, 200)
    arp = _bond(doc_for("active-backup-arp")).monitoring
    assert (arp.method, arp.arp_interval_ms, arp.arp_ip_targets) == ("arp", 100, ("192.0.2.1",))
