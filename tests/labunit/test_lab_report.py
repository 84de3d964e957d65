"""Lab report: pass/fail logic, JSON and rich rendering (no VM); oracle eligibility."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from hvnet.compare import AttributeCheck, Status
from hvnet.lab.connectivity import evaluate, plan_probes
from hvnet.lab.drill import BondDrill, BondSide, CutResult, Window
from hvnet.lab.oracle import CORPUS, corpus_cases, judge
from hvnet.lab.report import LabReport, MethodRun, StepResult, render
from hvnet.lab.topology import plan_lab
from hvnet.loader import load_file

from hvtest import EXAMPLES


def side(active: str, failures: int) -> BondSide:
    return BondSide(active, "up", {"eth0": "up", "eth2": "up"}, {"eth0": failures, "eth2": 0})


def sample_report(*, lost_for_good: bool = False, wrong_vid: bool = False) -> LabReport:
    host = load_file(EXAMPLES / "host-a.yaml").host
    assert host is not None
    plan = plan_lab(host)
    probes = plan_probes(plan)
    matrix = evaluate(plan, probes, {p.id: 0 if p.expect else 1 for p in probes}, {}, "")
    checks = [AttributeCheck("vlan50", "vlan id", "50", "50", Status.OK)]
    if wrong_vid:
        checks.append(AttributeCheck("vlan50", "vlan id", "51", "50", Status.FAIL))
    cut = CutResult(
        slave="eth0", was_active=True, cut=Window(300, 20, 310.0, not lost_for_good),
        restore=Window(200, 0, 0.0, True), baseline_jitter_ms=12.0, detected_ms=150.0,
        before=side("eth0", 0), after=side("eth2", 1), restored=side("eth0", 1),
        back_to_normal=True,
    )  # fmt: skip
    drill = BondDrill("bond0", "active-backup", 100, 200, 200, "peer:bond0 → host", [cut])
    run = MethodRun(
        "ifupdown", setup=StepResult("setup", True, 1.0),
        apply=StepResult("ifupdown", True, 45.0),
        compare=StepResult("compare", not wrong_vid, 2.0),
        checks=checks, connectivity=StepResult("connectivity", True, 20.0), matrix=matrix,
        drill=StepResult("drill", drill.ok, 25.0), drills=[drill, BondDrill("bond9", skipped="x")],
    )  # fmt: skip
    return LabReport("example:host-a", "kvm-a", "6.1.0", "tcg", 9.5, 120.0, [run])


def test_a_passing_report_renders_every_table() -> None:
    report = sample_report()
    assert report.ok
    con = Console(record=True, width=100)
    render(report, con)
    text = con.export_text()
    needles = ["Steps", "kernel vs model", "connectivity", "failover drill", "bond0/eth0"]
    needles += ["310 (≤300)", "eth0→eth2", "0→1", "skipped: x", "PASS: example:host-a"]
    for needle in needles:
        assert needle in text, needle
    data = json.loads(json.dumps(report.to_json()))
    cut = data["runs"][0]["drill"]["bonds"][0]["cuts"][0]
    assert (cut["gap_ms"], cut["lost"], cut["active_after"], cut["failures_after"]) == (
        310.0, 20, "eth2", 1,
    )  # fmt: skip
    assert data["runs"][0]["drill"]["bonds"][0]["expected_failover_ms"] == 300


@pytest.mark.parametrize("kind", ["lost_for_good", "wrong_vid"])
def test_failures_make_the_report_fail(kind: str) -> None:
    report = sample_report(**{kind: True})
    assert not report.ok
    con = Console(record=True, width=100)
    render(report, con)
    text = con.export_text()
    assert "FAIL: example:host-a" in text
    assert (
        ("never back" in text) if kind == "lost_for_good" else ("vlan50" in text and "51" in text)
    )


def test_no_runs_or_an_error_is_not_a_pass() -> None:
    assert not LabReport("f", "h").ok
    report = sample_report()
    report.error = "apply: guest agent lost"
    assert not report.ok


@pytest.mark.skipif(not CORPUS.is_dir(), reason="ENI corpus not present")
def test_oracle_eligibility_over_the_corpus() -> None:
    cases = {c.path.name: c for c in corpus_cases()}
    qualifying = [name for name, c in cases.items() if c.qualifies]
    assert qualifying, "no corpus file qualifies for the ifupdown oracle"
    for name, case in cases.items():
        assert case.qualifies or case.reason, name
    ovs = next((c for n, c in cases.items() if "ovs" in n), None)
    if ovs is not None:
        assert not ovs.qualifies and "not converted" in ovs.reason


def test_oracle_rejects_dhcp(tmp_path: Path) -> None:
    f = tmp_path / "dhcp.interfaces"
    f.write_text("auto eth0\niface eth0 inet dhcp\n")
    case = judge(f)
    assert not case.qualifies and "DHCP" in case.reason
    g = tmp_path / "static.interfaces"
    g.write_text("auto eth0\niface eth0 inet static\n    address 192.0.2.10/24\n")
    assert judge(g).qualifies
