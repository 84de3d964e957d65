"""Connectivity probes from the plan and their evaluation (no VM)."""

from __future__ import annotations

import subprocess
from collections import Counter

from hvnet.lab.connectivity import (
    HOST,
    evaluate,
    host_ipv6,
    ping6_responders,
    plan_probes,
    probe_script,
)
from hvnet.lab.topology import plan_lab
from hvnet.loader import load_file

from hvtest import EXAMPLES

PING6 = """\
PING ff02::1(ff02::1) from fe80::5054:ff:fec8:1%eth0 eth0: 56 data bytes
64 bytes from fe80::5054:ff:fec8:1%eth0: icmp_seq=1 ttl=64 time=0.05 ms
64 bytes from fe80::10:2ff:fe03:405%eth0: icmp_seq=1 ttl=64 time=1.2 ms
64 bytes from fe80::aa:bbff:fecc:ddee%eth0: icmp_seq=1 ttl=64 time=1.9 ms
"""
HOST6 = """\
1: lo    inet6 ::1/128 scope host noprefixroute \\       valid_lft forever preferred_lft forever
7: bond0    inet6 fe80::aa:bbff:fecc:ddee/64 scope link \\       valid_lft forever
"""


def plan_a():  # type: ignore[no-untyped-def]
    host = load_file(EXAMPLES / "host-a.yaml").host
    assert host is not None
    return plan_lab(host)


def test_host_a_probes_cover_pairs_and_host() -> None:
    plan = plan_a()
    probes = plan_probes(plan)
    n = len(plan.endpoints)
    pairs = [p for p in probes if p.target != HOST]
    assert len(pairs) == n * (n - 1) // 2  # every pair once
    same = [p for p in pairs if p.kind == "ping"]
    assert all(p.expect for p in same) and all(not p.expect for p in pairs if p.kind == "arping")
    assert len(same) == 6 + 1 + 1  # lan50: 4 endpoints, lan100: 2, dmz: 2
    host = [p for p in probes if p.target == HOST]
    kinds = Counter((p.kind, p.expect) for p in host)
    assert kinds[("ping", True)] == 7  # every endpoint where the host has an address
    assert kinds[("arping", False)] == 2 * 3  # 2 dmz endpoints x 3 host IPv4 addresses
    assert kinds[("host-silent6", False)] == 2
    script = probe_script(plan, probes, "/tmp/x")
    assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    assert script.count("ip netns exec") == n  # one exec per source namespace


def test_evaluate_flags_unexpected_answers_and_silences() -> None:
    plan = plan_a()
    probes = plan_probes(plan)
    rcs: dict[int, int | None] = {p.id: 0 if p.expect else 1 for p in probes}
    leak = next(p for p in probes if p.kind == "arping" and p.target != HOST)
    lost = next(p for p in probes if p.kind == "ping")
    silent6 = next(p for p in probes if p.kind == "host-silent6")
    rcs[leak.id], rcs[lost.id] = 0, 1
    outputs = {silent6.id: PING6, lost.id: "1 packets transmitted, 0 received\n"}
    matrix = evaluate(plan, probes, rcs, outputs, HOST6)
    bad = {r.probe.id: r for r in matrix.failures}
    assert set(bad) == {leak.id, lost.id, silent6.id}
    assert "fe80::aa:bbff:fecc:ddee" in bad[silent6.id].detail
    assert bad[lost.id].detail == "1 packets transmitted, 0 received"
    assert not matrix.ok
    assert matrix.to_json()["probes"][leak.id]["expect"] == "silence"
    del rcs[leak.id]  # no result at all is a failure, whatever was expected
    assert leak.id in {r.probe.id for r in evaluate(plan, probes, rcs, {}, "").failures}


def test_ipv6_parsers() -> None:
    assert {str(a) for a in ping6_responders(PING6)} == {
        "fe80::5054:ff:fec8:1", "fe80::10:2ff:fe03:405", "fe80::aa:bbff:fecc:ddee",
    }  # fmt: skip
    assert {str(a) for a in host_ipv6(HOST6)} == {"::1", "fe80::aa:bbff:fecc:ddee"}
