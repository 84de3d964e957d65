"""Live apply on a real kernel with bonding and 802.1Q (the lab VM): the acceptance of apply.

Each scenario runs in one guest Python process (tests/lab/apply_job.py) and reports JSON; the
assertions live here. The VM's NICs eth0..eth3 are host A's NICs.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from hvnet.lab import LabVM

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]


def scenario(vm: LabVM, name: str, timeout: float = 1200) -> Any:
    state = f"/tmp/hvnet-state-{uuid.uuid4().hex[:8]}"
    result = vm.run(
        [sys.executable, str(REPO / "tests/lab/apply_job.py"), name, state],
        timeout=timeout,
        cwd=str(REPO),
    )
    assert result.rc == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sequence_of_changes_converges_and_replans_nothing(lab: LabVM) -> None:
    steps = scenario(lab, "sequence")
    names = [s["step"] for s in steps]
    assert names[0] == "example" and names[-1] == "back to the example" and len(names) == 8
    for step in steps:
        print(f"{step['step']:>22}: {step['ops']:3} ops in {step['seconds']:6.2f} s")
        assert step["error"] is None, step
        assert step["mismatches"] == [], step
        assert step["replan"] == [], step  # idempotent: a second apply plans nothing
        assert step["ops"] > 0, step


@pytest.mark.parametrize("name", ["faults-create", "faults-change"])
def test_failure_at_every_operation_restores_the_exact_prior_state(lab: LabVM, name: str) -> None:
    out = scenario(lab, name)
    assert out["operations"] >= 10
    assert len(out["results"]) == out["operations"]
    for r in out["results"]:
        assert r["failed"] is True, r
        assert r["rolled_back"] is True, r
        assert r["diff"] == [], r


def test_confirm_or_revert(lab: LabVM) -> None:
    out = scenario(lab, "confirm")
    assert out["during"] == []  # the new state was applied and verified
    assert out["reverted_after_deadline_s"] <= 2.0  # previous state back within window + 2 s
    assert out["after_revert"] == []  # ... exactly
    assert out["confirmed"] is True
    assert out["kept"] == []  # confirmed: the new state stays


def test_guest_tap_survives_vlan_parent_change(lab: LabVM) -> None:
    out = scenario(lab, "guest-tap")
    assert out["vlan50_parent"] == "bond0"
    assert out["vnet0_master"] == "br50"
    assert out["guest_ports"] == ["vnet0"]
    assert out["steps_affecting_vnet0"]  # the plan said which steps touch the guest


def test_capture_fed_back_plans_nothing(lab: LabVM) -> None:
    out = scenario(lab, "capture")
    assert out["errors"] == []
    assert out["replan"] == []


SETTLED_CHECK = (
    "from hvnet.apply.command import parse, settled_answer; import sys; "
    "print(settled_answer(*parse(sys.argv[1:])))"
)


def test_settled_no_op_on_the_real_kernel(lab: LabVM) -> None:
    """After an apply of host A (bonds, VLANs, bridges), a re-apply is answered from the
    settled record (no planning) even as carrier and STP states keep moving; a bond option
    changed behind hvnet's back sends it back to planning, which repairs the bond."""
    hvnet = str(Path(sys.executable).with_name("hvnet"))
    state = f"/tmp/hvnet-state-{uuid.uuid4().hex[:8]}"
    host = str(REPO / "src/hvnet/examples/host-a.yaml")
    args = [host, "--runtime-only", "--state-dir", state]

    def fast() -> str:
        r = lab.run([sys.executable, "-c", SETTLED_CHECK, *args], timeout=300, cwd=str(REPO))
        assert r.rc == 0, r.stderr
        return str(r.stdout).strip().splitlines()[-1]

    first = lab.run([hvnet, "apply", *args], timeout=900, cwd=str(REPO))
    assert first.rc == 0 and "kernel verified" in first.stdout, first.stderr[-3000:]
    lab.sh("sleep 3")  # carriers, STP port states and bond slaves settle after the verify
    assert fast() == "0"
    noop = lab.run([hvnet, "apply", *args], timeout=600, cwd=str(REPO))
    assert noop.stdout == "nothing to do: the kernel already matches the config\n"
    lab.sh("echo 250 > /sys/class/net/bond0/bonding/miimon", check=True)
    assert fast() == "None"
    repaired = lab.run([hvnet, "apply", *args], timeout=900, cwd=str(REPO))
    assert "kernel verified" in repaired.stdout, repaired.stdout + repaired.stderr[-3000:]
    assert lab.run(["cat", "/sys/class/net/bond0/bonding/miimon"]).stdout.strip() == "100"
    assert fast() == "0"
