"""A lab run: build the host of a config inside the lab VM and prove what the config promises.

One :class:`LabScenario` drives one booted :class:`~hvnet.lab.LabVM` (one boot serves many
scenarios: the pytest session VM runs the full example, the oracle files and the negative
cases one after the other). Per method (``ifupdown``, then ``apply``):

1. build the NICs, the switch and the peers (:mod:`hvnet.lab.netsetup`);
2. apply the config: real ``ifup -a`` on the ENI hvnet renders, or ``hvnet apply
   --runtime-only``; time and errors recorded;
3. capture the kernel and compare it with the model (:mod:`hvnet.lab.state`);
4. attach the guest endpoints and probe the connectivity matrix (:mod:`hvnet.lab.connectivity`);
5. the failover drill (:mod:`hvnet.lab.drill`), on the first method only: it exercises the
   kernel's bonding with the options both methods set, and costs a few seconds per slave;

then tear everything down so the next method (or scenario) starts from a clean kernel. Each
step is one or two guest jobs, because every exec costs 0.1-0.3 s under TCG.

``expect`` (default: the applied host) is the model step 3 compares with; passing a
deliberately wrong one proves the comparison can fail.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hvnet.compare import failures
from hvnet.lab.connectivity import evaluate, plan_probes, probe_script
from hvnet.lab.drill import BondDrill, analyze_cut, drill_script, sections
from hvnet.lab.errors import LabError
from hvnet.lab.helper import helper_for
from hvnet.lab.netsetup import (
    GUEST_STATE,
    attach_guests_script,
    build_script,
    hide_nics_script,
    install_eni_script,
    teardown_script,
)
from hvnet.lab.report import LabReport, MethodRun, StepResult
from hvnet.lab.state import lab_checks
from hvnet.lab.topology import LabPlan, plan_lab
from hvnet.lab.vm import LabVM
from hvnet.model import Host

METHODS = ("ifupdown", "apply")
ALL_STEPS = frozenset({"compare", "connectivity", "drill"})
APPLY_TIMEOUT = 900.0
_APPLIED = re.compile(r"applied (\d+) operation\(s\) in ([\d.]+) s")
Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class LabScenario:
    """The lab around one host in one booted VM; see the module docstring."""

    def __init__(
        self,
        vm: LabVM,
        host: Host,
        *,
        config_text: str | None = None,
        expect: Host | None = None,
        name: str = "",
        say: Say = _quiet,
    ) -> None:
        self.vm = vm
        self.host = host
        self.expect = expect if expect is not None else host
        self.config_text = config_text
        self.name = name or host.hostname or "host"
        self.plan: LabPlan = plan_lab(host)
        self.say = say
        self._hidden = False
        self._seq = 0

    # ------------------------------------------------------------------ building blocks

    def _bash(self, script: str, timeout: float = 120.0) -> tuple[bool, float, str, str]:
        r = self.vm.run(["/bin/bash", "-c", script], timeout=timeout)
        return r.ok, r.seconds, r.stdout, r.stderr

    def prepare(self) -> None:
        """Rename the VM's virtio NICs out of the config's way (once per scenario)."""
        if not self._hidden:
            self.vm.sh(hide_nics_script(self.vm.nic_netdev), check=True)
            self._hidden = True
        helper_for(self.vm).wait_ready()

    def build(self) -> StepResult:
        ok, secs, _, err = self._bash(build_script(self.plan))
        return StepResult("setup", ok, secs, err.strip())

    def teardown(self) -> None:
        """Remove everything the lab built and give the virtio NICs their names back."""
        self.vm.sh(teardown_script(), timeout=120, check=True)
        self._hidden = False

    def apply_ifupdown(self) -> StepResult:
        """Real Debian ifupdown: the rendered ENI as /etc/network/interfaces, ``ifup -a``."""
        from hvnet.render.eni import render

        self._seq += 1
        eni = self.vm.write_file(
            f"interfaces-{self._seq}", render(self.host)["etc/network/interfaces"]
        )
        self.vm.sh(install_eni_script(str(eni)), check=True)
        r = self.vm.run(["ifup", "-a"], timeout=APPLY_TIMEOUT)
        text = (r.stderr + r.stdout).strip()
        detail = (
            "ifup -a timed out"
            if r.timed_out
            else (f"ifup -a exited {r.rc}: {text}" if not r.ok else text)
        )
        return StepResult("ifupdown", r.ok, r.seconds, detail)

    def apply_hvnet(self) -> StepResult:
        """``hvnet apply FILE --runtime-only`` in the guest (live apply through netlink)."""
        from hvnet.emit import emit_yaml

        self._seq += 1
        text = self.config_text if self.config_text is not None else emit_yaml(self.host)
        config = self.vm.write_file(f"host-{self._seq}.yaml", text)
        hvnet = Path(self.vm.python).parent / "hvnet"
        state = f"{GUEST_STATE}/state"
        argv = [str(hvnet)] if hvnet.exists() else [self.vm.python, "-m", "hvnet.cli"]
        argv += ["apply", str(config), "--runtime-only", "--state-dir", state]
        self.vm.sh(f"rm -rf {state}; mkdir -p {state}", check=True)
        r = self.vm.run(argv, timeout=APPLY_TIMEOUT)
        out = (r.stdout + r.stderr).strip()
        m = _APPLIED.search(out)
        detail = (
            out
            if not r.ok
            else (f"{m.group(1)} operations in {m.group(2)} s (engine)" if m else out)
        )
        return StepResult("apply", r.ok, r.seconds, detail)

    def compare(self, run: MethodRun) -> None:
        """Step 3: capture (the warm guest helper) and compare on the host."""
        started = time.monotonic()
        try:
            capture = helper_for(self.vm).capture()
        except LabError as exc:
            run.compare = StepResult("compare", False, time.monotonic() - started, str(exc))
            return
        run.checks = lab_checks(self.expect, capture)
        bad = failures(run.checks)
        detail = "; ".join(c.format() for c in bad[:5]) + (" ..." if len(bad) > 5 else "")
        run.compare = StepResult("compare", not bad, time.monotonic() - started, detail)

    def connectivity(self, run: MethodRun) -> None:
        """Step 4: guests on their bridges, then every probe in one guest job."""
        started = time.monotonic()
        ok, _, _, err = self._bash(attach_guests_script(self.plan))
        if not ok:
            run.connectivity = StepResult("connectivity", False, time.monotonic() - started,
                                          f"attaching guests failed: {err.strip()}")  # fmt: skip
            return
        probes = plan_probes(self.plan)
        outdir = str(self.vm.share / "files" / f"probes-{self._seq}")
        self._bash(probe_script(self.plan, probes, outdir), timeout=300)
        rcs: dict[int, int | None] = {}
        outputs: dict[int, str] = {}
        base = Path(outdir)
        for p in probes:
            rc_file, out_file = base / f"{p.id}.rc", base / f"{p.id}.out"
            rcs[p.id] = int(rc_file.read_text().strip()) if rc_file.exists() else None
            outputs[p.id] = out_file.read_text(errors="replace") if out_file.exists() else ""
        host6 = (base / "host6").read_text() if (base / "host6").exists() else ""
        matrix = evaluate(self.plan, probes, rcs, outputs, host6)
        matrix.seconds = time.monotonic() - started
        run.matrix = matrix
        detail = f"{len(matrix.failures)} of {len(matrix.results)} probes not as expected"
        run.connectivity = StepResult("connectivity", matrix.ok, matrix.seconds,
                                      "" if matrix.ok else detail)  # fmt: skip

    def drill(self, run: MethodRun) -> None:
        """Step 5: every bond, every slave cut in turn (one guest job per bond)."""
        started = time.monotonic()
        paths = {d.bond: d for d in self.plan.drills}
        for bond in self.host.bonds:
            path = paths.get(bond.name)
            if path is None:
                reason = self.plan.skipped_drills.get(bond.name, "no drill path")
                run.drills.append(BondDrill(bond.name, skipped=reason))
                continue
            self.say(f"  drill {bond.name}: {len(path.slaves)} cuts, ping {path.target_name}")
            t0 = time.monotonic()
            ok, _, out, err = self._bash(drill_script(path), timeout=60 + 30 * len(path.slaves))
            files = sections(out)
            via = f"{path.source.name} → {path.target_name} ({path.target})"
            result = BondDrill(bond.name, path.mode, path.miimon, path.updelay, path.downdelay, via)
            result.cuts = [analyze_cut(path, i, files) for i in range(len(path.slaves))]
            if not ok:
                for cut in result.cuts:
                    cut.problems.append(f"drill job failed: {err.strip()[-300:]}")
            result.seconds = time.monotonic() - t0
            run.drills.append(result)
        all_ok = all(d.ok for d in run.drills)
        bad = [f"{d.bond}/{c.slave}" for d in run.drills for c in d.cuts if not c.ok]
        run.drill = StepResult("drill", all_ok, time.monotonic() - started,
                               "" if all_ok else "failed cuts: " + ", ".join(bad))  # fmt: skip

    # ------------------------------------------------------------------ whole runs

    def run_method(
        self, method: str, steps: frozenset[str] = ALL_STEPS, keep_going: bool = False
    ) -> MethodRun:
        """Steps 1-5 for one method, then teardown (always)."""
        run = MethodRun(method)
        self.prepare()
        try:
            run.setup = self.build()
            if not run.setup.ok:
                run.apply = StepResult(method, False, 0.0, f"lab setup failed: {run.setup.detail}")
                return run
            self.say(f"{self.name}: {method}: applying")
            run.apply = self.apply_ifupdown() if method == "ifupdown" else self.apply_hvnet()
            self.say(f"{self.name}: {method}: {'ok' if run.apply.ok else 'FAILED'} "
                     f"in {run.apply.seconds:.1f}s")  # fmt: skip
            go = run.apply.ok or keep_going
            if go and "compare" in steps:
                self.compare(run)
                go = keep_going or bool(run.compare and run.compare.ok)
            if go and "connectivity" in steps and self.plan.endpoints:
                self.say(f"{self.name}: {method}: connectivity")
                self.connectivity(run)
                go = keep_going or bool(run.connectivity and run.connectivity.ok)
            if go and "drill" in steps and self.host.bonds:
                self.say(f"{self.name}: {method}: failover drill")
                self.drill(run)
        finally:
            self.teardown()
        return run

    def run(
        self,
        methods: Sequence[str] = METHODS,
        steps: frozenset[str] = ALL_STEPS,
        keep_going: bool = False,
        file: str = "",
    ) -> LabReport:
        """Every method in turn; the drill runs with the first one only."""
        started = time.monotonic()
        report = LabReport(file or self.name, self.host.hostname or "", self.vm.kernel_release,
                           self.vm.accel, self.vm.boot_seconds)  # fmt: skip
        report.notes += list(self.plan.notes)
        report.notes += [f"{s.name}: {s.note}" for s in self.plan.segments if s.note]
        for i, method in enumerate(methods):
            wanted = steps if i == 0 else steps - {"drill"}
            try:
                report.runs.append(self.run_method(method, wanted, keep_going))
            except LabError as exc:  # the VM or a guest job broke: report, do not hide it
                report.error = f"{method}: {exc}"
                break
        report.total_seconds = time.monotonic() - started
        return report
