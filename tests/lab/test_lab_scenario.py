"""The full lab on the built-in example (host A): all six steps, both ways of applying.

One scenario run per module (about 3 minutes under TCG) shared by the tests below, which
check one promise each; the timings go to the terminal so CI logs keep them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hvnet.lab import LabVM
from hvnet.lab.report import LabReport, MethodRun
from hvnet.lab.scenario import METHODS, LabScenario
from hvnet.loader import load_file

from hvtest import EXAMPLES

pytestmark = pytest.mark.lab


def say(request: pytest.FixtureRequest, line: str) -> None:
    """Print to the terminal even while output is captured (timings belong in the log)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capman = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capman is None:
        return
    with capman.global_and_fixture_disabled():
        reporter.write_line(line)


def timings(report: LabReport) -> str:
    lines = [f"lab host A: boot {report.boot_seconds:.1f}s, scenario {report.total_seconds:.1f}s"]
    for run in report.runs:
        steps = ", ".join(
            f"{s.name} {s.seconds:.1f}s {'ok' if s.ok else 'FAIL'}" for s in run.steps
        )
        lines.append(f"  {run.method}: {steps}")
        for d in run.drills:
            for c in d.cuts:
                lines.append(
                    f"    {d.bond}/{c.slave}: outage {c.cut.gap_ms:.0f} ms, lost {c.cut.lost}, "
                    f"miimon+downdelay {d.expected_ms} ms, active {c.before.active}->"
                    f"{c.after.active}"
                )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def report(lab_vm: LabVM, request: pytest.FixtureRequest) -> Iterator[LabReport]:
    path = EXAMPLES / "host-a.yaml"
    host = load_file(path).host
    assert host is not None
    lab_vm.reset_network()
    scenario = LabScenario(lab_vm, host, config_text=path.read_text(), name="host A")
    result = scenario.run(METHODS, keep_going=True, file="example:host-a")
    say(request, "\n" + timings(result))
    yield result


def method(report: LabReport, name: str) -> MethodRun:
    assert not report.error, report.error
    return next(r for r in report.runs if r.method == name)


def test_ifupdown_applies_the_rendered_eni(report: LabReport) -> None:
    run = method(report, "ifupdown")
    assert run.apply is not None and run.apply.ok, run.apply and run.apply.detail


def test_ifupdown_kernel_equals_model(report: LabReport) -> None:
    run = method(report, "ifupdown")
    assert run.compare is not None and run.compare.ok, [c.format() for c in run.failed_checks]
    checked = {(c.link, c.attribute) for c in run.checks}
    expected = [
        ("bond0", "mode"),
        ("bond0", "slaves"),
        ("bond0", "downdelay (/proc/net/bonding)"),
        ("vlan50", "vlan id"),
        ("vlan50", "parent (/proc/net/vlan)"),
        ("br50", "ports (sysfs brif)"),
        ("br50", "addresses"),
        ("bond0", "gateway"),
    ]
    for item in expected:
        assert item in checked, item


def test_ifupdown_connectivity_matrix(report: LabReport) -> None:
    run = method(report, "ifupdown")
    assert run.matrix is not None
    assert run.matrix.ok, [f"{r.probe} {r.detail}" for r in run.matrix.failures]
    assert len(run.matrix.results) == 51  # 9 endpoints: 36 pairs, 15 host probes


def test_failover_drill_every_slave_of_every_bond(report: LabReport) -> None:
    run = method(report, "ifupdown")
    assert {d.bond for d in run.drills} == {"bond0", "bond1"}
    for drill in run.drills:
        assert len(drill.cuts) == 2
        for cut in drill.cuts:
            assert cut.ok, (drill.bond, cut.slave, cut.problems, cut.cut)
            assert cut.after.failures[cut.slave] == (cut.before.failures[cut.slave] or 0) + 1
            if cut.was_active:
                assert cut.after.active != cut.slave  # failed over
                if drill.downdelay >= 10 * 10:
                    # downdelay alone outlasts ten 10 ms pings; without a downdelay
                    # the MII tick may come before the next ping and nothing is lost.
                    assert cut.cut.lost > 0
        assert any(c.was_active for c in drill.cuts)
    bond0 = next(d for d in run.drills if d.bond == "bond0")
    assert bond0.cuts[-1].restored.active == "eth0"  # primary reselected after restore


def test_hvnet_apply_applies_and_kernel_equals_model(report: LabReport) -> None:
    run = method(report, "apply")
    assert run.apply is not None and run.apply.ok, run.apply and run.apply.detail
    assert run.compare is not None and run.compare.ok, [c.format() for c in run.failed_checks]


def test_hvnet_apply_connectivity_matrix(report: LabReport) -> None:
    run = method(report, "apply")
    assert run.matrix is not None
    assert run.matrix.ok, [f"{r.probe} {r.detail}" for r in run.matrix.failures]
